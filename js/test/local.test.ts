import { describe, expect, it } from "vitest";
import { liveState } from "../src/local";
import type { LiveRun, LocalAsk } from "../src/model";
import { ack, events, flush, numbered, panelFixture, q, qa, toolItem } from "./helpers";

const panel = panelFixture();

function shellAsk(fields: Partial<LocalAsk> = {}): LocalAsk {
  return {
    call_id: "call_1",
    name: "shell__shell_execute",
    kind: "shell",
    reason: "shell__shell_execute needs the 'shell' permission",
    details: { command: "npm test", cwd: "/work/app", timeout: 120 },
    asked_at: "2026-01-01T00:00:00Z",
    ...fields,
  };
}

function live(fields: Partial<LiveRun> = {}): LiveRun {
  return {
    call_id: "call_1",
    name: "shell__shell_execute",
    started_at: new Date(Date.now() - 3000).toISOString(),
    state: "running",
    exit_code: null,
    tail: [],
    ...fields,
  };
}

function withRow() {
  const model = panel.mount({ status: "awaiting_tools" });
  model.receive(
    events(
      numbered(0, toolItem({ key: "call_1", name: "shell__shell_execute", runner: "client" })),
      true,
    ),
  );
  return model;
}

describe("asking before a call runs on this machine", () => {
  it("shows the command, directory and timeout after the run's row, and says Neo waits", () => {
    const model = withRow();
    model.set("local_asks", { call_1: shellAsk() });
    const card = q(panel.el, "neo-local-ask");
    expect(card.previousElementSibling?.getAttribute("data-testid")).toBe("neo-tool");
    expect(q(card, "neo-local-command").textContent).toBe("npm test");
    expect(card.textContent).toContain("/work/app");
    expect(card.textContent).toContain("120 s");
    expect(q(panel.el, "neo-status").textContent).toBe("Neo is waiting for you");
    expect(document.activeElement).toBe(q(card, "neo-local-allow")); // focus as for approvals
    expect(q(panel.el, "neo-stop").hidden).toBe(false); // Stop while Neo waits for tools
  });

  it("Allow, Allow shell for this task and Reject with a reason send one decision", async () => {
    const model = withRow();
    model.set("local_asks", { call_1: shellAsk() });
    q(panel.el, "neo-local-allow-kind").click();
    q(panel.el, "neo-local-allow").click(); // locked while the first is in flight
    const sent = model.sentOfType("allow");
    expect(sent).toEqual([
      expect.objectContaining({ type: "allow", call_id: "call_1", grant: true }),
    ]);
    ack(model, sent[0]);
    await flush();
    model.set("local_decisions", {
      call_1: { allow: true, grant: true, reason: "", cancelled: false },
    });
    expect(q(panel.el, "neo-status").textContent).not.toBe("Neo is waiting for you");
    const card = q(panel.el, "neo-local-ask");
    expect(card.dataset.state).toBe("allowed");
    expect(q(card, "neo-local-decision").textContent).toBe("Allowed (shell for this task)");
    expect(qa(card, "neo-local-allow")).toHaveLength(0);

    model.set("local_asks", { call_1: shellAsk(), call_2: shellAsk({ call_id: "call_2" }) });
    const second = qa(panel.el, "neo-local-ask")[1];
    q<HTMLInputElement>(second, "neo-local-reason").value = " use make ";
    q(second, "neo-local-reject").click();
    expect(model.sentOfType("reject")).toEqual([
      expect.objectContaining({ call_id: "call_2", reason: "use make" }),
    ]);
  });

  it("shows an edit as its diff, a new file as its size, a preview without values", () => {
    const model = withRow();
    const diff = "--- a (original)\n+++ a (modified)\n@@ -1 +1 @@\n-t3.xlarge\n+t3.large\n";
    model.set("local_asks", {
      e: shellAsk({
        call_id: "e",
        kind: "write",
        name: "filesystem__edit",
        details: { file: "index.ts", diff },
      }),
      n: shellAsk({
        call_id: "n",
        kind: "write",
        name: "filesystem__write",
        details: { file: "new.ts", new_file: "new file, 3 lines" },
      }),
      p: shellAsk({
        call_id: "p",
        kind: "preview",
        name: "pulumi__pulumi_preview",
        details: { stack: "dev", program: "/w/app", env_names: ["AWS_REGION", "TOKEN"] },
      }),
    });
    const [edit, created, preview] = qa(panel.el, "neo-local-ask");
    expect(q(edit, "neo-local-diff").textContent).toContain("t3.large");
    expect(edit.querySelectorAll(".neo-diff-add")).toHaveLength(1);
    expect(created.textContent).toContain("new file, 3 lines");
    expect(preview.textContent).toContain("AWS_REGION, TOKEN");
    expect(preview.textContent).toContain("values not shown");
  });

  it("a stopped task's card says it never ran", () => {
    const model = withRow();
    model.set("local_asks", { call_1: shellAsk() });
    model.set("local_decisions", {
      call_1: { allow: false, grant: false, reason: "", cancelled: true },
    });
    expect(q(panel.el, "neo-local-decision").textContent).toBe("Stopped before it ran");
  });

  it("a view that opens later shows a decided call with its decision", () => {
    panel.mount({
      local_asks: { call_1: shellAsk() },
      local_decisions: { call_1: { allow: false, grant: false, reason: "no", cancelled: false } },
    });
    expect(q(panel.el, "neo-local-decision").textContent).toBe("Rejected: no");
  });
});

describe("watching a run on this machine", () => {
  it("shows the live tail with stderr apart, a timer, then the exit", () => {
    const model = withRow();
    model.receive({
      type: "live",
      runs: [
        live({
          tail: [
            ["stdout", "building\n"],
            ["stderr", "warn: old\n"],
          ],
        }),
      ],
    });
    const row = q<HTMLDetailsElement>(panel.el, "neo-tool");
    expect(row.open).toBe(true);
    expect(q(row, "neo-live-tail").textContent).toBe("building\nwarn: old\n");
    expect(row.querySelector(".neo-live-stderr")?.textContent).toBe("warn: old\n");
    expect(q(row, "neo-live-state").textContent).toMatch(/^running \d/);
    model.receive({ type: "live", runs: [live({ state: "done", exit_code: 2 })] });
    expect(q(row, "neo-live-state").textContent).toBe("exit 2");
  });

  it.each([
    ["timed out", null, "timed out"],
    ["stopped", -1, "stopped"],
    ["interrupted", null, "interrupted"],
    ["declined", null, "rejected"],
  ])("a run that ended %s says so", (state, exitCode, text) => {
    expect(liveState(live({ state, exit_code: exitCode }), Date.now())).toBe(text);
  });

  it("keeps markup, ANSI leftovers and odd characters as text", () => {
    const model = withRow();
    const nasty = '<img src=x onerror=alert(1)><script>alert(1)</script>\uFFFD"\u202E';
    model.receive({ type: "live", runs: [live({ tail: [["stdout", nasty]] })] });
    const tail = q(panel.el, "neo-live-tail");
    expect(tail.textContent).toBe(nasty);
    expect(tail.querySelector("img, script")).toBeNull();
  });
});

describe("the workspace in the header", () => {
  it("is not shown for a task without one (an unset trait arrives as {})", () => {
    panel.mount({ workspace: {} as never });
    expect(q(panel.el, "neo-workspace").hidden).toBe(true);
  });

  it("shows the path and the kinds, and switches a kind for this task", () => {
    const model = panel.mount({ approval_mode: "manual" });
    model.set("workspace", {
      path: "/work/app",
      allow: ["read"],
      granted: [],
      kinds: ["read", "write", "shell", "preview", "up"],
    });
    const ws = q(panel.el, "neo-workspace");
    expect(ws.textContent).toContain("/work/app");
    const read = q<HTMLButtonElement>(ws, "neo-workspace-kind-read");
    expect(read.getAttribute("aria-pressed")).toBe("true");
    expect(read.disabled).toBe(true); // the workspace's own: fixed
    q(ws, "neo-workspace-kind-shell").click();
    expect(model.sentOfType("grant")).toEqual([
      expect.objectContaining({ kind: "shell", allowed: true }),
    ]);
  });
});
