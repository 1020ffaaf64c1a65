import { beforeEach, describe, expect, it, vi } from "vitest";
import { DISCONNECTED_TEXT, EARLIER_PAGE, QUEUED_TEXT, WINDOW, render } from "../src/panel";
import {
  FakeModel,
  ack,
  approvalItem,
  events,
  flush,
  key,
  neoText,
  numbered,
  panelFixture,
  q,
  qa,
  userText,
  visible,
} from "./helpers";

const panel = panelFixture();
const mount = panel.mount;
let el: HTMLElement;
beforeEach(() => {
  el = panel.el;
});

function type(text: string): HTMLTextAreaElement {
  const input = q<HTMLTextAreaElement>(el, "neo-input");
  input.value = text;
  return input;
}

describe("render", () => {
  it("keeps keys in the panel and asks the kernel for every event", () => {
    const model = mount();
    const root = el.querySelector(".neo-chat")!;
    expect(root.hasAttribute("data-lm-suppress-shortcuts")).toBe(true);
    expect(model.sent).toEqual([{ type: "sync", after: -1 }]);
  });

  it("stops key presses from reaching the notebook", () => {
    mount();
    const seen = vi.fn();
    document.addEventListener("keydown", seen);
    key(q(el, "neo-input"), { key: "Enter", shiftKey: true });
    document.removeEventListener("keydown", seen);
    expect(seen).not.toHaveBeenCalled();
  });

  it("cleanup removes its listeners, timers and DOM", () => {
    vi.useFakeTimers();
    const model = new FakeModel();
    const cleanup = render({ model, el });
    expect(model.listenerCount()).toBeGreaterThan(0);
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    cleanup();
    expect(model.listenerCount()).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    expect(el.querySelector(".neo-chat")).toBeNull();
  });
});

describe("header", () => {
  it("shows the task name, or that the conversation is new", () => {
    const model = mount();
    expect(q(el, "neo-task-name").textContent).toBe("New conversation");
    model.set("task_name", "<b>Fix</b> the bucket");
    expect(q(el, "neo-task-name").textContent).toBe("<b>Fix</b> the bucket");
    expect(q(el, "neo-task-name").querySelector("b")).toBeNull();
  });

  it.each([
    ["running", "Working", true],
    ["idle", "Idle", false],
    ["awaiting_approval", "Waiting for approval", false],
    ["cancelled", "Cancelled", false],
    ["error", "Error", false],
  ] as const)("status %s reads %s", (status, label, spinning) => {
    const model = mount();
    model.set("status", status);
    const node = q(el, "neo-status");
    expect(node.textContent).toBe(label);
    expect(node.dataset.status).toBe(status);
    expect(node.querySelector(".neo-spinner") !== null).toBe(spinning);
  });

  it("shows entity chips, pull requests as safe links", () => {
    mount({
      entities: [
        { type: "stack", label: "acme/web/dev", url: null },
        {
          type: "pull_request",
          label: "PR #42 acme/web",
          url: "https://github.com/acme/web/pull/42",
        },
        { type: "repository", label: "evil", url: "javascript:alert(1)" },
      ],
    });
    const chips = qa(el, "neo-entity");
    expect(chips.map((c) => c.textContent)).toEqual(["acme/web/dev", "PR #42 acme/web", "evil"]);
    const pr = chips[1] as HTMLAnchorElement;
    expect(pr.tagName).toBe("A");
    expect(pr.href).toBe("https://github.com/acme/web/pull/42");
    expect(pr.target).toBe("_blank");
    expect(pr.rel).toBe("noopener noreferrer");
    expect(chips[0].tagName).toBe("SPAN");
    expect(chips[2].tagName).toBe("SPAN");
  });
});

describe("banner", () => {
  it("appears with its title and message and goes when cleared", () => {
    const model = mount();
    const banner = q(el, "neo-banner");
    expect(visible(banner)).toBe(false);
    model.set("banner", {
      level: "error",
      title: "Not signed in",
      message: "Set PULUMI_ACCESS_TOKEN <now>",
    });
    expect(visible(banner)).toBe(true);
    expect(banner.getAttribute("role")).toBe("alert");
    expect(banner.dataset.level).toBe("error");
    expect(banner.textContent).toContain("Not signed in");
    expect(banner.textContent).toContain("Set PULUMI_ACCESS_TOKEN <now>");
    model.set("banner", null);
    expect(visible(banner)).toBe(false);
  });
});

describe("conversation", () => {
  it("shows user text as text and Neo's markdown rendered", () => {
    const model = mount();
    model.receive(
      events(
        numbered(
          0,
          userText("Why is <b>this</b> slow?\nline two"),
          neoText("## Findings\n\n| a | b |\n|---|---|\n| 1 | 2 |"),
        ),
        true,
      ),
    );
    const [user, neo] = qa(el, "neo-message");
    expect(user.dataset.role).toBe("user");
    expect(user.querySelector("b")).toBeNull();
    expect(user.textContent).toContain("Why is <b>this</b> slow?\nline two");
    expect(neo.dataset.role).toBe("assistant");
    expect(neo.querySelector("h2")?.textContent).toBe("Findings");
    expect(neo.querySelector("table")).not.toBeNull();
    expect(user.title).toBe(new Date("2025-01-15T10:30:00Z").toLocaleString());
  });

  it("opens a long conversation on its latest events and pages in earlier ones", () => {
    const model = mount();
    const total = WINDOW + EARLIER_PAGE + 50;
    const many = Array.from({ length: total }, (_, i) => ({ ...userText(`message ${i}`), seq: i }));
    model.receive(events(many, true));
    const shown = () => qa(el, "neo-message").map((m) => m.textContent ?? "");
    expect(shown()).toHaveLength(WINDOW);
    expect(shown()[0]).toContain(`message ${total - WINDOW}`);
    const earlier = q(el, "neo-earlier") as HTMLButtonElement;
    expect(visible(earlier)).toBe(true);
    expect(earlier.textContent).toContain((total - WINDOW).toLocaleString());
    earlier.click();
    expect(shown()).toHaveLength(WINDOW + EARLIER_PAGE);
    expect(shown()[0]).toContain(`message ${total - WINDOW - EARLIER_PAGE}`);
    earlier.click();
    expect(shown()).toHaveLength(total);
    expect(shown()[0]).toContain("message 0");
    expect(visible(earlier)).toBe(false);
    model.receive(events([{ ...userText("live"), seq: total }]));
    expect(shown().at(-1)).toContain("live");
  });

  it("keeps every seq once", () => {
    const model = mount();
    const batch = numbered(0, userText("a"), userText("b"));
    model.receive(events(batch, true));
    model.receive(events(batch));
    model.receive(events([batch[1]]));
    expect(qa(el, "neo-message")).toHaveLength(2);
  });

  it("asks for what it missed when a message skips seqs", () => {
    const model = mount();
    model.receive(events(numbered(0, userText("a")), true));
    model.sent = [];
    model.receive(events(numbered(3, userText("d"))));
    model.receive(events(numbered(4, userText("e"))));
    expect(model.sent).toEqual([{ type: "sync", after: 0 }]);
    expect(qa(el, "neo-message")).toHaveLength(1);
    model.receive(events(numbered(1, ...["b", "c", "d", "e"].map((content) => userText(content)))));
    expect(qa(el, "neo-message").map((m) => m.textContent)).toEqual([
      "Youa",
      "Youb",
      "Youc",
      "Youd",
      "Youe",
    ]);
  });

  it("replaces everything on a reset with other content", () => {
    const model = mount();
    model.receive(events(numbered(0, userText("old")), true));
    model.receive(events([{ ...userText("new"), seq: 0, id: "other" }], true));
    expect(qa(el, "neo-message").map((m) => m.textContent)).toEqual(["Younew"]);
  });
});

describe("composer", () => {
  it("Enter sends, once", () => {
    const model = mount();
    const input = type("Help me optimize my stack");
    const event = key(input, { key: "Enter" });
    key(input, { key: "Enter" });
    q<HTMLButtonElement>(el, "neo-send").click();
    expect(event.defaultPrevented).toBe(true);
    const sent = model.sentOfType("send");
    expect(sent).toEqual([
      expect.objectContaining({ type: "send", content: "Help me optimize my stack" }),
    ]);
    expect(input.disabled).toBe(true);
  });

  it("Shift+Enter inserts a newline instead of sending", () => {
    const model = mount();
    const input = type("line one");
    const event = key(input, { key: "Enter", shiftKey: true });
    expect(event.defaultPrevented).toBe(false);
    expect(model.sentOfType("send")).toHaveLength(0);
  });

  it("Enter that ends an IME composition does not send", () => {
    const model = mount();
    const input = type("日本");
    key(input, { key: "Enter", isComposing: true });
    expect(model.sentOfType("send")).toHaveLength(0);
  });

  it("empty input does nothing", () => {
    const model = mount();
    const input = type("  \n ");
    key(input, { key: "Enter" });
    q<HTMLButtonElement>(el, "neo-send").click();
    expect(model.sentOfType("send")).toHaveLength(0);
  });

  it("clears the input when the kernel accepts, keeps it and shows why when not", async () => {
    const model = mount();
    const input = type("first");
    key(input, { key: "Enter" });
    ack(model, model.sentOfType("send")[0]);
    await flush();
    expect(input.value).toBe("");
    expect(input.disabled).toBe(false);

    type("second");
    q<HTMLButtonElement>(el, "neo-send").click();
    ack(model, model.sentOfType("send")[1], false, "Neo is still working on the previous message.");
    await flush();
    expect(input.value).toBe("second");
    expect(input.disabled).toBe(false);
    const error = el.querySelector<HTMLElement>(".neo-footer .neo-inline-error")!;
    expect(visible(error)).toBe(true);
    expect(error.textContent).toBe("Neo is still working on the previous message.");
  });

  it("ignores acks meant for another view", async () => {
    const model = mount();
    const input = type("hello");
    key(input, { key: "Enter" });
    model.receive({ type: "ack", request_id: "someone-else", ok: true, error: null });
    await flush();
    expect(input.disabled).toBe(true);
  });

  it("is disabled with the busy reason while Neo works", () => {
    const model = mount();
    model.set("busy_reason", "Neo is working…");
    const input = q<HTMLTextAreaElement>(el, "neo-input");
    expect(input.disabled).toBe(true);
    expect(q<HTMLButtonElement>(el, "neo-send").disabled).toBe(true);
    expect(el.querySelector(".neo-busy")?.textContent).toBe("Neo is working…");
    expect(input.placeholder).toBe("Neo is working…");
    input.value = "more";
    key(input, { key: "Enter" });
    expect(model.sentOfType("send")).toHaveLength(0);
    model.set("busy_reason", "");
    expect(input.disabled).toBe(false);
  });

  it("Stop shows while running and sends cancel once", () => {
    const model = mount();
    const stop = q<HTMLButtonElement>(el, "neo-stop");
    expect(visible(stop)).toBe(false);
    model.set("status", "running");
    expect(visible(stop)).toBe(true);
    stop.click();
    stop.click();
    expect(model.sentOfType("cancel")).toEqual([
      { type: "cancel", request_id: expect.any(String) },
    ]);
    model.set("status", "cancelled");
    expect(visible(stop)).toBe(false);
  });

  it("gives each action its own request id", () => {
    const model = mount({ status: "running" });
    type("a");
    q<HTMLButtonElement>(el, "neo-send").click();
    q<HTMLButtonElement>(el, "neo-stop").click();
    const ids = model.sent.filter((m) => m.type !== "sync").map((m) => m.request_id);
    expect(new Set(ids).size).toBe(2);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("a busy kernel", () => {
  it("says a click is queued after 1.5 s without an ack, until the ack", async () => {
    vi.useFakeTimers();
    const model = mount();
    model.receive(events([], true));
    const queued = q(el, "neo-queued");
    const input = type("hello");
    key(input, { key: "Enter" });
    vi.advanceTimersByTime(1400);
    expect(visible(queued)).toBe(false);
    vi.advanceTimersByTime(200);
    expect(visible(queued)).toBe(true);
    expect(queued.textContent).toBe(QUEUED_TEXT);
    expect(model.sentOfType("send")).toHaveLength(1);
    ack(model, model.sentOfType("send")[0]);
    await vi.runAllTimersAsync();
    expect(visible(queued)).toBe(false);
    expect(input.value).toBe("");
  });

  it("does not say queued when the ack comes in time", () => {
    vi.useFakeTimers();
    const model = mount();
    model.receive(events([], true));
    key(type("hi"), { key: "Enter" });
    vi.advanceTimersByTime(500);
    ack(model, model.sentOfType("send")[0]);
    vi.advanceTimersByTime(5000);
    expect(visible(q(el, "neo-queued"))).toBe(false);
  });

  it("asks again for events the kernel holds but the view never got", () => {
    vi.useFakeTimers();
    const model = mount();
    model.receive(events(numbered(0, userText("a")), true));
    model.sent = [];
    model.set("event_count", 3);
    vi.advanceTimersByTime(2500);
    expect(model.sent).toEqual([{ type: "sync", after: 0 }]);
  });
});

describe("a lost kernel", () => {
  it("says so and disables controls when the comm closes", () => {
    const model = mount({ approvals: { req_1: "pending" }, status: "running" });
    model.receive(events(numbered(0, approvalItem()), true));
    const notice = q(el, "neo-disconnected");
    expect(visible(notice)).toBe(false);
    model.emit("comm:close");
    expect(visible(notice)).toBe(true);
    expect(notice.textContent).toBe(DISCONNECTED_TEXT);
    expect(q<HTMLTextAreaElement>(el, "neo-input").disabled).toBe(true);
    expect(q<HTMLButtonElement>(el, "neo-send").disabled).toBe(true);
    expect(q<HTMLButtonElement>(el, "neo-stop").disabled).toBe(true);
    expect(q<HTMLButtonElement>(el, "neo-approve").disabled).toBe(true);
    q<HTMLButtonElement>(el, "neo-approve").click();
    expect(model.sentOfType("approve")).toHaveLength(0);
  });

  it("says so when the widget manager marks the comm dead, until the kernel speaks again", () => {
    const model = mount();
    model.receive(events(numbered(0, userText("a")), true));
    model.emit("comm_live_update");
    const notice = q(el, "neo-disconnected");
    expect(visible(notice)).toBe(true);
    expect(q<HTMLTextAreaElement>(el, "neo-input").disabled).toBe(true);
    model.sent = [];
    model.set("status", "idle");
    expect(visible(notice)).toBe(false);
    expect(model.sent).toEqual([{ type: "sync", after: 0 }]);
  });

  it("a closed comm stays closed", () => {
    const model = mount();
    model.emit("comm:close");
    model.receive(events([], true));
    expect(visible(q(el, "neo-disconnected"))).toBe(true);
  });

  it("answers a click that was waiting when the comm closed", async () => {
    const model = mount();
    model.receive(events([], true));
    const input = type("hello");
    key(input, { key: "Enter" });
    model.emit("comm:close");
    await flush();
    const error = el.querySelector<HTMLElement>(".neo-footer .neo-inline-error")!;
    expect(error.textContent).toBe("The kernel is gone.");
    expect(input.value).toBe("hello");
  });

  it("says so when the first sync gets no answer in 5 s, and recovers on an answer", () => {
    vi.useFakeTimers();
    const model = mount();
    const notice = q(el, "neo-disconnected");
    vi.advanceTimersByTime(4900);
    expect(visible(notice)).toBe(false);
    vi.advanceTimersByTime(200);
    expect(visible(notice)).toBe(true);
    expect(q<HTMLTextAreaElement>(el, "neo-input").disabled).toBe(true);
    model.receive(events(numbered(0, userText("late")), true));
    expect(visible(notice)).toBe(false);
    expect(q<HTMLTextAreaElement>(el, "neo-input").disabled).toBe(false);
  });

  it("an answered sync never turns into a notice", () => {
    vi.useFakeTimers();
    const model = mount();
    model.receive(events([], true));
    vi.advanceTimersByTime(60_000);
    expect(visible(q(el, "neo-disconnected"))).toBe(false);
  });
});

describe("autoscroll", () => {
  function scrollable(
    log: HTMLElement,
    metrics: { scrollHeight: number; clientHeight: number },
  ): void {
    Object.defineProperty(log, "scrollHeight", {
      configurable: true,
      get: () => metrics.scrollHeight,
    });
    Object.defineProperty(log, "clientHeight", {
      configurable: true,
      get: () => metrics.clientHeight,
    });
  }

  it("follows new items at the bottom, offers a jump when the reader scrolled up", () => {
    const model = mount();
    const log = el.querySelector<HTMLElement>(".neo-log")!;
    const metrics = { scrollHeight: 1000, clientHeight: 500 };
    scrollable(log, metrics);
    log.scrollTop = 500;
    model.receive(events(numbered(0, userText("a")), true));
    metrics.scrollHeight = 1200;
    const jump = q<HTMLButtonElement>(el, "neo-jump");
    expect(visible(jump)).toBe(false);

    log.scrollTop = 100;
    log.dispatchEvent(new Event("scroll"));
    model.receive(events(numbered(1, userText("b"))));
    expect(visible(jump)).toBe(true);
    expect(log.scrollTop).toBe(100);

    jump.click();
    expect(log.scrollTop).toBe(1200);
    expect(visible(jump)).toBe(false);
  });
});
