import { describe, expect, it } from "vitest";
import { activityText, elapsed, waitingText } from "../src/inbox-time";

const NOW = Date.parse("2025-01-15T10:30:00Z");
const ago = (seconds: number): string => new Date(NOW - seconds * 1000).toISOString();

describe("elapsed", () => {
  it.each([
    [0, "less than a minute"],
    [59, "less than a minute"],
    [60, "1 min"],
    [12 * 60 + 59, "12 min"],
    [60 * 60, "1 h"],
    [125 * 60, "2 h 5 min"],
    [24 * 3600, "1 d"],
    [27 * 3600, "1 d 3 h"],
    [8 * 24 * 3600 + 3600, "8 d"],
    [-300, "less than a minute"],
  ])("%i s → %s", (seconds, text) => {
    expect(elapsed(ago(seconds), NOW)).toBe(text);
  });

  it("is null without a readable time", () => {
    expect(elapsed(null, NOW)).toBeNull();
    expect(elapsed("not a date", NOW)).toBeNull();
    expect(waitingText(null, NOW)).toBe("");
    expect(activityText("nope", NOW)).toBe("");
  });

  it("words for rows", () => {
    expect(waitingText(ago(720), NOW)).toBe("waiting 12 min");
    expect(activityText(ago(10), NOW)).toBe("active just now");
    expect(activityText(ago(180), NOW)).toBe("active 3 min ago");
  });
});
