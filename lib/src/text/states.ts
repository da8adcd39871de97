/**
 * States of a text that a reader has to carry along: whether it is inside a
 * quotation, how deeply nested in brackets it is, how far along its line it
 * is. Each annotator returns one number per character: the state AFTER
 * reading that character, which is what a left-to-right network can know
 * when its cell state c_t is taken at the same character. So an opening
 * quote is already inside the quotation and a closing quote is outside
 * again; an opening bracket already counts in the depth, a closing one no
 * longer does; a newline is at column 0 of the line it starts.
 *
 * Lesson 10 correlates every LSTM cell with these states (Karpathy, Johnson
 * & Fei-Fei 2015 found cells that track each of them) and measures how far
 * back a closing bracket or quote finds its opening one.
 */
import { expectText } from "./check";

/** Options of {@link quotationState} and {@link quotationOpeners}. */
export interface QuotationOptions {
  /** The character that opens and closes a quotation (default `"`, as in the course's *Moby-Dick*). */
  quote?: string;
  /**
   * A character that ends every quotation still open (default `"\n"`). In
   * prose, a quotation that runs over several paragraphs leaves the closing
   * mark off at the end of each paragraph and opens the next with a fresh
   * mark, so a paragraph break must close it. `null`: nothing does.
   */
  resetAt?: string | null;
}

function quotationOptions(fn: string, options: QuotationOptions): { quote: string; resetAt: string | null } {
  const quote = options.quote ?? '"';
  const resetAt = options.resetAt === undefined ? "\n" : options.resetAt;
  if (typeof quote !== "string" || quote.length !== 1) throw new Error(`${fn}: quote must be one character, got ${JSON.stringify(quote)}`);
  if (resetAt !== null && (typeof resetAt !== "string" || resetAt.length !== 1)) {
    throw new Error(`${fn}: resetAt must be one character or null, got ${JSON.stringify(resetAt)}`);
  }
  if (resetAt === quote) throw new Error(`${fn}: resetAt and quote are the same character ${JSON.stringify(quote)}`);
  return { quote, resetAt };
}

/**
 * 1 where the text is inside a quotation after reading character i, else 0.
 * Every `quote` character toggles the state; `resetAt` closes a quotation
 * left open (see {@link QuotationOptions}). Indices are UTF-16 code units
 * (`text[i]`), as `text.length` counts them.
 * Used in lesson 10.
 */
export function quotationState(text: string, options: QuotationOptions = {}): Uint8Array {
  expectText("quotationState", text);
  const { quote, resetAt } = quotationOptions("quotationState", options);
  const state = new Uint8Array(text.length);
  let inside = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === resetAt) inside = 0;
    else if (c === quote) inside = 1 - inside;
    state[i] = inside;
  }
  return state;
}

/** Options of {@link bracketDepth} and {@link bracketOpeners}. */
export interface BracketOptions {
  /** Pairs of opening and closing characters (default `["()", "[]", "{}"]`). */
  pairs?: readonly string[];
}

function bracketPairs(fn: string, options: BracketOptions): Map<string, string> {
  const pairs = options.pairs ?? ["()", "[]", "{}"];
  const closerToOpener = new Map<string, string>();
  const seen = new Set<string>();
  for (const pair of pairs) {
    if (typeof pair !== "string" || pair.length !== 2 || pair[0] === pair[1]) {
      throw new Error(`${fn}: each pair must be two different characters, opening then closing, e.g. "()"; got ${JSON.stringify(pair)}`);
    }
    for (const c of pair) {
      if (seen.has(c)) throw new Error(`${fn}: the character ${JSON.stringify(c)} appears in two pairs`);
      seen.add(c);
    }
    closerToOpener.set(pair[1], pair[0]);
  }
  if (closerToOpener.size === 0) throw new Error(`${fn}: pairs is empty; give at least one pair such as "()"`);
  return closerToOpener;
}

/**
 * The number of brackets open after reading character i: an opening bracket
 * adds one, a closing bracket removes one. Brackets are counted as they
 * appear, wherever they are (in code, also inside strings and comments); a
 * closing bracket that matches no open bracket, or the wrong kind, is an
 * error naming its position, so a text whose brackets do not pair up is
 * never silently given negative depths.
 * Used in lesson 10.
 */
export function bracketDepth(text: string, options: BracketOptions = {}): Int32Array {
  expectText("bracketDepth", text);
  const opened = matchBrackets("bracketDepth", text, options);
  const openers = new Set(bracketPairs("bracketDepth", options).values());
  const depth = new Int32Array(text.length);
  let d = 0;
  for (let i = 0; i < text.length; i++) {
    if (openers.has(text[i])) d++;
    else if (opened[i] >= 0) d--;
    depth[i] = d;
  }
  return depth;
}

/** Line and column of code unit i, 1-based, for error messages. */
function where(text: string, i: number): string {
  const before = text.slice(0, i);
  const line = before.split("\n").length;
  const column = i - before.lastIndexOf("\n");
  return `position ${i} (line ${line}, column ${column})`;
}

/**
 * For every closing bracket, the index of the opening bracket it closes;
 * −1 for every other character. Throws at a closing bracket that matches no
 * open bracket or the wrong kind. Brackets still open at the end are
 * allowed (a text may be cut anywhere).
 * Used in lesson 10.
 */
export function bracketOpeners(text: string, options: BracketOptions = {}): Int32Array {
  expectText("bracketOpeners", text);
  return matchBrackets("bracketOpeners", text, options);
}

/** {@link bracketOpeners}, its errors naming `fn`. */
function matchBrackets(fn: string, text: string, options: BracketOptions): Int32Array {
  const closerToOpener = bracketPairs(fn, options);
  const openers = new Set(closerToOpener.values());
  const result = new Int32Array(text.length).fill(-1);
  const stack: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (openers.has(c)) stack.push(i);
    else if (closerToOpener.has(c)) {
      const top = stack.pop();
      if (top === undefined) throw new Error(`${fn}: ${JSON.stringify(c)} at ${where(text, i)} closes no open bracket`);
      if (text[top] !== closerToOpener.get(c)) {
        throw new Error(`${fn}: ${JSON.stringify(c)} at ${where(text, i)} closes ${JSON.stringify(text[top])} opened at ${where(text, top)}`);
      }
      result[i] = top;
    }
  }
  return result;
}

/**
 * For every quote character that closes a quotation, the index of the quote
 * that opened it; −1 for every other character (opening quotes included).
 * The same rules as {@link quotationState}.
 * Used in lesson 10.
 */
export function quotationOpeners(text: string, options: QuotationOptions = {}): Int32Array {
  expectText("quotationOpeners", text);
  const { quote, resetAt } = quotationOptions("quotationOpeners", options);
  const result = new Int32Array(text.length).fill(-1);
  let open = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === resetAt) open = -1;
    else if (c === quote) {
      if (open >= 0) {
        result[i] = open;
        open = -1;
      } else open = i;
    }
  }
  return result;
}

/**
 * How many characters of the current line have been read after character
 * i: 1 for the first character of a line, and 0 for a newline (the next
 * line starts empty).
 * Used in lesson 10.
 */
export function linePosition(text: string): Int32Array {
  expectText("linePosition", text);
  const position = new Int32Array(text.length);
  let column = 0;
  for (let i = 0; i < text.length; i++) {
    column = text[i] === "\n" ? 0 : column + 1;
    position[i] = column;
  }
  return position;
}

/**
 * The indentation of the line each character is on: the number of spaces
 * and tabs that open that line, the same for every character of the line
 * (a newline belongs to the line it ends). In code that is indented by
 * nesting, this follows the bracket depth without counting any bracket.
 * Used in lesson 10.
 */
export function lineIndentation(text: string): Int32Array {
  expectText("lineIndentation", text);
  const indentation = new Int32Array(text.length);
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length - 1;
    let width = 0;
    while (start + width <= end && (text[start + width] === " " || text[start + width] === "\t")) width++;
    indentation.fill(width, start, end + 1);
    start = end + 1;
  }
  return indentation;
}
