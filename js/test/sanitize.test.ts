import { describe, expect, it } from "vitest";
import { renderMarkdown, sanitize } from "../src/markdown";

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
