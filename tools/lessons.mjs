// The lessons of the course: which notebooks of a folder the tools read.
// A lesson is a notebook named `NN-short-title.ipynb` (two digits, then
// lower-case words joined by hyphens; docs/authoring.md), numbered 00, 01, ...
// Anything else in the folder is not part of the course and is never read:
// a scratch `Untitled.ipynb`, Jupyter's `00-tour-Copy1.ipynb`, a student's
// `02 notes.ipynb`.
import { readdirSync, existsSync, statSync } from "node:fs";
import path from "node:path";

/** The file name of a lesson: two digits, a hyphen, lower-case words joined by hyphens. */
export const LESSON_NAME = /^(\d\d)-[a-z0-9]+(?:-[a-z0-9]+)*\.ipynb$/;

export class LessonListError extends Error {}

/**
 * The lessons of `dir`, in course order (by number), and the notebooks there
 * that are not lessons. Two lessons with the same number are an error, since
 * the course could not say which one it lists.
 * @param {string} dir
 * @returns {{ lessons: string[], others: string[] }}  file names, not paths
 */
export function courseLessons(dir) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new LessonListError(`no folder ${dir}`);
  const notebooks = readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort();
  const lessons = notebooks.filter((f) => LESSON_NAME.test(f));
  const others = notebooks.filter((f) => !LESSON_NAME.test(f));
  /** @type {Map<string, string[]>} */
  const byNumber = new Map();
  for (const f of lessons) byNumber.set(f.slice(0, 2), [...(byNumber.get(f.slice(0, 2)) ?? []), f]);
  const clashes = [...byNumber.values()].filter((fs) => fs.length > 1);
  if (clashes.length) {
    throw new LessonListError(
      `${dir} has several lessons with the same number: ${clashes.map((fs) => fs.join(" and ")).join("; ")} ` +
        "(each lesson has its own number; rename or move the extra notebook)",
    );
  }
  return { lessons, others };
}
