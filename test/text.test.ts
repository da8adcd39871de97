import { describe, it, expect } from "vitest";
import {
  addBoundaries,
  detokenize,
  splitSentences,
  tokenizeChars,
  tokenizeSentences,
  tokenizeWords,
} from "../lib/src/text";
import { BOS, EOS, UNK, Vocabulary } from "../lib/src/text";

describe("tokenizeWords", () => {
  it("splits words from punctuation and keeps apostrophes, hyphens and numbers inside tokens", () => {
    expect(tokenizeWords("The whale's jaw—ha! It cost $1,000.50 in 1851, said the sub-sub-librarian.")).toEqual([
      "The", "whale's", "jaw", "—", "ha", "!", "It", "cost", "$", "1,000.50", "in", "1851", ",",
      "said", "the", "sub-sub-librarian", ".",
    ]);
  });

  it("keeps contractions whole, and makes ellipses and double hyphens one mark", () => {
    expect(tokenizeWords("Don't go... d'ye hear -- now")).toEqual(["Don't", "go", "...", "d'ye", "hear", "--", "now"]);
  });

  it("treats an apostrophe at a word's edge as a quote, and an ordinal as a word", () => {
    expect(tokenizeWords("'Tis the 3rd; sailors' oaths")).toEqual(["'", "Tis", "the", "3rd", ";", "sailors", "'", "oaths"]);
  });

  it("does not end a number at a sentence-final period", () => {
    expect(tokenizeWords("in 1851.")).toEqual(["in", "1851", "."]);
  });

  it("lowercases only when asked", () => {
    expect(tokenizeWords("Call Me")).toEqual(["Call", "Me"]);
    expect(tokenizeWords("Call Me", { lowercase: true })).toEqual(["call", "me"]);
  });

  it("returns no tokens for empty or blank text", () => {
    expect(tokenizeWords("")).toEqual([]);
    expect(tokenizeWords(" \n\t ")).toEqual([]);
  });
});

describe("tokenizeChars", () => {
  it("collapses whitespace runs to one space, trims, and can lowercase", () => {
    expect(tokenizeChars(" Ca  l\nl. ", { lowercase: true })).toEqual(["c", "a", " ", "l", " ", "l", "."]);
  });

  it("splits by code point, so a character outside the BMP is one token", () => {
    expect(tokenizeChars("a🐋b")).toEqual(["a", "🐋", "b"]);
  });

  it("returns nothing for blank text", () => {
    expect(tokenizeChars("  \n ")).toEqual([]);
  });
});

describe("splitSentences", () => {
  it("splits at . ! ? before a capital, but not after an abbreviation or before a lowercase word", () => {
    expect(splitSentences('Mr. Starbuck came. He said "Aye!" Then he left... "Stop!" cried Ahab. Why?')).toEqual([
      "Mr. Starbuck came.",
      'He said "Aye!"',
      "Then he left...",
      '"Stop!" cried Ahab.',
      "Why?",
    ]);
  });

  it("always ends a sentence at a blank line and joins single line breaks", () => {
    expect(splitSentences("No full stop here\n\nA line\nbroken in two.\n")).toEqual([
      "No full stop here",
      "A line broken in two.",
    ]);
  });

  it("splits before a sentence that starts with a digit", () => {
    expect(splitSentences("It was long ago. 1851 was the year.")).toEqual(["It was long ago.", "1851 was the year."]);
  });

  it("returns no sentences for blank text", () => {
    expect(splitSentences("")).toEqual([]);
    expect(splitSentences("\n\n  \n")).toEqual([]);
  });

  it("tokenizeSentences combines both steps", () => {
    expect(tokenizeSentences("Call me Ishmael. Some years ago—never mind.", { lowercase: true })).toEqual([
      ["call", "me", "ishmael", "."],
      ["some", "years", "ago", "—", "never", "mind", "."],
    ]);
  });
});

describe("boundaries and detokenize", () => {
  it("pads with order-1 start tokens and one end token", () => {
    expect(addBoundaries(["call", "me"], 3)).toEqual([BOS, BOS, "call", "me", EOS]);
    expect(addBoundaries(["call"])).toEqual([BOS, "call", EOS]);
    expect(addBoundaries([], 1)).toEqual([EOS]);
    expect(() => addBoundaries(["a"], 0)).toThrow(/order must be an integer >= 1, got 0/);
  });

  it("joins tokens into readable text and drops boundary tokens", () => {
    expect(detokenize([BOS, '"', "call", "me", "ishmael", ",", '"', "he", "said", "—", "quietly", "(", "really", ")", ".", EOS])).toBe(
      '"call me ishmael," he said—quietly (really).',
    );
  });

  it("round-trips ordinary prose through the word tokenizer", () => {
    const s = 'The whale\'s jaw—ha! It cost $1,000.50, said the sub-sub-librarian... "Don\'t go," he said.';
    expect(detokenize(tokenizeWords(s))).toBe(s);
  });
});

describe("Vocabulary", () => {
  const training = ["the", "cat", "sat", "the", "dog", "sat", "the", "cat", "ran"];

  it("puts the special tokens first, then tokens by count, ties alphabetically", () => {
    const v = Vocabulary.build(training);
    expect(v.tokens).toEqual([UNK, BOS, EOS, "the", "cat", "sat", "dog", "ran"]);
    expect([v.unk, v.bos, v.eos]).toEqual([0, 1, 2]);
    expect(v.size).toBe(8);
  });

  it("maps tokens rarer than minCount, and unseen tokens, to <unk>", () => {
    const v = Vocabulary.build(training, { minCount: 2 });
    expect(v.tokens).toEqual([UNK, BOS, EOS, "the", "cat", "sat"]);
    expect(v.has("dog")).toBe(false);
    expect(v.encode(["the", "dog", "zebra", "sat"])).toEqual([3, 0, 0, 5]);
    expect(v.decode([3, 0, 5])).toEqual(["the", UNK, "sat"]);
  });

  it("ignores special tokens in the training stream (they always have their fixed ids)", () => {
    const v = Vocabulary.build([BOS, "a", EOS, UNK, "a"]);
    expect(v.tokens).toEqual([UNK, BOS, EOS, "a"]);
  });

  it("throws on an unknown token in strict mode, naming it", () => {
    const v = Vocabulary.build(training);
    expect(v.id("cat", { strict: true })).toBe(4);
    expect(() => v.id("zebra", { strict: true })).toThrow(/token "zebra" is not in the vocabulary/);
    expect(() => v.encode(["the", "zebra"], { strict: true })).toThrow(/"zebra"/);
  });

  it("rejects ids outside the vocabulary", () => {
    const v = Vocabulary.build(training);
    expect(() => v.token(8)).toThrow(/token id 8 is outside the vocabulary \(ids are integers 0\.\.7\)/);
    expect(() => v.decode([-1])).toThrow(/token id -1 is outside/);
    expect(() => v.token(1.5)).toThrow(/token id 1.5 is outside/);
  });

  it("rejects an empty corpus and a bad minCount", () => {
    expect(() => Vocabulary.build([])).toThrow(/training corpus is empty/);
    expect(() => Vocabulary.build(training, { minCount: 0 })).toThrow(/minCount must be an integer >= 1, got 0/);
    expect(() => Vocabulary.build(training, { minCount: 1.5 })).toThrow(/minCount must be an integer >= 1, got 1.5/);
  });
});

describe("bad input to the tokenizers and the vocabulary", () => {
  it("the tokenizers refuse a text that is not a string, naming the function and what they got", () => {
    for (const [name, fn] of [
      ["tokenizeWords", tokenizeWords],
      ["tokenizeChars", tokenizeChars],
      ["splitSentences", splitSentences],
      ["tokenizeSentences", tokenizeSentences],
    ] as const) {
      const call = (v: unknown) => () => (fn as (t: unknown) => unknown)(v);
      expect(call(undefined)).toThrow(new RegExp(`^${name}: text must be a string, got undefined$`));
      expect(call(null)).toThrow(new RegExp(`^${name}: text must be a string, got null$`));
      expect(call(42)).toThrow(new RegExp(`^${name}: text must be a string, got the number 42$`));
      expect(call(["call", "me"])).toThrow(new RegExp(`^${name}: text must be a string, got an array of 2 elements$`));
      expect(call(new Uint8Array(3))).toThrow(new RegExp(`^${name}: text must be a string, got a Uint8Array$`));
    }
    // An empty text has no tokens: that is the right answer, not an error.
    expect(tokenizeWords("")).toEqual([]);
    expect(tokenizeChars("  \n ")).toEqual([]);
    expect(splitSentences("")).toEqual([]);
  });

  it("addBoundaries, detokenize, encode and decode refuse a bare string or non-string tokens instead of iterating characters", () => {
    const bare = "call me" as unknown as string[];
    expect(() => addBoundaries(bare)).toThrow(/^addBoundaries: tokens must be an array of token strings, got the string "call me" \(tokenize the text first, e\.g\. tokenizeWords\(text\)\)$/);
    expect(() => detokenize(bare)).toThrow(/^detokenize: tokens must be an array of token strings, got the string "call me"/);
    expect(() => detokenize(["a", 3] as unknown as string[])).toThrow(/^detokenize: tokens\[1\] must be a token string, got the number 3$/);
    expect(() => addBoundaries(undefined as unknown as string[])).toThrow(/^addBoundaries: tokens must be an array of token strings, got undefined$/);
    const v = Vocabulary.build(["the", "cat"]);
    expect(() => v.encode(bare)).toThrow(/^Vocabulary\.encode: tokens must be an array of token strings, got the string "call me"/);
    expect(() => v.encode(["the", undefined] as unknown as string[])).toThrow(/^Vocabulary\.encode: tokens\[1\] must be a token string, got undefined$/);
    // A number is not an unknown token to map to <unk>: it is a mistake.
    expect(() => v.id(3 as unknown as string)).toThrow(/^Vocabulary\.id: token must be a string, got the number 3$/);
    expect(() => v.decode("34" as unknown as number[])).toThrow(/^Vocabulary\.decode: ids must be an array of token ids, got the string "34"$/);
    // Typed arrays of ids decode to tokens (Int32Array.map would have coerced them back to numbers).
    expect(v.decode(Int32Array.from([3, 4]) as unknown as number[])).toEqual(["cat", "the"]);
  });

  it("Vocabulary.build refuses a bare string, a non-iterable and non-string tokens, and still takes any iterable of tokens", () => {
    expect(() => Vocabulary.build("the cat")).toThrow(
      /^Vocabulary\.build: trainingTokens must be an iterable of token strings, got the string "the cat" \(tokenize the text first, e\.g\. tokenizeChars\(text\) or tokenizeWords\(text\)\)$/,
    );
    expect(() => Vocabulary.build(undefined as unknown as string[])).toThrow(/^Vocabulary\.build: trainingTokens must be an iterable of token strings, got undefined$/);
    expect(() => Vocabulary.build(["a", 7, "b"] as unknown as string[])).toThrow(/^Vocabulary\.build: token 1 must be a string, got the number 7$/);
    expect(Vocabulary.build(new Set(["b", "a"])).tokens).toEqual([UNK, BOS, EOS, "a", "b"]);
    expect(Vocabulary.build((function* () { yield "x"; yield "x"; yield "y"; })()).tokens).toEqual([UNK, BOS, EOS, "x", "y"]);
  });
});
