import { afterEach, describe, expect, it, vi } from "vitest";
import { copyText, renderMarkdown } from "../src/markdown";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("renderMarkdown", () => {
  it("renders headings, lists, emphasis and inline code", () => {
    const el = renderMarkdown("# Plan\n\n- **one**\n- `two`\n\n1. first\n");
    expect(el.querySelector("h1")?.textContent).toBe("Plan");
    expect(el.querySelectorAll("ul li")).toHaveLength(2);
    expect(el.querySelector("strong")?.textContent).toBe("one");
    expect(el.querySelector("li code")?.textContent).toBe("two");
    expect(el.querySelector("ol li")?.textContent).toBe("first");
  });

  it("renders GFM tables inside a scrolling wrapper", () => {
    const el = renderMarkdown("| Resource | Cost |\n|---|--:|\n| bucket | $1 |\n| vm | $30 |\n");
    const table = el.querySelector(".neo-table-wrap > table")!;
    expect(table).not.toBeNull();
    expect(Array.from(table.querySelectorAll("th")).map((th) => th.textContent)).toEqual([
      "Resource",
      "Cost",
    ]);
    expect(table.querySelectorAll("tbody tr")).toHaveLength(2);
  });

  it("highlights fenced code in a known language", () => {
    const el = renderMarkdown('```typescript\nconst bucket = new aws.s3.Bucket("b");\n```\n');
    const code = el.querySelector(".neo-code pre code")!;
    expect(code.classList.contains("hljs")).toBe(true);
    expect(code.querySelector(".hljs-keyword")?.textContent).toBe("const");
    expect(code.textContent).toBe('const bucket = new aws.s3.Bucket("b");\n');
  });

  it.each([
    "python",
    "json",
    "yaml",
    "bash",
    "go",
    "csharp",
    "javascript",
    "ts",
    "py",
    "yml",
    "sh",
  ])("knows %s", (language) => {
    const el = renderMarkdown("```" + language + "\nx = 1\n```\n");
    expect(el.querySelector("code")?.classList.contains("hljs")).toBe(true);
  });

  it("leaves code in an unknown language plain, with its text intact", () => {
    const el = renderMarkdown('```hcl\nresource "x" "y" {}\n```\n');
    const code = el.querySelector("pre code")!;
    expect(code.querySelector("span")).toBeNull();
    expect(code.textContent).toBe('resource "x" "y" {}\n');
  });

  it("keeps markup in code as text", () => {
    const el = renderMarkdown("```html\n<script>alert(1)</script>\n```\n");
    expect(el.querySelector("script")).toBeNull();
    expect(el.querySelector("pre")?.textContent).toContain("<script>alert(1)</script>");
  });

  it("gives each code block a Copy button that copies its text", async () => {
    const writeText = vi.fn().mockResolvedValue(undefined);
    vi.stubGlobal("navigator", { clipboard: { writeText } });
    const el = renderMarkdown("```python\nprint('hi')\n```\n\n```\nplain\n```\n");
    const buttons = el.querySelectorAll<HTMLButtonElement>(".neo-code > button.neo-copy");
    expect(buttons).toHaveLength(2);
    expect(buttons[0].type).toBe("button");
    buttons[0].click();
    await vi.waitFor(() => expect(buttons[0].textContent).toBe("Copied"));
    expect(writeText).toHaveBeenCalledWith("print('hi')\n");
    vi.unstubAllGlobals();
  });

  it("copyText falls back to a hidden textarea without the clipboard API", async () => {
    vi.stubGlobal("navigator", {});
    const exec = vi.fn().mockReturnValue(true);
    Object.defineProperty(document, "execCommand", { value: exec, configurable: true });
    expect(await copyText("abc")).toBe(true);
    expect(exec).toHaveBeenCalledWith("copy");
    expect(document.querySelector("textarea")).toBeNull();
    vi.unstubAllGlobals();
  });

  it("opens links in a new tab without access to the page", () => {
    const el = renderMarkdown("See [the docs](https://www.pulumi.com/docs/).");
    const link = el.querySelector("a")!;
    expect(link.getAttribute("href")).toBe("https://www.pulumi.com/docs/");
    expect(link.target).toBe("_blank");
    expect(link.rel).toBe("noopener noreferrer");
  });
});

describe("fences without a language", () => {
  it("colour code that reads as code, and leave tool output and prose plain", () => {
    const code = renderMarkdown(
      '```\nconst x = new aws.ec2.Instance("web", { instanceType: "t3.large" });\n```',
    );
    expect(code.querySelector("code.hljs span")).not.toBeNull();
    const prose = renderMarkdown(
      "```\nerror: the pulumi CLI was not found on PATH: install it and try again\n```",
    );
    expect(prose.querySelector("code span")).toBeNull();
    expect(prose.querySelector("code")?.textContent).toContain("not found on PATH");
  });
});
