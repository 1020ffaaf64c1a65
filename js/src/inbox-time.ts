/** Spans of time as people read them in a list: "12 min", "3 h 5 min", "2 d". Pure. */

/** How often the relative times of a view are redrawn. */
export const TICK_MS = 30_000;

/** The time from `iso` to `now` in words; null when `iso` is missing or unreadable. */
export function elapsed(iso: string | null, now: number): string | null {
  if (!iso) return null;
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return null;
  const minutes = Math.floor(Math.max(0, now - then) / 60_000);
  if (minutes < 1) return "less than a minute";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 && days < 7 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/** "waiting 12 min", or "" when the time is unknown. */
export function waitingText(iso: string | null, now: number): string {
  const span = elapsed(iso, now);
  return span ? `waiting ${span}` : "";
}

/** "active 12 min ago" / "active just now", or "" when the time is unknown. */
export function activityText(iso: string | null, now: number): string {
  const span = elapsed(iso, now);
  if (!span) return "";
  return span === "less than a minute" ? "active just now" : `active ${span} ago`;
}
