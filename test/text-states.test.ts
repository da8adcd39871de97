import { describe, it, expect } from "vitest";
import { quotationState, quotationOpeners, bracketDepth, bracketOpeners, linePosition, lineIndentation } from "../lib/src/text";

describe("quotationState", () => {
  it("is 1 from an opening quote up to (not including) its closing quote", () => {
    //                                  a  _  "  b  c  "  _  d
    expect(Array.from(quotationState('a "bc" d'))).toEqual([0, 0, 1, 1, 1, 0, 0, 0]);
  });
  it("closes a quotation left open at a newline (a paragraph continued by a fresh quote)", () => {
    //                                  "  a  \n "  b  "
    expect(Array.from(quotationState('"a\n"b"'))).toEqual([1, 1, 0, 1, 1, 0]);
    expect(Array.from(quotationState('"a\n"b"', { resetAt: null }))).toEqual([1, 1, 1, 0, 0, 1]);
  });
  it("takes another quote character", () => {
    expect(Array.from(quotationState("x'y'", { quote: "'" }))).toEqual([0, 1, 1, 0]);
  });
  it("refuses bad options and non-text", () => {
    expect(() => quotationState("a", { quote: "ab" })).toThrow(/quote must be one character/);
    expect(() => quotationState("a", { quote: "\n" })).toThrow(/same character/);
    expect(() => quotationState(42 as unknown as string)).toThrow(/text must be a string/);
  });
});

describe("quotationOpeners", () => {
  it("points each closing quote at its opening one, and nothing else", () => {
    expect(Array.from(quotationOpeners('a "bc" "d"'))).toEqual([-1, -1, -1, -1, -1, 2, -1, -1, -1, 7]);
  });
  it("a quote opened before a newline is closed by nothing", () => {
    expect(Array.from(quotationOpeners('"a\nb"c"'))).toEqual([-1, -1, -1, -1, -1, -1, 4]);
  });
});

describe("bracketDepth", () => {
  it("counts the brackets open after each character, of every kind", () => {
    //                               f  (  a  [  {  }  ]  )
    expect(Array.from(bracketDepth("f(a[{}])"))).toEqual([0, 1, 1, 2, 3, 2, 1, 0]);
  });
  it("allows brackets left open at the end", () => {
    expect(Array.from(bracketDepth("{{x"))).toEqual([1, 2, 2]);
  });
  it("takes other pairs", () => {
    expect(Array.from(bracketDepth("<a<b>>(", { pairs: ["<>"] }))).toEqual([1, 1, 2, 2, 1, 0, 0]);
  });
  it("names the position of a closing bracket that closes nothing or the wrong kind", () => {
    expect(() => bracketDepth("a)")).toThrow(/"\)" at position 1 \(line 1, column 2\) closes no open bracket/);
    expect(() => bracketDepth("(\n]")).toThrow(/"]" at position 2 \(line 2, column 1\) closes "\(" opened at position 0/);
    expect(() => bracketDepth("a", { pairs: ["(("] })).toThrow(/two different characters/);
    expect(() => bracketDepth("a", { pairs: ["()", "(]"] })).toThrow(/appears in two pairs/);
  });
});

describe("bracketOpeners", () => {
  it("points each closing bracket at the bracket it closes", () => {
    //                                 (  [  ]  x  (  )  )
    expect(Array.from(bracketOpeners("([]x())"))).toEqual([-1, -1, 1, -1, -1, 4, 0]);
  });
  it("refuses a closing bracket that closes nothing", () => {
    expect(() => bracketOpeners("}")).toThrow(/bracketOpeners: "}" at position 0/);
  });
});

describe("linePosition", () => {
  it("counts the characters read on the current line; a newline starts at 0", () => {
    expect(Array.from(linePosition("ab\ncde\n\nf"))).toEqual([1, 2, 0, 1, 2, 3, 0, 0, 1]);
  });
  it("gives an empty array for empty text", () => {
    expect(linePosition("").length).toBe(0);
  });
});

describe("lineIndentation", () => {
  it("gives every character the leading spaces and tabs of its line, its newline included", () => {
    //                                       a  \n _  _  b  \n \t _  c
    expect(Array.from(lineIndentation("a\n  b\n\t c"))).toEqual([0, 0, 2, 2, 2, 2, 2, 2, 2]);
  });
  it("counts a line of blanks as all indentation, and an empty line as 0", () => {
    expect(Array.from(lineIndentation("   \n\nx"))).toEqual([3, 3, 3, 3, 0, 0]);
  });
  it("refuses what is not text", () => {
    expect(() => lineIndentation(null as unknown as string)).toThrow(/lineIndentation: text must be a string/);
  });
});
