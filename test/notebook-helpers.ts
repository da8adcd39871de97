// Helpers shared by the tests of the tools (tools/): notebooks written in a
// test, and a fingerprint of a folder to prove that nothing in it changed.
import { createHash } from "crypto";
import { readdirSync, readFileSync, readlinkSync } from "fs";
import path from "path";
import type { Cell, Notebook } from "../tools/notebooks.mjs";

let ids = 0;

/** A code cell (nbformat 4.5: with an id), optionally tagged. */
export const code = (source: string, tags: string[] = []): Cell => ({
  cell_type: "code",
  id: `c${++ids}`,
  metadata: tags.length ? { tags } : {},
  execution_count: null,
  outputs: [],
  source,
});

/** A markdown cell. */
export const markdown = (source: string): Cell => ({ cell_type: "markdown", id: `m${++ids}`, metadata: {}, source });

/** An nbformat 4.5 notebook of these cells. */
export const notebook = (cells: Cell[]): Notebook => ({ nbformat: 4, nbformat_minor: 5, metadata: {}, cells });

/**
 * sha1 of every file under dir, by relative path; a symbolic link is not
 * followed but recorded with its target. Equal trees are byte-identical.
 */
export function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) out[path.relative(dir, p)] = `link to ${readlinkSync(p)}`;
      else if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash("sha1").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

/** A cell as the exercise tests read it: nbgrader's metadata, text outputs. */
export interface GradedCell {
  cell_type: string;
  source: string | string[];
  metadata: { tags?: string[]; nbgrader?: { grade_id?: string; solution?: boolean; grade?: boolean; points?: number } };
  outputs?: { output_type: string; text?: string | string[] }[];
  execution_count?: number | null;
}
export interface GradedNotebook {
  cells: GradedCell[];
}
/** A cell's source as one string. */
export const text = (c: GradedCell) => ([] as string[]).concat(c.source).join("");
/** The cell with this nbgrader grade_id. */
export const byId = (nb: GradedNotebook, id: string) => nb.cells.find((c) => c.metadata.nbgrader?.grade_id === id)!;
/** Everything a cell printed, as one string. */
export const outputText = (c: GradedCell) => (c.outputs ?? []).map((o) => ([] as string[]).concat(o.text ?? "").join("")).join("");
export const readNb = (file: string): GradedNotebook => JSON.parse(readFileSync(file, "utf8"));
