import { describe, expect, it } from "vitest";
import { WINDOW } from "../src/panel";
import {
  approvalItem,
  events,
  fileDiff,
  neoText,
  numbered,
  panelFixture,
  qa,
  toolItem,
} from "./helpers";

const panel = panelFixture();

/** 5,000 events: Neo's messages, tool runs updated three times each, 50 approvals with diffs. */
function bigTask() {
  const list = [];
  for (let i = 0; list.length < 5000; i++) {
    if (i % 100 === 0) {
      list.push(
        approvalItem({
          id: `req_${i}`,
          plan: "1. Resize\n2. Deploy",
          diff: [fileDiff(`src/file${i}.ts`, 200), fileDiff(`Pulumi.yaml`, 10)],
        }),
      );
    } else if (i % 3 === 0) {
      list.push(neoText(`Step **${i}** done.`));
    } else {
      const key = `call_${Math.floor(i / 3)}`;
      list.push(toolItem({ key, state: i % 3 === 1 ? "running" : "done", result: "ok" }));
    }
  }
  return numbered(0, ...list);
}

describe("a long task", () => {
  it("paints its latest items fast, building no folded diff line", () => {
    const items = bigTask();
    const model = panel.mount();
    const started = performance.now();
    model.receive(events(items, true));
    const elapsed = performance.now() - started;
    const cards = qa(panel.el, "neo-approval");
    expect(cards.length).toBeGreaterThanOrEqual(Math.floor(WINDOW / 100));
    expect(panel.el.querySelectorAll(".neo-diff-file")).toHaveLength(cards.length * 2);
    // The 200-line files are folded and unbuilt; the 10-line ones are open.
    expect(panel.el.querySelectorAll(".neo-diff-line").length).toBeLessThanOrEqual(
      cards.length * 12,
    );
    // jsdom takes about 0.5 s here (most of it Neo's Markdown); a browser is many times
    // faster. The bound is loose for slow CI machines, yet rendering every event, or every
    // diff line, would blow it many times over.
    expect(elapsed).toBeLessThan(3000);
  });

  it("an update to one run touches only its row", () => {
    const model = panel.mount();
    const items = bigTask();
    model.receive(events(items, true));
    const rows = qa(panel.el, "neo-tool");
    const before = rows.map((row) => row.firstElementChild);
    const last = items[items.length - 1];
    const key = rows.at(-1)!.dataset.key!;
    model.receive(
      events(numbered(last.seq + 1, toolItem({ key, state: "done", result: "changed" }))),
    );
    const after = qa(panel.el, "neo-tool").map((row) => row.firstElementChild);
    expect(after.slice(0, -1)).toEqual(before.slice(0, -1));
    expect(after.at(-1)).not.toBe(before.at(-1));
  });
});
