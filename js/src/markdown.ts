/**
 * Agent text to DOM: Markdown (marked) sanitized (DOMPurify), then code highlighted
 * (highlight.js) and given a Copy button.
 *
 * Neo's text is untrusted. What survives sanitizing: text formatting, lists, tables,
 * quotes, code, details, images and links with http(s) (links also mailto) URLs only. No
 * scripts, handlers, styles, forms, frames, ids or classes (except `language-*` on code), so
 * nothing can run, overlay the panel or pose as its controls. Links open in a new tab without
 * access to this page.
 */

import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import csharp from "highlight.js/lib/languages/csharp";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import plaintext from "highlight.js/lib/languages/plaintext";
import python from "highlight.js/lib/languages/python";
import shell from "highlight.js/lib/languages/shell";
import typescript from "highlight.js/lib/languages/typescript";
import yaml from "highlight.js/lib/languages/yaml";
import { Marked } from "marked";

/** How sure highlight.js must be of a fence without a language before it colours it. */
const AUTO_RELEVANCE = 3;

const LANGUAGES = {
  bash,
  csharp,
  diff,
  go,
  javascript,
  json,
  plaintext,
  python,
  shell,
  typescript,
  yaml,
};
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

const marked = new Marked({ gfm: true, breaks: false });

const SAFE_URL = /^(?:https?|mailto):/i;
const SAFE_IMAGE_URL = /^https?:/i;
const CODE_CLASS = /^language-[\w+#.-]+$/;

// prettier-ignore
const ALLOWED_TAGS = [
  "a", "abbr", "b", "blockquote", "br", "code", "del", "details", "div", "em", "h1", "h2", "h3",
  "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong",
  "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
];
const ALLOWED_ATTR = [
  "href",
  "title",
  "alt",
  "src",
  "class",
  "align",
  "start",
  "colspan",
  "rowspan",
];

let hooked = false;
/** A second sanitizer, without the hooks above, for highlight.js output. */
let codePurifier: typeof DOMPurify | null = null;

function installHooks(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook("uponSanitizeAttribute", (node, data) => {
    if (
      data.attrName === "class" &&
      !(node.nodeName === "CODE" && CODE_CLASS.test(data.attrValue))
    ) {
      data.keepAttr = false;
    }
  });
  DOMPurify.addHook("afterSanitizeAttributes", (node) => {
    // DOMPurify lets data: images through; neither they nor any other scheme are wanted here.
    const href = node.getAttribute("href");
    if (href !== null && !SAFE_URL.test(href.trim())) node.removeAttribute("href");
    const src = node.getAttribute("src");
    if (src !== null && !SAFE_IMAGE_URL.test(src.trim())) node.removeAttribute("src");
    if (node.nodeName === "A" && node.hasAttribute("href")) {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer");
    }
  });
}

/** Sanitized HTML as a fragment of this document; `html` may hold anything. */
export function sanitize(html: string): DocumentFragment {
  installHooks();
  return DOMPurify.sanitize(html, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOWED_URI_REGEXP: SAFE_URL,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  });
}

/** Markdown from Neo as a safe element (class `neo-markdown`). */
export function renderMarkdown(source: string): HTMLElement {
  const root = document.createElement("div");
  root.className = "neo-markdown";
  root.append(sanitize(marked.parse(source, { async: false })));
  for (const pre of Array.from(root.querySelectorAll("pre"))) decorateCode(pre);
  for (const table of Array.from(root.querySelectorAll("table"))) {
    const wrap = document.createElement("div");
    wrap.className = "neo-table-wrap";
    table.replaceWith(wrap);
    wrap.append(table);
  }
  return root;
}

function languageOf(code: Element): string | null {
  for (const name of Array.from(code.classList)) {
    if (name.startsWith("language-")) return name.slice("language-".length).toLowerCase();
  }
  return null;
}

/** Highlight a `<pre><code>` block and wrap it with a Copy button. */
function decorateCode(pre: HTMLPreElement): void {
  const code = pre.querySelector("code") ?? pre;
  const text = code.textContent ?? "";
  const language = languageOf(code);
  if (language === null || hljs.getLanguage(language)) {
    const result =
      language === null
        ? hljs.highlightAuto(text, Object.keys(LANGUAGES))
        : hljs.highlight(text, { language, ignoreIllegals: true });
    // A guess needs some evidence: prose and tool output (an error line, a preview's
    // summary) would otherwise get keywords coloured at random.
    if (language !== null || result.relevance >= AUTO_RELEVANCE) {
      code.replaceChildren(spansOnly(result.value));
      code.classList.add("hljs");
    }
  }
  const block = document.createElement("div");
  block.className = "neo-code";
  pre.replaceWith(block);
  block.append(
    copyButton(() => text),
    pre,
  );
}

/** highlight.js output as DOM: it escapes the text it wraps; sanitizing keeps only its spans. */
function spansOnly(html: string): DocumentFragment {
  codePurifier ??= DOMPurify(window);
  return codePurifier.sanitize(html, {
    ALLOWED_TAGS: ["span"],
    ALLOWED_ATTR: ["class"],
    RETURN_DOM_FRAGMENT: true,
  });
}

/**
 * One line of code in `language` (a name registered above), highlighted; null when the
 * language is unknown. For the diff viewer, which highlights line by line: a construct
 * spanning lines only loses its colours, never its text.
 */
export function highlightLine(code: string, language: string): DocumentFragment | null {
  if (!hljs.getLanguage(language)) return null;
  return hljsToDom(hljs.highlight(code, { language, ignoreIllegals: true }).value);
}

const HLJS_TOKEN = /<span class="([\w -]+)">|<\/span>|[^<]+|</g;
const ENTITY = /&(?:amp|lt|gt|quot|#x27|#39);/g;
const ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&#x27;": "'",
  "&#39;": "'",
};

/**
 * highlight.js output as DOM, built rather than parsed: it escapes all text and adds only
 * `<span class>` and `</span>`, so those become spans and everything else becomes text
 * nodes. Nothing else can come out, and it costs far less than a sanitizer per line.
 */
function hljsToDom(html: string): DocumentFragment {
  const fragment = document.createDocumentFragment();
  const stack: Array<DocumentFragment | HTMLElement> = [fragment];
  for (const match of html.matchAll(HLJS_TOKEN)) {
    const parent = stack[stack.length - 1];
    if (match[1] !== undefined) {
      const span = document.createElement("span");
      span.className = match[1];
      parent.append(span);
      stack.push(span);
    } else if (match[0] === "</span>") {
      if (stack.length > 1) stack.pop();
    } else {
      parent.append(match[0].replace(ENTITY, (entity) => ENTITIES[entity]));
    }
  }
  return fragment;
}

export function copyButton(text: () => string): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "neo-copy";
  button.textContent = "Copy";
  button.title = "Copy to clipboard";
  button.addEventListener("click", () => {
    void copyText(text()).then((ok) => {
      button.textContent = ok ? "Copied" : "Copy failed";
      setTimeout(() => {
        button.textContent = "Copy";
      }, 1500);
    });
  });
  return button;
}

export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Not allowed here (an insecure origin, a sandboxed frame): fall back below.
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  } finally {
    area.remove();
  }
}
