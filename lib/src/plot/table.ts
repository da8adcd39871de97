/** Tables of numbers and text, drawn by plotly so they sit in the notebook like the figures. */
import { Figure, Trace } from "./figure";
import { baseLayout, figure, formatNumber, Layout, TITLE_MARGIN } from "./style";
import { checkHeight, describe, fail, nonEmptyList } from "./validate";

/** Options of `table`. */
export interface TableOptions {
  header: readonly string[];
  rows: ReadonlyArray<ReadonlyArray<string | number>>;
  title?: string;
  /** Significant digits of non-integer numbers (default 4). */
  digits?: number;
  /** Height in pixels (default: fits the rows, at most 600, then it scrolls). */
  height?: number;
}

// The figure's height must hold every row, but plotly decides the rows'
// heights only when it draws: text that is wider than its column is wrapped
// at spaces, and the row grows by a line (so a fixed 28 px per row cut off the
// last rows once a long header wrapped). So the text is wrapped here instead,
// into explicit lines (plotly leaves text that has line breaks as it is), and
// the height follows from the number of lines.

const FONT_SIZE = 13;
/** Height of a one-line header and of a one-line row. */
const HEADER_HEIGHT = 32;
const ROW_HEIGHT = 28;
/** plotly's padding around a cell's text (its table `cellPad`). */
const CELL_PAD = 8;
/** plotly's distance between lines of text: 1.3 font sizes. */
const LINE_HEIGHT = 1.3 * FONT_SIZE;
/** Left/right and bottom margins, and room under the last row, so plotly never needs a scroll bar. */
const MARGIN = 10;
const SLACK = 10;
/** Tallest default height; a longer table scrolls. */
const MAX_HEIGHT = 600;
/**
 * Width the wrapping is planned for: the course runner renders static images
 * 900 px wide, and notebooks show figures about as wide or wider. In a
 * narrower window plotly may wrap a line again, and the table scrolls.
 */
const PLANNED_WIDTH = 900;
/**
 * Average width of a character, in font sizes, a little above what DejaVu
 * Sans measures (0.53 regular, 0.60 bold); Inter, Helvetica and Arial are
 * narrower. So a line planned to fit does fit.
 */
const CHAR_WIDTH = { regular: 0.6, bold: 0.66 };

/** `text` broken at spaces into lines of at most `maxChars` characters; a longer word gets a line of its own. */
function wrap(text: string, maxChars: number): string[] {
  const lines: string[] = [];
  let line: string | undefined;
  for (const word of text.split(" ")) {
    if (line === undefined) line = word;
    else if ([...line].length + 1 + [...word].length <= maxChars) line += " " + word;
    else {
      lines.push(line);
      line = word;
    }
  }
  lines.push(line ?? "");
  return lines;
}

/** Height plotly gives a row whose tallest cell has `lines` lines of text (at least `minHeight`). */
function rowHeight(lines: number, minHeight: number): number {
  return lines <= 1 ? minHeight : Math.max(minHeight, Math.ceil(2 * CELL_PAD + LINE_HEIGHT * lines));
}

/**
 * A table (plotly `table` trace); numbers are formatted with `formatNumber`
 * and right-aligned. Long text is wrapped onto several lines, and the default
 * height fits every row. Used in lesson 00 (a made-up perplexity table), 01
 * (P(w | h) under each estimator; held-out perplexity of every estimator and
 * order), 02 (held-out scores per character) and 04 (starts above the wall
 * with and without clipping; value clipping of the same gradients).
 * Used in lessons 05, 06, 07, 08, 09, 10 and 11.
 */
export function table(options: TableOptions): Figure {
  const fn = "table";
  checkHeight(fn, options.height);
  const header = nonEmptyList(fn, "header", options.header);
  header.forEach((h, i) => { if (typeof h !== "string") fail(fn, `header[${i}] is ${describe(h)}, not a string`); });
  if (!Array.isArray(options.rows)) fail(fn, `rows must be an array of rows, got ${describe(options.rows)}`);
  const rows = options.rows;
  const digits = options.digits ?? 4;
  rows.forEach((row, r) => {
    if (!Array.isArray(row)) fail(fn, `row ${r} must be an array, got ${describe(row)}`);
    if (row.length !== header.length) fail(fn, `row ${r} has ${row.length} cells but the header has ${header.length} columns`);
    row.forEach((cell, c) => {
      if (typeof cell !== "string" && typeof cell !== "number") fail(fn, `row ${r}, column "${header[c]}" is ${describe(cell)}, not a string or number`);
    });
  });
  const columns = header.map((_, c) => rows.map((row) => row[c]));
  const numeric = columns.map((col) => col.length > 0 && col.every((cell) => typeof cell === "number"));
  // plotly shares the width equally between the columns.
  const textWidth = (PLANNED_WIDTH - 2 * MARGIN) / header.length - 2 * CELL_PAD;
  const maxChars = (weight: keyof typeof CHAR_WIDTH) => Math.max(1, Math.floor(textWidth / (CHAR_WIDTH[weight] * FONT_SIZE)));
  // plotly reads table text as HTML: escape it, so a token like <unk> shows as written.
  const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const headerLines = header.map((h) => wrap(h, maxChars("bold")));
  const cellLines = columns.map((col) => col.map((cell) => wrap(typeof cell === "number" ? formatNumber(cell, digits) : cell, maxChars("regular"))));
  const headerText = headerLines.map((lines) => lines.map((l) => `<b>${escape(l)}</b>`).join("<br>"));
  const cellText = cellLines.map((col) => col.map((lines) => lines.map(escape).join("<br>")));
  const align = numeric.map((n) => (n ? "right" : "left"));
  const stripes = rows.map((_, r) => (r % 2 === 0 ? "#FFFFFF" : "#F5F7FA"));
  const top = options.title ? TITLE_MARGIN : MARGIN;
  const tallest = (lineCounts: number[]) => Math.max(1, ...lineCounts);
  const headerHeight = rowHeight(tallest(headerLines.map((l) => l.length)), HEADER_HEIGHT);
  // An empty table still gets the room of one row, as plotly draws an empty one.
  let rowsHeight = rows.length === 0 ? ROW_HEIGHT : 0;
  rows.forEach((_, r) => { rowsHeight += rowHeight(tallest(cellLines.map((col) => col[r].length)), ROW_HEIGHT); });
  const height = options.height ?? Math.min(MAX_HEIGHT, top + headerHeight + rowsHeight + SLACK + MARGIN);
  const trace: Trace = {
    type: "table",
    header: {
      values: headerText,
      align,
      fill: { color: "#E6EAF0" },
      line: { color: "#C5CCD6", width: 1 },
      font: { size: FONT_SIZE, color: "#1F2937" },
      height: HEADER_HEIGHT,
    },
    cells: {
      values: cellText,
      align,
      fill: { color: [stripes] },
      line: { color: "#E6EAF0", width: 1 },
      font: { size: FONT_SIZE, color: "#1F2937" },
      height: ROW_HEIGHT,
    },
  };
  const layout: Layout = { ...baseLayout({ title: options.title, height }, false), margin: { l: MARGIN, r: MARGIN, t: top, b: MARGIN } };
  return figure([trace], layout);
}
