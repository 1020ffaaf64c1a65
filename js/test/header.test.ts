import { describe, expect, it } from "vitest";
import { formatTokens } from "../src/dom";
import { ack, flush, panelFixture, q, visible } from "./helpers";

const panel = panelFixture();

const pressed = (testId: string) => q(panel.el, testId).getAttribute("aria-pressed");

describe("modes", () => {
  it("shows the task's modes, manual as Review", () => {
    panel.mount({ approval_mode: "manual", plan_mode: true, permission_mode: "read-only" });
    expect(q(panel.el, "neo-approval-mode-manual").textContent).toBe("Review");
    expect(pressed("neo-approval-mode-manual")).toBe("true");
    expect(pressed("neo-approval-mode-balanced")).toBe("false");
    expect(pressed("neo-approval-mode-auto")).toBe("false");
    expect(pressed("neo-read-only")).toBe("true");
    expect(pressed("neo-plan-mode")).toBe("true");
  });

  it("offers no mode whose value is unknown", () => {
    const model = panel.mount();
    expect(visible(q(panel.el, "neo-approval-mode-manual"))).toBe(false);
    expect(visible(q(panel.el, "neo-plan-mode"))).toBe(false);
    model.set("plan_mode", false);
    expect(visible(q(panel.el, "neo-plan-mode"))).toBe(true);
    expect(visible(q(panel.el, "neo-read-only"))).toBe(false);
  });

  it("a click sends the one field it changes, locks the controls until the ack", async () => {
    const model = panel.mount({
      approval_mode: "manual",
      plan_mode: false,
      permission_mode: "default",
    });
    const auto = q<HTMLButtonElement>(panel.el, "neo-approval-mode-auto");
    auto.click();
    q<HTMLButtonElement>(panel.el, "neo-plan-mode").click();
    expect(model.sentOfType("settings")).toEqual([
      { type: "settings", approval_mode: "auto", request_id: expect.any(String) },
    ]);
    expect(auto.getAttribute("aria-busy")).toBe("true");
    expect(auto.disabled).toBe(true);
    expect(visible(panel.el.querySelector<HTMLElement>(".neo-saving")!)).toBe(true);
    expect(pressed("neo-approval-mode-manual")).toBe("true");
    model.set("approval_mode", "auto");
    ack(model, model.sentOfType("settings")[0]);
    await flush();
    expect(auto.disabled).toBe(false);
    expect(pressed("neo-approval-mode-auto")).toBe("true");
    expect(visible(panel.el.querySelector<HTMLElement>(".neo-saving")!)).toBe(false);

    q<HTMLButtonElement>(panel.el, "neo-plan-mode").click();
    ack(model, model.sentOfType("settings")[1]);
    await flush();
    q<HTMLButtonElement>(panel.el, "neo-read-only").click();
    expect(model.sentOfType("settings").map(({ request_id: _, ...rest }) => rest)).toEqual([
      { type: "settings", approval_mode: "auto" },
      { type: "settings", plan_mode: true },
      { type: "settings", permission_mode: "read-only" },
    ]);
  });

  it("clicking the mode already set sends nothing", () => {
    const model = panel.mount({ approval_mode: "balanced" });
    q<HTMLButtonElement>(panel.el, "neo-approval-mode-balanced").click();
    expect(model.sentOfType("settings")).toHaveLength(0);
  });

  it("shows why a change failed, as other actions do", async () => {
    const model = panel.mount({ plan_mode: false });
    q<HTMLButtonElement>(panel.el, "neo-plan-mode").click();
    ack(model, model.sentOfType("settings")[0], false, "Not allowed <b>here</b>");
    await flush();
    const error = panel.el.querySelector<HTMLElement>(".neo-footer .neo-inline-error")!;
    expect(visible(error)).toBe(true);
    expect(error.textContent).toBe("Not allowed <b>here</b>");
    expect(pressed("neo-plan-mode")).toBe("false");
    expect(q<HTMLButtonElement>(panel.el, "neo-plan-mode").disabled).toBe(false);
  });

  it("is locked while disconnected", () => {
    const model = panel.mount({ plan_mode: false });
    model.emit("comm:close");
    const toggle = q<HTMLButtonElement>(panel.el, "neo-plan-mode");
    expect(toggle.disabled).toBe(true);
    toggle.click();
    expect(model.sentOfType("settings")).toHaveLength(0);
  });
});

describe("context meter", () => {
  it("shows how much of the window is used, with the compaction threshold", () => {
    const model = panel.mount({
      context: { used: 41_000, window: 200_000, threshold_percent: 80 },
      tokens_used: 1_234_567,
    });
    const meter = q(panel.el, "neo-context-meter");
    expect(meter.getAttribute("role")).toBe("meter");
    expect(meter.getAttribute("aria-valuenow")).toBe("41000");
    expect(meter.getAttribute("aria-valuemax")).toBe("200000");
    expect(q(panel.el, "neo-context-text").textContent).toBe("41k of 200k tokens");
    expect(meter.querySelector<HTMLElement>(".neo-meter-fill")!.style.width).toBe("20.5%");
    const threshold = meter.querySelector<HTMLElement>(".neo-meter-threshold")!;
    expect(visible(threshold)).toBe(true);
    expect(threshold.style.left).toBe("80%");
    expect(q(panel.el, "neo-tokens").textContent).toBe("1.2M tokens used");
    model.set("context", { used: 10, window: 100, threshold_percent: null });
    expect(visible(threshold)).toBe(false);
  });

  it("is absent when unknown", () => {
    panel.mount();
    expect(visible(q(panel.el, "neo-context-meter"))).toBe(false);
    expect(visible(q(panel.el, "neo-tokens"))).toBe(false);
  });

  it.each([
    [0, "0"],
    [950, "950"],
    [1500, "1.5k"],
    [41_000, "41k"],
    [200_000, "200k"],
    [1_200_000, "1.2M"],
  ])("%i tokens read %s", (count, text) => {
    expect(formatTokens(count)).toBe(text);
  });
});

describe("console link", () => {
  it("links to the task over http(s) only, in a new tab", () => {
    const model = panel.mount({ console_url: "https://app.pulumi.com/acme/neo/tasks/t1" });
    const link = q<HTMLAnchorElement>(panel.el, "neo-console-link");
    expect(visible(link)).toBe(true);
    expect(link.href).toBe("https://app.pulumi.com/acme/neo/tasks/t1");
    expect(link.target).toBe("_blank");
    expect(link.rel).toContain("noopener");
    model.set("console_url", "javascript:alert(1)");
    expect(visible(link)).toBe(false);
    expect(link.hasAttribute("href")).toBe(false);
    model.set("console_url", null);
    expect(visible(link)).toBe(false);
  });
});
