// `npm run lab` (tools/lab.mjs): the student's own copies of the lessons
// (made on first use, never overwritten, reset, updated with the course's
// changes by a cell-wise three-way merge that reports conflicts and drops
// nothing), the lesson list the tools read (tools/lessons.mjs), and the
// command line that starts Jupyter (--allow-root as root, extra arguments
// passed through).
import { describe, it, expect, beforeEach, afterAll } from "vitest";
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  makeCopies, resetLesson, updateLessons, mergeNotebooks, jupyterArgs, parseLabArgs, lessonNamed, installPlotly, CONFLICT_TAG, LabError,
} from "../tools/lab.mjs";
import { courseLessons, LessonListError } from "../tools/lessons.mjs";
import { sourceText, tagsOf, type Cell, type Notebook } from "../tools/notebooks.mjs";

const tmp = mkdtempSync(path.join(tmpdir(), "rnn-lab-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const md = (id: string, text: string): Cell => ({ cell_type: "markdown", id, metadata: {}, source: text });
const code = (id: string, text: string): Cell => ({ cell_type: "code", id, metadata: {}, source: text, outputs: [], execution_count: null });
const notebook = (cells: Cell[]): Notebook => ({ nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: "k" } }, cells });
const write = (file: string, nb: Notebook) => writeFileSync(file, JSON.stringify(nb, null, 1) + "\n");
const read = (file: string): Notebook => JSON.parse(readFileSync(file, "utf8"));
const sources = (nb: Notebook) => nb.cells.map(sourceText);

/** Lesson 00 as the course first had it: five cells. */
const lesson0 = () => notebook([md("t", "# Title"), code("p", "let quick = false;"), md("m", "Some math."), code("x", "f(1)"), md("e", "The end.")]);

let n = 0;
let f: { source: string; work: string };
beforeEach(() => {
  const dir = path.join(tmp, `case-${++n}`);
  f = { source: path.join(dir, "notebooks"), work: path.join(dir, "my-notebooks") };
  mkdirSync(f.source, { recursive: true });
  write(path.join(f.source, "00-tour.ipynb"), lesson0());
  write(path.join(f.source, "01-next.ipynb"), notebook([md("t", "# One")]));
  write(path.join(f.source, "Untitled.ipynb"), notebook([code("s", "scratch")]));
  write(path.join(f.source, "00-tour-Copy1.ipynb"), notebook([code("s", "a copy Jupyter made")]));
});

/** The student's copy of lesson 00 after editing it: `edit` changes the cells in place. */
function studentEdits(edit: (cells: Cell[]) => void) {
  const file = path.join(f.work, "00-tour.ipynb");
  const nb = read(file);
  edit(nb.cells);
  write(file, nb);
}

/** The course's new version of lesson 00. */
function courseChanges(edit: (cells: Cell[]) => void) {
  const nb = lesson0();
  edit(nb.cells);
  write(path.join(f.source, "00-tour.ipynb"), nb);
}

describe("the lessons of a folder", () => {
  it("are the NN-short-title notebooks in number order; scratch notebooks and Jupyter's copies are not lessons", () => {
    expect(courseLessons(f.source)).toEqual({ lessons: ["00-tour.ipynb", "01-next.ipynb"], others: ["00-tour-Copy1.ipynb", "Untitled.ipynb"] });
  });

  it("refuses two lessons with one number, naming both", () => {
    write(path.join(f.source, "01-other.ipynb"), notebook([]));
    expect(() => courseLessons(f.source)).toThrow(LessonListError);
    expect(() => courseLessons(f.source)).toThrow(/01-next\.ipynb and 01-other\.ipynb/);
  });

  it("are named on the command line by a prefix of their file name", () => {
    expect(lessonNamed(f.source, "01")).toBe("01-next.ipynb");
    expect(() => lessonNamed(f.source, "0")).toThrow(/'0' matches several lessons: 00-tour\.ipynb, 01-next\.ipynb/);
    expect(() => lessonNamed(f.source, "Untitled")).toThrow(/'Untitled' matches no lesson; the lessons are: 00-tour\.ipynb, 01-next\.ipynb/);
  });
});

describe("the student's copies", () => {
  it("are made on first use from the course's lessons only, byte for byte", () => {
    expect(makeCopies(f)).toEqual({ created: ["00-tour.ipynb", "01-next.ipynb"], changed: [] });
    expect(readdirSync(f.work).filter((x) => x.endsWith(".ipynb")).sort()).toEqual(["00-tour.ipynb", "01-next.ipynb"]);
    for (const name of ["00-tour.ipynb", "01-next.ipynb"]) {
      expect(readFileSync(path.join(f.work, name), "utf8")).toBe(readFileSync(path.join(f.source, name), "utf8"));
    }
  });

  it("are never overwritten: a saved edit survives the next start, also after the course changed", () => {
    makeCopies(f);
    studentEdits((cells) => (cells[1].source = "let quick = true;"));
    const saved = readFileSync(path.join(f.work, "00-tour.ipynb"), "utf8");
    expect(makeCopies(f)).toEqual({ created: [], changed: [] });
    courseChanges((cells) => (cells[2].source = "Better math."));
    expect(makeCopies(f)).toEqual({ created: [], changed: ["00-tour.ipynb"] });
    expect(readFileSync(path.join(f.work, "00-tour.ipynb"), "utf8")).toBe(saved);
  });

  it("reset puts one lesson back as the course has it and keeps the student's copy in backups/", () => {
    makeCopies(f);
    studentEdits((cells) => (cells[3].source = "f(2) // my try"));
    const mine = readFileSync(path.join(f.work, "00-tour.ipynb"), "utf8");
    const backup = resetLesson(f, "00-tour.ipynb", new Date("2026-01-02T03:04:05Z"));
    expect(backup).toBe(path.join(f.work, "backups", "00-tour.2026-01-02T03-04-05.ipynb"));
    expect(readFileSync(backup!, "utf8")).toBe(mine);
    expect(readFileSync(path.join(f.work, "00-tour.ipynb"), "utf8")).toBe(readFileSync(path.join(f.source, "00-tour.ipynb"), "utf8"));
    // A second reset in the same second does not overwrite the first backup.
    expect(resetLesson(f, "00-tour.ipynb", new Date("2026-01-02T03:04:05Z"))).toBe(path.join(f.work, "backups", "00-tour.2026-01-02T03-04-05-2.ipynb"));
    expect(readFileSync(backup!, "utf8")).toBe(mine);
  });
});

describe("update", () => {
  it("leaves copies alone when the course did not change, and makes the copy of a new lesson", () => {
    makeCopies(f);
    studentEdits((cells) => (cells[1].source = "let quick = true;"));
    write(path.join(f.source, "02-new.ipynb"), notebook([md("t", "# Two")]));
    expect(updateLessons(f).map((r) => [r.name, r.status])).toEqual([["00-tour.ipynb", "current"], ["01-next.ipynb", "current"], ["02-new.ipynb", "new"]]);
    expect(sources(read(path.join(f.work, "00-tour.ipynb")))[1]).toBe("let quick = true;");
    expect(existsSync(path.join(f.work, "backups"))).toBe(false);
  });

  it("replaces a copy the student did not change (outputs of a run do not count as a change)", () => {
    makeCopies(f);
    studentEdits((cells) => (cells[3].outputs = [{ output_type: "stream", name: "stdout", text: "1\n" }]));
    courseChanges((cells) => cells.splice(3, 0, code("y", "g(2)")));
    const [r] = updateLessons(f);
    expect(r.status).toBe("updated");
    expect(readFileSync(path.join(f.work, "00-tour.ipynb"), "utf8")).toBe(readFileSync(path.join(f.source, "00-tour.ipynb"), "utf8"));
    expect(read(r.backup!).cells[3].outputs).toEqual([{ output_type: "stream", name: "stdout", text: "1\n" }]);
    expect(updateLessons(f)[0].status).toBe("current");
  });

  it("merges changes to different cells, keeping the student's cells with their outputs", () => {
    makeCopies(f);
    studentEdits((cells) => {
      cells[1].source = "let quick = true;";
      cells[3].outputs = [{ output_type: "stream", name: "stdout", text: "1\n" }];
      cells.push(md("n", "My notes."));
    });
    courseChanges((cells) => {
      cells[2].source = "Better math.";
      cells.splice(4, 0, code("y", "g(2)"));
    });
    const [r] = updateLessons(f);
    expect(r.status).toBe("merged");
    expect(r.conflicts).toEqual([]);
    const merged = read(path.join(f.work, "00-tour.ipynb"));
    expect(sources(merged)).toEqual(["# Title", "let quick = true;", "Better math.", "f(1)", "g(2)", "The end.", "My notes."]);
    expect(merged.cells[3].outputs).toEqual([{ output_type: "stream", name: "stdout", text: "1\n" }]);
    expect(sources(read(r.backup!))).toEqual(["# Title", "let quick = true;", "Some math.", "f(1)", "The end.", "My notes."]);
    // The next update finds the copy current, and the student's edits are still there.
    expect(updateLessons(f)[0].status).toBe("current");
    expect(sources(read(path.join(f.work, "00-tour.ipynb")))[1]).toBe("let quick = true;");
  });

  it("reports a conflict when both changed the same cell, and keeps both versions between notes", () => {
    makeCopies(f);
    studentEdits((cells) => (cells[3].source = "f(1) + 1 // mine"));
    courseChanges((cells) => (cells[3].source = "f(10)"));
    const [r] = updateLessons(f);
    expect(r.status).toBe("conflict");
    const merged = read(path.join(f.work, "00-tour.ipynb"));
    expect(sources(merged).map((s, i) => (tagsOf(merged.cells[i]).includes(CONFLICT_TAG) ? "NOTE" : s))).toEqual([
      "# Title", "let quick = false;", "Some math.", "NOTE", "f(1) + 1 // mine", "NOTE", "f(10)", "The end.",
    ]);
    expect(r.conflicts).toEqual([{ mine: { start: 4, end: 5 }, course: { start: 6, end: 7 } }]);
    const ids = merged.cells.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(sources(read(r.backup!))[3]).toBe("f(1) + 1 // mine");
  });

  it("keeps a cell the student changed and the course removed, as a conflict", () => {
    makeCopies(f);
    studentEdits((cells) => (cells[2].source = "Some math, with my derivation."));
    courseChanges((cells) => cells.splice(2, 1));
    const [r] = updateLessons(f);
    expect(r.status).toBe("conflict");
    const merged = read(path.join(f.work, "00-tour.ipynb"));
    expect(sources(merged).filter((_, i) => !tagsOf(merged.cells[i]).includes(CONFLICT_TAG))).toEqual([
      "# Title", "let quick = false;", "Some math, with my derivation.", "f(1)", "The end.",
    ]);
    expect(r.conflicts).toEqual([{ mine: { start: 3, end: 4 }, course: { start: 4, end: 4 } }]);
  });

  it("pairs cells by content where the student's Notebook dropped their ids, and merges neighbouring edits cell by cell", () => {
    const base = lesson0();
    const mine = lesson0();
    mine.cells.forEach((c) => delete c.id);
    mine.cells[1].source = "let quick = true;";
    const course = lesson0();
    course.cells[2].source = "Better math.";
    course.cells.push(md("z", "Further reading."));
    const { nb, conflicts } = mergeNotebooks(base, mine, course);
    expect(conflicts).toEqual([]);
    expect(sources(nb)).toEqual(["# Title", "let quick = true;", "Better math.", "f(1)", "The end.", "Further reading."]);
  });

  it("merges the same change made on both sides without a conflict", () => {
    const base = lesson0();
    const both = lesson0();
    both.cells[2].source = "Fixed typo.";
    const { nb, conflicts } = mergeNotebooks(base, both, structuredClone(both));
    expect(conflicts).toEqual([]);
    expect(sources(nb)).toEqual(sources(both));
  });
});

describe("starting Jupyter", () => {
  it("passes --allow-root only as root, once, and the extra arguments after it unchanged", () => {
    expect(jupyterArgs({ app: "notebook", dir: "/d", uid: 0, extra: ["--port", "8890"] })).toEqual(["-m", "notebook", "--notebook-dir=/d", "--allow-root", "--port", "8890"]);
    expect(jupyterArgs({ app: "jupyterlab", dir: "/d", uid: 1000, extra: ["--port", "8890"] })).toEqual(["-m", "jupyterlab", "--notebook-dir=/d", "--port", "8890"]);
    expect(jupyterArgs({ app: "notebook", dir: "/d", uid: 0, extra: ["--allow-root"] })).toEqual(["-m", "notebook", "--notebook-dir=/d", "--allow-root"]);
    expect(jupyterArgs({ app: "notebook", dir: "/d", uid: null, extra: [] })).toEqual(["-m", "notebook", "--notebook-dir=/d"]);
  });

  it("tells its own options and commands from Jupyter's", () => {
    expect(parseLabArgs(["--port", "8890", "--authors", "--no-browser"])).toEqual({ command: null, extra: ["--port", "8890", "--no-browser"], authors: true, classic: false, help: false });
    expect(parseLabArgs(["reset", "02", "03"])).toMatchObject({ command: "reset", extra: ["02", "03"] });
    expect(parseLabArgs(["--classic"])).toMatchObject({ command: null, classic: true, extra: [] });
    expect(() => parseLabArgs(["reset"])).toThrow(/reset needs the lesson/);
    expect(() => parseLabArgs(["update", "02"])).toThrow(LabError);
    expect(() => parseLabArgs(["update", "--authors"])).toThrow(/--authors opens notebooks\//);
  });

  it("puts plotly.js where Jupyter serves it, copying only when missing or different", () => {
    const library = path.join(tmp, "plotly.min.js");
    writeFileSync(library, "window.Plotly = {};");
    const data = path.join(tmp, "jupyter-data");
    const assets = [{ file: "nbextensions/x/plotly.min.js" }, { file: "labextensions/x/static/plotly.min.js" }];
    installPlotly(assets, library, data);
    for (const a of assets) expect(readFileSync(path.join(data, a.file), "utf8")).toBe("window.Plotly = {};");
    const before = statSync(path.join(data, assets[0].file)).mtimeMs;
    installPlotly(assets, library, data);
    expect(statSync(path.join(data, assets[0].file)).mtimeMs).toBe(before);
    writeFileSync(library, "window.Plotly = { version: 2 };");
    installPlotly(assets, library, data);
    expect(readFileSync(path.join(data, assets[1].file), "utf8")).toBe("window.Plotly = { version: 2 };");
  });
});
