import { describe, expect, it } from "vitest";
import { ItemStore } from "../src/store";
import { item } from "./helpers";

const at = (seq: number, id = `event_${seq}`) => item({ type: "user_message", seq, id });

describe("ItemStore", () => {
  it("appends items in order and reports the last seq", () => {
    const store = new ItemStore();
    expect(store.lastSeq).toBe(-1);
    const applied = store.apply([at(0), at(1), at(2)], false);
    expect(applied).toMatchObject({ mode: "append", syncAfter: null });
    expect(applied.items.map((i) => i.seq)).toEqual([0, 1, 2]);
    expect(store.lastSeq).toBe(2);
  });

  it("sorts a message by seq before applying it", () => {
    const store = new ItemStore();
    const applied = store.apply([at(2), at(0), at(1)], false);
    expect(applied.items.map((i) => i.seq)).toEqual([0, 1, 2]);
  });

  it("keeps each seq once", () => {
    const store = new ItemStore();
    store.apply([at(0), at(1)], false);
    const again = store.apply([at(0), at(1), at(2)], false);
    expect(again.items.map((i) => i.seq)).toEqual([2]);
    expect(store.apply([at(2)], false).items).toEqual([]);
    expect(store.size).toBe(3);
  });

  it("asks to resend after the last seq when a message starts past a gap", () => {
    const store = new ItemStore();
    store.apply([at(0), at(1)], false);
    const applied = store.apply([at(4), at(5)], false);
    expect(applied.syncAfter).toBe(1);
    expect(applied.items).toEqual([]);
    expect(store.lastSeq).toBe(1);
  });

  it("keeps what comes before a gap inside one message", () => {
    const store = new ItemStore();
    const applied = store.apply([at(0), at(1), at(3)], false);
    expect(applied.items.map((i) => i.seq)).toEqual([0, 1]);
    expect(applied.syncAfter).toBe(1);
  });

  it("treats a first message that does not start at 0 as a gap", () => {
    const store = new ItemStore();
    expect(store.apply([at(3)], false).syncAfter).toBe(-1);
  });

  it("a resend fills the gap", () => {
    const store = new ItemStore();
    store.apply([at(0)], false);
    store.apply([at(2)], false);
    const filled = store.apply([at(1), at(2)], false);
    expect(filled.items.map((i) => i.seq)).toEqual([1, 2]);
    expect(filled.syncAfter).toBeNull();
  });

  it("reset drops what was held", () => {
    const store = new ItemStore();
    store.apply([at(0, "a"), at(1, "b")], false);
    const applied = store.apply([at(0, "x")], true);
    expect(applied.mode).toBe("replace");
    expect(applied.items.map((i) => i.id)).toEqual(["x"]);
    expect(store.lastSeq).toBe(0);
    expect(store.items.map((i) => i.id)).toEqual(["x"]);
  });

  it("reset of an empty store replaces", () => {
    const store = new ItemStore();
    const applied = store.apply([at(0), at(1)], true);
    expect(applied.mode).toBe("replace");
    expect(applied.items.length).toBe(2);
  });

  it("reset with nothing clears", () => {
    const store = new ItemStore();
    store.apply([at(0, "a")], false);
    const applied = store.apply([], true);
    expect(applied).toMatchObject({ mode: "replace", items: [], syncAfter: null });
    expect(store.lastSeq).toBe(-1);
  });

  it("a reset that repeats what is held (another view synced) only appends the new", () => {
    const store = new ItemStore();
    store.apply([at(0), at(1)], false);
    const applied = store.apply([at(0), at(1), at(2)], true);
    expect(applied.mode).toBe("append");
    expect(applied.items.map((i) => i.seq)).toEqual([2]);
  });
});
