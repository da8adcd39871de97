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
import { createRequire } from "node:module";
import { NotebookError, sourceText, sourceLines, tagsOf, isObject } from "../notebooks.mjs";
import { recorderSource } from "./replay.mjs";

/**
 * @typedef {import("../notebooks.mjs").Cell} Cell
 * @typedef {import("../notebooks.mjs").Notebook} Notebook
 * @typedef {import("../notebooks.mjs").JsonObject} JsonObject
 */

export const BEGIN_SOLUTION = "BEGIN SOLUTION";
export const END_SOLUTION = "END SOLUTION";
export const BEGIN_HIDDEN = "BEGIN HIDDEN TESTS";
export const END_HIDDEN = "END HIDDEN TESTS";
export const ANSWER_STUB = "YOUR ANSWER HERE";
/**
 * What replaces a solution region in the student edition (indented like the BEGIN line).
 * @param {string} gradeId
 */
export const codeStub = (gradeId) => [`// YOUR CODE HERE`, `throw new Error(${JSON.stringify(`not implemented yet: ${gradeId}`)});`];

const GRADE_ID = /^[A-Za-z0-9_-]+$/;
const TEST_ID = /^(.+?)-tests(?:-[A-Za-z0-9_-]+)?$/;

/**
 * A cell's nbgrader metadata, or null (its fields are as the notebook has them: check their types).
 * @param {Cell | undefined} cell
 */
export const nbgraderOf = (cell) => {
  const m = cell?.metadata?.nbgrader;
  return isObject(m) ? m : null;
};

/**
 * The grade id of an nbgrader cell, when it is a string.
 * @param {Cell} cell
 */
const gradeIdOf = (cell) => {
  const id = nbgraderOf(cell)?.grade_id;
  return typeof id === "string" ? id : null;
};

/** @typedef {"solution" | "answer" | "tests" | "locked"} CellKind */

/**
 * Kind of an nbgrader cell: solution | answer (markdown solution) | tests | locked | null.
 * @param {Cell} cell
 * @returns {CellKind | null}
 */
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
 * @param {string[]} lines @param {string} begin @param {string} end @param {string} where
 * @returns {{ begin: number, end: number }[]}
 */
export function findRegions(lines, begin, end, where) {
  /** @type {{ begin: number, end: number }[]} */
  const regions = [];
  /** @type {number | null} */
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

/** @param {Cell} cell */
const linesOf = (cell) => sourceText(cell).split("\n");
/**
 * @param {Cell} cell
 * @param {string[]} words
 */
const mentions = (cell, words) => words.some((w) => sourceText(cell).includes(w));
/**
 * A deep copy of JSON data.
 * @template T
 * @param {T} x
 * @returns {T}
 */
const cloneJson = (x) => JSON.parse(JSON.stringify(x));

/**
 * @typedef {{ gradeId: string, index: number, points: number }} TestCellInfo
 * @typedef {{ name: string, solutionIndex: number, tests: TestCellInfo[], points: number }} ExerciseInfo
 * @typedef {{ gradeId: string, index: number, points: number }} AnswerInfo
 * @typedef {{ exercises: ExerciseInfo[], answers: AnswerInfo[], locked: { gradeId: string, index: number }[] }} ExercisesInfo
 */

/**
 * Checks a source notebook against the convention and returns its exercises
 * (sorted by their solution cell), open questions and other locked cells.
 * Throws NotebookError listing every problem found.
 * @param {Notebook} nb
 * @returns {ExercisesInfo}
 */
export function describeExercises(nb, label = "the notebook") {
  /** @type {string[]} */
  const problems = [];
  /** @type {Map<string, number>} grade id -> index of the cell that has it first */
  const seen = new Map();
  /** @type {Map<string, number>} exercise -> index of its solution cell */
  const solutions = new Map();
  /** @type {TestCellInfo[]} */
  const tests = [];
  /** @type {AnswerInfo[]} */
  const answers = [];
  /** @type {ExercisesInfo["locked"]} */
  const locked = [];
  nb.cells.forEach((cell, index) => {
    const where = `${label}, cell ${index + 1}`;
    const g = nbgraderOf(cell);
    const kind = cellKind(cell);
    let id = "";
    if (g) {
      const gradeId = g.grade_id;
      if (typeof gradeId !== "string" || !GRADE_ID.test(gradeId)) {
        problems.push(`${where}: nbgrader grade_id ${JSON.stringify(gradeId)} must be letters, digits, '-' or '_'`);
        return;
      }
      id = gradeId;
      const first = seen.get(id);
      if (first !== undefined) problems.push(`${where}: grade_id '${id}' is used again (first in cell ${first + 1})`);
      seen.set(id, index);
      if (g.schema_version !== undefined && g.schema_version !== 3) problems.push(`${where}: nbgrader schema_version must be 3`);
    }
    // Markers belong in their own kind of cell, so that nothing is ever left behind.
    const solutionMarkers = mentions(cell, [BEGIN_SOLUTION, END_SOLUTION]);
    const hiddenMarkers = mentions(cell, [BEGIN_HIDDEN, END_HIDDEN]);
    if (hiddenMarkers && kind !== "tests") problems.push(`${where}: '${BEGIN_HIDDEN}' markers are only allowed in test cells (nbgrader grade: true, solution: false)`);
    if (solutionMarkers && kind !== "solution" && kind !== "answer") problems.push(`${where}: '${BEGIN_SOLUTION}' markers are only allowed in solution cells (nbgrader solution: true)`);
    if (!g) return;
    // Wrong points are reported as problems, which makes the whole call throw; 0 only keeps the records typed.
    const points = typeof g.points === "number" ? g.points : 0;
    try {
      if (kind === "solution") {
        if (g.grade === true) problems.push(`${where}: a code cell is either a solution (grade: false) or tests (solution: false); put the tests of '${id}' in a cell '${id}-tests'`);
        if (g.locked === true) problems.push(`${where}: the solution cell '${id}' must not be locked (the student writes in it)`);
        const regions = findRegions(linesOf(cell), BEGIN_SOLUTION, END_SOLUTION, where);
        if (regions.length === 0) {
          problems.push(`${where}: the solution cell '${id}' has no '// ${BEGIN_SOLUTION}' ... '// ${END_SOLUTION}' region (keep the function signature outside it)`);
        }
        solutions.set(id, index);
      } else if (kind === "answer") {
        findRegions(linesOf(cell), BEGIN_SOLUTION, END_SOLUTION, where);
        // nbgrader rejects markdown solution cells that are not graded, and the reverse.
        if (g.grade !== true || !(points > 0)) {
          problems.push(`${where}: the open question '${id}' must be graded by hand: nbgrader grade: true with positive points`);
        }
        answers.push({ gradeId: id, index, points });
      } else if (kind === "tests") {
        if (cell.cell_type !== "code") problems.push(`${where}: '${id}' is a graded markdown cell: an open question is also a solution cell (nbgrader solution: true)`);
        if (g.locked !== true) problems.push(`${where}: the test cell '${id}' must be locked (nbgrader locked: true)`);
        if (!(Number.isFinite(points) && points > 0)) problems.push(`${where}: the test cell '${id}' needs positive points`);
        findRegions(linesOf(cell), BEGIN_HIDDEN, END_HIDDEN, where);
        tests.push({ gradeId: id, index, points });
      } else if (kind === "locked") {
        locked.push({ gradeId: id, index });
      }
    } catch (e) {
      if (!(e instanceof NotebookError)) throw e;
      problems.push(e.message);
    }
  });
  /** @type {Map<string, ExerciseInfo>} */
  const exercises = new Map();
  for (const t of tests) {
    const m = TEST_ID.exec(t.gradeId);
    const name = m?.[1];
    const solutionIndex = name === undefined ? undefined : solutions.get(name);
    if (name === undefined || solutionIndex === undefined) {
      problems.push(`${label}: the test cell '${t.gradeId}' belongs to no exercise: name it <exercise>-tests or <exercise>-tests-<part>, where <exercise> is the grade_id of a solution cell`);
      continue;
    }
    if (t.index < solutionIndex) problems.push(`${label}: the test cell '${t.gradeId}' comes before its solution cell '${name}'`);
    let ex = exercises.get(name);
    if (!ex) exercises.set(name, (ex = { name, solutionIndex, tests: [], points: 0 }));
    ex.tests.push(t);
    ex.points += t.points;
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

/**
 * Replaces each marked region (markers included) by the `stub` lines (indented
 * like the BEGIN line), or drops it when stub is null.
 * @param {string} text @param {string} begin @param {string} end @param {string[] | null} stub @param {string} where
 */
function replaceRegions(text, begin, end, stub, where) {
  const lines = text.split("\n");
  const regions = findRegions(lines, begin, end, where);
  if (regions.length === 0) return { text, count: 0 };
  /** @type {string[]} */
  const out = [];
  let at = 0;
  for (const r of regions) {
    out.push(...lines.slice(at, r.begin));
    const line = lines[r.begin];
    const indent = line.slice(0, line.length - line.trimStart().length);
    if (stub) out.push(...stub.map((l) => indent + l));
    at = r.end + 1;
  }
  out.push(...lines.slice(at));
  return { text: out.join("\n"), count: regions.length };
}

/**
 * The student's copy of one cell (cell is not modified).
 * @param {Cell} cell
 * @param {string} where
 * @returns {Cell}
 */
export function studentCell(cell, where) {
  const copy = cloneJson(cell);
  const kind = cellKind(cell);
  let text = sourceText(cell);
  if (kind === "solution") {
    text = replaceRegions(text, BEGIN_SOLUTION, END_SOLUTION, codeStub(String(nbgraderOf(cell)?.grade_id)), where).text;
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
 * @param {Notebook} nb
 * @returns {{ nb: Notebook, info: ExercisesInfo }}
 */
export function studentEdition(nb, label = "the notebook") {
  const info = describeExercises(nb, label);
  const out = cloneJson(nb);
  out.cells = nb.cells.map((cell, i) => studentCell(cell, `${label}, cell ${i + 1}`));
  for (const [i, cell] of out.cells.entries()) {
    if (mentions(cell, [BEGIN_SOLUTION, END_SOLUTION, BEGIN_HIDDEN, END_HIDDEN])) {
      throw new NotebookError(`${label}, cell ${i + 1}: a marker is left in the student edition (this is a bug of the tool)`);
    }
  }
  return { nb: out, info };
}

const PARAMETER_DECLARATION = /\b(?:let|var)\s+([A-Za-z_$][\w$]*)/g;

const requireHere = createRequire(import.meta.url);
/** @type {typeof import("typescript") | null} */
let tsModule = null;
/** TypeScript's parser, loaded when the grader first needs it (`npm run student` does not). */
const typescript = () => (tsModule ??= /** @type {typeof import("typescript")} */ (requireHere("typescript")));

/**
 * @param {string} text
 * @returns {import("typescript").SourceFile}
 */
const parse = (text) => typescript().createSourceFile("cell.ts", text, typescript().ScriptTarget.ES2022, true, typescript().ScriptKind.TS);

/**
 * The values a cell declares at its top level (functions, classes, enums,
 * const/let/var): what a solution cell gives the tests to call.
 * @param {string} text
 * @returns {string[]}
 */
export function declaredNames(text) {
  const ts = typescript();
  /** @type {string[]} */
  const names = [];
  /** @param {import("typescript").BindingName} b */
  const bind = (b) => {
    if (ts.isIdentifier(b)) names.push(b.text);
    else for (const e of b.elements) if (!ts.isOmittedExpression(e)) bind(e.name);
  };
  for (const st of parse(text).statements) {
    if (ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword)) continue;
    if ((ts.isFunctionDeclaration(st) || ts.isClassDeclaration(st) || ts.isEnumDeclaration(st)) && st.name) names.push(st.name.text);
    else if (ts.isVariableStatement(st)) for (const d of st.declarationList.declarations) bind(d.name);
  }
  return [...new Set(names)];
}

/**
 * A test cell split for the grader: its import statements (they must stay at
 * the top level), the rest, the identifiers it mentions in code (not in strings
 * or comments), and whether it awaits.
 * @param {string} text
 */
export function splitTestCell(text) {
  const ts = typescript();
  const file = parse(text);
  const first = file.statements.findIndex((st) => !ts.isImportDeclaration(st));
  const at = first < 0 ? text.length : file.statements[first].getFullStart();
  /** @type {Set<string>} */
  const identifiers = new Set();
  let awaits = false;
  /** @param {import("typescript").Node} node */
  const visit = (node) => {
    if (ts.isIdentifier(node)) identifiers.add(node.text);
    if (ts.isAwaitExpression(node) || (ts.isForOfStatement(node) && node.awaitModifier)) awaits = true;
    ts.forEachChild(node, visit);
  };
  visit(file);
  return { imports: text.slice(0, at).trim(), body: text.slice(at).trim(), identifiers, awaits };
}

/**
 * The test cell as the student's kernel runs it: the instructor's code, with
 * each of `names` (the student's functions it calls) wrapped by the recorder,
 * which prints each call's arguments and answer as a line starting with
 * `marker` (replay.mjs). The kernel's own verdict on this cell decides nothing.
 * @param {string} text
 * @param {string[]} names
 * @param {string} marker
 */
export function recordingTestCell(text, names, marker) {
  if (!names.length) return text;
  const { imports, body, awaits } = splitTestCell(text);
  const call = `(${awaits ? "async " : ""}(${names.join(", ")}) => {\n${body}\n})(${names.map((n) => `__rnnGraderRecord(${JSON.stringify(n)}, ${n})`).join(", ")})`;
  return [
    ...(imports ? [imports] : []),
    "{ // Put here by the grader: records each call of the student's functions for the trusted replay.",
    recorderSource(marker),
    `${awaits ? "await " : ""}${call};`,
    "}",
  ].join("\n");
}

/**
 * A cell of the notebook the grader runs: source as one string, metadata
 * reduced to tags and nbgrader; `restored` marks a test cell put back.
 * @typedef {{
 *   cell_type: Cell["cell_type"],
 *   metadata: { tags?: string[], nbgrader?: JsonObject },
 *   source: string,
 *   outputs?: [],
 *   execution_count?: null,
 *   restored?: boolean,
 * }} GradingCell
 * @typedef {{ gradeId: string, exercise: string, points: number, index: number, restored: boolean, source: string, names: string[] }} GradedTest
 * @typedef {{ name: string, points: number, solutionIndex: number | null }} GradedExercise
 * @typedef {{ gradeId: string, points: number, answer: string | null }} GradedAnswer
 */

/**
 * The notebook the grader executes for one submission: the student's cells in
 * the student's order, with every locked cell of the source (the test cells,
 * hidden tests included) put back by grade_id; a test cell the student
 * deleted is put back after the exercise's solution cell. The student's own
 * outputs and metadata other than tags and nbgrader are dropped.
 *
 * Each test cell runs with the student's functions it calls wrapped by a
 * recorder (recordingTestCell): its records, lines starting with `marker`,
 * are what replay.mjs checks; `tests[].source` is the instructor's test cell
 * and `tests[].names` the student's names it calls.
 * `params` ({name: value}) are assigned in a cell right after the cell tagged
 * `parameters`, for the names it declares (e.g. quick = true).
 *
 * `tests[].index` and `exercises[].solutionIndex` are indices into the
 * returned notebook's cells.
 * @param {Notebook} source
 * @param {ExercisesInfo} info
 * @param {Notebook} submission
 * @param {{ marker: string, params?: Record<string, unknown> }} options
 * @returns {{ nb: Notebook, tests: GradedTest[], exercises: GradedExercise[], answers: GradedAnswer[], notes: string[] }}
 */
export function gradingNotebook(source, info, submission, { marker, params = {} }) {
  /** @type {string[]} */
  const notes = [];
  const cells = submission.cells.map((c) => {
    /** @type {GradingCell["metadata"]} */
    const meta = {};
    if (Array.isArray(c.metadata?.tags)) meta.tags = tagsOf(c);
    const g = nbgraderOf(c);
    if (g) meta.nbgrader = g;
    /** @type {GradingCell} */
    const cell = { cell_type: c.cell_type, metadata: meta, source: sourceText(c) };
    if (c.cell_type === "code") Object.assign(cell, { outputs: [], execution_count: null });
    return cell;
  });
  /** @param {string} id */
  const find = (id) => cells.findIndex((c) => c.metadata.nbgrader?.grade_id === id);
  /**
   * @param {number} index
   * @returns {GradingCell}
   */
  const fromSource = (index) => {
    const s = source.cells[index];
    const nbgrader = nbgraderOf(s) ?? {};
    return { cell_type: s.cell_type, metadata: { nbgrader }, source: sourceText(s), ...(s.cell_type === "code" ? { outputs: [], execution_count: null } : {}) };
  };
  // Locked cells that are not tests (read-only instructions) are restored when present.
  for (const l of info.locked) {
    const at = find(l.gradeId);
    if (at >= 0) cells[at] = fromSource(l.index);
  }
  /** @type {Map<string, GradingCell>} grade id -> cell object (indices shift as cells are inserted) */
  const testCells = new Map();
  /** @type {Map<string, { source: string, names: string[] }>} grade id -> the instructor's test and the student names it calls */
  const testCode = new Map();
  // What the tests may call of the student's: the values the source's solution cells declare.
  const solutionNames = new Set(info.exercises.flatMap((ex) => declaredNames(sourceText(source.cells[ex.solutionIndex]))));
  for (const ex of info.exercises) {
    const solutionAt = find(ex.name);
    if (solutionAt >= 0 && cells[solutionAt].cell_type !== "code") cells[solutionAt].cell_type = "code";
    for (const t of ex.tests) {
      const cell = fromSource(t.index);
      const original = cell.source;
      const { identifiers } = splitTestCell(original);
      const names = [...solutionNames].filter((n) => identifiers.has(n));
      testCode.set(t.gradeId, { source: original, names });
      cell.source = recordingTestCell(original, names, marker);
      let at = find(t.gradeId);
      if (at >= 0) {
        cells[at] = cell;
      } else {
        const previous = ex.tests.slice(0, ex.tests.indexOf(t)).flatMap((p) => testCells.get(p.gradeId) ?? []).pop();
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
  /** @type {GradedTest[]} */
  const tests = [];
  const exercises = info.exercises.map((ex) => {
    const solutionIndex = find(ex.name);
    for (const t of ex.tests) {
      const cell = testCells.get(t.gradeId);
      if (!cell) throw new Error(`gradingNotebook: the test cell '${t.gradeId}' was not placed (a bug of the grader)`);
      const code = testCode.get(t.gradeId) ?? { source: "", names: [] };
      tests.push({ gradeId: t.gradeId, exercise: ex.name, points: t.points, index: cells.indexOf(cell), restored: !!cell.restored, ...code });
    }
    return { name: ex.name, points: ex.points, solutionIndex: solutionIndex >= 0 ? solutionIndex : null };
  });
  const answers = info.answers.map((a) => {
    const at = find(a.gradeId);
    return { gradeId: a.gradeId, points: a.points, answer: at >= 0 ? cells[at].source : null };
  });
  for (const c of cells) delete c.restored;
  /** @type {Notebook} */
  const nb = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: source.metadata?.kernelspec ?? {}, language_info: source.metadata?.language_info ?? {} },
    cells: cells.map((c, i) => ({ id: `cell-${i}`, ...c })),
  };
  return { nb, tests, exercises, answers, notes };
}
