// Reading and writing notebook files (nbformat 4), for every tool that does:
// the course runner (tools/course.mjs), the exercise tools (tools/exercises/)
// and the tests of the notebooks' conventions. Notebooks may come from anyone
// (a student's submission), so parsing validates the structure the tools rely
// on and says what is wrong in words a student understands.
import { readFileSync } from "node:fs";
import path from "node:path";

/**
 * @typedef {{ [key: string]: unknown }} JsonObject
 * @typedef {{ output_type: string, data?: JsonObject, text?: string | string[], name?: string, [key: string]: unknown }} Output
 * @typedef {{
 *   cell_type: "code" | "markdown" | "raw",
 *   source?: string | string[],
 *   metadata?: JsonObject,
 *   outputs?: Output[],
 *   execution_count?: number | null,
 *   id?: string,
 * }} Cell
 * @typedef {{ nbformat?: number, nbformat_minor?: number, metadata?: JsonObject, cells: Cell[] }} Notebook
 */

/** Notebooks larger than this are not parsed (a lesson with its figures is a few MB). */
export const MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024;

export class NotebookError extends Error {}

/**
 * @param {unknown} x
 * @returns {x is JsonObject}
 */
export const isObject = (x) => typeof x === "object" && x !== null && !Array.isArray(x);

/**
 * A cell's source as one string (nbformat stores it as a string or a list of lines).
 * @param {Cell} cell
 */
export const sourceText = (cell) => (Array.isArray(cell.source) ? cell.source.join("") : cell.source ?? "");

/**
 * nbformat's on-disk form of a source: a list of lines, each but the last ending in \n.
 * @param {string} text
 */
export const sourceLines = (text) => (text === "" ? [] : text.split(/(?<=\n)/));

/**
 * A cell's tags (the strings of metadata.tags; anything else there is ignored).
 * @param {Cell} cell
 * @returns {string[]}
 */
export function tagsOf(cell) {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) ? tags.filter((t) => typeof t === "string") : [];
}

/**
 * @param {Cell} cell
 * @param {string} tag
 */
export const hasTag = (cell, tag) => tagsOf(cell).includes(tag);

/**
 * Parses notebook JSON; throws NotebookError naming the problem when it is
 * not a usable nbformat-4 notebook (`label` names the file in messages).
 * @param {string} text
 * @returns {Notebook}
 */
export function parseNotebook(text, label = "the notebook") {
  if (text.length > MAX_NOTEBOOK_BYTES) throw new NotebookError(`${label} is larger than ${MAX_NOTEBOOK_BYTES >> 20} MB`);
  /** @type {unknown} */
  let nb;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    throw new NotebookError(`${label} is not valid JSON (${e instanceof Error ? e.message : e})`);
  }
  if (!isObject(nb)) throw new NotebookError(`${label} is not a notebook (not a JSON object)`);
  if (nb.nbformat !== undefined && nb.nbformat !== 4) throw new NotebookError(`${label} is nbformat ${JSON.stringify(nb.nbformat)}, not 4`);
  if (nb.metadata !== undefined && !isObject(nb.metadata)) throw new NotebookError(`${label} has metadata that is not an object`);
  const cells = nb.cells;
  if (!Array.isArray(cells)) throw new NotebookError(`${label} is not a notebook (it has no list of cells)`);
  cells.forEach((/** @type {unknown} */ cell, i) => {
    const where = `${label}, cell ${i + 1}`;
    if (!isObject(cell)) throw new NotebookError(`${where} is not an object`);
    if (typeof cell.cell_type !== "string" || !["code", "markdown", "raw"].includes(cell.cell_type)) throw new NotebookError(`${where} has cell_type ${JSON.stringify(cell.cell_type)}`);
    const src = cell.source ?? "";
    if (typeof src !== "string" && !(Array.isArray(src) && src.every((s) => typeof s === "string"))) {
      throw new NotebookError(`${where} has a source that is not text`);
    }
    if (cell.metadata !== undefined && !isObject(cell.metadata)) throw new NotebookError(`${where} has metadata that is not an object`);
    if (cell.outputs !== undefined) {
      const outputs = cell.outputs;
      if (!Array.isArray(outputs)) throw new NotebookError(`${where} has outputs that are not a list`);
      for (const o of outputs) {
        if (!isObject(o) || typeof o.output_type !== "string" || (o.data !== undefined && !isObject(o.data))) {
          throw new NotebookError(`${where} has an output that is not an nbformat output (an object with an output_type)`);
        }
      }
    }
  });
  return /** @type {Notebook} */ (nb);
}

/**
 * Reads and parses a notebook file (see parseNotebook).
 * @param {string} file
 */
export function readNotebook(file) {
  return parseNotebook(readFileSync(file, "utf8"), path.basename(file));
}

/**
 * Serialises like nbformat (indent 1, trailing newline).
 * @param {Notebook} nb
 */
export function formatNotebook(nb) {
  return JSON.stringify(nb, null, 1) + "\n";
}
