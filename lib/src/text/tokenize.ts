/**
 * From raw text to token sequences and back: sentence splitting, a word
 * tokenizer, a character tokenizer, boundary tokens and detokenization.
 */
import { BOS, EOS } from "./vocabulary";
import { expectText, expectTokens } from "./check";

/** Options shared by the tokenizers. */
export interface TokenizeOptions {
  /** Lowercase the text first (default false), which merges "The" and "the" into one type. */
  lowercase?: boolean;
}

/**
 * One token per match, tried in this order:
 * - a number, with inner separators: "1851", "1,000", "3.5" (not followed by a letter, so "3rd" is a word);
 * - a word: letters/digits, with inner apostrophes and hyphens kept inside: "whale's", "don't", "sub-sub-librarian";
 * - an ellipsis "..." or a run of hyphens "--", which are one mark each;
 * - any other non-space character on its own: punctuation, quotes, the em dash "—".
 * An apostrophe at the edge of a word ("'tis", "sailors'") is indistinguishable
 * from a single quote, so it becomes its own token.
 */
const TOKEN = /\p{N}+(?:[.,]\p{N}+)*(?![\p{L}\p{M}])|[\p{L}\p{M}\p{N}]+(?:['’-][\p{L}\p{M}\p{N}]+)*|\.{3}|-{2,}|\S/gu;

/** Splits text into words, numbers and punctuation marks. */
export function tokenizeWords(text: string, options: TokenizeOptions = {}): string[] {
  expectText("tokenizeWords", text);
  const source = options.lowercase ? text.toLowerCase() : text;
  return source.match(TOKEN) ?? [];
}

/**
 * Splits text into characters (Unicode code points, so an accented letter or
 * an emoji is one token). Every run of whitespace, newlines included, becomes
 * one space and the ends are trimmed: a character model then learns one
 * "gap" symbol rather than the layout of the source file.
 * Used in lessons 02 and 04.
 */
export function tokenizeChars(text: string, options: TokenizeOptions = {}): string[] {
  expectText("tokenizeChars", text);
  const flat = text.replace(/\s+/g, " ").trim();
  return Array.from(options.lowercase ? flat.toLowerCase() : flat);
}

/** Words that end in a period without ending the sentence ("Mr. Starbuck"). */
const ABBREVIATIONS = new Set(["Mr", "Mrs", "Messrs", "Dr", "St", "Capt", "Jr", "Sr", "vs", "etc", "viz", "i.e", "e.g"]);

/**
 * A sentence ends at . ! or ? (possibly repeated, possibly followed by closing
 * quotes or brackets), then whitespace, then something that can open a
 * sentence: an uppercase letter or a digit, possibly after opening quotes.
 * A lowercase continuation ("Aye!" cried he) does not end it.
 */
const BOUNDARY = /([.!?]+["'”’)\]]*)\s+(?=["'“‘(\[]*[\p{Lu}\p{N}])/gu;

/**
 * Splits text into sentences, each returned trimmed with its whitespace
 * collapsed. A blank line (paragraph break) always ends a sentence; single
 * newlines are treated as spaces. This is a heuristic, good enough for
 * 19th-century prose: it knows a few abbreviations and nothing more.
 */
export function splitSentences(text: string): string[] {
  expectText("splitSentences", text);
  const sentences: string[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    const flat = paragraph.replace(/\s+/g, " ").trim();
    let start = 0;
    for (const m of flat.matchAll(BOUNDARY)) {
      const end = m.index! + m[1].length;
      const lastWord = /([\p{L}.]+)\.$/u.exec(flat.slice(start, end));
      if (m[1] === "." && lastWord && ABBREVIATIONS.has(lastWord[1])) continue;
      sentences.push(flat.slice(start, end));
      start = m.index! + m[0].length;
    }
    if (start < flat.length) sentences.push(flat.slice(start));
  }
  return sentences;
}

/**
 * Splits text into sentences and each sentence into word tokens.
 * Used in lesson 01.
 */
export function tokenizeSentences(text: string, options: TokenizeOptions = {}): string[][] {
  expectText("tokenizeSentences", text);
  return splitSentences(text)
    .map((s) => tokenizeWords(s, options))
    .filter((tokens) => tokens.length > 0);
}

/**
 * A sentence as an n-gram model of the given order sees it:
 * `order - 1` start tokens `<s>`, the tokens, then `</s>`. With order 3,
 * ["call", "me"] becomes ["<s>", "<s>", "call", "me", "</s>"]: the first word
 * is predicted from a context of two `<s>`, so it is a "sentence-initial" word.
 * Used in lesson 01.
 */
export function addBoundaries(tokens: readonly string[], order = 2): string[] {
  if (!Number.isInteger(order) || order < 1) {
    throw new Error(`addBoundaries: order must be an integer >= 1, got ${order}`);
  }
  expectTokens("addBoundaries", "tokens", tokens);
  return [...Array<string>(order - 1).fill(BOS), ...tokens, EOS];
}

/** Marks written against the preceding token: "whale ," becomes "whale,". */
const NO_SPACE_BEFORE = new Set([".", ",", ";", ":", "!", "?", ")", "]", "}", "...", "—", "–", "--", "”", "’"]);
/** Marks written against the following token: "( a" becomes "(a". */
const NO_SPACE_AFTER = new Set(["(", "[", "{", "—", "–", "--", "“", "‘", "'", "$"]);

/**
 * Joins word tokens into readable text: no space before punctuation, none
 * around dashes, straight double quotes alternately opening and closing.
 * Boundary tokens are dropped. (For character tokens, use `tokens.join("")`.)
 * Used in lesson 01.
 */
export function detokenize(tokens: readonly string[]): string {
  expectTokens("detokenize", "tokens", tokens);
  let out = "";
  let glueNext = true; // nothing before the first token
  let quoteOpen = false;
  for (const t of tokens) {
    if (t === BOS || t === EOS) continue;
    let space = !glueNext && !NO_SPACE_BEFORE.has(t);
    glueNext = NO_SPACE_AFTER.has(t);
    if (t === '"') {
      if (quoteOpen) space = false;
      else glueNext = true;
      quoteOpen = !quoteOpen;
    }
    out += space ? " " + t : t;
  }
  return out;
}
