import { describe, expect, it } from "vitest";
import { ToolLedger, durationMs, formatDuration, prettyJson } from "../src/tools";
import { item } from "./helpers";

const call = (id: string, name: string, args = "{}") => ({ id, name, arguments: args });

describe("ToolLedger", () => {
  it("pairs the announced call, its start and its result by tool call id", () => {
    const ledger = new ToolLedger();
    const announced = ledger.observe(
      item({
        type: "assistant_message",
        content: "Looking",
        tool_calls: [call("c1", "pulumi_preview", '{"stack":"dev"}')],
      }),
    );
    expect(announced.map((r) => [r.key, r.state])).toEqual([["c1", "requested"]]);
    const started = ledger.observe(
      item({
        type: "exec_tool_call",
        tool_call_id: "c1",
        name: "pulumi_preview",
        timestamp: "2025-01-15T10:30:00Z",
      }),
    );
    expect(started[0].state).toBe("running");
    const done = ledger.observe(
      item({
        type: "tool_response",
        tool_call_id: "c1",
        result: "ok",
        timestamp: "2025-01-15T10:30:02.500Z",
      }),
    );
    expect(done).toHaveLength(1);
    const record = ledger.get("c1")!;
    expect(record).toMatchObject({
      name: "pulumi_preview",
      arguments: '{"stack":"dev"}',
      result: "ok",
      state: "done",
    });
    expect(durationMs(record)).toBe(2500);
  });

  it("marks an error result", () => {
    const ledger = new ToolLedger();
    ledger.observe(item({ type: "exec_tool_call", tool_call_id: "c2", name: "shell" }));
    ledger.observe(
      item({ type: "tool_response", tool_call_id: "c2", result: "boom", is_error: true }),
    );
    expect(ledger.get("c2")).toMatchObject({ state: "error", isError: true, result: "boom" });
  });

  it("keeps a result whose call was never announced", () => {
    const ledger = new ToolLedger();
    const [record] = ledger.observe(
      item({ type: "tool_response", tool_call_id: "ghost", name: "read_file", result: "text" }),
    );
    expect(record).toMatchObject({
      key: "ghost",
      name: "read_file",
      result: "text",
      state: "done",
    });
    expect(durationMs(record)).toBeNull();
  });

  it("keeps a result without any call id", () => {
    const ledger = new ToolLedger();
    const [record] = ledger.observe(item({ type: "tool_response", id: "event_x", result: "r" }));
    expect(record.key).toBe("event_x#result");
  });

  it("does not show approval_request calls as tools, nor their start or result", () => {
    const ledger = new ToolLedger();
    expect(
      ledger
        .observe(
          item({
            type: "assistant_message",
            tool_calls: [call("a1", "approval_request"), call("c3", "search")],
          }),
        )
        .map((r) => r.key),
    ).toEqual(["c3"]);
    expect(ledger.observe(item({ type: "exec_tool_call", tool_call_id: "a1" }))).toEqual([]);
    expect(
      ledger.observe(item({ type: "tool_response", tool_call_id: "a1", result: "x" })),
    ).toEqual([]);
  });

  it("ignores other event types", () => {
    expect(new ToolLedger().observe(item({ type: "user_message", content: "hi" }))).toEqual([]);
  });
});

describe("durations", () => {
  it.each([
    [0, "0 ms"],
    [450, "450 ms"],
    [1500, "1.5 s"],
    [12_000, "12 s"],
    [125_000, "2 min 5 s"],
  ])("%i ms reads %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("is unknown when a timestamp is missing, unreadable or reversed", () => {
    const base = {
      key: "k",
      id: null,
      name: "t",
      arguments: null,
      result: null,
      isError: false,
      requestedAt: null,
      state: "done" as const,
    };
    expect(durationMs({ ...base, startedAt: null, endedAt: "2025-01-15T10:00:00Z" })).toBeNull();
    expect(
      durationMs({ ...base, startedAt: "nonsense", endedAt: "2025-01-15T10:00:00Z" }),
    ).toBeNull();
    expect(
      durationMs({ ...base, startedAt: "2025-01-15T10:00:05Z", endedAt: "2025-01-15T10:00:00Z" }),
    ).toBeNull();
  });
});

describe("prettyJson", () => {
  it("indents JSON and leaves malformed text as it came", () => {
    expect(prettyJson('{"a":1}')).toBe('{\n  "a": 1\n}');
    expect(prettyJson("{not json")).toBe("{not json");
  });
});

describe("reused call ids", () => {
  it("gives each announcement of a reused id its own row, and pairs with the latest", () => {
    const ledger = new ToolLedger();
    const first = ledger.observe(
      item({ type: "assistant_message", tool_calls: [call("c", "one")] }),
    )[0];
    ledger.observe(item({ type: "tool_response", tool_call_id: "c", result: "r1" }));
    const second = ledger.observe(
      item({ type: "assistant_message", tool_calls: [call("c", "two")] }),
    )[0];
    expect(second.key).not.toBe(first.key);
    const [answered] = ledger.observe(
      item({ type: "tool_response", tool_call_id: "c", result: "r2" }),
    );
    expect(answered.key).toBe(second.key);
    expect(ledger.get(first.key)).toMatchObject({ name: "one", result: "r1" });
    expect(ledger.get(second.key)).toMatchObject({ name: "two", result: "r2" });
  });

  it("a second result for an answered call gets a row of its own", () => {
    const ledger = new ToolLedger();
    const [a] = ledger.observe(item({ type: "tool_response", tool_call_id: "x", result: "1" }));
    const [b] = ledger.observe(item({ type: "tool_response", tool_call_id: "x", result: "2" }));
    expect(a.key).not.toBe(b.key);
    expect(ledger.get(a.key)?.result).toBe("1");
  });
});

describe("names", () => {
  it("keeps the announced name over the one a start or result carries", () => {
    const ledger = new ToolLedger();
    ledger.observe(item({ type: "assistant_message", tool_calls: [call("n1", "pulumi_up")] }));
    ledger.observe(item({ type: "tool_response", tool_call_id: "n1", name: "t", result: "ok" }));
    expect(ledger.get("n1")?.name).toBe("pulumi_up");
  });

  it("takes the name from the start or result when nothing announced it", () => {
    const ledger = new ToolLedger();
    const [record] = ledger.observe(
      item({ type: "exec_tool_call", tool_call_id: "n2", name: "shell" }),
    );
    expect(record.name).toBe("shell");
    expect(
      ledger.observe(item({ type: "tool_response", id: "e", result: "x" }))[0].name,
    ).toBeNull();
  });
});
