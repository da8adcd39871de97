import { describe, it, expect } from "vitest";
import { data, text } from "../lib/src";

describe("markdownItSources", () => {
  const files = data.markdownItSources();
  it("reads the lib/ sources whose brackets pair up, in sorted order, every fifth held out", () => {
    expect(files.length).toBeGreaterThan(30);
    expect(files.map((f) => f.path)).toEqual([...files.map((f) => f.path)].sort());
    expect(files.every((f) => f.path.startsWith("lib/") && f.path.endsWith(".mjs"))).toBe(true);
    expect(files.every((f) => data.bracketsPairUp(f.text))).toBe(true);
    files.forEach((f, i) => expect(f.split).toBe((i + 1) % 5 === 0 ? "heldout" : "train"));
    // lib/rules_block/code.mjs pairs up and is kept; lib/rules_block/list.mjs has a "[" in a comment that it never closes, and is not.
    expect(files.some((f) => f.path === "lib/rules_block/code.mjs")).toBe(true);
    expect(files.some((f) => f.path === "lib/rules_block/list.mjs")).toBe(false);
  });
  it("is the same on every call", () => {
    const again = data.markdownItSources();
    expect(again).toEqual(files);
    again[0].text = "changed";
    expect(data.markdownItSources()[0].text).not.toBe("changed");
  });
});

describe("markdownItText", () => {
  it("joins each side's files; the brackets of the whole text pair up and nest several deep", () => {
    const all = data.markdownItText("all"), train = data.markdownItText("train"), held = data.markdownItText("heldout");
    expect(train.length).toBeGreaterThan(80_000);
    expect(held.length).toBeGreaterThan(10_000);
    expect(all.length).toBe(train.length + held.length + 2); // n files give n − 1 blank-line joins: (n − 1) − (n_train − 1) − (n_held − 1) = 1 more join
    for (const t of [all, train, held]) {
      const depth = text.bracketDepth(t);
      expect(depth[depth.length - 1]).toBe(0);
      expect(Math.max(...depth)).toBeGreaterThanOrEqual(5);
    }
  });
  it("is source code: mostly ASCII, with newlines, indentation and the three kinds of brackets", () => {
    const t = data.markdownItText("train");
    const chars = new Set(t);
    for (const c of "\n (){}[];=") expect(chars.has(c), JSON.stringify(c)).toBe(true);
    let ascii = 0;
    for (const c of t) if (c.charCodeAt(0) < 128) ascii++;
    expect(ascii / t.length).toBeGreaterThan(0.99);
    expect(t).not.toContain("\r");
  });
  it("refuses an unknown split", () => {
    expect(() => data.markdownItText("test" as "all")).toThrow(/split must be "train", "heldout" or "all"/);
  });
  it("bracketsPairUp", () => {
    expect(data.bracketsPairUp("f([{}])")).toBe(true);
    expect(data.bracketsPairUp("f([)]")).toBe(false);
    expect(data.bracketsPairUp("((")).toBe(false);
  });
});
