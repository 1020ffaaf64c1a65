import { describe, expect, it } from "vitest";
import { renderMarkdown, sanitize } from "../src/markdown";
import type { Item } from "../src/model";
import {
  approvalItem,
  events,
  neoText,
  numbered,
  panelFixture,
  parts,
  q,
  toolItem,
  userText,
} from "./helpers";

/** Agent text that tries to run code, leak the page, or pose as the panel. */
const PAYLOADS: string[] = [
  "<script>alert(1)</script>",
  "<img src=x onerror=alert(1)>",
  '<img src="javascript:alert(1)">',
  "<svg onload=alert(1)>",
  "<svg><script>alert(1)</script></svg>",
  '<svg><a xlink:href="javascript:alert(1)"><text x="0" y="20">x</text></a></svg>',
  '<iframe src="https://evil.example"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  "<style>body{display:none}</style>",
  '<div style="position:fixed;inset:0;z-index:9999;background:red">overlay</div>',
  '<form action="https://evil.example"><input name="token"><button>Go</button></form>',
  '<button formaction="javascript:alert(1)">x</button>',
  "<scr<script>ipt>alert(1)</scr</script>ipt>",
  "[x](javascript:alert(1))",
  "[x](JaVaScRiPt:alert(1))",
  "[x](  javascript:alert(1))",
  "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
  "![img](javascript:alert(1))",
  "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
  "<javascript:alert(1)>",
  '<a href="jav&#x09;ascript:alert(1)">tab</a>',
  '<a href="&#106;avascript:alert(1)">entity</a>',
  '<a href="javascript&colon;alert(1)">colon</a>',
  '<a href=" &#14;  javascript:alert(1)">control</a>',
  '<a href="vbscript:msgbox(1)">vb</a>',
  '<a href="data:text/html,<script>alert(1)</script>">data</a>',
  '<a href="https://ok.example" onclick="alert(1)">handler</a>',
  '[t](https://ok.example "title" onmouseover=alert(1))',
  "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  "<details open ontoggle=alert(1)><summary>x</summary></details>",
  '<object data="javascript:alert(1)"></object>',
  '<embed src="javascript:alert(1)">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<link rel="stylesheet" href="https://evil.example/x.css">',
  '<base href="https://evil.example/">',
  "<body onload=alert(1)>",
  "<input autofocus onfocus=alert(1)>",
  "<video><source onerror=alert(1)></video>",
  '<img src="https://ok.example/x.png" srcset="javascript:alert(1) 1x">',
  "<template><script>alert(1)</script></template>",
  '<p class="neo-approval neo-banner" id="neo-fake" name="x">fake panel</p>',
  '<a href="//evil.example/">protocol-relative</a>',
  "```\n</code></pre><script>alert(1)</script>\n```",
];

// prettier-ignore
const ALLOWED_TAGS = new Set([
  "A", "ABBR", "B", "BLOCKQUOTE", "BR", "CODE", "DEL", "DETAILS", "DIV", "EM", "H1", "H2", "H3",
  "H4", "H5", "H6", "HR", "I", "IMG", "KBD", "LI", "OL", "P", "PRE", "S", "SPAN", "STRONG",
  "SUB", "SUMMARY", "SUP", "TABLE", "TBODY", "TD", "TFOOT", "TH", "THEAD", "TR", "UL",
  // Added by the renderer around code blocks.
  "BUTTON",
]);
const ALLOWED_ATTRS = new Set([
  "href",
  "title",
  "alt",
  "src",
  "class",
  "align",
  "start",
  "colspan",
  "rowspan",
  "target",
  "rel",
  "type",
]);

function assertSafe(root: Element): void {
  for (const node of Array.from(root.querySelectorAll("*"))) {
    expect(ALLOWED_TAGS, `tag <${node.tagName}> in ${root.innerHTML}`).toContain(node.tagName);
    if (node.tagName === "BUTTON") expect(node.className).toBe("neo-copy");
    for (const attr of Array.from(node.attributes)) {
      const name = attr.name.toLowerCase();
      expect(ALLOWED_ATTRS, `attribute ${name} in ${root.innerHTML}`).toContain(name);
      expect(name.startsWith("on")).toBe(false);
      expect(attr.value).not.toMatch(/(?:java|vb)script\s*:|data\s*:/i);
      if (name === "href") expect(attr.value).toMatch(/^(?:https?|mailto):/i);
      if (name === "src") expect(attr.value).toMatch(/^https?:/i);
      if (name === "class" && !node.closest(".neo-code") && node.tagName !== "BUTTON") {
        expect(node.tagName).toBe("CODE");
      }
    }
    if (node.tagName === "A" && node.hasAttribute("href")) {
      expect(node.getAttribute("target")).toBe("_blank");
      expect(node.getAttribute("rel")).toBe("noopener noreferrer");
    }
  }
}

describe("sanitizing agent text", () => {
  it("has a corpus of at least 25 payloads", () => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(25);
  });

  it.each(PAYLOADS)("markdown: %s", (payload) => {
    const el = renderMarkdown(`Before\n\n${payload}\n\nafter ${payload}`);
    assertSafe(el);
    expect(el.querySelector("script, iframe, style, form, svg, math, object, embed")).toBeNull();
  });

  it.each(PAYLOADS)("raw HTML: %s", (payload) => {
    const host = document.createElement("div");
    host.append(sanitize(payload));
    assertSafe(host);
  });

  it("keeps safe links and images", () => {
    const el = renderMarkdown(
      "[docs](https://www.pulumi.com/docs/) ![chart](https://ok.example/c.png) <mailto:ops@example.com>",
    );
    expect(Array.from(el.querySelectorAll("a")).map((a) => a.getAttribute("href"))).toEqual([
      "https://www.pulumi.com/docs/",
      "mailto:ops@example.com",
    ]);
    expect(el.querySelector("img")?.getAttribute("src")).toBe("https://ok.example/c.png");
  });

  it("keeps the text of a neutralized link", () => {
    const el = renderMarkdown("[click me](javascript:alert(1))");
    expect(el.textContent).toContain("click me");
    expect(el.querySelector("a[href]")).toBeNull();
  });

  it("never runs a handler while rendering", () => {
    const calls: string[] = [];
    (globalThis as Record<string, unknown>).neoPwned = (x: string) => calls.push(x);
    const el = renderMarkdown('<img src=x onerror="neoPwned(1)"><svg onload="neoPwned(2)">');
    document.body.append(el);
    el.remove();
    expect(calls).toEqual([]);
  });
});

/** Nothing in the panel can run, load or navigate anywhere but http(s) (mailto in markdown). */
function assertPanelSafe(root: Element): void {
  expect(
    root.querySelector("script, iframe, style, form, svg, math, object, embed, link, meta, base"),
  ).toBeNull();
  for (const node of Array.from(root.querySelectorAll("*"))) {
    for (const attr of Array.from(node.attributes)) {
      const name = attr.name.toLowerCase();
      expect(name.startsWith("on"), `${name} on <${node.tagName}>`).toBe(false);
      expect(["style", "srcdoc", "formaction", "xlink:href", "srcset"]).not.toContain(name);
      if (name === "style") continue;
      expect(attr.value).not.toMatch(/^\s*(?:java|vb)script\s*:|^\s*data\s*:/i);
    }
    if (node.hasAttribute("href")) {
      expect(node.getAttribute("href")).toMatch(/^(?:https?|mailto):/i);
      expect(node.getAttribute("rel")).toBe("noopener noreferrer");
    }
    if (node.hasAttribute("src")) {
      expect(node.closest(".neo-markdown"), "src outside markdown").not.toBeNull();
      expect(node.getAttribute("src")).toMatch(/^https?:/i);
    }
  }
  // Only the panel's own controls: nothing from the API poses as a button or a field.
  for (const control of Array.from(root.querySelectorAll("button, input, textarea, select"))) {
    expect(control.className, control.outerHTML).toMatch(/^neo-/);
  }
}

/** An item of every kind, every field from the API set to `payload`. */
function everyField(payload: string): Item[] {
  const diff = {
    file: payload,
    patch: `--- a/x\n+++ b/x\n@@ -1 +1 @@\n-${payload}\n+${payload}\n ${payload}`,
    added: 1,
    removed: 1,
  };
  const chip = { type: payload, label: payload, url: payload };
  return numbered(
    0,
    userText(payload, payload, [
      { name: payload, description: payload, note: payload, content: payload },
    ]),
    neoText(payload),
    toolItem({
      key: payload,
      call_id: payload,
      name: payload,
      arguments: payload,
      execution_mode: payload,
      state: "running",
      progress: payload,
      result: payload,
      started_at: payload,
    }),
    toolItem({ key: "done", name: payload, state: "error", result: payload, is_error: true }),
    approvalItem({
      id: payload,
      message: payload,
      approval_type: payload,
      title: payload,
      sensitive: true,
      source: payload,
      buttons: [payload, payload],
      tool_name: payload,
      tool_arguments: payload,
      plan: payload,
      diff: [diff, { ...diff, file: "x.ts" }],
      last_approval_diff: [diff],
    }),
    parts(
      payload,
      {
        view: "answer",
        approval_request_id: payload,
        ok: false,
        instructions: payload,
        synthetic: false,
      },
      { view: "note", tone: "error", text: payload },
      { view: "divider", text: payload, detail: payload },
      { view: "entities", text: payload, added: [chip], removed: [chip] },
      {
        view: "trigger",
        triggers: [
          {
            provider: payload,
            title: payload,
            event_type: payload,
            reference: payload,
            url: payload,
            badge_label: payload,
            badge_tone: payload,
            details: [{ label: payload, value: payload, kind: payload }],
            omitted: 2,
            received_at: payload,
          },
        ],
        instructions: payload,
        text: payload,
      },
      { view: "unknown", json: JSON.stringify({ type: payload, html: payload }) },
    ),
  );
}

const TEXT_SELECTORS = [
  ".neo-message-user .neo-message-text",
  ".neo-tool-name",
  ".neo-tool-progress",
  ".neo-tool-args",
  ".neo-tool-result",
  ".neo-approval-title",
  ".neo-approval-tool pre",
  ".neo-diff-name",
  ".neo-diff-del .neo-diff-code",
  ".neo-diff-context .neo-diff-code",
  '[data-testid="neo-approve"]',
  '[data-testid="neo-decline"]',
  ".neo-note-error",
  ".neo-divider-text",
  ".neo-divider-detail-text",
  ".neo-entity-change-text",
  ".neo-trigger-provider",
  ".neo-trigger-title",
  ".neo-trigger-reference",
  ".neo-badge",
  ".neo-trigger-details dt",
  ".neo-trigger-details dd",
];

describe("every field from the API", () => {
  const panel = panelFixture();

  it.each(PAYLOADS)("%s", (payload) => {
    const model = panel.mount({
      task_name: payload,
      entities: [{ type: payload, label: payload, url: payload }],
      banner: { level: "error", title: payload, message: payload },
      busy_reason: payload,
      console_url: payload,
      approval_mode: payload,
      plan_mode: true,
      permission_mode: payload,
      approvals: { [payload]: "pending" },
    });
    model.receive(events(everyField(payload), true));
    for (const details of Array.from(panel.el.querySelectorAll("details"))) details.open = true;
    for (const details of Array.from(panel.el.querySelectorAll("details"))) {
      details.dispatchEvent(new Event("toggle"));
    }
    assertPanelSafe(panel.el);
    // Text fields show the payload as it came: as text, never as markup.
    for (const selector of TEXT_SELECTORS) {
      // A diff line holds one line of a payload that spans several.
      if (selector.includes("neo-diff-code") && payload.includes("\n")) continue;
      const found = panel.el.querySelector(selector);
      expect(found, selector).not.toBeNull();
      expect(found!.textContent, selector).toContain(payload);
    }
    expect(q(panel.el, "neo-unknown").querySelector("pre")?.textContent).toBe(
      JSON.stringify({ type: payload, html: payload }),
    );
    expect(q(panel.el, "neo-task-name").textContent).toBe(payload);
  });

  it("a javascript: URL never becomes a link, wherever it comes", () => {
    const bad = "javascript:alert(1)";
    const model = panel.mount({
      console_url: bad,
      entities: [{ type: "repository", label: "repo", url: bad }],
    });
    const items = everyField("x").map((it) =>
      JSON.parse(JSON.stringify(it).replaceAll('"url":"x"', `"url":"${bad}"`)),
    );
    model.receive(events(items, true));
    expect(panel.el.querySelector("a[href^='javascript' i]")).toBeNull();
    expect(panel.el.querySelector('[data-testid="neo-trigger-reference"]')?.tagName).toBe("SPAN");
    expect(
      Array.from(panel.el.querySelectorAll('[data-testid="neo-entity"]')).map((c) => c.tagName),
    ).toEqual(["SPAN", "SPAN", "SPAN"]);
    expect(q(panel.el, "neo-console-link").hasAttribute("href")).toBe(false);
  });

  it("highlighted diff lines keep markup in code as text", () => {
    const model = panel.mount();
    const line = 'const x = "</span><img src=x onerror=alert(1)>";';
    model.receive(
      events(
        numbered(
          0,
          approvalItem({
            diff: [{ file: "a.ts", patch: `@@ -1 +1 @@\n+${line}`, added: 1, removed: 0 }],
          }),
        ),
        true,
      ),
    );
    const code = panel.el.querySelector(".neo-diff-add .neo-diff-code")!;
    expect(code.querySelector("span")).not.toBeNull();
    expect(code.querySelector("img")).toBeNull();
    expect(code.textContent).toBe(line);
  });
});

describe("every field of a local run (command, paths, contents, output, diffs)", () => {
  const panel = panelFixture();

  it.each(PAYLOADS)("%s", (payload) => {
    const model = panel.mount({
      status: "awaiting_tools",
      workspace: { path: payload, allow: ["read"], granted: [], kinds: ["read", "shell"] },
    });
    model.receive(
      events(
        numbered(
          0,
          toolItem({
            key: "call_shell",
            call_id: "call_shell",
            name: "shell__shell_execute",
            runner: "client",
            execution_mode: "cli",
            arguments: JSON.stringify({ command: payload, cwd: payload }),
            state: "running",
          }),
          toolItem({
            key: "call_edit",
            call_id: "call_edit",
            name: "filesystem__edit",
            runner: "client",
            execution_mode: "cli",
            arguments: JSON.stringify({ file_path: payload, old_string: payload }),
            state: "done",
            result: `Successfully edited file: ${payload}\n\`\`\`diff\n--- ${payload}\n+++ ${payload}\n@@ -1 +1 @@\n-${payload}\n+${payload}\n\`\`\``,
          }),
          toolItem({
            key: "call_read",
            call_id: "call_read",
            name: "filesystem__read",
            runner: "client",
            execution_mode: "cli",
            arguments: JSON.stringify({ file_path: payload }),
            state: "done",
            result: JSON.stringify({ content: payload }),
          }),
          toolItem({
            key: "call_grep",
            call_id: "call_grep",
            name: "filesystem__grep",
            runner: "client",
            execution_mode: "cli",
            arguments: JSON.stringify({ pattern: payload }),
            state: "done",
            result: JSON.stringify({
              content: `Found 1 matches in 1 file(s):\n\n/w/${payload}:1: ${payload}`,
            }),
          }),
        ),
        true,
      ),
    );
    model.set("local_asks", {
      call_shell: {
        call_id: "call_shell",
        name: payload,
        kind: "shell",
        reason: payload,
        details: { command: payload, cwd: payload, timeout: 120 },
        asked_at: payload,
      },
      call_edit: {
        call_id: "call_edit",
        name: payload,
        kind: "write",
        reason: payload,
        details: {
          file: payload,
          diff: `--- a/${payload}\n+++ b/${payload}\n@@ -1 +1 @@\n-${payload}\n+${payload}`,
          new_file: payload,
          note: payload,
        },
        asked_at: payload,
      },
      call_up: {
        call_id: "call_up",
        name: payload,
        kind: "up",
        reason: payload,
        details: { stack: payload, program: payload, env_names: [payload, payload] },
        asked_at: payload,
      },
    });
    model.receive({
      type: "live",
      runs: [
        {
          call_id: "call_shell",
          name: payload,
          started_at: payload,
          state: "running",
          exit_code: null,
          tail: [
            ["stdout", payload],
            ["stderr", payload],
          ],
        },
      ],
    });
    for (const details of Array.from(panel.el.querySelectorAll("details"))) details.open = true;
    assertPanelSafe(panel.el);
    // The command is shown as it came: as text, never as markup.
    expect(q(panel.el, "neo-local-command").textContent).toContain(payload);
  });
});
