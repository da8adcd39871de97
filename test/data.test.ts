import { describe, it, expect } from "vitest";
import { HELD_OUT_EVERY, mobyDickSections, mobyDickText, MobyDickSplit } from "../lib/src/data";
import { tokenizeSentences } from "../lib/src/text";

describe("Moby-Dick", () => {
  const sections = mobyDickSections();

  it("has the front matter, 135 chapters and the epilogue, in reading order", () => {
    expect(sections.length).toBe(138);
    expect(sections[0].id).toBe("etymology");
    expect(sections[1].id).toBe("extracts");
    expect(sections[2]).toMatchObject({ id: "chapter-1", chapter: 1, title: "CHAPTER 1. Loomings." });
    expect(sections[136].id).toBe("chapter-135");
    expect(sections[137].id).toBe("epilogue");
    expect(new Set(sections.map((s) => s.id)).size).toBe(138);
  });

  it("keeps headings out of the text", () => {
    expect(sections[2].text.startsWith("Call me Ishmael.")).toBe(true);
    for (const s of sections) {
      expect(s.text.length).toBeGreaterThan(200);
      expect(s.text).not.toMatch(/^CHAPTER \d/);
    }
  });

  it("holds out every 10th chapter and nothing else", () => {
    expect(HELD_OUT_EVERY).toBe(10);
    const heldOut = sections.filter((s) => s.split === "heldout").map((s) => s.chapter);
    expect(heldOut).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130]);
    expect(sections.filter((s) => s.split === "train").length).toBe(125);
  });

  it("gives each split its own text, with no held-out chapter in the training text", () => {
    const train = mobyDickText("train");
    const heldOut = mobyDickText("heldout");
    for (const s of sections.filter((x) => x.split === "heldout")) {
      expect(heldOut).toContain(s.text);
      expect(train).not.toContain(s.text.slice(0, 300));
    }
    for (const s of sections.filter((x) => x.split === "train")) expect(heldOut).not.toContain(s.text.slice(0, 300));
    expect(mobyDickText("all").length).toBe(train.length + heldOut.length + 2); // one extra "\n\n" seam
  });

  it("has the sizes documented in datasets/README.md", () => {
    const size = (split: MobyDickSplit) => {
      const sentences = tokenizeSentences(mobyDickText(split));
      return { sentences: sentences.length, tokens: sentences.reduce((n, s) => n + s.length, 0) };
    };
    expect(size("train")).toEqual({ sentences: 8051, tokens: 232983 });
    expect(size("heldout")).toEqual({ sentences: 738, tokens: 19447 });
  });

  it("rejects an unknown split", () => {
    expect(() => mobyDickText("test" as MobyDickSplit)).toThrow(/unknown split "test"; use "train", "heldout" or "all"/);
  });
});
