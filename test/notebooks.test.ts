// The conventions every lesson notebook follows, checked on the committed
// sources (the runner and the student tools rely on them), and the exercises
// every lesson from 01 on ends with (docs/exercises.md).
// The notebooks are read by the tools' own reader (tools/notebooks.mjs), and
// the exercises described by tools/exercises/notebook.mjs (shared by `npm run
// student` and `npm run grade`): their JSDoc types reach this file (allowJs).
import { describe, it, expect } from "vitest";
import { existsSync, readFileSync, readdirSync } from "fs";
import path from "path";
import { readNotebook, sourceText as text, tagsOf, parseNotebook, NotebookError, type Cell } from "../tools/notebooks.mjs";
import * as tools from "../tools/exercises/notebook.mjs";
import { KERNEL_NAME, KERNEL_DISPLAY_NAME } from "../lib/src/constants";

const ROOT = path.join(__dirname, "..");
const dir = path.join(ROOT, "notebooks");
const files = readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort();

/** The lines between `// BEGIN HIDDEN TESTS` and `// END HIDDEN TESTS` of a test cell, markers excluded. */
const hiddenLines = (c: Cell) =>
  [...text(c).matchAll(/BEGIN HIDDEN TESTS[^\n]*\n([\s\S]*?)\n[^\n]*END HIDDEN TESTS/g)]
    .flatMap((m) => m[1].split("\n"))
    .filter((l) => l.trim() !== "" && !l.trim().startsWith("//"));

describe("the course kernel", () => {
  it("is registered under the library's KERNEL_NAME, with its display name", () => {
    const spec = path.join(ROOT, "jupyter", "kernels", KERNEL_NAME, "kernel.json");
    expect(existsSync(spec), spec).toBe(true);
    expect(JSON.parse(readFileSync(spec, "utf8")).display_name).toBe(KERNEL_DISPLAY_NAME);
  });
});

describe("the notebook reader", () => {
  it("joins a cell's source whether stored as one string or as lines", () => {
    expect(text({ cell_type: "code", source: ["let a = 1;\n", "a"] })).toBe("let a = 1;\na");
    expect(text({ cell_type: "code", source: "let a = 1;\na" })).toBe("let a = 1;\na");
  });

  it("rejects what is not an nbformat-4 notebook, naming the file and the cell", () => {
    expect(() => parseNotebook("{", "x.ipynb")).toThrow(/x\.ipynb is not valid JSON/);
    expect(() => parseNotebook(JSON.stringify({ nbformat: 3, cells: [] }), "x.ipynb")).toThrow(/x\.ipynb is nbformat 3, not 4/);
    const badCell = { nbformat: 4, cells: [{ cell_type: "markdown", source: "ok" }, { cell_type: "code", source: [1] }] };
    expect(() => parseNotebook(JSON.stringify(badCell), "x.ipynb")).toThrow(NotebookError);
    expect(() => parseNotebook(JSON.stringify(badCell), "x.ipynb")).toThrow(/x\.ipynb, cell 2 has a source that is not text/);
    const badOutput = { nbformat: 4, cells: [{ cell_type: "code", source: "", outputs: [{ data: {} }] }] };
    expect(() => parseNotebook(JSON.stringify(badOutput), "x.ipynb")).toThrow(/cell 1 has an output that is not an nbformat output/);
  });
});

describe("lesson notebooks", () => {
  it("are numbered lessons 00, 01, ... with no gaps", () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
    files.forEach((f, i) => expect(f.slice(0, 2)).toBe(String(i).padStart(2, "0")));
  });

  describe.each(files)("%s", (file) => {
    const nb = readNotebook(path.join(dir, file)); // throws, naming the cell, unless it is a usable nbformat-4 notebook
    const cells: Cell[] = nb.cells;

    it("is nbformat 4 with the course kernel", () => {
      expect(nb.nbformat).toBe(4);
      expect(nb.metadata?.kernelspec).toMatchObject({ name: KERNEL_NAME });
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
      const params = cells.filter((c) => tagsOf(c).includes("parameters"));
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
          expect(tools.nbgraderOf(student.cells[t.index])?.grade_id).toBe(t.gradeId);
          expect(hiddenLines(student.cells[t.index])).toEqual([]);
          expect(text(student.cells[t.index]).trim(), `${t.gradeId}: the visible tests stay`).not.toBe("");
        }
      }
      for (const a of info.answers) expect(text(student.cells[a.index])).not.toBe(text(cells[a.index]));
      for (const c of student.cells.filter((c) => c.cell_type === "code")) expect(c.outputs).toEqual([]);
    });
  });
});
