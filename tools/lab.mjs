// `npm run lab`: opens your own copies of the lessons in JupyterLab (or
// classic Notebook), with the course's tslab kernel registered for this
// project only. The copies live in my-notebooks/, which git ignores: they are
// made from notebooks/ the first time, and never overwritten after that, so
// you can edit, run and save them while the course itself stays clean.
//
//   npm run lab                       open my-notebooks/ (copies of new lessons are made first)
//   npm run lab -- reset 02           lesson 02 back as the course has it (your copy goes
//                                     to my-notebooks/backups/ first)
//   npm run lab -- update             bring in the lessons the course changed since your
//                                     copies were made, keeping your edits; where you and
//                                     the course changed the same cells, both versions are
//                                     kept one after the other and the conflict is reported
//   npm run lab -- status             which of your copies the course has changed since
//   npm run lab -- prepare            make the copies and put plotly.js where Jupyter
//                                     serves it, without starting Jupyter
//   npm run lab -- --authors          open notebooks/ itself, to edit the lessons
//   npm run lab -- --classic          classic Notebook even when JupyterLab is installed
//   npm run lab -- --port 8890        any other argument goes to Jupyter as it is
//
// Run as root (as in many containers), Jupyter refuses to start unless told
// --allow-root; `npm run lab` passes it then.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, findPython, jupyterEnv } from "./jupyter.mjs";
import { courseLessons, LessonListError } from "./lessons.mjs";
import { readNotebook, formatNotebook, sourceText, sourceLines, tagsOf, NotebookError } from "./notebooks.mjs";
import { helpText } from "./cli.mjs";

/**
 * @typedef {import("./notebooks.mjs").Notebook} Notebook
 * @typedef {import("./notebooks.mjs").Cell} Cell
 * @typedef {{ source: string, work: string }} Folders  the course's lessons and the student's copies
 * @typedef {{ start: number, end: number }} Range  cells [start, end) of a notebook (0-based)
 * @typedef {{ mine: Range, course: Range }} Conflict  where, in the merged notebook, the two versions stand
 * @typedef {{ name: string, status: "new" | "current" | "updated" | "merged" | "conflict", conflicts: Conflict[], backup: string | null }} UpdateResult
 */

export class LabError extends Error {}

/** The student's copies, by default. */
export const WORK = path.join(ROOT, "my-notebooks");
/** Beside the copies: the course's version each copy was made from (what `update` compares with). */
const BASE = ".course";
const BACKUPS = "backups";
/** The tag of the notes `update` puts around a conflict. */
export const CONFLICT_TAG = "course-update-conflict";

const basePath = (/** @type {Folders} */ f, /** @type {string} */ name) => path.join(f.work, BASE, name);

/**
 * A file name for a backup of `name` that does not exist yet.
 * @param {string} work
 * @param {string} name
 * @param {Date} now
 */
function backupPath(work, name, now) {
  const stamp = now.toISOString().slice(0, 19).replace(/:/g, "-");
  const stem = path.basename(name, ".ipynb");
  for (let k = 1; ; k++) {
    const file = path.join(work, BACKUPS, `${stem}.${stamp}${k > 1 ? `-${k}` : ""}.ipynb`);
    if (!existsSync(file)) return file;
  }
}

/**
 * Makes the missing copies (and the record of the course's version beside
 * each); an existing copy is never touched. Returns the lessons copied now,
 * and those whose course version changed since their copy was made.
 * @param {Folders} f
 */
export function makeCopies(f) {
  const { lessons } = courseLessons(f.source);
  mkdirSync(path.join(f.work, BASE), { recursive: true });
  /** @type {string[]} */
  const created = [];
  /** @type {string[]} */
  const changed = [];
  for (const name of lessons) {
    const mine = path.join(f.work, name);
    if (!existsSync(mine)) {
      copyFileSync(path.join(f.source, name), mine);
      copyFileSync(path.join(f.source, name), basePath(f, name));
      created.push(name);
    } else if (!existsSync(basePath(f, name)) || !sameBytes(basePath(f, name), path.join(f.source, name))) {
      changed.push(name);
    }
  }
  return { created, changed };
}

/**
 * @param {string} a
 * @param {string} b
 */
const sameBytes = (a, b) => readFileSync(a).equals(readFileSync(b));

/**
 * The lesson a command-line name means (a file-name prefix such as `02`).
 * @param {string} source
 * @param {string} name
 */
export function lessonNamed(source, name) {
  const { lessons } = courseLessons(source);
  const base = path.basename(name);
  const hits = lessons.filter((f) => f === base || f.startsWith(base));
  if (hits.length !== 1) {
    throw new LabError(`'${name}' ${hits.length ? `matches several lessons: ${hits.join(", ")}` : "matches no lesson"}; the lessons are: ${lessons.join(", ")}`);
  }
  return hits[0];
}

/**
 * Puts one lesson back as the course has it. The student's copy, if any, is
 * moved to backups/ first; returns where (null when there was none).
 * @param {Folders} f
 * @param {string} name  a lesson's file name
 * @param {Date} [now]
 */
export function resetLesson(f, name, now = new Date()) {
  const mine = path.join(f.work, name);
  mkdirSync(path.join(f.work, BASE), { recursive: true });
  let backup = null;
  if (existsSync(mine)) {
    backup = backupPath(f.work, name, now);
    mkdirSync(path.dirname(backup), { recursive: true });
    renameSync(mine, backup);
  }
  copyFileSync(path.join(f.source, name), mine);
  copyFileSync(path.join(f.source, name), basePath(f, name));
  return backup;
}

/**
 * What identifies a cell's content for the merge: its kind, its source and
 * its tags (outputs, execution counts and the editor's metadata are not the
 * student's work to keep apart, and change with every run).
 * @param {Cell} c
 */
const cellKey = (c) => JSON.stringify([c.cell_type, sourceText(c), tagsOf(c)]);

/**
 * Whether two cells are the same cell, possibly edited: the same id where
 * both have one (nbformat 4.5), else the same content.
 * @param {Cell} x
 * @param {Cell} y
 */
const sameCell = (x, y) => x.cell_type === y.cell_type && (x.id !== undefined && y.id !== undefined ? x.id === y.id : cellKey(x) === cellKey(y));

/**
 * The pairs (i, j) of a longest common subsequence of a and b under `eq`, as a map i -> j.
 * @param {Cell[]} a
 * @param {Cell[]} b
 * @param {(x: Cell, y: Cell) => boolean} eq
 */
function lcsMatch(a, b, eq) {
  const n = a.length;
  const m = b.length;
  const equal = a.map((x) => b.map((y) => eq(x, y)));
  // len[i][j]: length of an LCS of a[i..] and b[j..].
  const len = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) len[i][j] = equal[i][j] ? len[i + 1][j + 1] + 1 : Math.max(len[i + 1][j], len[i][j + 1]);
  }
  /** @type {Map<number, number>} */
  const match = new Map();
  for (let i = 0, j = 0; i < n && j < m; ) {
    if (equal[i][j] && len[i][j] === len[i + 1][j + 1] + 1) match.set(i++, j++);
    else if (len[i + 1][j] >= len[i][j + 1]) i++;
    else j++;
  }
  return match;
}

/**
 * A three-way merge of notebooks, cell by cell (diff3 over the sequences of
 * cells): `base` is the course's version the student's copy was made from,
 * `mine` the student's copy, `course` the course's new version. Cells are
 * paired across the three by id (by content where ids are missing); a cell
 * or a run of cells only one side changed takes that side's version; where
 * both changed the same cells differently, nothing is dropped: a note, the
 * student's cells, a second note and the course's cells stand one after the
 * other, and the conflict is returned. Cells the student kept carry their
 * outputs.
 * @param {Notebook} base
 * @param {Notebook} mine
 * @param {Notebook} course
 * @returns {{ nb: Notebook, conflicts: Conflict[] }}
 */
export function mergeNotebooks(base, mine, course) {
  const [o, a, b] = [base.cells, mine.cells, course.cells];
  const ma = lcsMatch(o, a, sameCell);
  const mb = lcsMatch(o, b, sameCell);
  /** @type {Cell[]} */
  const cells = [];
  /** @type {Conflict[]} */
  const conflicts = [];
  const keys = (/** @type {Cell[]} */ cs) => cs.map(cellKey);
  /**
   * One run of cells: the base's, the student's and the course's versions.
   * @param {Cell[]} co @param {Cell[]} ca @param {Cell[]} cb
   */
  const mergeRun = (co, ca, cb) => {
    if (same(keys(cb), keys(co)) || same(keys(ca), keys(cb))) cells.push(...ca);
    else if (same(keys(ca), keys(co))) cells.push(...cb.map(fresh));
    else if (co.length === ca.length && ca.length === cb.length && co.length > 1) {
      // Edits in place on both sides: cell by cell, so neighbouring edits do not conflict.
      co.forEach((c, i) => mergeRun([c], [ca[i]], [cb[i]]));
    } else {
      const removed = cb.length === 0;
      cells.push(note(conflicts.length, "mine",
        removed
          ? "**Update conflict.** You changed the cell(s) below, and the course has removed them. They are kept here: delete them, with this note, when you no longer need them."
          : "**Update conflict.** You changed the cell(s) below, and the course changed them too. Your version comes first; the course's new version follows the next note. Keep what you want and delete the rest, these notes too."));
      const mineStart = cells.length;
      cells.push(...ca);
      const mineEnd = cells.length;
      if (!removed) cells.push(note(conflicts.length, "course", "**The course's new version** of the cell(s) above:"));
      const courseStart = cells.length;
      cells.push(...cb.map(fresh));
      conflicts.push({ mine: { start: mineStart, end: mineEnd }, course: { start: courseStart, end: cells.length } });
    }
  };
  let [io, ia, ib] = [0, 0, 0];
  while (io < o.length || ia < a.length || ib < b.length) {
    // A base cell both sides still have (maybe edited) is merged on its own.
    if (io < o.length && ma.get(io) === ia && mb.get(io) === ib) {
      mergeRun([o[io++]], [a[ia++]], [b[ib++]]);
      continue;
    }
    let j = io;
    while (j < o.length && !(ma.has(j) && mb.has(j))) j++;
    const [ja, jb] = j === o.length ? [a.length, b.length] : [/** @type {number} */ (ma.get(j)), /** @type {number} */ (mb.get(j))];
    mergeRun(o.slice(io, j), a.slice(ia, ja), b.slice(ib, jb));
    [io, ia, ib] = [j, ja, jb];
  }
  return { nb: { ...course, metadata: { ...mine.metadata, ...course.metadata }, cells: uniqueIds(cells) }, conflicts };
}

/**
 * A course cell as it enters the student's copy: without outputs.
 * @param {Cell} c
 * @returns {Cell}
 */
const fresh = (c) => (c.cell_type === "code" ? { ...c, outputs: [], execution_count: null } : { ...c });

/**
 * @param {number} n  the conflict's number
 * @param {string} side
 * @param {string} text
 * @returns {Cell}
 */
const note = (n, side, text) => ({
  cell_type: "markdown",
  id: `course-update-conflict-${n + 1}-${side}`,
  metadata: { tags: [CONFLICT_TAG] },
  source: sourceLines(`> ${text}`),
});

/**
 * The cells with distinct ids (both versions of a conflicting cell come with
 * the same id, and nbformat 4.5 requires ids to differ).
 * @param {Cell[]} cells
 */
function uniqueIds(cells) {
  const seen = new Set();
  return cells.map((c) => {
    if (c.id === undefined) return c;
    let id = c.id;
    for (let k = 2; seen.has(id); k++) id = `${c.id.slice(0, 56)}-${k}`;
    seen.add(id);
    return id === c.id ? c : { ...c, id };
  });
}

/**
 * Brings the course's changes into the student's copies. A copy the course
 * did not change is left alone; one the student did not change is replaced
 * by the course's version; otherwise the two are merged (mergeNotebooks).
 * A copy that is rewritten is first saved to backups/. Missing copies are
 * made.
 * @param {Folders} f
 * @param {Date} [now]
 * @returns {UpdateResult[]}
 */
export function updateLessons(f, now = new Date()) {
  const { created } = makeCopies(f);
  /** @type {UpdateResult[]} */
  const results = [];
  for (const name of courseLessons(f.source).lessons) {
    const [mineFile, baseFile, courseFile] = [path.join(f.work, name), basePath(f, name), path.join(f.source, name)];
    if (created.includes(name)) {
      results.push({ name, status: "new", conflicts: [], backup: null });
      continue;
    }
    if (existsSync(baseFile) && sameBytes(baseFile, courseFile)) {
      results.push({ name, status: "current", conflicts: [], backup: null });
      continue;
    }
    const mine = readNotebook(mineFile);
    const course = readNotebook(courseFile);
    // Without the record of what the copy was made from, every difference is the student's and the course's at once.
    const base = existsSync(baseFile) ? readNotebook(baseFile) : { ...course, cells: [] };
    const untouched = base.cells.length > 0 && same(mine.cells.map(cellKey), base.cells.map(cellKey));
    const backup = backupPath(f.work, name, now);
    mkdirSync(path.dirname(backup), { recursive: true });
    copyFileSync(mineFile, backup);
    if (untouched) {
      copyFileSync(courseFile, mineFile);
      results.push({ name, status: "updated", conflicts: [], backup });
    } else {
      const { nb, conflicts } = mergeNotebooks(base, mine, course);
      writeFileSync(mineFile, formatNotebook(nb));
      results.push({ name, status: conflicts.length ? "conflict" : "merged", conflicts, backup });
    }
    copyFileSync(courseFile, baseFile);
  }
  return results;
}

/**
 * @param {string[]} x
 * @param {string[]} y
 */
const same = (x, y) => x.length === y.length && x.every((k, i) => k === y[i]);

/**
 * Puts plotly.js where the course's Jupyter serves it (PLOTLY_ASSETS, below
 * jupyter/), so that figures load it once per page instead of carrying it in
 * every saved notebook. Copies only when missing or different.
 * @param {ReadonlyArray<{ file: string }>} assets
 * @param {string} library  plotly.min.js of this installation
 * @param {string} [dataDir]  the project's Jupyter data folder
 */
export function installPlotly(assets, library, dataDir = path.join(ROOT, "jupyter")) {
  for (const { file } of assets) {
    const target = path.join(dataDir, file);
    if (existsSync(target) && statSync(target).size === statSync(library).size && sameBytes(target, library)) continue;
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(library, target);
  }
}

/**
 * The arguments of `python` that start Jupyter: `app` in `dir`, with
 * --allow-root when the user is root (uid 0) and the extra arguments did not
 * say it already, then the extra arguments as given.
 * @param {{ app: "jupyterlab" | "notebook", dir: string, uid: number | null, extra: string[] }} o
 */
export function jupyterArgs({ app, dir, uid, extra }) {
  const root = uid === 0 && !extra.includes("--allow-root");
  return ["-m", app, `--notebook-dir=${dir}`, ...(root ? ["--allow-root"] : []), ...extra];
}

/**
 * The command line, split into this tool's own part and what goes to Jupyter.
 * @param {string[]} argv
 */
export function parseLabArgs(argv) {
  /** @type {string[]} */
  const extra = [];
  let authors = false;
  let classic = false;
  let help = false;
  const [first, ...rest] = argv;
  const command = ["reset", "update", "status", "prepare"].includes(first) ? first : null;
  for (const arg of command ? rest : argv) {
    if (arg === "--authors") authors = true;
    else if (arg === "--classic") classic = true;
    else if (arg === "--help" || arg === "-h") help = true;
    else extra.push(arg);
  }
  if (command === "reset" && extra.length === 0) throw new LabError("reset needs the lesson(s) to reset, e.g. `npm run lab -- reset 02`");
  if (command && command !== "reset" && extra.length) throw new LabError(`${command} takes no arguments (got ${extra.join(" ")})`);
  if (command && authors) throw new LabError(`--authors opens notebooks/ itself; ${command} is about your copies in my-notebooks/`);
  return { command, extra, authors, classic, help };
}

/**
 * @param {UpdateResult} r
 * @param {string} work
 */
function describeUpdate(r, work) {
  const rel = (/** @type {string} */ p) => path.relative(process.cwd(), p);
  const saved = r.backup ? ` (your copy before the update: ${rel(r.backup)})` : "";
  switch (r.status) {
    case "new": return `${r.name}: new lesson, copied to ${rel(path.join(work, r.name))}`;
    case "current": return `${r.name}: up to date`;
    case "updated": return `${r.name}: updated (you had not changed it)${saved}`;
    case "merged": return `${r.name}: the course's changes brought in, your edits kept${saved}`;
    case "conflict":
      return (
        `${r.name}: CONFLICT: you and the course changed the same cells; both versions are kept, marked by notes ` +
        `(cells ${r.conflicts.map((c) => `${c.mine.start + 1}-${Math.max(c.course.end, c.mine.end)}`).join(", ")}). ` +
        `Choose what to keep and delete the notes${saved}`
      );
  }
}

/** @param {string} python @param {string} module */
const hasModule = (python, module) => spawnSync(python, ["-c", `import ${module}`]).status === 0;

async function main() {
  const args = parseLabArgs(process.argv.slice(2));
  if (args.help) {
    console.log(helpText(import.meta.url));
    return 0;
  }
  const folders = { source: path.join(ROOT, "notebooks"), work: WORK };
  const rel = (/** @type {string} */ p) => path.relative(process.cwd(), p) || ".";
  if (args.command === "reset") {
    for (const name of args.extra.map((n) => lessonNamed(folders.source, n))) {
      const backup = resetLesson(folders, name);
      console.log(`${name}: reset to the course's version${backup ? `; your copy is in ${rel(backup)}` : ""}`);
    }
    return 0;
  }
  if (args.command === "update") {
    const results = updateLessons(folders);
    for (const r of results) console.log(describeUpdate(r, folders.work));
    return results.some((r) => r.status === "conflict") ? 1 : 0;
  }
  const { plot } = await import("./library.mjs");
  installPlotly(plot.PLOTLY_ASSETS, plot.plotlyLibraryFile());
  const { created, changed } = makeCopies(folders);
  if (created.length) console.log(`Your copies of ${created.join(", ")} are in ${rel(folders.work)}/ (made from notebooks/; git ignores them).`);
  if (changed.length) {
    console.log(`The course has changed ${changed.join(", ")} since your copies were made: \`npm run lab -- update\` brings the changes in and keeps your edits.`);
  }
  if (args.command === "status") {
    if (!changed.length) console.log("Every copy is up to date with the course.");
    return 0;
  }
  if (args.command === "prepare") return 0;

  const python = findPython(["jupyter_client"]);
  const app = !args.classic && hasModule(python, "jupyterlab") ? "jupyterlab" : hasModule(python, "notebook") ? "notebook" : null;
  if (!app) {
    throw new LabError(
      `${python} has ${args.classic ? "no classic Notebook" : "neither JupyterLab nor Notebook"}. Install one: ` +
        "`sudo apt-get install jupyter-notebook` (Debian/Ubuntu) or `pip install jupyterlab` (or `pip install notebook`).",
    );
  }
  const dir = args.authors ? folders.source : folders.work;
  const { KERNEL_NAME, KERNEL_DISPLAY_NAME } = await import("./library.mjs");
  console.log(
    `Opening ${args.authors ? "notebooks/ (the course itself: what you save there is what everyone gets)" : `your copies in ${rel(dir)}/`} ` +
      `with ${app} (${python}); choose the kernel "${KERNEL_DISPLAY_NAME}" [${KERNEL_NAME}].`,
  );
  const uid = process.getuid ? process.getuid() : null;
  if (uid === 0) console.log("Running as root: passing --allow-root to Jupyter.");
  // The kernels inherit the server's environment: LIVE_ENV makes figures send their data once, in the HTML.
  const child = spawn(python, jupyterArgs({ app, dir, uid, extra: args.extra }), { stdio: "inherit", env: jupyterEnv({ [plot.LIVE_ENV]: "1" }) });
  return new Promise((resolve) => child.on("exit", (code) => resolve(code ?? 0)));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      if (e instanceof LabError || e instanceof LessonListError || e instanceof NotebookError || (e instanceof Error && e.message.startsWith("no Python"))) {
        console.error(`npm run lab: ${e.message}`);
        process.exit(2);
      }
      throw e;
    },
  );
}
