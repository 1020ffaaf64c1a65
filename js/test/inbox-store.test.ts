import { describe, expect, it } from "vitest";
import { RowStore } from "../src/inbox-store";
import { ago, needsYou, recent, working } from "./inbox-helpers";

const ids = (rows: { id: string }[]): string[] => rows.map((row) => row.id);

describe("RowStore", () => {
  it("a reset replaces everything and says which rows left", () => {
    const store = new RowStore();
    store.apply([recent("a"), recent("b"), recent("c")], true);
    expect(store.apply([recent("c"), recent("a")], true)).toEqual(["b"]);
    expect(ids(store.bySection().recent)).toEqual(["c", "a"]);
  });

  it("an upsert replaces a row by id; equal times keep arrival order", () => {
    const store = new RowStore();
    store.apply([recent("a"), recent("b")], true);
    expect(store.apply([recent("c"), recent("a", { name: "new" })], false)).toEqual([]);
    expect(ids(store.bySection().recent)).toEqual(["a", "b", "c"]);
    expect(store.get("a")?.name).toBe("new");
  });

  it("orders as Inbox.rows: longest waiting first, then newest activity first", () => {
    const store = new RowStore();
    store.apply(
      [
        needsYou("n1", { waiting_since: ago(5) }),
        needsYou("n2", { waiting_since: ago(50) }),
        needsYou("n3", { waiting_since: null, last_activity: ago(20) }),
        working("w1", { last_activity: ago(9) }),
        working("w2", { last_activity: ago(1) }),
        recent("r1", { last_activity: null }),
        recent("r2", { last_activity: "2025-01-15T09:00:00+00:00" }),
        recent("r3", { last_activity: ago(10) }),
      ],
      true,
    );
    const sections = store.bySection();
    expect(ids(sections.needs_you)).toEqual(["n2", "n3", "n1"]);
    expect(ids(sections.working)).toEqual(["w2", "w1"]);
    expect(ids(sections.recent)).toEqual(["r3", "r2", "r1"]);
    // An upsert moves a row to where its new time puts it.
    store.apply([working("w1", { last_activity: ago(0) })], false);
    expect(ids(store.bySection().working)).toEqual(["w1", "w2"]);
  });

  it("sorts rows into sections; an unknown section shows under Recent", () => {
    const store = new RowStore();
    store.apply(
      [recent("r"), working("w"), needsYou("n"), { ...recent("x"), section: "later" as never }],
      true,
    );
    const sections = store.bySection();
    expect(ids(sections.needs_you)).toEqual(["n"]);
    expect(ids(sections.working)).toEqual(["w"]);
    expect(ids(sections.recent)).toEqual(["r", "x"]);
  });

  it("removes the ids it holds", () => {
    const store = new RowStore();
    store.apply([recent("a"), recent("b")], true);
    expect(store.remove(["a", "zzz"])).toEqual(["a"]);
    expect(store.size).toBe(1);
    expect(store.has("a")).toBe(false);
  });

  it("skips rows without an id", () => {
    const store = new RowStore();
    store.apply([null as never, { name: "no id" } as never, recent("a")], true);
    expect(store.size).toBe(1);
  });
});
