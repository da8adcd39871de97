// The conventions every lesson notebook follows, checked on the committed
// sources (the runner and the student tools rely on them), and the exercises
// every lesson from 01 on ends with (docs/exercises.md).
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync, readdirSync } from "fs";
import path from "path";
import { pathToFileURL } from "url";

const dir = path.join(__dirname, "..", "notebooks");
const files = readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort();

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata: { tags?: string[]; nbgrader?: { grade_id?: string } };
  outputs?: unknown[];
  execution_count?: number | null;
}
const text = (c: Cell) => ([] as string[]).concat(c.source).join("");

// What tools/exercises/notebook.mjs (shared by `npm run student` and `npm run
// grade`) reports about a notebook's exercises.
interface ExerciseInfo {
  exercises: { name: string; solutionIndex: number; points: number; tests: { gradeId: string; index: number; points: number }[] }[];
  answers: { gradeId: string; index: number; points: number }[];
}
interface ExerciseTools {
  describeExercises(nb: unknown, label: string): ExerciseInfo;
  studentEdition(nb: unknown, label: string): { nb: { cells: Cell[] }; info: ExerciseInfo };
}
let tools: ExerciseTools;
beforeAll(async () => {
  // ESM, loaded at run time (the TypeScript config of the tests is CommonJS).
  tools = await import(pathToFileURL(path.join(__dirname, "..", "tools", "exercises", "notebook.mjs")).href);
});

/** The lines between `// BEGIN HIDDEN TESTS` and `// END HIDDEN TESTS` of a test cell, markers excluded. */
const hiddenLines = (c: Cell) =>
  [...text(c).matchAll(/BEGIN HIDDEN TESTS[^\n]*\n([\s\S]*?)\n[^\n]*END HIDDEN TESTS/g)]
    .flatMap((m) => m[1].split("\n"))
    .filter((l) => l.trim() !== "" && !l.trim().startsWith("//"));

describe("lesson notebooks", () => {
  it("are numbered lessons 00, 01, ... with no gaps", () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
    files.forEach((f, i) => expect(f.slice(0, 2)).toBe(String(i).padStart(2, "0")));
  });

  describe.each(files)("%s", (file) => {
    const nb = JSON.parse(readFileSync(path.join(dir, file), "utf8"));
    const cells: Cell[] = nb.cells;

    it("is nbformat 4 with the course kernel", () => {
      expect(nb.nbformat).toBe(4);
      expect(nb.metadata.kernelspec.name).toBe("tslab-rnn-course");
    });

    it("is committed without outputs (executed copies are build products)", () => {
      for (const c of cells.filter((c) => c.cell_type === "code")) {
        expect(c.outputs, text(c).slice(0, 60)).toEqual([]);
        expect(c.execution_count ?? null).toBeNull();
      }
    });

    it("opens with a markdown title", () => {
      expect(cells[0].cell_type).toBe("markdown");
      expect(text(cells[0])).toMatch(/^# \S/);
    });

    it("has one parameters cell declaring `let quick` and `let seed`", () => {
      const params = cells.filter((c) => c.metadata.tags?.includes("parameters"));
      expect(params).toHaveLength(1);
      expect(params[0].cell_type).toBe("code");
      expect(text(params[0])).toMatch(/\blet quick\s*=\s*false\b/);
      expect(text(params[0])).toMatch(/\blet seed\s*=\s*\d+/);
    });

    // Lesson 00 is the tour (it must have none); every lesson after it ends with exercises.
    const isTour = file.startsWith("00");
    it(isTour ? "is the tour and has no graded exercises" : "ends with at least two graded code exercises, each with points and hidden tests", () => {
      if (isTour) {
        expect(tools.describeExercises(nb, file).exercises).toEqual([]);
        return;
      }
      const info = tools.describeExercises(nb, file); // throws, naming the cell, if a cell breaks the convention
      expect(info.exercises.length, `${file}: graded code exercises`).toBeGreaterThanOrEqual(2);
      for (const ex of info.exercises) {
        expect(ex.name, "grade ids start with the lesson's number").toMatch(new RegExp(`^${file.slice(0, 2)}-`));
        expect(ex.points, `${ex.name}: points`).toBeGreaterThan(0);
        const hidden = ex.tests.flatMap((t) => hiddenLines(cells[t.index]));
        expect(hidden.length, `${ex.name}: checks between BEGIN HIDDEN TESTS and END HIDDEN TESTS`).toBeGreaterThan(0);
      }
      for (const a of info.answers) expect(a.gradeId).toMatch(new RegExp(`^${file.slice(0, 2)}-`));
    });

    it("builds a student edition: stubs for the solutions, visible tests only, no outputs", () => {
      const { nb: student, info } = tools.studentEdition(nb, file); // throws NotebookError if it cannot
      expect(student.cells).toHaveLength(cells.length);
      const all = student.cells.map(text).join("\n");
      expect(all).not.toMatch(/BEGIN SOLUTION|END SOLUTION|HIDDEN TESTS/);
      for (const ex of info.exercises) {
        const stub = text(student.cells[ex.solutionIndex]);
        expect(stub).toContain(`throw new Error("not implemented yet: ${ex.name}");`);
        // The signature stays, so the student edition still compiles: the first line of the solution cell is kept.
        expect(stub.split("\n")[0]).toBe(text(cells[ex.solutionIndex]).split("\n")[0]);
        for (const t of ex.tests) {
          expect(student.cells[t.index].metadata.nbgrader?.grade_id).toBe(t.gradeId);
          expect(hiddenLines(student.cells[t.index])).toEqual([]);
          expect(text(student.cells[t.index]).trim(), `${t.gradeId}: the visible tests stay`).not.toBe("");
        }
      }
      for (const a of info.answers) expect(text(student.cells[a.index])).not.toBe(text(cells[a.index]));
      for (const c of student.cells.filter((c) => c.cell_type === "code")) expect(c.outputs).toEqual([]);
    });
  });
});
