import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Model } from "../src/model";
import { DISCONNECTED_TEXT, EARLIER_PAGE, QUEUED_TEXT, WINDOW, render } from "../src/panel";
import { FakeModel, events, item, numbered, q, qa, visible } from "./helpers";

let el: HTMLElement;
let cleanups: Array<() => void> = [];

function mount(state: Partial<Model> = {}): FakeModel {
  const model = new FakeModel(state);
  cleanups.push(render({ model, el }));
  return model;
}

function key(target: HTMLElement, init: KeyboardEventInit): KeyboardEvent {
  const event = new KeyboardEvent("keydown", { bubbles: true, cancelable: true, ...init });
  target.dispatchEvent(event);
  return event;
}

function type(text: string): HTMLTextAreaElement {
  const input = q<HTMLTextAreaElement>(el, "neo-input");
  input.value = text;
  return input;
}

function ack(
  model: FakeModel,
  message: Record<string, unknown>,
  ok = true,
  error: string | null = null,
): void {
  model.receive({ type: "ack", request_id: message.request_id, ok, error });
}

const flush = () => new Promise<void>((resolve) => queueMicrotask(resolve));

const approvalItem = (id: string | null, extra: Partial<Parameters<typeof item>[0]> = {}) =>
  item({
    type: "assistant_message",
    content: "I'll open a pull request.",
    tool_calls: [
      { id: "call_a", name: "approval_request", arguments: `{"approval_request_id": "${id}"}` },
    ],
    approval: { id, description: "Create **PR** for the fix", malformed: false },
    ...extra,
  });

beforeEach(() => {
  el = document.createElement("div");
  document.body.append(el);
});

afterEach(() => {
  for (const cleanup of cleanups) cleanup();
  cleanups = [];
  el.remove();
  vi.useRealTimers();
});

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
          item({ type: "user_message", content: "Why is <b>this</b> slow?\nline two" }),
          item({
            type: "assistant_message",
            content: "## Findings\n\n| a | b |\n|---|---|\n| 1 | 2 |",
          }),
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
    const many = Array.from({ length: total }, (_, i) =>
      item({ seq: i, type: "user_message", content: `message ${i}` }),
    );
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
    model.receive(events([item({ seq: total, type: "user_message", content: "live" })]));
    expect(shown().at(-1)).toContain("live");
  });

  it("keeps every seq once", () => {
    const model = mount();
    const batch = numbered(
      0,
      item({ type: "user_message", content: "a" }),
      item({ type: "user_message", content: "b" }),
    );
    model.receive(events(batch, true));
    model.receive(events(batch));
    model.receive(events([batch[1]]));
    expect(qa(el, "neo-message")).toHaveLength(2);
  });

  it("asks for what it missed when a message skips seqs", () => {
    const model = mount();
    model.receive(events(numbered(0, item({ type: "user_message", content: "a" })), true));
    model.sent = [];
    model.receive(events(numbered(3, item({ type: "user_message", content: "d" }))));
    model.receive(events(numbered(4, item({ type: "user_message", content: "e" }))));
    expect(model.sent).toEqual([{ type: "sync", after: 0 }]);
    expect(qa(el, "neo-message")).toHaveLength(1);
    model.receive(
      events(
        numbered(
          1,
          ...["b", "c", "d", "e"].map((content) => item({ type: "user_message", content })),
        ),
      ),
    );
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
    model.receive(events(numbered(0, item({ type: "user_message", content: "old" })), true));
    model.receive(
      events([{ ...item({ type: "user_message", content: "new" }), seq: 0, id: "other" }], true),
    );
    expect(qa(el, "neo-message").map((m) => m.textContent)).toEqual(["Younew"]);
  });

  it("folds a tool call, its start and its result into one row", () => {
    const model = mount();
    model.receive(
      events(
        numbered(
          0,
          item({
            type: "assistant_message",
            content: "Previewing.",
            tool_calls: [{ id: "c1", name: "pulumi_preview", arguments: '{"stack":"dev"}' }],
          }),
          item({
            type: "exec_tool_call",
            tool_call_id: "c1",
            name: "pulumi_preview",
            timestamp: "2025-01-15T10:30:00Z",
          }),
          item({
            type: "tool_response",
            tool_call_id: "c1",
            result: "+ 1 to create",
            timestamp: "2025-01-15T10:30:03Z",
          }),
          item({
            type: "tool_response",
            tool_call_id: "lost",
            name: "<i>read</i>",
            result: "<img src=x onerror=alert(1)>",
            is_error: true,
          }),
        ),
        true,
      ),
    );
    const rows = qa<HTMLDetailsElement>(el, "neo-tool");
    expect(rows).toHaveLength(2);
    expect(rows[0].tagName).toBe("DETAILS");
    expect(rows[0].dataset.state).toBe("done");
    expect(rows[0].querySelector(".neo-tool-name")?.textContent).toBe("pulumi_preview");
    expect(rows[0].querySelector(".neo-tool-args")?.textContent).toBe('{\n  "stack": "dev"\n}');
    expect(rows[0].querySelector(".neo-tool-result")?.textContent).toBe("+ 1 to create");
    expect(rows[0].querySelector(".neo-tool-duration")?.textContent).toBe("3.0 s");
    expect(rows[1].dataset.state).toBe("error");
    expect(rows[1].querySelector("i, img")).toBeNull();
    expect(rows[1].textContent).toContain("<img src=x onerror=alert(1)>");
  });

  it("shows a running tool with a spinner until its result", () => {
    const model = mount();
    model.receive(
      events(
        numbered(0, item({ type: "exec_tool_call", tool_call_id: "c9", name: "shell" })),
        true,
      ),
    );
    const row = q(el, "neo-tool");
    expect(row.dataset.state).toBe("running");
    expect(row.querySelector(".neo-spinner")).not.toBeNull();
    model.receive(
      events(numbered(1, item({ type: "tool_response", tool_call_id: "c9", result: "ok" }))),
    );
    expect(qa(el, "neo-tool")).toHaveLength(1);
    expect(row.dataset.state).toBe("done");
  });

  it("shows unknown events plainly, escaped, collapsed", () => {
    const model = mount();
    model.receive(
      events(
        numbered(
          0,
          item({
            type: "plan_update",
            body: { type: "plan_update", html: "<img src=x onerror=alert(1)>", steps: [1, 2] },
          }),
        ),
        true,
      ),
    );
    const row = q<HTMLDetailsElement>(el, "neo-unknown");
    expect(row.tagName).toBe("DETAILS");
    expect(row.open).toBe(false);
    expect(row.querySelector("summary")?.textContent).toContain("plan_update");
    expect(row.querySelector("img")).toBeNull();
    expect(row.querySelector("pre")?.textContent).toContain(
      '"html": "<img src=x onerror=alert(1)>"',
    );
  });

  it("shows an unknown event's content, which Python sends beside the body", () => {
    const model = mount();
    model.receive(
      events(
        numbered(0, item({ type: "thinking", content: "<b>hmm</b>", body: { type: "thinking" } })),
        true,
      ),
    );
    const text = q(el, "neo-unknown").querySelector("pre")?.textContent ?? "";
    expect(JSON.parse(text)).toEqual({ type: "thinking", content: "<b>hmm</b>" });
  });

  it("shows notes for confirmations, cancellations, errors and warnings", () => {
    const model = mount();
    model.receive(
      events(
        numbered(
          0,
          item({ type: "set_task_name", name: "Fix <b>bucket</b>" }),
          item({ type: "user_confirmation", approval_request_id: "r1", ok: true }),
          item({ type: "user_confirmation", approval_request_id: "r2", ok: false }),
          item({ type: "user_cancel" }),
          item({ type: "cancelled" }),
          item({ type: "error", content: "Neo failed: <script>x</script>" }),
          item({ type: "warning", content: "Careful" }),
        ),
        true,
      ),
    );
    const notes = Array.from(el.querySelectorAll(".neo-note")).map((n) => n.textContent);
    expect(notes).toEqual([
      "Task named “Fix <b>bucket</b>”",
      "Approved",
      "Declined",
      "Stop requested",
      "Cancelled",
      "Neo failed: <script>x</script>",
      "Careful",
    ]);
    expect(el.querySelector(".neo-items script, .neo-items b")).toBeNull();
    expect(el.querySelector(".neo-note-error")).not.toBeNull();
  });
});

describe("approval card", () => {
  it("approves once, however often it is clicked", async () => {
    const model = mount({ approvals: { req_1: "pending" } });
    model.receive(events(numbered(0, approvalItem("req_1")), true));
    const card = q(el, "neo-approval");
    expect(card.dataset.state).toBe("pending");
    expect(card.querySelector("strong")?.textContent).toBe("PR");
    expect(qa(el, "neo-tool")).toHaveLength(0);
    const approve = q<HTMLButtonElement>(card, "neo-approve");
    expect(approve.disabled).toBe(false);
    approve.click();
    approve.click();
    approve.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    q<HTMLButtonElement>(card, "neo-decline").click();
    const sent = model.sentOfType("approve");
    expect(sent).toHaveLength(1);
    expect(model.sentOfType("decline")).toHaveLength(0);
    expect(sent[0]).toMatchObject({ type: "approve", approval_request_id: "req_1" });
    expect(typeof sent[0].request_id).toBe("string");
    expect(approve.disabled).toBe(true);
    ack(model, sent[0]);
    await flush();
    approve.click();
    expect(model.sentOfType("approve")).toHaveLength(1);
    expect(approve.disabled).toBe(true);
    model.set("approvals", { req_1: "approved" });
    expect(card.dataset.state).toBe("approved");
    expect(card.querySelector("button")).toBeNull();
    expect(card.textContent).toContain("Approved");
  });

  it.each([
    ["approved", "Approved"],
    ["declined", "Declined"],
    ["superseded", "Superseded"],
  ] as const)("a %s request shows a label and no button", (state, label) => {
    const model = mount({ approvals: { req_1: state } });
    model.receive(events(numbered(0, approvalItem("req_1")), true));
    const card = q(el, "neo-approval");
    expect(card.dataset.state).toBe(state);
    expect(card.querySelector("button, input")).toBeNull();
    expect(card.querySelector(".neo-approval-label")?.textContent).toBe(label);
    model.set("approvals", { req_1: "pending" });
    expect(card.querySelector("button")).toBeNull();
    expect(card.dataset.state).toBe(state);
    expect(card.querySelector(".neo-approval-label")?.textContent).toBe(label);
  });

  it("declines with the reason typed", () => {
    const model = mount({ approvals: { req_1: "pending" } });
    model.receive(events(numbered(0, approvalItem("req_1")), true));
    const card = q(el, "neo-approval");
    card.querySelector<HTMLInputElement>(".neo-decline-reason")!.value =
      "  use a smaller instance ";
    q<HTMLButtonElement>(card, "neo-decline").click();
    q<HTMLButtonElement>(card, "neo-decline").click();
    expect(model.sentOfType("decline")).toEqual([
      expect.objectContaining({ approval_request_id: "req_1", message: "use a smaller instance" }),
    ]);
    expect(q<HTMLButtonElement>(card, "neo-approve").disabled).toBe(true);
  });

  it("shows a failed answer and lets the reader try again", async () => {
    const model = mount({ approvals: { req_1: "pending" } });
    model.receive(events(numbered(0, approvalItem("req_1")), true));
    const approve = q<HTMLButtonElement>(el, "neo-approve");
    approve.click();
    ack(model, model.sentOfType("approve")[0], false, "Nothing to approve: req_1 was answered");
    await flush();
    const error = el.querySelector<HTMLElement>(".neo-approval .neo-inline-error")!;
    expect(visible(error)).toBe(true);
    expect(error.textContent).toBe("Nothing to approve: req_1 was answered");
    expect(approve.disabled).toBe(false);
    approve.click();
    const sent = model.sentOfType("approve");
    expect(sent).toHaveLength(2);
    expect(sent[0].request_id).not.toBe(sent[1].request_id);
  });

  it("warns about a malformed request and offers no Approve", () => {
    const model = mount({ approvals: {} });
    model.receive(
      events(
        numbered(
          0,
          item({
            type: "user_approval_request",
            approval: { id: null, description: "{broken", malformed: true },
          }),
        ),
        true,
      ),
    );
    const card = q(el, "neo-approval");
    expect(card.dataset.malformed).toBe("true");
    expect(card.querySelector(".neo-approval-warning")).not.toBeNull();
    expect(card.querySelector('[data-testid="neo-approve"]')).toBeNull();
  });

  it("a malformed request with an id can still be declined", () => {
    const model = mount({ approvals: { req_2: "pending" } });
    model.receive(
      events(
        numbered(
          0,
          item({
            type: "user_approval_request",
            approval: { id: "req_2", description: "", malformed: true },
          }),
        ),
        true,
      ),
    );
    const card = q(el, "neo-approval");
    expect(card.querySelector('[data-testid="neo-approve"]')).toBeNull();
    q<HTMLButtonElement>(card, "neo-decline").click();
    expect(model.sentOfType("decline")).toHaveLength(1);
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
    model.receive(events(numbered(0, item({ type: "user_message", content: "a" })), true));
    model.sent = [];
    model.set("event_count", 3);
    vi.advanceTimersByTime(2500);
    expect(model.sent).toEqual([{ type: "sync", after: 0 }]);
  });
});

describe("a lost kernel", () => {
  it("says so and disables controls when the comm closes", () => {
    const model = mount({ approvals: { req_1: "pending" }, status: "running" });
    model.receive(events(numbered(0, approvalItem("req_1")), true));
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
    model.receive(events(numbered(0, item({ type: "user_message", content: "a" })), true));
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
    model.receive(events(numbered(0, item({ type: "user_message", content: "late" })), true));
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
    model.receive(events(numbered(0, item({ type: "user_message", content: "a" })), true));
    metrics.scrollHeight = 1200;
    const jump = q<HTMLButtonElement>(el, "neo-jump");
    expect(visible(jump)).toBe(false);

    log.scrollTop = 100;
    log.dispatchEvent(new Event("scroll"));
    model.receive(events(numbered(1, item({ type: "user_message", content: "b" }))));
    expect(visible(jump)).toBe(true);
    expect(log.scrollTop).toBe(100);

    jump.click();
    expect(log.scrollTop).toBe(1200);
    expect(visible(jump)).toBe(false);
  });
});
