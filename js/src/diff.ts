/**
 * The diff viewer of an approval card: a git diff, file by file, so a reviewer can judge a
 * change before approving it.
 *
 * Each file is a `<details>` whose summary names the file with its +added/−removed counts.
 * A file longer than FOLD_OVER_LINES starts folded and its lines are built only when it is
 * first opened: fifty cards of 200-line diffs cost fifty summaries until someone looks.
 * Every line goes in as text; where the file's extension names a language highlight.js
 * knows, each line is highlighted on its own (markdown.ts sanitizes its output).
 */

import { h } from "./dom";
import { highlightLine } from "./markdown";
import type { FileDiff } from "./model";

/** A file diff with more lines than this starts folded. */
export const FOLD_OVER_LINES = 80;
/** Past this many lines a file is shown plain: highlighting line by line stops being cheap. */
const HIGHLIGHT_UP_TO_LINES = 2000;

/** Languages registered in markdown.ts, by file extension. */
const LANGUAGE_BY_EXTENSION: Record<string, string> = {
  ts: "typescript",
  tsx: "typescript",
  mts: "typescript",
  cts: "typescript",
  js: "javascript",
  jsx: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  py: "python",
  go: "go",
  cs: "csharp",
  json: "json",
  yaml: "yaml",
  yml: "yaml",
  sh: "bash",
  bash: "bash",
};

/** The language to highlight `file` in, from its extension; null when none is known. */
export function languageOf(file: string): string | null {
  const base = file.split("/").pop() ?? "";
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return null;
  return LANGUAGE_BY_EXTENSION[base.slice(dot + 1).toLowerCase()] ?? null;
}

export type DiffLineKind = "add" | "del" | "context" | "hunk" | "meta" | "note";

export interface DiffLine {
  kind: DiffLineKind;
  /** The line without its +/-/space prefix (the whole line for hunk, meta and note). */
  text: string;
  /** Line numbers in the old and new file, where the line has one. */
  oldLine: number | null;
  newLine: number | null;
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;
/** Header lines that the file's summary already says (its names); others are kept as meta. */
const REDUNDANT_HEADER = /^(?:diff --git |index |--- |\+\+\+ )/;

/** A unified diff's lines, numbered from its hunk headers. Pure: no DOM. */
export function parsePatch(patch: string): DiffLine[] {
  const raw = patch.split("\n");
  if (raw.length && raw[raw.length - 1] === "") raw.pop();
  const lines: DiffLine[] = [];
  let inHunk = false;
  let oldLine = 0;
  let newLine = 0;
  for (const line of raw) {
    const hunk = HUNK.exec(line);
    if (hunk) {
      inHunk = true;
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      lines.push({ kind: "hunk", text: line, oldLine: null, newLine: null });
    } else if (!inHunk || line.startsWith("diff --git ")) {
      // A second file's header inside one patch starts a new preamble.
      inHunk = false;
      if (!REDUNDANT_HEADER.test(line)) {
        lines.push({ kind: "meta", text: line, oldLine: null, newLine: null });
      }
    } else if (line.startsWith("+")) {
      lines.push({ kind: "add", text: line.slice(1), oldLine: null, newLine: newLine++ });
    } else if (line.startsWith("-")) {
      lines.push({ kind: "del", text: line.slice(1), oldLine: oldLine++, newLine: null });
    } else if (line.startsWith("\\")) {
      lines.push({ kind: "note", text: line, oldLine: null, newLine: null });
    } else {
      // A context line; some tools trim its leading space from blank lines.
      const text = line.startsWith(" ") ? line.slice(1) : line;
      lines.push({ kind: "context", text, oldLine: oldLine++, newLine: newLine++ });
    }
  }
  return lines;
}

const SIGNS: Record<DiffLineKind, string> = {
  add: "+",
  del: "-",
  context: " ",
  hunk: "",
  meta: "",
  note: "",
};

/**
 * A titled section of file diffs ("Changes", "Changed since your last approval"), or null
 * when there are none.
 */
export function diffSection(
  title: string,
  files: readonly FileDiff[],
  testId: string,
): HTMLElement | null {
  if (!files.length) return null;
  const section = h("section", "neo-diff");
  section.dataset.testid = testId;
  section.setAttribute("aria-label", title);
  const added = files.reduce((n, f) => n + (f.added || 0), 0);
  const removed = files.reduce((n, f) => n + (f.removed || 0), 0);
  const heading = h("div", "neo-section-title", title);
  heading.append(
    h(
      "span",
      "neo-diff-total",
      ` ${files.length} ${files.length === 1 ? "file" : "files"}, +${added} −${removed}`,
    ),
  );
  section.append(heading, ...files.map(fileDiff));
  return section;
}

/** One file: its summary now, its lines when first shown. */
export function fileDiff(file: FileDiff): HTMLDetailsElement {
  const node = h("details", "neo-diff-file");
  node.dataset.testid = "neo-diff-file";
  const lineCount = countLines(file.patch);
  const summary = h("summary", "neo-diff-summary");
  summary.append(
    h("span", "neo-diff-name", file.file || "(unnamed file)"),
    counter("neo-diff-added", `+${file.added}`, `${file.added} added`),
    counter("neo-diff-removed", `−${file.removed}`, `${file.removed} removed`),
  );
  const folded = lineCount > FOLD_OVER_LINES;
  if (folded) summary.append(h("span", "neo-diff-size", `${lineCount} lines, folded`));
  node.append(summary);
  let built = false;
  const build = (): void => {
    if (built || !node.open) return;
    built = true;
    node.append(diffLines(file));
  };
  node.addEventListener("toggle", build);
  node.open = !folded;
  build();
  return node;
}

function counter(className: string, text: string, label: string): HTMLElement {
  const node = h("span", className, text);
  node.title = label;
  return node;
}

function countLines(text: string): number {
  if (!text) return 0;
  let count = 1;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) count++;
  return text.endsWith("\n") ? count - 1 : count;
}

function diffLines(file: FileDiff): HTMLElement {
  const lines = parsePatch(file.patch);
  const language = lines.length <= HIGHLIGHT_UP_TO_LINES ? languageOf(file.file) : null;
  const body = h("div", "neo-diff-lines");
  if (!lines.length) {
    body.append(h("div", "neo-diff-line neo-diff-meta", "No textual changes."));
    return body;
  }
  for (const line of lines) body.append(diffLine(line, language));
  return body;
}

function diffLine(line: DiffLine, language: string | null): HTMLElement {
  const row = h("div", `neo-diff-line neo-diff-${line.kind}`);
  if (line.kind === "hunk" || line.kind === "meta" || line.kind === "note") {
    row.textContent = line.text;
    return row;
  }
  const code = h("span", "neo-diff-code");
  const highlighted = language && line.text ? highlightLine(line.text, language) : null;
  if (highlighted) code.append(highlighted);
  else code.textContent = line.text;
  const sign = h("span", "neo-diff-sign", SIGNS[line.kind]);
  if (line.kind !== "context") sign.title = line.kind === "add" ? "added" : "removed";
  row.append(
    h("span", "neo-diff-num", line.oldLine === null ? "" : String(line.oldLine)),
    h("span", "neo-diff-num", line.newLine === null ? "" : String(line.newLine)),
    sign,
    code,
  );
  return row;
}
