/**
 * Text with every character's background coloured by a number, the figure
 * of Karpathy, Johnson & Fei-Fei (2015) that shows what one LSTM cell does
 * as it reads: blue for negative values, white for zero, red for positive
 * ones. It is plain HTML (a `<pre>` of `<span>`s), not a plotly chart, so it
 * is returned as a MIME bundle for `displayBundle`; its text form marks the
 * characters where the value is strongly positive.
 */
import type { MimeBundle } from "./display";

/** Options of {@link textHeat}. */
export interface TextHeatOptions {
  /** A line above the text. */
  title?: string;
  /**
   * The value drawn at full colour: |v| ≥ limit is fully red or blue
   * (default: the largest |v|, or 1 if every value is 0).
   */
  limit?: number;
}

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** `s` with the five characters that mean something in HTML replaced by entities. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** The background for value v: white at 0, toward red (#DC2626) for v > 0 and blue (#2563EB) for v < 0, full at |v| = limit. */
export function heatColor(v: number, limit: number): string {
  const a = Math.min(1, Math.abs(v) / limit);
  const [r, g, b] = v >= 0 ? [220, 38, 38] : [37, 99, 235];
  const mix = (c: number) => Math.round(255 + (c - 255) * a);
  return `rgb(${mix(r)},${mix(g)},${mix(b)})`;
}

/**
 * HTML of `text` with character k on the background {@link heatColor}
 * (values[k]); `values` has one number per character (`Array.from(text)`
 * counts them, so a character outside the BMP is one). Newlines break the
 * line (a newline's own value colours a small mark before the break);
 * every character is escaped. Used in lesson 10.
 */
export function textHeat(text: string, values: ArrayLike<number>, options: TextHeatOptions = {}): MimeBundle {
  if (typeof text !== "string") throw new TypeError("textHeat: text must be a string");
  const chars = Array.from(text);
  if (values.length !== chars.length) throw new Error(`textHeat: the text has ${chars.length} characters but there are ${values.length} values; give one value per character`);
  let largest = 0;
  for (let k = 0; k < values.length; k++) {
    if (!Number.isFinite(values[k])) throw new Error(`textHeat: values[${k}] is ${values[k]}, not a finite number`);
    largest = Math.max(largest, Math.abs(values[k]));
  }
  const limit = options.limit ?? (largest > 0 ? largest : 1);
  if (!(Number.isFinite(limit) && limit > 0)) throw new Error(`textHeat: limit must be a positive number, got ${limit}`);
  const spans = chars.map((c, k) => {
    const style = `background:${heatColor(values[k], limit)}`;
    if (c === "\n") return `<span style="${style}">↵</span>\n`;
    return `<span style="${style}" title="${values[k].toFixed(3)}">${escapeHtml(c)}</span>`;
  });
  const title = options.title ? `<div style="font-weight:600;margin-bottom:4px">${escapeHtml(options.title)}</div>` : "";
  const html =
    `<div class="rnn-course-text-heat">${title}` +
    `<pre style="white-space:pre-wrap;word-break:break-all;font-family:monospace;font-size:12px;line-height:1.5;margin:0">${spans.join("")}</pre></div>`;
  // Text form: the characters with a strongly positive value underlined by ^, strongly negative by v.
  const marks = chars.map((c, k) => (c === "\n" ? "\n" : values[k] > 0.5 * limit ? "^" : values[k] < -0.5 * limit ? "v" : " ")).join("");
  const plain = (options.title ? options.title + "\n" : "") + interleave(chars.join(""), marks);
  return { "text/html": html, "text/plain": plain };
}

/** Each line of `text` followed by its line of marks. */
function interleave(text: string, marks: string): string {
  const lines = text.split("\n"), markLines = marks.split("\n");
  return lines.map((line, i) => `${line}\n${markLines[i].replace(/\s+$/, "")}`).join("\n");
}
