import { describe, expect, it } from "vitest";
import { WINDOW } from "../src/panel";
import { formatDuration } from "../src/dom";
import { placeLabel } from "../src/tools";
import {
  events,
  item,
  neoText,
  numbered,
  panelFixture,
  parts,
  q,
  qa,
  toolItem,
  toolRun,
  userText,
} from "./helpers";

const panel = panelFixture();

function show(...items: ReturnType<typeof item>[]) {
  const model = panel.mount();
  model.receive(events(numbered(0, ...items), true));
  return model;
}

describe("messages", () => {
  it("shows the user's text as text with their name, and Neo's markdown rendered", () => {
    show(userText("Why is <b>this</b> slow?", "Ada"), neoText("**Because**"));
    const [user, neo] = qa(panel.el, "neo-message");
    expect(user.querySelector(".neo-message-author")?.textContent).toBe("Ada");
    expect(user.querySelector("b")).toBeNull();
    expect(user.textContent).toContain("Why is <b>this</b> slow?");
    expect(neo.querySelector("strong")?.textContent).toBe("Because");
  });

  it("shows attached notebook data as folded chips under the user's question", () => {
    show(
      userText("Which of these matter?", null, [
        {
          name: "df_drift",
          description: "DataFrame 120×2",
          note: "Showing the first 50 of 120 rows. 1 value was redacted.",
          content: "| urn | status |\n|---|---|\n| a | drifted |",
        },
      ]),
    );
    const [message] = qa(panel.el, "neo-message");
    expect(message.querySelector(".neo-message-text")?.textContent).toBe("Which of these matter?");
    const [chip] = qa(panel.el, "neo-attachment") as HTMLDetailsElement[];
    expect(chip.open).toBe(false);
    expect(chip.querySelector("summary")?.textContent).toBe("Attached df_drift DataFrame 120×2");
    expect(chip.textContent).toContain("1 value was redacted");
    expect(chip.querySelector("pre")?.textContent).toContain("| a | drifted |");
    expect(chip.querySelector("table")).toBeNull(); // data is shown as the text Neo read
  });

  it("marks a message sent automatically", () => {
    show(
      parts("user_message", {
        view: "message",
        role: "user",
        text: "approve",
        author: null,
        synthetic: true,
        attachments: [],
      }),
    );
    const message = q(panel.el, "neo-message");
    expect(message.dataset.synthetic).toBe("true");
    expect(message.textContent).toContain("sent automatically");
  });

  it("draws nothing for an item without parts, and every part of an item in order", () => {
    show(
      item({ type: "awaiting_approvals" }),
      parts(
        "assistant_message",
        {
          view: "message",
          role: "assistant",
          text: "one",
          author: null,
          synthetic: false,
          attachments: [],
        },
        { view: "note", tone: "info", text: "two" },
      ),
    );
    const items = panel.el.querySelector(".neo-items")!;
    expect(Array.from(items.children).map((c) => c.textContent?.trim())).toEqual(["Neoone", "two"]);
    expect(items.querySelector('[data-type="awaiting_approvals"]')).toBeNull();
  });
});

describe("tool rows", () => {
  it("one row per key: a later part replaces it in place, keeping it open", () => {
    const model = show(
      toolItem({ key: "c1", state: "requested", arguments: '{\n  "stack": "dev"\n}' }),
      neoText("meanwhile"),
    );
    const row = q<HTMLDetailsElement>(panel.el, "neo-tool");
    expect(row.dataset.state).toBe("requested");
    row.open = true;
    model.receive(
      events(
        numbered(
          2,
          toolItem({ key: "c1", state: "running", progress: "3/12 resources" }),
          toolItem(
            {
              key: "c1",
              state: "done",
              arguments: '{\n  "stack": "dev"\n}',
              result: "+ 1 to create",
              duration_ms: 3000,
            },
            "tool_response",
          ),
        ),
      ),
    );
    const rows = qa<HTMLDetailsElement>(panel.el, "neo-tool");
    expect(rows).toEqual([row]);
    expect(row.open).toBe(true);
    expect(row.nextElementSibling?.textContent).toContain("meanwhile");
    expect(row.dataset.state).toBe("done");
    expect(row.querySelector(".neo-tool-args")?.textContent).toBe('{\n  "stack": "dev"\n}');
    expect(row.querySelector(".neo-tool-result")?.textContent).toBe("+ 1 to create");
    expect(row.querySelector(".neo-tool-duration")?.textContent).toBe("3.0 s");
    expect(row.querySelector(".neo-tool-progress")).toBeNull();
  });

  it("shows the latest progress with a spinner while running", () => {
    const model = show(toolItem({ key: "c9", state: "running", progress: "running preview" }));
    const row = q(panel.el, "neo-tool");
    expect(row.querySelector(".neo-spinner")).not.toBeNull();
    expect(row.querySelector(".neo-tool-progress")?.textContent).toBe("running preview");
    model.receive(events(numbered(1, toolItem({ key: "c9", state: "running", progress: "2/3" }))));
    expect(row.querySelector(".neo-tool-progress")?.textContent).toBe("2/3");
  });

  it("styles an error and labels it failed", () => {
    show(toolItem({ key: "e", state: "error", result: "boom", is_error: true }));
    const row = q(panel.el, "neo-tool");
    expect(row.dataset.state).toBe("error");
    expect(row.querySelector(".neo-tool-state")?.textContent).toBe("failed");
    expect(row.querySelector(".neo-tool-result-error")?.textContent).toBe("boom");
  });

  it("says where a run happened when not in Neo's cloud", () => {
    expect(placeLabel(toolRun({ key: "a", runner: "client", state: "done" }))).toBe(
      "ran on your machine",
    );
    expect(placeLabel(toolRun({ key: "a", runner: "client", state: "running" }))).toBe(
      "running on your machine",
    );
    expect(placeLabel(toolRun({ key: "a", execution_mode: "cloud" }))).toBeNull();
    expect(placeLabel(toolRun({ key: "a", execution_mode: "worker" }))).toBe("via worker");
    show(toolItem({ key: "k", runner: "client", execution_mode: "cli", state: "done" }));
    expect(q(panel.el, "neo-tool").querySelector(".neo-tool-place")?.textContent).toBe(
      "ran on your machine",
    );
  });

  it("a run first seen before the window moves up to where it began when paged in", () => {
    const model = panel.mount();
    const filler = Array.from({ length: WINDOW + 10 }, (_, i) => userText(`m${i}`));
    model.receive(
      events(
        numbered(
          0,
          toolItem({ key: "long", state: "running" }),
          ...filler,
          toolItem({ key: "long", state: "done", result: "finished" }),
        ),
        true,
      ),
    );
    const row = q(panel.el, "neo-tool");
    expect(row.dataset.state).toBe("done");
    q<HTMLButtonElement>(panel.el, "neo-earlier").click();
    expect(qa(panel.el, "neo-tool")).toEqual([row]);
    expect(panel.el.querySelector(".neo-items")!.firstElementChild).toBe(row);
    expect(row.dataset.state).toBe("done");
    expect(row.querySelector(".neo-tool-result")?.textContent).toBe("finished");
  });

  it.each([
    [0, "0 ms"],
    [450, "450 ms"],
    [1500, "1.5 s"],
    [12_000, "12 s"],
    [125_000, "2 min 5 s"],
  ])("%i ms reads %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("quiet parts", () => {
  it("notes by tone, answers in words", () => {
    show(
      parts("set_task_name", { view: "note", tone: "info", text: "Task named “Fix”" }),
      parts("error", { view: "note", tone: "error", text: "Neo failed: <script>x</script>" }),
      parts("warning", { view: "note", tone: "warning", text: "Careful" }),
      parts("user_confirmation", {
        view: "answer",
        approval_request_id: "r1",
        ok: true,
        instructions: null,
        synthetic: false,
      }),
      parts("user_confirmation", {
        view: "answer",
        approval_request_id: "r2",
        ok: false,
        instructions: "use t3.small",
        synthetic: false,
      }),
      parts("user_confirmation", {
        view: "answer",
        approval_request_id: "r3",
        ok: true,
        instructions: null,
        synthetic: true,
      }),
    );
    const notes = Array.from(panel.el.querySelectorAll(".neo-note")).map((n) => n.textContent);
    expect(notes).toEqual([
      "Task named “Fix”",
      "Neo failed: <script>x</script>",
      "Careful",
      "Approved",
      "Declined: use t3.small",
      "Approved automatically",
    ]);
    expect(panel.el.querySelector(".neo-items script")).toBeNull();
    expect(panel.el.querySelector(".neo-note-error")?.textContent).toContain("Neo failed");
    expect(panel.el.querySelector(".neo-note-warning")?.textContent).toBe("Careful");
  });

  it("a divider with its detail folded", () => {
    show(
      parts("context_compressed", {
        view: "divider",
        text: "Context compressed",
        detail: "Summary: <b>deployed</b>",
      }),
    );
    const divider = q(panel.el, "neo-divider");
    expect(divider.getAttribute("role")).toBe("separator");
    expect(divider.querySelector(".neo-divider-text")?.textContent).toBe("Context compressed");
    const detail = divider.querySelector("details")!;
    expect(detail.open).toBe(false);
    expect(detail.textContent).toContain("Summary: <b>deployed</b>");
    expect(detail.querySelector("b")).toBeNull();
  });

  it("an entity change as a quiet line with chips", () => {
    show(
      parts("set_entities", {
        view: "entities",
        text: "Neo opened pull request #240",
        added: [{ type: "pull_request", label: "#240", url: "https://github.com/a/b/pull/240" }],
        removed: [{ type: "stack", label: "acme/dev", url: null }],
      }),
    );
    const line = q(panel.el, "neo-entity-change");
    expect(line.textContent).toContain("Neo opened pull request #240");
    const [added, removed] = qa(line, "neo-entity");
    expect(added.tagName).toBe("A");
    expect(added.dataset.change).toBe("added");
    expect(removed.tagName).toBe("SPAN");
    expect(removed.dataset.change).toBe("removed");
  });

  it("an unknown event as one folded row under its type", () => {
    show(
      item({
        type: "plan_update",
        parts: [{ view: "unknown", json: '{\n  "html": "<img src=x onerror=alert(1)>"\n}' }],
      }),
    );
    const rows = qa<HTMLDetailsElement>(panel.el, "neo-unknown");
    expect(rows).toHaveLength(1);
    expect(rows[0].open).toBe(false);
    expect(rows[0].querySelector("summary")?.textContent).toBe("plan_update");
    expect(rows[0].textContent).not.toContain("not shown");
    expect(rows[0].querySelector("img")).toBeNull();
    expect(rows[0].querySelector("pre")?.textContent).toContain("<img src=x onerror=alert(1)>");
  });
});

describe("trigger card", () => {
  it("says what started the task", () => {
    show(
      parts("user_message", {
        view: "trigger",
        triggers: [
          {
            provider: "Pulumi Deployments",
            title: "Deployment failed",
            event_type: "deployment_failed",
            reference: "acme/web/prod #812",
            url: "https://app.pulumi.com/acme/web/prod/deployments/812",
            badge_label: "Failed",
            badge_tone: "error",
            details: [
              { label: "Stack", value: "acme/web/prod", kind: null },
              { label: "Duration", value: "2m", kind: "duration" },
            ],
            omitted: 3,
            received_at: null,
          },
        ],
        instructions: "Find out **why** and fix it.",
        text: null,
      }),
    );
    const card = q(panel.el, "neo-trigger");
    expect(card.textContent).toContain("Pulumi Deployments");
    expect(card.querySelector(".neo-trigger-title")?.textContent).toBe("Deployment failed");
    const reference = q<HTMLAnchorElement>(card, "neo-trigger-reference");
    expect(reference.tagName).toBe("A");
    expect(reference.href).toBe("https://app.pulumi.com/acme/web/prod/deployments/812");
    expect(reference.rel).toBe("noopener noreferrer");
    const badge = card.querySelector<HTMLElement>(".neo-badge")!;
    expect(badge.textContent).toBe("Failed");
    expect(badge.dataset.tone).toBe("error");
    expect(Array.from(card.querySelectorAll("dt")).map((d) => d.textContent)).toEqual([
      "Stack",
      "Duration",
    ]);
    expect(card.querySelector("dd")?.textContent).toBe("acme/web/prod");
    expect(card.textContent).toContain("+3 more");
    expect(card.querySelector(".neo-trigger-instructions strong")?.textContent).toBe("why");
  });
});
