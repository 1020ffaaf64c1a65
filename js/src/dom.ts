/** Small DOM helpers. Text always goes in as text: nothing here parses HTML. */

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function button(className: string, label: string, testId?: string): HTMLButtonElement {
  const node = h("button", className, label);
  node.type = "button";
  if (testId) node.dataset.testid = testId;
  return node;
}

/** A timestamp as the reader's local time, for a `title`; "" when missing or unreadable. */
export function localTime(timestamp: string | null): string {
  if (!timestamp) return "";
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? timestamp : date.toLocaleString();
}

export function newRequestId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  // randomUUID needs a secure context (https or localhost); a Jupyter server over plain http
  // on another host has none. Uniqueness per view is all the kernel needs.
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const SAFE_LINK = /^https?:\/\//i;

/** `url` when it is an http(s) link, else null: no other scheme ever becomes an href. */
export function safeUrl(url: string | null | undefined): string | null {
  if (typeof url !== "string") return null;
  const trimmed = url.trim();
  return SAFE_LINK.test(trimmed) ? trimmed : null;
}

/**
 * A link opening in a new tab without access to this page when `url` is http(s); else a
 * span with the same text, so a bad URL still shows what it names.
 */
export function linkOrText(
  className: string,
  text: string,
  url: string | null | undefined,
): HTMLAnchorElement | HTMLSpanElement {
  const href = safeUrl(url);
  if (!href) return h("span", className, text);
  const link = h("a", className, text);
  link.href = href;
  link.target = "_blank";
  link.rel = "noopener noreferrer";
  return link;
}

/** A token count as people read it: 950, 1.5k, 41k, 1.2M. */
export function formatTokens(count: number): string {
  if (!Number.isFinite(count) || count < 1000) return String(Math.max(0, Math.round(count || 0)));
  if (count < 10_000) return `${trim1(count / 1000)}k`;
  if (count < 1_000_000) return `${Math.round(count / 1000)}k`;
  return `${trim1(count / 1_000_000)}M`;
}

function trim1(value: number): string {
  return value.toFixed(1).replace(/\.0$/, "");
}

/** A duration for a person: "850 ms", "4.2 s", "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** The optional text field beside a card's "no" button (Decline, Reject): Enter answers. */
export function reasonInput(
  testid: string,
  placeholder: string,
  label: string,
  onEnter: () => void,
): HTMLInputElement {
  const input = h("input", "neo-decline-reason");
  input.dataset.testid = testid;
  input.type = "text";
  input.placeholder = placeholder;
  input.setAttribute("aria-label", label);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.isComposing) {
      event.preventDefault();
      onEnter();
    }
  });
  return input;
}
