import { describe, expect, it } from "vitest";
import {
  ack,
  approvalItem,
  events,
  fileDiff,
  flush,
  numbered,
  panelFixture,
  q,
  qa,
  userText,
  visible,
} from "./helpers";

const panel = panelFixture();

function card(): HTMLElement {
  return q(panel.el, "neo-approval");
}

function label(): string {
  return q(card(), "neo-approval-label").textContent ?? "";
}

describe("what the card shows", () => {
  it("the title, the message as markdown, the type and a sensitive mark", () => {
    const model = panel.mount({ approvals: { req_1: "pending" } });
    model.receive(
      events(
        numbered(
          0,
          approvalItem({ title: "Approve this plan", approval_type: "plan_exit", sensitive: true }),
        ),
        true,
      ),
    );
    expect(card().querySelector(".neo-approval-title")?.textContent).toBe("Approve this plan");
    expect(card().dataset.approvalType).toBe("plan_exit");
    expect(card().querySelector(".neo-approval-message strong")?.textContent).toBe("PR");
    expect(q(card(), "neo-sensitive").textContent).toBe("Sensitive");
    expect(card().dataset.sensitive).toBe("true");
    expect(card().getAttribute("aria-label")).toBe("Approve this plan (sensitive)");
  });

  it("a tool permission shows the tool and its arguments as text", () => {
    const model = panel.mount();
    model.receive(
      events(
        numbered(
          0,
          approvalItem({
            approval_type: "tool_permission",
            title: "Allow `pulumi_up`",
            tool_name: "pulumi_up",
            tool_arguments: '{\n  "stack": "<b>prod</b>"\n}',
          }),
        ),
        true,
      ),
    );
    const tool = q(card(), "neo-approval-tool");
    expect(tool.querySelector(".neo-tool-name")?.textContent).toBe("pulumi_up");
    expect(tool.querySelector("pre")?.textContent).toBe('{\n  "stack": "<b>prod</b>"\n}');
    expect(tool.querySelector("b")).toBeNull();
  });

  it("the plan as markdown, the diff and what changed since the last approval", () => {
    const model = panel.mount();
    model.receive(
      events(
        numbered(
          0,
          approvalItem({
            plan: "1. **Resize** the bucket",
            diff: [fileDiff("index.ts", 4), fileDiff("Pulumi.yaml", 2)],
            last_approval_diff: [fileDiff("index.ts", 2)],
          }),
        ),
        true,
      ),
    );
    expect(q(card(), "neo-plan").querySelector("li strong")?.textContent).toBe("Resize");
    const diff = q(card(), "neo-diff");
    expect(diff.querySelector(".neo-section-title")?.textContent).toBe("Changes 2 files, +3 −3");
    expect(qa(diff, "neo-diff-file")).toHaveLength(2);
    const since = q(card(), "neo-diff-since");
    expect(since.textContent).toContain("Changed since your last approval");
    expect(qa(since, "neo-diff-file")).toHaveLength(1);
  });

  it("labels the buttons as Neo suggests", () => {
    const model = panel.mount();
    model.receive(events(numbered(0, approvalItem({ buttons: ["Ship it", "Not yet"] })), true));
    expect(q(card(), "neo-approve").textContent).toBe("Ship it");
    expect(q(card(), "neo-decline").textContent).toBe("Not yet");
    expect(q(card(), "neo-approve").tagName).toBe("BUTTON");
  });
});

describe("one answer per request", () => {
  it("approves once, however often it is clicked, then says so at once", async () => {
    const model = panel.mount({ approvals: { req_1: "pending" } });
    model.receive(events(numbered(0, approvalItem()), true));
    const approve = q<HTMLButtonElement>(card(), "neo-approve");
    approve.click();
    approve.click();
    q<HTMLButtonElement>(card(), "neo-decline").click();
    expect(model.sentOfType("approve")).toEqual([
      { type: "approve", approval_request_id: "req_1", request_id: expect.any(String) },
    ]);
    expect(model.sentOfType("decline")).toHaveLength(0);
    expect(approve.disabled).toBe(true);
    expect(label()).toBe("Approving…");
    ack(model, model.sentOfType("approve")[0]);
    await flush();
    expect(label()).toBe("Approved, waiting for Neo");
    expect(card().dataset.answer).toBe("approve");
    expect(card().querySelector("button, input")).toBeNull();
    approve.click();
    expect(model.sentOfType("approve")).toHaveLength(1);
    model.set("approvals", { req_1: "approved" });
    expect(card().dataset.state).toBe("approved");
    expect(label()).toBe("Approved");
  });

  it("says why an answer the service refused for now is kept, then that it was sent", async () => {
    const model = panel.mount({ approvals: { req_1: "pending" } });
    model.receive(events(numbered(0, approvalItem()), true));
    q<HTMLButtonElement>(card(), "neo-approve").click();
    expect(label()).toBe("Approving…");
    model.set("kept", { req_1: "Neo is still finishing its turn: your answer is kept." });
    expect(label()).toBe("Neo is still finishing its turn: your answer is kept.");
    expect(q<HTMLButtonElement>(card(), "neo-approve").disabled).toBe(true);
    model.set("kept", {});
    ack(model, model.sentOfType("approve")[0]);
    await flush();
    expect(label()).toBe("Approved, waiting for Neo");
    expect(model.sentOfType("approve")).toHaveLength(1);
  });

  it("declines with the instructions typed", async () => {
    const model = panel.mount({ approvals: { req_1: "pending" } });
    model.receive(events(numbered(0, approvalItem()), true));
    q<HTMLInputElement>(card(), "neo-decline-instructions").value = "  use a smaller instance ";
    q<HTMLButtonElement>(card(), "neo-decline").click();
    q<HTMLButtonElement>(card(), "neo-decline").click();
    expect(model.sentOfType("decline")).toEqual([
      expect.objectContaining({ approval_request_id: "req_1", message: "use a smaller instance" }),
    ]);
    expect(q<HTMLButtonElement>(card(), "neo-approve").disabled).toBe(true);
    ack(model, model.sentOfType("decline")[0]);
    await flush();
    expect(label()).toBe("Declined, waiting for Neo");
  });

  it("the answers trait (another view, or Python) shows the same, and locks the card", () => {
    const model = panel.mount({ approvals: { req_1: "pending" } });
    model.receive(events(numbered(0, approvalItem()), true));
    model.set("answers", { req_1: { ok: false, at: "2025-01-15T10:31:00Z" } });
    expect(label()).toBe("Declined, waiting for Neo");
    expect(card().querySelector("button")).toBeNull();
  });

  it("a card arriving after its answer was sent is answered from the start", () => {
    const model = panel.mount({ answers: { req_1: { ok: true, at: "2025-01-15T10:31:00Z" } } });
    model.receive(events(numbered(0, approvalItem()), true));
    expect(label()).toBe("Approved, waiting for Neo");
    expect(card().querySelector("button")).toBeNull();
  });

  it.each([
    ["approved", "Approved"],
    ["declined", "Declined"],
    ["superseded", "Superseded"],
  ] as const)("a %s request shows its label for good", (state, text) => {
    const model = panel.mount({ approvals: { req_1: state } });
    model.receive(events(numbered(0, approvalItem()), true));
    expect(card().dataset.state).toBe(state);
    expect(card().querySelector("button, input")).toBeNull();
    expect(label()).toBe(text);
    model.set("approvals", { req_1: "pending" });
    expect(card().dataset.state).toBe(state);
    expect(label()).toBe(text);
  });

  it("shows a failed answer and lets the reader try again", async () => {
    const model = panel.mount({ approvals: { req_1: "pending" } });
    model.receive(events(numbered(0, approvalItem()), true));
    const approve = q<HTMLButtonElement>(panel.el, "neo-approve");
    approve.click();
    ack(model, model.sentOfType("approve")[0], false, "Nothing to approve: req_1 was answered");
    await flush();
    const error = card().querySelector<HTMLElement>(".neo-inline-error")!;
    expect(visible(error)).toBe(true);
    expect(error.textContent).toBe("Nothing to approve: req_1 was answered");
    expect(approve.disabled).toBe(false);
    approve.click();
    const sent = model.sentOfType("approve");
    expect(sent).toHaveLength(2);
    expect(sent[0].request_id).not.toBe(sent[1].request_id);
  });

  it("keeps a keyboard user on the card when its buttons go", async () => {
    const model = panel.mount();
    model.receive(events(numbered(0, approvalItem()), true));
    const approve = q<HTMLButtonElement>(card(), "neo-approve");
    approve.focus();
    approve.click();
    ack(model, model.sentOfType("approve")[0]);
    await flush();
    expect(document.activeElement).toBe(q(card(), "neo-approval-label"));
  });

  it("warns about a malformed request: no Approve, but Decline when it has an id", () => {
    const model = panel.mount();
    model.receive(
      events(
        numbered(
          0,
          approvalItem({ id: null, malformed: true, message: "{broken" }),
          approvalItem({ id: "req_2", malformed: true, message: "" }),
        ),
        true,
      ),
    );
    const [noId, withId] = qa(panel.el, "neo-approval");
    expect(noId.dataset.malformed).toBe("true");
    expect(noId.querySelector(".neo-approval-warning")).not.toBeNull();
    expect(noId.querySelector("button")).toBeNull();
    expect(withId.querySelector('[data-testid="neo-approve"]')).toBeNull();
    q<HTMLButtonElement>(withId, "neo-decline").click();
    expect(model.sentOfType("decline")).toHaveLength(1);
  });
});

describe("focus", () => {
  it("moves to the newest pending card's Approve when nothing has focus", () => {
    const model = panel.mount();
    model.receive(events(numbered(0, userText("go")), true));
    (document.activeElement as HTMLElement | null)?.blur();
    model.receive(events(numbered(1, approvalItem({ id: "a" }), approvalItem({ id: "b" }))));
    const [, newest] = qa(panel.el, "neo-approval");
    expect(document.activeElement).toBe(q(newest, "neo-approve"));
  });

  it("moves from the panel's log too", () => {
    const model = panel.mount();
    model.receive(events([], true));
    panel.el.querySelector<HTMLElement>(".neo-log")!.focus();
    model.receive(events(numbered(0, approvalItem())));
    expect(document.activeElement).toBe(q(panel.el, "neo-approve"));
  });

  it("never takes focus from someone typing, in the panel or elsewhere", () => {
    const model = panel.mount();
    model.receive(events([], true));
    const input = q<HTMLTextAreaElement>(panel.el, "neo-input");
    input.focus();
    model.receive(events(numbered(0, approvalItem({ id: "a" }))));
    expect(document.activeElement).toBe(input);

    const other = document.createElement("input");
    document.body.append(other);
    other.focus();
    model.receive(events(numbered(1, approvalItem({ id: "b" }))));
    expect(document.activeElement).toBe(other);
    other.remove();
  });

  it("does not move for a card already answered, nor on the first load", () => {
    const model = panel.mount({ approvals: { a: "approved" } });
    (document.activeElement as HTMLElement | null)?.blur();
    model.receive(events(numbered(0, approvalItem({ id: "b" })), true));
    expect(document.activeElement).toBe(document.body);
    model.receive(events(numbered(1, approvalItem({ id: "a" }))));
    expect(document.activeElement).toBe(document.body);
  });
});
