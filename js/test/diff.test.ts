import { describe, expect, it } from "vitest";
import { FOLD_OVER_LINES, diffSection, fileDiff, languageOf, parsePatch } from "../src/diff";
import { fileDiff as fixture } from "./helpers";

const PATCH = [
  "diff --git a/index.ts b/index.ts",
  "index 83db48f..bf269f4 100644",
  "--- a/index.ts",
  "+++ b/index.ts",
  "@@ -10,3 +10,4 @@ export const bucket",
  ' const name = "logs";',
  '-const size = "t3.large";',
  '+const size = "t3.small";',
  "+const tags = {};",
  " export default name;",
  "\\ No newline at end of file",
  "",
].join("\n");

describe("parsePatch", () => {
  it("numbers lines from the hunk header and drops the header lines the summary says", () => {
    const lines = parsePatch(PATCH);
    expect(lines.map((l) => [l.kind, l.oldLine, l.newLine, l.text])).toEqual([
      ["hunk", null, null, "@@ -10,3 +10,4 @@ export const bucket"],
      ["context", 10, 10, 'const name = "logs";'],
      ["del", 11, null, 'const size = "t3.large";'],
      ["add", null, 11, 'const size = "t3.small";'],
      ["add", null, 12, "const tags = {};"],
      ["context", 12, 13, "export default name;"],
      ["note", null, null, "\\ No newline at end of file"],
    ]);
  });

  it("keeps meta lines a reviewer needs (new files, renames, binaries)", () => {
    const lines = parsePatch(
      "new file mode 100644\nBinary files /dev/null and b/logo.png differ\n",
    );
    expect(lines.map((l) => l.kind)).toEqual(["meta", "meta"]);
  });

  it("reads an empty patch as no lines", () => {
    expect(parsePatch("")).toEqual([]);
  });
});

describe("languageOf", () => {
  it.each([
    ["src/index.ts", "typescript"],
    ["main.py", "python"],
    ["Pulumi.prod.yaml", "yaml"],
    ["deploy.SH", "bash"],
    ["go/main.go", "go"],
    ["Makefile", null],
    [".env", null],
    ["infra.tf", null],
  ])("%s is %s", (file, language) => {
    expect(languageOf(file)).toBe(language);
  });
});

describe("the file viewer", () => {
  it("names the file with its counts, colours lines and highlights a known language", () => {
    const node = fileDiff({ file: "index.ts", patch: PATCH, added: 2, removed: 1 });
    expect(node.open).toBe(true);
    const summary = node.querySelector("summary")!;
    expect(summary.querySelector(".neo-diff-name")?.textContent).toBe("index.ts");
    expect(summary.querySelector(".neo-diff-added")?.textContent).toBe("+2");
    expect(summary.querySelector(".neo-diff-removed")?.textContent).toBe("−1");
    expect(node.querySelectorAll(".neo-diff-add")).toHaveLength(2);
    expect(node.querySelectorAll(".neo-diff-del")).toHaveLength(1);
    expect(node.querySelector(".neo-diff-hunk")?.textContent).toBe(
      "@@ -10,3 +10,4 @@ export const bucket",
    );
    const added = node.querySelector(".neo-diff-add .neo-diff-code")!;
    expect(added.textContent).toBe('const size = "t3.small";');
    expect(added.querySelector(".hljs-keyword")?.textContent).toBe("const");
  });

  it("shows a file in an unknown language plain", () => {
    const node = fileDiff({ file: "main.tf", patch: PATCH, added: 2, removed: 1 });
    expect(node.querySelector(".neo-diff-code span")).toBeNull();
    expect(node.querySelector(".neo-diff-add .neo-diff-code")?.textContent).toBe(
      'const size = "t3.small";',
    );
  });

  it(`folds a file over ${FOLD_OVER_LINES} lines and builds its lines only when opened`, () => {
    const node = fileDiff(fixture("big.py", 200));
    expect(node.open).toBe(false);
    expect(node.querySelector(".neo-diff-lines")).toBeNull();
    expect(node.querySelector(".neo-diff-size")?.textContent).toBe("204 lines, folded");
    node.open = true;
    node.dispatchEvent(new Event("toggle"));
    expect(node.querySelectorAll(".neo-diff-line")).toHaveLength(201);
    node.open = false;
    node.dispatchEvent(new Event("toggle"));
    node.open = true;
    node.dispatchEvent(new Event("toggle"));
    expect(node.querySelectorAll(".neo-diff-lines")).toHaveLength(1);
  });

  it("a section totals its files, and is absent without files", () => {
    const section = diffSection("Changes", [fixture("a.ts", 3), fixture("b.ts", 4)], "x")!;
    expect(section.querySelector(".neo-section-title")?.textContent).toBe("Changes 2 files, +4 −3");
    expect(diffSection("Changes", [], "x")).toBeNull();
  });
});
