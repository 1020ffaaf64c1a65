import { describe, expect, it } from "vitest";
import { approvalInfo } from "./helpers";
import { inboxFixture, needsYou, q, row, working } from "./inbox-helpers";

/**
 * Twenty payloads from tests/xss_payloads.py (its numbers kept): each, if it ever ran, would
 * set `window.__xss` to its number.
 */
const PAYLOADS: string[] = [
  "<script>window.__xss=1</script>",
  "<scr<script>ipt>window.__xss=3</scr</script>ipt>",
  '"><script>window.__xss=5</script>',
  "</pre></code></details><script>window.__xss=6</script>",
  "<img src=x onerror=window.__xss=7>",
  "<details open ontoggle=window.__xss=9><summary>x</summary></details>",
  "<svg onload=window.__xss=11>",
  "<input autofocus onfocus=window.__xss=13>",
  "<div onmouseover=window.__xss=15 style=position:fixed;inset:0>hover</div>",
  '<a href="javascript:window.__xss=17">click</a>',
  "[click](javascript:window.__xss=21)",
  '<svg><a xlink:href="javascript:window.__xss=31"><text y="20">x</text></a></svg>',
  '<form action="javascript:window.__xss=34"><input type=submit value=go></form>',
  '<iframe srcdoc="<script>top.__xss=36</script>"></iframe>',
  "<style>body{background:url(javascript:window.__xss=42)}</style>",
  "<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=45>",
  '<noscript><p title="</noscript><img src=x onerror=window.__xss=47>"></noscript>',
  "&#60;img src=x onerror=window.__xss=53&#62;",
  "```\n</code></pre><img src=x onerror=window.__xss=55>\n```",
  "{{constructor.constructor('window.__xss=60')()}}",
];

const inbox = inboxFixture();

/** The elements and attributes an inbox row is built of: nothing a payload could add. */
const ROW_TAGS = new Set(["LI", "DIV", "SPAN", "P", "UL", "CODE", "A", "BUTTON", "INPUT"]);
const ROW_ATTRS = new Set([
  "class",
  "title",
  "type",
  "tabindex",
  "role",
  "id",
  "hidden",
  "disabled",
  "placeholder",
  "href",
  "target",
  "rel",
]);

/** Every element of the rows (outside their cards) is one the inbox made, with text only. */
function assertInert(root: HTMLElement): void {
  for (const node of Array.from(root.querySelectorAll("[data-testid=inbox-row] *"))) {
    if (node.closest("[data-testid=inbox-card]")) continue;
    expect(ROW_TAGS, `<${node.tagName}> in a row`).toContain(node.tagName);
    for (const attr of Array.from(node.attributes)) {
      const name = attr.name;
      const known = ROW_ATTRS.has(name) || /^(data|aria)-[a-z-]+$/.test(name);
      expect(known, `attribute ${name} in a row`).toBe(true);
      if (name === "href") expect(attr.value).toMatch(/^https?:\/\//);
    }
  }
}

/** The card is sanitized Markdown: no active elements, handlers or script URLs. */
function assertSanitized(card: HTMLElement): void {
  expect(
    card.querySelector("script, iframe, style, form, svg, math, object, embed, input, noscript"),
  ).toBeNull();
  for (const node of Array.from(card.querySelectorAll("*"))) {
    for (const attr of Array.from(node.attributes)) {
      expect(attr.name.startsWith("on"), `${attr.name} in the card`).toBe(false);
      if (["href", "src", "action", "formaction", "xlink:href"].includes(attr.name)) {
        expect(attr.value).toMatch(/^(?:https?|mailto):/);
      }
    }
  }
}

describe("every payload stays inert", () => {
  it("has twenty payloads", () => {
    expect(PAYLOADS).toHaveLength(20);
  });

  it.each(PAYLOADS)("%s", (payload) => {
    const w = window as unknown as { __xss?: unknown };
    delete w.__xss;
    const model = inbox.mount();
    model.rows(
      [
        needsYou("a", {
          name: payload,
          source: payload,
          trigger: { label: payload, tone: payload },
          entities: [{ type: payload, label: payload, url: payload }],
          request: {
            id: "req_a",
            kind: payload,
            description: payload,
            sensitive: true,
            tool: payload,
            files: [{ file: payload, added: 1, removed: 0 }],
          },
          error: null,
        }),
        working("w", { name: payload, entities: [{ type: "x", label: payload, url: null }] }),
      ],
      true,
    );
    const a = row(inbox.el, "a");
    expect(a.querySelector(".neo-inbox-name")?.textContent).toBe(payload);
    expect(a.querySelector(".neo-inbox-trigger")?.textContent).toBe(payload);
    expect(a.querySelector(".neo-inbox-description")?.textContent).toBe(payload);
    expect(a.querySelector(".neo-inbox-file .neo-diff-name")?.textContent).toBe(payload);
    expect(a.querySelector(".neo-entity")?.textContent).toBe(payload);
    expect(a.querySelector(".neo-entity")?.tagName).toBe("SPAN");
    expect(row(inbox.el, "w").querySelector(".neo-inbox-name")?.textContent).toBe(payload);

    // The card renders Markdown, sanitized.
    q<HTMLButtonElement>(a, "inbox-expand").click();
    model.receive({
      type: "card",
      id: "a",
      card: approvalInfo({ title: payload, message: payload, plan: payload, tool_name: payload }),
    });
    expect(q(a, "inbox-card").querySelector(".neo-approval")).not.toBeNull();
    assertSanitized(q(a, "inbox-card"));
    assertInert(q(inbox.el, "neo-inbox"));
    expect(w.__xss).toBeUndefined();
  });
});
