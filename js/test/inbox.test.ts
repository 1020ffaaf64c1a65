import { describe, expect, it, vi } from "vitest";
import { QUERY_DEBOUNCE_MS } from "../src/inbox-filters";
import { EMPTY_FILTERS } from "../src/inbox-model";
import { TICK_MS } from "../src/inbox-time";
import { approvalInfo, fileDiff } from "./helpers";
import {
  NOW,
  ago,
  flush,
  inboxFixture,
  needsYou,
  q,
  qa,
  recent,
  row,
  visible,
  working,
} from "./inbox-helpers";

const inbox = inboxFixture();

function section(name: string): HTMLElement {
  return q(inbox.el, `inbox-section-${name}`);
}

function rowIds(name: string): string[] {
  return qa(section(name), "inbox-row").map((el) => el.dataset.taskId ?? "");
}

function shown(root: HTMLElement, testId: string): boolean {
  const found = root.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
  return !!found && visible(found);
}

describe("layout", () => {
  it("asks for the rows once, with a request id", () => {
    const model = inbox.mount();
    expect(model.sent).toEqual([{ type: "sync", request_id: expect.any(String) }]);
    expect(q(inbox.el, "neo-inbox").querySelector("h2")?.textContent).toBe("Neo inbox");
  });

  it("shows the three sections in order, each empty at first", () => {
    inbox.mount();
    const sections = qa(inbox.el, "neo-inbox")[0].querySelectorAll("section");
    expect(Array.from(sections, (s) => s.dataset.testid)).toEqual([
      "inbox-section-needs_you",
      "inbox-section-working",
      "inbox-section-recent",
    ]);
    expect(section("needs_you").textContent).toContain("Nothing needs you.");
    expect(visible(section("needs_you").querySelector(".neo-inbox-empty")!)).toBe(true);
  });

  it("sorts rows into their sections and counts them", () => {
    const model = inbox.mount();
    model.rows(
      [needsYou("a"), working("w1"), recent("r1"), needsYou("b"), recent("r2"), working("w2")],
      true,
    );
    expect(rowIds("needs_you")).toEqual(["a", "b"]);
    expect(rowIds("working")).toEqual(["w1", "w2"]);
    expect(rowIds("recent")).toEqual(["r1", "r2"]);
    expect(visible(section("needs_you").querySelector(".neo-inbox-empty")!)).toBe(false);
    expect(q(inbox.el, "inbox-counts").textContent).toBe("Needs you 2Working 2Recent 2");
    expect(section("working").querySelector(".neo-spinner")).not.toBeNull();
  });

  it("says what it follows, and Loading… while loading", () => {
    const model = inbox.mount({ following: 3, follow_cap: 20, poll_seconds: 10, listed: 42 });
    expect(q(inbox.el, "inbox-following").textContent).toBe(
      "Following 3 of at most 20 tasks, re-read every 10 s · 42 listed",
    );
    expect(visible(q(inbox.el, "inbox-loading"))).toBe(false);
    model.set("loading", true);
    expect(visible(q(inbox.el, "inbox-loading"))).toBe(true);
    expect(q(inbox.el, "inbox-loading").textContent).toContain("Loading…");
    model.set("following", 4);
    expect(q(inbox.el, "inbox-following").textContent).toContain("Following 4 of at most 20");
  });

  it("shows the banner when set", () => {
    const model = inbox.mount();
    expect(visible(q(inbox.el, "inbox-banner"))).toBe(false);
    model.set("banner", { level: "warning", title: "Rate limited", message: "Slowing down." });
    const banner = q(inbox.el, "inbox-banner");
    expect(visible(banner)).toBe(true);
    expect(banner.dataset.level).toBe("warning");
    expect(banner.textContent).toBe("Rate limitedSlowing down.");
  });

  it("shows a Needs-you row's request in short", () => {
    const model = inbox.mount();
    model.rows([
      needsYou("a", {
        trigger: { label: "Failed deployment", tone: "error" },
        request: {
          id: "req_a",
          kind: "Allow a tool",
          description: "Run pulumi up on prod",
          sensitive: true,
          tool: "pulumi_up",
          files: [{ file: "index.ts", added: 4, removed: 2 }],
        },
      }),
    ]);
    const el = row(inbox.el, "a");
    expect(el.querySelector(".neo-inbox-name")?.textContent).toBe("Task a");
    expect(el.querySelector(".neo-inbox-trigger")?.textContent).toBe("Failed deployment");
    expect((el.querySelector(".neo-inbox-trigger") as HTMLElement).dataset.tone).toBe("error");
    expect(el.querySelector(".neo-inbox-source")?.textContent).toBe("slack");
    expect(el.querySelector(".neo-inbox-kind")?.textContent).toBe("Allow a tool");
    expect(q(el, "inbox-sensitive").textContent).toBe("Sensitive");
    expect(el.querySelector(".neo-tool-name")?.textContent).toBe("pulumi_up");
    expect(el.querySelector(".neo-inbox-description")?.textContent).toBe("Run pulumi up on prod");
    expect(el.querySelector(".neo-inbox-file")?.textContent).toBe("index.ts+4−2");
    for (const id of ["inbox-approve", "inbox-reject", "inbox-expand", "inbox-open"]) {
      expect(q(el, id).tagName).toBe("BUTTON");
      expect(shown(el, id)).toBe(true);
    }
  });

  it("shows a working row's activity, tokens and entities (links only for http)", () => {
    vi.useFakeTimers({ now: NOW });
    const model = inbox.mount();
    model.rows([
      working("w", {
        tokens_used: 41_200,
        entities: [
          { type: "pull_request", label: "PR #240", url: "https://github.com/o/r/pull/240" },
          { type: "stack", label: "prod", url: "javascript:alert(1)" },
        ],
      }),
    ]);
    const el = row(inbox.el, "w");
    expect(q(el, "inbox-when").textContent).toBe("active 2 min ago");
    expect(el.querySelector(".neo-inbox-tokens")?.textContent).toBe("41k tokens");
    const links = el.querySelectorAll("a");
    expect(links).toHaveLength(1);
    expect(links[0].getAttribute("href")).toBe("https://github.com/o/r/pull/240");
    expect(links[0].rel).toBe("noopener noreferrer");
    expect(el.textContent).toContain("prod");
    expect(shown(el, "inbox-approve")).toBe(false);
    expect(shown(el, "inbox-expand")).toBe(false);
    expect(shown(el, "inbox-open")).toBe(true);
  });
});

describe("rows: reset, upsert, remove", () => {
  it("upserts by id, keeping a row's element, and places rows by their times", () => {
    const model = inbox.mount();
    model.rows(
      [recent("r1", { last_activity: ago(10) }), recent("r2", { last_activity: ago(20) })],
      true,
    );
    const first = row(inbox.el, "r1");
    model.rows([
      recent("r1", { name: "Renamed", last_activity: ago(30) }),
      recent("r3", { last_activity: ago(1) }),
    ]);
    expect(rowIds("recent")).toEqual(["r3", "r2", "r1"]);
    expect(row(inbox.el, "r1")).toBe(first);
    expect(first.querySelector(".neo-inbox-name")?.textContent).toBe("Renamed");
  });

  it("moves a row between sections when its section changes", () => {
    const model = inbox.mount();
    model.rows([working("t")], true);
    model.rows([needsYou("t")]);
    expect(rowIds("working")).toEqual([]);
    expect(rowIds("needs_you")).toEqual(["t"]);
    expect(q(inbox.el, "inbox-counts").textContent).toContain("Needs you 1");
  });

  it("a reset replaces everything, in its order", () => {
    const model = inbox.mount();
    model.rows([recent("r1"), recent("r2"), needsYou("a")], true);
    model.rows([recent("r3", { last_activity: ago(1) }), recent("r1")], true);
    expect(rowIds("recent")).toEqual(["r3", "r1"]);
    expect(rowIds("needs_you")).toEqual([]);
    expect(section("needs_you").textContent).toContain("Nothing needs you.");
  });

  it("removes rows by id, ignoring unknown ids", () => {
    const model = inbox.mount();
    model.rows([recent("r1"), recent("r2"), working("w")], true);
    model.receive({ type: "remove", ids: ["r1", "nope", "w"] });
    expect(rowIds("recent")).toEqual(["r2"]);
    expect(rowIds("working")).toEqual([]);
    expect(section("working").textContent).toContain("Nothing is running.");
  });

  it("ignores malformed messages", () => {
    const model = inbox.mount();
    model.receive(null);
    model.receive("rows");
    model.receive({ type: "rows" });
    model.receive({ type: "remove" });
    model.receive({ type: "what" });
    expect(qa(inbox.el, "inbox-row")).toHaveLength(0);
  });
});

describe("one decision per request", () => {
  it("approves once on a double click, locks until the ack, then says so", async () => {
    const model = inbox.mount();
    model.rows([needsYou("a")], true);
    const el = row(inbox.el, "a");
    const approve = q<HTMLButtonElement>(el, "inbox-approve");
    approve.click();
    approve.click();
    q<HTMLButtonElement>(el, "inbox-reject").click();
    expect(model.sentOfType("approve")).toEqual([
      {
        type: "approve",
        task_id: "a",
        approval_request_id: "req_a",
        request_id: expect.any(String),
      },
    ]);
    expect(approve.disabled).toBe(true);
    expect(q<HTMLButtonElement>(el, "inbox-reject").disabled).toBe(true);
    expect(q(el, "inbox-note").textContent).toBe("Approving…");
    // Another view's ack changes nothing here.
    model.receive({ type: "ack", request_id: "someone-else", ok: true });
    await flush();
    expect(approve.disabled).toBe(true);
    model.ack(model.sentOfType("approve")[0]);
    await flush();
    expect(q(el, "inbox-note").textContent).toBe("Approved, waiting for Neo");
    expect(shown(el, "inbox-approve")).toBe(false);
    expect(shown(el, "inbox-reject")).toBe(false);
    expect(el.dataset.answer).toBe("approve");
    approve.click();
    expect(model.sentOfType("approve")).toHaveLength(1);
  });

  it("a failed answer says why and unlocks", async () => {
    const model = inbox.mount();
    model.rows([needsYou("a")], true);
    const el = row(inbox.el, "a");
    q<HTMLButtonElement>(el, "inbox-approve").click();
    model.ack(model.sentOfType("approve")[0], false, "Neo did not take it (409)");
    await flush();
    expect(q(el, "inbox-note").textContent).toBe("Neo did not take it (409)");
    expect(q<HTMLButtonElement>(el, "inbox-approve").disabled).toBe(false);
    q<HTMLButtonElement>(el, "inbox-approve").click();
    expect(model.sentOfType("approve")).toHaveLength(2);
  });

  it("an ack with ok null (nothing done) unlocks quietly", async () => {
    const model = inbox.mount();
    model.rows([needsYou("a")], true);
    const el = row(inbox.el, "a");
    q<HTMLButtonElement>(el, "inbox-approve").click();
    model.ack(model.sentOfType("approve")[0], null);
    await flush();
    expect(q<HTMLButtonElement>(el, "inbox-approve").disabled).toBe(false);
    expect(visible(q(el, "inbox-note"))).toBe(false);
  });

  it("rejects with instructions, after a confirm", async () => {
    const model = inbox.mount();
    model.rows([needsYou("a")], true);
    const el = row(inbox.el, "a");
    expect(shown(el, "inbox-reject-instructions")).toBe(false);
    q<HTMLButtonElement>(el, "inbox-reject").click();
    const input = q<HTMLInputElement>(el, "inbox-reject-instructions");
    expect(visible(input)).toBe(true);
    expect(document.activeElement).toBe(input);
    expect(model.sentOfType("reject")).toHaveLength(0);
    input.value = "  Use a smaller instance  ";
    const confirm = q<HTMLButtonElement>(el, "inbox-reject-confirm");
    confirm.click();
    confirm.click();
    expect(model.sentOfType("reject")).toEqual([
      {
        type: "reject",
        task_id: "a",
        approval_request_id: "req_a",
        instructions: "Use a smaller instance",
        request_id: expect.any(String),
      },
    ]);
    expect(q(el, "inbox-note").textContent).toBe("Rejecting…");
    model.ack(model.sentOfType("reject")[0]);
    await flush();
    expect(q(el, "inbox-note").textContent).toBe("Rejected");
    expect(shown(el, "inbox-reject-instructions")).toBe(false);
    expect(shown(el, "inbox-approve")).toBe(false);
  });

  it("Enter in the instructions confirms; Escape cancels", () => {
    const model = inbox.mount();
    model.rows([needsYou("a"), needsYou("b")], true);
    const a = row(inbox.el, "a");
    q<HTMLButtonElement>(a, "inbox-reject").click();
    const input = q<HTMLInputElement>(a, "inbox-reject-instructions");
    input.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(visible(input)).toBe(false);
    expect(document.activeElement).toBe(q(a, "inbox-reject"));
    const b = row(inbox.el, "b");
    q<HTMLButtonElement>(b, "inbox-reject").click();
    q<HTMLInputElement>(b, "inbox-reject-instructions").dispatchEvent(
      new KeyboardEvent("keydown", { key: "Enter", bubbles: true }),
    );
    expect(model.sentOfType("reject")).toEqual([
      expect.objectContaining({ task_id: "b", instructions: "" }),
    ]);
  });

  it("a row with an answer shows it and no buttons", () => {
    const model = inbox.mount();
    model.rows(
      [
        needsYou("a", { answer: { ok: true, at: ago(1) } }),
        needsYou("b", { answer: { ok: false, at: ago(1) } }),
      ],
      true,
    );
    expect(q(row(inbox.el, "a"), "inbox-note").textContent).toBe("Approved, waiting for Neo");
    expect(q(row(inbox.el, "b"), "inbox-note").textContent).toBe("Rejected");
    for (const id of ["a", "b"]) {
      expect(shown(row(inbox.el, id), "inbox-approve")).toBe(false);
      expect(shown(row(inbox.el, id), "inbox-reject")).toBe(false);
    }
  });

  it("an answer acked here holds even when an upsert of the same request lags", async () => {
    const model = inbox.mount();
    model.rows([needsYou("a")], true);
    q<HTMLButtonElement>(row(inbox.el, "a"), "inbox-approve").click();
    model.ack(model.sentOfType("approve")[0]);
    await flush();
    model.rows([needsYou("a", { name: "Still waiting" })]);
    expect(shown(row(inbox.el, "a"), "inbox-approve")).toBe(false);
    // A new request on the same task can be answered again.
    model.rows([needsYou("a", { request: { ...needsYou("a").request!, id: "req_2" } })]);
    expect(shown(row(inbox.el, "a"), "inbox-approve")).toBe(true);
  });

  it("a row with an error shows it and no buttons", () => {
    const model = inbox.mount();
    model.rows(
      [needsYou("a", { error: "No permission to answer this task (403)", can_answer: false })],
      true,
    );
    const el = row(inbox.el, "a");
    expect(q(el, "inbox-note").textContent).toBe("No permission to answer this task (403)");
    expect(q(el, "inbox-note").dataset.tone).toBe("error");
    expect(shown(el, "inbox-approve")).toBe(false);
    expect(shown(el, "inbox-reject")).toBe(false);
    expect(shown(el, "inbox-open")).toBe(true);
  });

  it("a row that cannot be answered here shows no buttons", () => {
    const model = inbox.mount();
    model.rows([needsYou("a", { can_answer: false })], true);
    expect(shown(row(inbox.el, "a"), "inbox-approve")).toBe(false);
  });

  it("after answering, focus moves to the next row's Approve, then to the heading", async () => {
    const model = inbox.mount();
    model.rows([needsYou("a"), needsYou("b", { can_answer: false }), needsYou("c")], true);
    const approveA = q<HTMLButtonElement>(row(inbox.el, "a"), "inbox-approve");
    approveA.focus();
    approveA.click();
    model.ack(model.sentOfType("approve")[0]);
    await flush();
    const approveC = q<HTMLButtonElement>(row(inbox.el, "c"), "inbox-approve");
    expect(document.activeElement).toBe(approveC);
    approveC.click();
    model.ack(model.sentOfType("approve")[1]);
    await flush();
    expect(document.activeElement).toBe(section("needs_you").querySelector("h3"));
  });

  it("does not steal focus from someone typing elsewhere", async () => {
    const model = inbox.mount();
    model.rows([needsYou("a"), needsYou("b")], true);
    q<HTMLButtonElement>(row(inbox.el, "a"), "inbox-approve").click();
    const search = q<HTMLInputElement>(inbox.el, "inbox-filter-query");
    search.focus();
    model.ack(model.sentOfType("approve")[0]);
    await flush();
    expect(document.activeElement).toBe(search);
  });

  it("a kernel that goes away unlocks the buttons with a reason", async () => {
    const model = inbox.mount();
    model.rows([needsYou("a")], true);
    q<HTMLButtonElement>(row(inbox.el, "a"), "inbox-approve").click();
    model.emit("comm:close");
    await flush();
    expect(q(row(inbox.el, "a"), "inbox-note").textContent).toContain("The kernel is gone.");
  });
});

describe("expand and open", () => {
  it("asks for the card once and renders it read-only below the row", async () => {
    const model = inbox.mount();
    model.rows([needsYou("a")], true);
    const el = row(inbox.el, "a");
    const toggle = q<HTMLButtonElement>(el, "inbox-expand");
    expect(toggle.getAttribute("aria-expanded")).toBe("false");
    expect(shown(el, "inbox-card")).toBe(false);
    toggle.click();
    expect(model.sentOfType("expand")).toEqual([
      { type: "expand", task_id: "a", request_id: expect.any(String) },
    ]);
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    expect(q(el, "inbox-card").textContent).toContain("Loading");
    model.receive({
      type: "card",
      id: "a",
      card: approvalInfo({
        id: "req_a",
        title: "Approve this plan",
        plan: "1. **Resize** the bucket",
        diff: [fileDiff("index.ts", 4)],
      }),
    });
    model.ack(model.sentOfType("expand")[0]);
    await flush();
    const card = q(el, "inbox-card");
    expect(visible(card)).toBe(true);
    expect(card.querySelector(".neo-approval-title")?.textContent).toBe("Approve this plan");
    expect(q(card, "neo-plan").querySelector("li strong")?.textContent).toBe("Resize");
    expect(qa(card, "neo-diff-file")).toHaveLength(1);
    // Read-only: the row's buttons answer, the card has none of its own.
    expect(card.querySelector("[data-testid=neo-approve], [data-testid=neo-decline]")).toBeNull();
    toggle.click();
    expect(visible(card)).toBe(false);
    toggle.click();
    expect(visible(card)).toBe(true);
    expect(model.sentOfType("expand")).toHaveLength(1);
  });

  it("says when the request is no longer pending, and when the card could not be read", async () => {
    const model = inbox.mount();
    model.rows([needsYou("a"), needsYou("b")], true);
    q<HTMLButtonElement>(row(inbox.el, "a"), "inbox-expand").click();
    model.receive({ type: "card", id: "a", card: null });
    expect(q(row(inbox.el, "a"), "inbox-card").textContent).toBe(
      "This request is no longer pending.",
    );
    q<HTMLButtonElement>(row(inbox.el, "b"), "inbox-expand").click();
    model.ack(model.sentOfType("expand")[1], false, "Task not found (404)");
    await flush();
    expect(q(row(inbox.el, "b"), "inbox-card").textContent).toBe("Task not found (404)");
  });

  it("opens a task's chat, and closes it from the opened row", async () => {
    const model = inbox.mount();
    model.rows([needsYou("a"), recent("r")], true);
    const open = q<HTMLButtonElement>(row(inbox.el, "r"), "inbox-open");
    open.click();
    open.click();
    expect(model.sentOfType("open")).toEqual([
      { type: "open", task_id: "r", request_id: expect.any(String) },
    ]);
    model.ack(model.sentOfType("open")[0]);
    model.set("opened", "r");
    await flush();
    expect(open.getAttribute("aria-pressed")).toBe("true");
    expect(open.textContent).toBe("Close");
    expect(row(inbox.el, "r").dataset.opened).toBe("true");
    expect(q(row(inbox.el, "a"), "inbox-open").getAttribute("aria-pressed")).toBe("false");
    open.click();
    expect(model.sentOfType("open")[1]).toEqual({
      type: "open",
      task_id: null,
      request_id: expect.any(String),
    });
  });
});

describe("filters", () => {
  it("each select sends the whole filters object", () => {
    const model = inbox.mount();
    const status = q<HTMLSelectElement>(inbox.el, "inbox-filter-status");
    status.value = "running";
    status.dispatchEvent(new Event("change"));
    expect(model.sentOfType("filter")).toEqual([
      {
        type: "filter",
        filters: { ...EMPTY_FILTERS, status: "running" },
        request_id: expect.any(String),
      },
    ]);
    for (const [id, value] of [
      ["inbox-filter-sort", "tokensUsed"],
      ["inbox-filter-direction", "asc"],
      ["inbox-filter-type", "async"],
    ]) {
      const select = q<HTMLSelectElement>(inbox.el, id);
      select.value = value;
      select.dispatchEvent(new Event("change"));
    }
    expect(model.sentOfType("filter").at(-1)!.filters).toEqual({
      query: "",
      status: "running",
      sort_by: "tokensUsed",
      sort_direction: "asc",
      task_type: "async",
      exclude_sources: [],
    });
  });

  it("excludes sources with the multi-select", () => {
    const model = inbox.mount({ filters: { ...EMPTY_FILTERS, exclude_sources: ["cli"] } });
    const exclude = q(inbox.el, "inbox-filter-exclude");
    expect(exclude.querySelector("summary")?.textContent).toBe("Excluding 1 source");
    const boxes = qa<HTMLInputElement>(exclude, "inbox-filter-exclude-source");
    expect(boxes.map((b) => b.value)).toEqual([
      "api",
      "console",
      "cli",
      "slack",
      "schedule",
      "github",
      "code-review",
    ]);
    expect(boxes.filter((b) => b.checked).map((b) => b.value)).toEqual(["cli"]);
    boxes[3].checked = true;
    boxes[3].dispatchEvent(new Event("change", { bubbles: true }));
    expect(model.sentOfType("filter")[0].filters).toEqual({
      ...EMPTY_FILTERS,
      exclude_sources: ["cli", "slack"],
    });
  });

  it("the source list folds on Escape and on a click elsewhere", () => {
    inbox.mount();
    const exclude = q<HTMLDetailsElement>(inbox.el, "inbox-filter-exclude");
    exclude.open = true;
    q(exclude, "inbox-filter-exclude-source").dispatchEvent(
      new KeyboardEvent("keydown", { key: "Escape", bubbles: true }),
    );
    expect(exclude.open).toBe(false);
    exclude.open = true;
    q(exclude, "inbox-filter-exclude-source").click();
    expect(exclude.open).toBe(true);
    document.body.click();
    expect(exclude.open).toBe(false);
  });

  it("searches after a pause, or at once on Enter, never twice for the same words", () => {
    vi.useFakeTimers();
    const model = inbox.mount();
    const search = q<HTMLInputElement>(inbox.el, "inbox-filter-query");
    search.focus();
    search.value = "buc";
    search.dispatchEvent(new Event("input"));
    search.value = "bucket";
    search.dispatchEvent(new Event("input"));
    vi.advanceTimersByTime(QUERY_DEBOUNCE_MS - 1);
    expect(model.sentOfType("filter")).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(model.sentOfType("filter").map((m) => m.filters)).toEqual([
      { ...EMPTY_FILTERS, query: "bucket" },
    ]);
    search.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    expect(model.sentOfType("filter")).toHaveLength(1);
    search.value = "bucket prod";
    search.dispatchEvent(new Event("input"));
    search.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    vi.advanceTimersByTime(QUERY_DEBOUNCE_MS * 2);
    expect(model.sentOfType("filter").map((m) => m.filters.query)).toEqual([
      "bucket",
      "bucket prod",
    ]);
  });

  it("shows the trait, but keeps what someone is typing", () => {
    const model = inbox.mount();
    model.set("filters", { ...EMPTY_FILTERS, query: "from python", sort_by: "name" });
    const search = q<HTMLInputElement>(inbox.el, "inbox-filter-query");
    expect(search.value).toBe("from python");
    expect(q<HTMLSelectElement>(inbox.el, "inbox-filter-sort").value).toBe("name");
    search.focus();
    search.value = "typing";
    search.dispatchEvent(new Event("input"));
    model.set("filters", { ...EMPTY_FILTERS, query: "other" });
    expect(search.value).toBe("typing");
  });

  it("a refused filter says why and shows the trait again", async () => {
    const model = inbox.mount();
    const status = q<HTMLSelectElement>(inbox.el, "inbox-filter-status");
    status.value = "idle";
    status.dispatchEvent(new Event("change"));
    model.ack(model.sentOfType("filter")[0], false, "Bad filter");
    await flush();
    expect(status.value).toBe("");
    expect(inbox.el.textContent).toContain("Bad filter");
  });
});

describe("load more", () => {
  it("is offered only when the server has more, and sends once until the ack", async () => {
    const model = inbox.mount();
    expect(visible(q(inbox.el, "inbox-more"))).toBe(false);
    model.set("has_more", true);
    const more = q<HTMLButtonElement>(inbox.el, "inbox-more");
    expect(visible(more)).toBe(true);
    more.click();
    more.click();
    expect(model.sentOfType("more")).toEqual([{ type: "more", request_id: expect.any(String) }]);
    expect(more.disabled).toBe(true);
    model.ack(model.sentOfType("more")[0]);
    await flush();
    expect(more.disabled).toBe(false);
    model.set("has_more", false);
    expect(visible(more)).toBe(false);
  });
});

describe("time", () => {
  it("says how long a request has waited, and ticks every 30 s", () => {
    vi.useFakeTimers({ now: NOW });
    const model = inbox.mount();
    model.rows(
      [needsYou("a", { waiting_since: ago(12) }), needsYou("b", { waiting_since: ago(125) })],
      true,
    );
    const when = (id: string): string => q(row(inbox.el, id), "inbox-when").textContent ?? "";
    expect(when("a")).toBe("waiting 12 min");
    expect(when("b")).toBe("waiting 2 h 5 min");
    vi.advanceTimersByTime(TICK_MS);
    expect(when("a")).toBe("waiting 12 min");
    vi.advanceTimersByTime(TICK_MS);
    expect(when("a")).toBe("waiting 13 min");
  });

  it("cleanup stops the ticking timer and the listeners", () => {
    vi.useFakeTimers({ now: NOW });
    const model = inbox.mount();
    model.rows([needsYou("a")], true);
    expect(vi.getTimerCount()).toBe(1);
    const search = q<HTMLInputElement>(inbox.el, "inbox-filter-query");
    search.value = "x";
    search.dispatchEvent(new Event("input"));
    expect(vi.getTimerCount()).toBe(2);
    inbox.cleanup();
    expect(vi.getTimerCount()).toBe(0);
    expect(model.listenerCount()).toBe(0);
    expect(inbox.el.querySelector("[data-testid=neo-inbox]")).toBeNull();
  });
});
