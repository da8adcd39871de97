// Exercise cells in the course notebooks, marked the way nbgrader marks them
// (docs/exercises.md is the authoring guide). Shared by `npm run student`
// (tools/exercises/student.mjs) and `npm run grade` (tools/exercises/grade.mjs).
//
// An exercise named E (a grade id, e.g. `01-bigram-counts`) is
//   - one code cell with nbgrader metadata {solution: true, grade: false,
//     grade_id: E, locked: false}: the student's cell. Its answer sits between
//     `// BEGIN SOLUTION` and `// END SOLUTION` lines, inside a function whose
//     signature stays outside the region;
//   - one or more code cells {grade: true, solution: false, locked: true,
//     grade_id: E-tests or E-tests-<part>, points: N}: the autograded tests,
//     visible ones first, hidden ones between `// BEGIN HIDDEN TESTS` and
//     `// END HIDDEN TESTS` lines.
// Open questions are markdown cells {solution: true, grade: true, points: N},
// graded by hand. Their model answer is the whole cell, or the part between
// lines containing BEGIN SOLUTION and END SOLUTION.
import { readFileSync } from "node:fs";
import path from "node:path";

export const BEGIN_SOLUTION = "BEGIN SOLUTION";
export const END_SOLUTION = "END SOLUTION";
export const BEGIN_HIDDEN = "BEGIN HIDDEN TESTS";
export const END_HIDDEN = "END HIDDEN TESTS";
export const ANSWER_STUB = "YOUR ANSWER HERE";
/** What replaces a solution region in the student edition (indented like the BEGIN line). */
export const codeStub = (gradeId) => [`// YOUR CODE HERE`, `throw new Error(${JSON.stringify(`not implemented yet: ${gradeId}`)});`];

const GRADE_ID = /^[A-Za-z0-9_-]+$/;
const TEST_ID = /^(.+?)-tests(?:-[A-Za-z0-9_-]+)?$/;
/** Submissions larger than this are not parsed (a notebook of exercises is a few hundred kB). */
export const MAX_NOTEBOOK_BYTES = 32 * 1024 * 1024;

export class NotebookError extends Error {}

export const sourceText = (cell) => [].concat(cell.source ?? []).join("");
/** nbformat's on-disk form of a source: a list of lines, each but the last ending in \n. */
export const sourceLines = (text) => (text === "" ? [] : text.split(/(?<=\n)/));
export const nbgraderOf = (cell) => {
  const m = cell?.metadata?.nbgrader;
  return m && typeof m === "object" && !Array.isArray(m) ? m : null;
};

/**
 * Parses notebook JSON that may come from anyone; throws NotebookError with a
 * message a student understands when it is not a usable nbformat-4 notebook.
 */
export function parseNotebook(text, label = "the notebook") {
  if (text.length > MAX_NOTEBOOK_BYTES) throw new NotebookError(`${label} is larger than ${MAX_NOTEBOOK_BYTES >> 20} MB`);
  let nb;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    throw new NotebookError(`${label} is not valid JSON (${e.message})`);
  }
  if (!nb || typeof nb !== "object" || Array.isArray(nb)) throw new NotebookError(`${label} is not a notebook (not a JSON object)`);
  if (nb.nbformat !== undefined && nb.nbformat !== 4) throw new NotebookError(`${label} is nbformat ${JSON.stringify(nb.nbformat)}, not 4`);
  if (!Array.isArray(nb.cells)) throw new NotebookError(`${label} is not a notebook (it has no list of cells)`);
  nb.cells.forEach((cell, i) => {
    const where = `${label}, cell ${i + 1}`;
    if (!cell || typeof cell !== "object" || Array.isArray(cell)) throw new NotebookError(`${where} is not an object`);
    if (!["code", "markdown", "raw"].includes(cell.cell_type)) throw new NotebookError(`${where} has cell_type ${JSON.stringify(cell.cell_type)}`);
    const src = cell.source ?? "";
    if (typeof src !== "string" && !(Array.isArray(src) && src.every((s) => typeof s === "string"))) {
      throw new NotebookError(`${where} has a source that is not text`);
    }
    if (cell.metadata !== undefined && (typeof cell.metadata !== "object" || cell.metadata === null || Array.isArray(cell.metadata))) {
      throw new NotebookError(`${where} has metadata that is not an object`);
    }
  });
  return nb;
}

export function readNotebook(file) {
  return parseNotebook(readFileSync(file, "utf8"), path.basename(file));
}

/** Kind of an nbgrader cell: solution | answer (markdown solution) | tests | locked | null. */
export function cellKind(cell) {
  const g = nbgraderOf(cell);
  if (!g) return null;
  if (g.solution === true) return cell.cell_type === "code" ? "solution" : "answer";
  if (g.grade === true) return "tests";
  if (g.locked === true) return "locked";
  return null;
}

/**
 * Finds marker regions in a cell's lines: [{begin, end}] line indices of the
 * marker lines. Throws NotebookError for unbalanced or nested markers.
 */
export function findRegions(lines, begin, end, where) {
  const regions = [];
  let open = null;
  lines.forEach((line, i) => {
    if (line.includes(begin)) {
      if (open !== null) throw new NotebookError(`${where}: '${begin}' on line ${i + 1} inside the region opened on line ${open + 1}`);
      open = i;
    } else if (line.includes(end)) {
      if (open === null) throw new NotebookError(`${where}: '${end}' on line ${i + 1} without a '${begin}' before it`);
      regions.push({ begin: open, end: i });
      open = null;
    }
  });
  if (open !== null) throw new NotebookError(`${where}: '${begin}' on line ${open + 1} is never closed by '${end}'`);
  return regions;
}

const linesOf = (cell) => sourceText(cell).split("\n");
const mentions = (cell, words) => words.some((w) => sourceText(cell).includes(w));

/**
 * Checks a source notebook against the convention and returns its exercises:
 * { exercises: [{name, solutionIndex, tests: [{gradeId, index, points}], points}],
 *   answers: [{gradeId, index, points|null}], locked: [{gradeId, index}] }.
 * Throws NotebookError listing every problem found.
 */
export function describeExercises(nb, label = "the notebook") {
  const problems = [];
  const seen = new Map();
  const solutions = new Map();
  const tests = [];
  const answers = [];
  const locked = [];
  nb.cells.forEach((cell, index) => {
    const where = `${label}, cell ${index + 1}`;
    const g = nbgraderOf(cell);
    const kind = cellKind(cell);
    if (g) {
      const id = g.grade_id;
      if (typeof id !== "string" || !GRADE_ID.test(id)) {
        problems.push(`${where}: nbgrader grade_id ${JSON.stringify(id)} must be letters, digits, '-' or '_'`);
        return;
      }
      if (seen.has(id)) problems.push(`${where}: grade_id '${id}' is used again (first in cell ${seen.get(id) + 1})`);
      seen.set(id, index);
      if (g.schema_version !== undefined && g.schema_version !== 3) problems.push(`${where}: nbgrader schema_version must be 3`);
    }
    // Markers belong in their own kind of cell, so that nothing is ever left behind.
    const solutionMarkers = mentions(cell, [BEGIN_SOLUTION, END_SOLUTION]);
    const hiddenMarkers = mentions(cell, [BEGIN_HIDDEN, END_HIDDEN]);
    if (hiddenMarkers && kind !== "tests") problems.push(`${where}: '${BEGIN_HIDDEN}' markers are only allowed in test cells (nbgrader grade: true, solution: false)`);
    if (solutionMarkers && kind !== "solution" && kind !== "answer") problems.push(`${where}: '${BEGIN_SOLUTION}' markers are only allowed in solution cells (nbgrader solution: true)`);
    try {
      if (kind === "solution") {
        if (g.grade === true) problems.push(`${where}: a code cell is either a solution (grade: false) or tests (solution: false); put the tests of '${g.grade_id}' in a cell '${g.grade_id}-tests'`);
        if (g.locked === true) problems.push(`${where}: the solution cell '${g.grade_id}' must not be locked (the student writes in it)`);
        const regions = findRegions(linesOf(cell), BEGIN_SOLUTION, END_SOLUTION, where);
        if (regions.length === 0) {
          problems.push(`${where}: the solution cell '${g.grade_id}' has no '// ${BEGIN_SOLUTION}' ... '// ${END_SOLUTION}' region (keep the function signature outside it)`);
        }
        solutions.set(g.grade_id, index);
      } else if (kind === "answer") {
        findRegions(linesOf(cell), BEGIN_SOLUTION, END_SOLUTION, where);
        // nbgrader rejects markdown solution cells that are not graded, and the reverse.
        if (g.grade !== true || !(typeof g.points === "number" && g.points > 0)) {
          problems.push(`${where}: the open question '${g.grade_id}' must be graded by hand: nbgrader grade: true with positive points`);
        }
        answers.push({ gradeId: g.grade_id, index, points: g.points });
      } else if (kind === "tests") {
        if (cell.cell_type !== "code") problems.push(`${where}: '${g.grade_id}' is a graded markdown cell: an open question is also a solution cell (nbgrader solution: true)`);
        if (g.locked !== true) problems.push(`${where}: the test cell '${g.grade_id}' must be locked (nbgrader locked: true)`);
        if (!(typeof g.points === "number" && Number.isFinite(g.points) && g.points > 0)) problems.push(`${where}: the test cell '${g.grade_id}' needs positive points`);
        findRegions(linesOf(cell), BEGIN_HIDDEN, END_HIDDEN, where);
        tests.push({ gradeId: g.grade_id, index, points: g.points });
      } else if (kind === "locked") {
        locked.push({ gradeId: g.grade_id, index });
      }
    } catch (e) {
      if (!(e instanceof NotebookError)) throw e;
      problems.push(e.message);
    }
  });
  const exercises = new Map();
  for (const t of tests) {
    const m = TEST_ID.exec(t.gradeId);
    const name = m && solutions.has(m[1]) ? m[1] : null;
    if (!name) {
      problems.push(`${label}: the test cell '${t.gradeId}' belongs to no exercise: name it <exercise>-tests or <exercise>-tests-<part>, where <exercise> is the grade_id of a solution cell`);
      continue;
    }
    if (t.index < solutions.get(name)) problems.push(`${label}: the test cell '${t.gradeId}' comes before its solution cell '${name}'`);
    if (!exercises.has(name)) exercises.set(name, { name, solutionIndex: solutions.get(name), tests: [], points: 0 });
    const ex = exercises.get(name);
    ex.tests.push(t);
    ex.points += Number(t.points) || 0;
  }
  for (const [name] of solutions) {
    if (!exercises.has(name)) problems.push(`${label}: the solution cell '${name}' has no test cell (name it '${name}-tests', nbgrader grade: true, points: N)`);
  }
  if (problems.length) throw new NotebookError(problems.join("\n"));
  return {
    exercises: [...exercises.values()].sort((a, b) => a.solutionIndex - b.solutionIndex),
    answers,
    locked,
  };
}

/** Replaces each marked region (markers included) by `stub(indent)` lines, or drops it when stub is null. */
function replaceRegions(text, begin, end, stub, where) {
  const lines = text.split("\n");
  const regions = findRegions(lines, begin, end, where);
  if (regions.length === 0) return { text, count: 0 };
  const out = [];
  let at = 0;
  for (const r of regions) {
    out.push(...lines.slice(at, r.begin));
    const indent = /^\s*/.exec(lines[r.begin])[0];
    if (stub) out.push(...stub.map((l) => indent + l));
    at = r.end + 1;
  }
  out.push(...lines.slice(at));
  return { text: out.join("\n"), count: regions.length };
}

/** The student's copy of one cell (cell is not modified). */
export function studentCell(cell, where) {
  const copy = JSON.parse(JSON.stringify(cell));
  const g = nbgraderOf(cell);
  const kind = cellKind(cell);
  let text = sourceText(cell);
  if (kind === "solution") {
    text = replaceRegions(text, BEGIN_SOLUTION, END_SOLUTION, codeStub(g.grade_id), where).text;
  } else if (kind === "answer") {
    const r = replaceRegions(text, BEGIN_SOLUTION, END_SOLUTION, [ANSWER_STUB], where);
    text = r.count ? r.text : ANSWER_STUB;
  } else if (kind === "tests") {
    text = replaceRegions(text, BEGIN_HIDDEN, END_HIDDEN, null, where).text.replace(/\n{3,}/g, "\n\n").replace(/\n+$/, "");
  }
  copy.source = sourceLines(text);
  if (copy.cell_type === "code") {
    copy.outputs = [];
    copy.execution_count = null;
  }
  if (copy.metadata) {
    delete copy.metadata.execution;
    delete copy.metadata.collapsed;
    delete copy.metadata.scrolled;
  }
  return copy;
}

/**
 * The student edition of a source notebook: solutions replaced by stubs,
 * hidden tests removed, visible tests kept, outputs cleared. Validates the
 * source first and checks afterwards that no marker and no solution is left.
 */
export function studentEdition(nb, label = "the notebook") {
  const info = describeExercises(nb, label);
  const out = JSON.parse(JSON.stringify(nb));
  out.cells = nb.cells.map((cell, i) => studentCell(cell, `${label}, cell ${i + 1}`));
  for (const [i, cell] of out.cells.entries()) {
    if (mentions(cell, [BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN])) {
      throw new NotebookError(`${label}, cell ${i + 1}: a marker is left in the student edition (this is a bug of the tool)`);
    }
  }
  return { nb: out, info };
}

/** Serialises like nbformat (indent 1, trailing newline). */
export function formatNotebook(nb) {
  return JSON.stringify(nb, null, 1) + "\n";
}

const PARAMETER_DECLARATION = /\b(?:let|var)\s+([A-Za-z_$][\w$]*)/g;

/**
 * The notebook the grader executes for one submission: the student's cells in
 * the student's order, with every locked cell of the source (the test cells,
 * hidden tests included) put back by grade_id; a test cell the student
 * deleted is put back after the exercise's solution cell. The student's own
 * outputs and metadata other than tags and nbgrader are dropped.
 *
 * `marker` is appended to each test cell as a final console.log: the grader
 * counts a test as passed only when the kernel reports success AND the cell
 * printed it, i.e. ran to its last line.
 * `params` ({name: value}) are assigned in a cell right after the cell tagged
 * `parameters`, for the names it declares (e.g. quick = true).
 *
 * Returns { nb, tests: [{gradeId, exercise, points, index, restored}],
 *           exercises: [{name, points, solutionIndex|null}], answers, notes }.
 */
export function gradingNotebook(source, info, submission, { marker, params = {} }) {
  const notes = [];
  const cells = submission.cells.map((c) => {
    const meta = {};
    if (Array.isArray(c.metadata?.tags)) meta.tags = c.metadata.tags.filter((t) => typeof t === "string");
    const g = nbgraderOf(c);
    if (g) meta.nbgrader = g;
    const cell = { cell_type: c.cell_type, metadata: meta, source: sourceText(c) };
    if (c.cell_type === "code") Object.assign(cell, { outputs: [], execution_count: null });
    return cell;
  });
  const gradeIdOf = (c) => (typeof nbgraderOf(c)?.grade_id === "string" ? nbgraderOf(c).grade_id : null);
  const find = (id) => cells.findIndex((c) => gradeIdOf(c) === id);
  const fromSource = (index) => {
    const s = source.cells[index];
    return { cell_type: s.cell_type, metadata: { nbgrader: nbgraderOf(s) }, source: sourceText(s), ...(s.cell_type === "code" ? { outputs: [], execution_count: null } : {}) };
  };
  // Locked cells that are not tests (read-only instructions) are restored when present.
  for (const l of info.locked) {
    const at = find(l.gradeId);
    if (at >= 0) cells[at] = fromSource(l.index);
  }
  const testCells = new Map(); // grade id -> cell object (indices shift as cells are inserted)
  for (const ex of info.exercises) {
    const solutionAt = find(ex.name);
    if (solutionAt >= 0 && cells[solutionAt].cell_type !== "code") cells[solutionAt].cell_type = "code";
    for (const t of ex.tests) {
      const cell = fromSource(t.index);
      cell.source = `${cell.source.replace(/\s+$/, "")}\n;console.log(${JSON.stringify(marker)});`;
      let at = find(t.gradeId);
      if (at >= 0) {
        cells[at] = cell;
      } else {
        const previous = ex.tests.slice(0, ex.tests.indexOf(t)).map((p) => testCells.get(p.gradeId)).filter(Boolean).pop();
        const after = previous ? cells.indexOf(previous) : find(ex.name);
        at = after >= 0 ? after + 1 : cells.length;
        cells.splice(at, 0, cell);
        cell.restored = true;
        notes.push(`the test cell '${t.gradeId}' was missing; it was put back ${after >= 0 ? "after its exercise's cells" : "at the end"}`);
      }
      testCells.set(t.gradeId, cell);
    }
  }
  // Parameter overrides, after the student's parameters cell (if it is still there).
  const names = Object.keys(params);
  if (names.length) {
    const p = cells.findIndex((c) => c.cell_type === "code" && c.metadata.tags?.includes("parameters"));
    if (p >= 0) {
      const declared = new Set([...cells[p].source.matchAll(PARAMETER_DECLARATION)].map((m) => m[1]));
      const lines = names.filter((n) => declared.has(n)).map((n) => `${n} = ${JSON.stringify(params[n])};`);
      if (lines.length) {
        cells.splice(p + 1, 0, {
          cell_type: "code",
          metadata: { tags: ["injected-parameters"] },
          source: ["// Injected by the grader.", ...lines, "void 0;"].join("\n"),
          outputs: [],
          execution_count: null,
        });
      }
    }
  }
  const tests = [];
  const exercises = info.exercises.map((ex) => {
    const solutionIndex = find(ex.name);
    for (const t of ex.tests) {
      const cell = testCells.get(t.gradeId);
      tests.push({ gradeId: t.gradeId, exercise: ex.name, points: t.points, index: cells.indexOf(cell), restored: !!cell.restored });
    }
    return { name: ex.name, points: ex.points, solutionIndex: solutionIndex >= 0 ? solutionIndex : null };
  });
  const answers = info.answers.map((a) => {
    const at = find(a.gradeId);
    return { gradeId: a.gradeId, points: a.points, answer: at >= 0 ? cells[at].source : null };
  });
  for (const c of cells) delete c.restored;
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: source.metadata?.kernelspec ?? {}, language_info: source.metadata?.language_info ?? {} },
    cells: cells.map((c, i) => ({ id: `cell-${i}`, ...c })),
  };
  return { nb, tests, exercises, answers, notes };
}
