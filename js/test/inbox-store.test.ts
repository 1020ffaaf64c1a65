import { describe, expect, it } from "vitest";
import { RowStore } from "../src/inbox-store";
import { needsYou, recent, working } from "./inbox-helpers";

const ids = (rows: { id: string }[]): string[] => rows.map((row) => row.id);

describe("RowStore", () => {
  it("a reset sets the order and says which rows left", () => {
    const store = new RowStore();
    store.apply([recent("a"), recent("b"), recent("c")], true);
    expect(store.apply([recent("c"), recent("a")], true)).toEqual(["b"]);
    expect(ids(store.bySection().recent)).toEqual(["c", "a"]);
  });

  it("an upsert keeps a known row's place and adds new ones after", () => {
    const store = new RowStore();
    store.apply([recent("a"), recent("b")], true);
    expect(store.apply([recent("c"), recent("a", { name: "new" })], false)).toEqual([]);
    expect(ids(store.bySection().recent)).toEqual(["a", "b", "c"]);
    expect(store.get("a")?.name).toBe("new");
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
