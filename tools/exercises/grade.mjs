// `npm run grade`: executes submitted notebooks with the hidden tests put back
// and scores every exercise. docs/exercises.md is the instructor's guide.
//
//   npm run grade -- SUBMISSION...        .ipynb files, or folders searched for them
//   npm run grade -- --out DIR ...        where grades.csv, grades.json and the
//                                         executed notebooks go (default build/grades)
//   npm run grade -- --source DIR ...     the source notebooks with solutions and
//                                         hidden tests (default notebooks/); each
//                                         submission is matched to one by file name
//   --cell-timeout S      seconds a cell may run (default 120)
//   --time-limit S        seconds for a whole submission, restarts included (default 600)
//   --memory MB           memory of a submission's kernel (default 2048)
//   --full                run the lessons at full size (default: quick = true)
//   --isolation MODE      auto (default: the sandbox this machine allows; refuses to
//                         grade without one), sandbox, userns, none (no isolation at
//                         all: only for code you trust; prints a warning)
//   --jobs N, -j N        grade N submissions at a time (default 1)
//   --keep-scratch        keep the per-submission scratch folders (for debugging)
//
// Student code is untrusted: each submission runs in its own kernel, process
// tree, scratch folder and network namespace, sandboxed (tools/exercises/
// isolation.mjs and sandbox.sh; no sandbox, no grading, unless --isolation
// none), with time, memory and process limits of its own. Its kernel only
// records the answers its functions give to the test cells' calls; whether a
// test passes is decided by running the instructor's test cell again in a
// fresh process that no student code ran in (replay.mjs). What a submission
// breaks costs its own points and nothing else.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, symlinkSync, writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT, ensureLibraryBuilt, onJsonLines, realPath, isInside } from "../jupyter.mjs";
import { parseNotebook, readNotebook, NotebookError, MAX_NOTEBOOK_BYTES } from "../notebooks.mjs";
import { formatSeconds, helpText, isParseArgsError } from "../cli.mjs";
import { describeExercises, gradingNotebook, nbgraderOf, ANSWER_STUB } from "./notebook.mjs";
import { detectIsolation, kernelSpec, kernelUid, runnerPrefix, DESCRIPTIONS, GRADER_KERNEL, IsolationError, NO_ISOLATION_WARNING } from "./isolation.mjs";

/**
 * @typedef {import("../notebooks.mjs").Notebook} Notebook
 * @typedef {import("./notebook.mjs").ExercisesInfo} ExercisesInfo
 * @typedef {ReturnType<typeof gradingNotebook>} GradingPlan
 * @typedef {import("./isolation.mjs").IsolationMode} IsolationMode
 * @typedef {import("./isolation.mjs").Isolation} Isolation
 * @typedef {{ cellTimeout: number, timeLimit: number, memoryMb: number }} Limits
 *
 * A source notebook: usable (nb set), or breaking the convention (problem set, nb null).
 * @typedef {{ file: string, name: string, info: ExercisesInfo } & ({ nb: Notebook, problem?: undefined } | { nb: null, problem: string })} Source
 * @typedef {{ file: string, label: string }} Submission
 *
 * The events run_submission.mjs prints (its header).
 * @typedef {"ok" | "error" | "timeout" | "memory" | "died" | "not-run"} CellStatus
 * @typedef {{ status: CellStatus, message?: string, seconds?: number }} CellResult
 * @typedef {import("./replay.mjs").ReplayResult} ReplayResult
 * @typedef {{ message: string, log?: string[] }} Fatal
 * @typedef {({ event: "cell", index: number, attempt: number } & CellResult)
 *   | { event: "done", cells: Record<string, CellResult>, restarts: number, seconds: number }
 *   | ({ event: "fatal" } & Fatal)
 *   | { event: "kernel-start", attempt: number, pid: number, seconds: number }} RunnerEvent
 *
 * What grades.json says about a submission.
 * @typedef {{ grade_id: string, points: number, max_points: number, status: string, message: string, restored: boolean }} TestScore
 * @typedef {{ exercise: string, points: number, max_points: number, status: string, message: string, tests: TestScore[] }} ExerciseScore
 * @typedef {{ grade_id: string, max_points: number, status: string, answer: string | null }} ManualAnswer
 * @typedef {{
 *   submission: string, path: string, notebook: string | null, status: string, points: number, max_points: number,
 *   exercises: ExerciseScore[], manual: ManualAnswer[], notes: string[],
 *   message?: string, restarts?: number, executed?: string, seconds?: number,
 * }} SubmissionReport
 *
 * @typedef {{
 *   sources: Source[], isolation: Isolation, hide: string[], scratch: string,
 *   limits: Limits, out: string, full: boolean, keepScratch: boolean, graderErrors: number,
 *   children: Set<import("node:child_process").ChildProcess>, pdeathsig: boolean,
 * }} GradeContext
 * @typedef {{
 *   base: string, work: string, workSource: string, newRoot: string, jupyter: string, runtime: string,
 *   data: string, executed: string, kernelLog: string,
 * }} ScratchDirs
 */

class UsageError extends Error {}

const RUNNER = path.join(ROOT, "tools", "exercises", "run_submission.mjs");
const REPLAY = path.join(ROOT, "tools", "exercises", "replay.mjs");
/** @param {number} x */
const fmtPoints = (x) => (Number.isInteger(x) ? String(x) : x.toFixed(2).replace(/0+$/, ""));

/** @type {readonly ["auto", "sandbox", "userns", "none"]} */
const ISOLATION_CHOICES = ["auto", "sandbox", "userns", "none"];

/** @param {string[]} argv */
function parseCommandLine(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: "string", default: path.join(ROOT, "build", "grades") },
      source: { type: "string", default: path.join(ROOT, "notebooks") },
      "cell-timeout": { type: "string", default: "120" },
      "time-limit": { type: "string", default: "600" },
      memory: { type: "string", default: "2048" },
      full: { type: "boolean", default: false },
      isolation: { type: "string", default: "auto" },
      "keep-scratch": { type: "boolean", default: false },
      jobs: { type: "string", short: "j", default: "1" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  /**
   * @param {"cell-timeout" | "time-limit" | "memory" | "jobs"} name
   * @param {number} min
   */
  const number = (name, min) => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v < min) throw new UsageError(`--${name} ${values[name]}: expected a number of at least ${min}`);
    return v;
  };
  const isolation = ISOLATION_CHOICES.find((c) => c === values.isolation);
  if (!isolation) throw new UsageError(`--isolation ${values.isolation}: expected auto, sandbox, userns or none`);
  return {
    help: values.help,
    out: path.resolve(values.out),
    source: path.resolve(values.source),
    submissions: positionals,
    limits: { cellTimeout: number("cell-timeout", 1), timeLimit: number("time-limit", 5), memoryMb: Math.floor(number("memory", 256)) },
    full: values.full,
    isolation,
    keepScratch: values["keep-scratch"],
    jobs: Math.floor(number("jobs", 1)),
  };
}

/**
 * The .ipynb files named on the command line; folders are searched (not .ipynb_checkpoints, not hidden folders, not `skip`).
 * @param {string[]} args
 * @param {string[]} skip
 * @returns {Submission[]}
 */
function collectSubmissions(args, skip) {
  /** @type {string[]} */
  const files = [];
  /** @param {string} dir */
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, entry.name);
      // A link to a folder is not followed; a .ipynb that is not a regular file is listed, and refused when graded.
      if (entry.isDirectory()) {
        if (!entry.name.startsWith(".") && !skip.some((s) => isInside(realPath(p), s))) walk(p);
      } else if (entry.name.endsWith(".ipynb")) {
        files.push(p);
      }
    }
  };
  for (const a of args) {
    /** @type {import("node:fs").Stats} */
    let st;
    try {
      st = lstatSync(a);
    } catch {
      throw new UsageError(`${a}: no such file or folder`);
    }
    if (st.isDirectory()) walk(path.resolve(a));
    else files.push(path.resolve(a)); // a symbolic link or a device is refused when graded, with the reason
  }
  const unique = [...new Set(files)];
  if (unique.length === 0) throw new UsageError(`no .ipynb files in ${args.join(", ")}`);
  // Labels: paths relative to the folder the submissions have in common.
  let base = path.dirname(unique[0]);
  while (!unique.every((f) => isInside(f, base)) && base !== path.dirname(base)) base = path.dirname(base);
  if (base === path.dirname(base)) base = process.cwd(); // nothing in common: relative to here
  return unique.map((file) => ({ file, label: path.relative(base, file) || path.basename(file) }));
}

/**
 * The source notebooks (a folder of them, or one file), each with its exercises or the problem that makes it unusable.
 * @param {string} source
 * @returns {Source[]}
 */
function loadSources(source) {
  if (!existsSync(source)) throw new UsageError(`--source ${source}: no such file or folder`);
  const files = statSync(source).isDirectory()
    ? readdirSync(source).filter((f) => f.endsWith(".ipynb")).sort().map((f) => path.join(source, f))
    : [source];
  /** @type {Source[]} */
  const sources = [];
  for (const file of files) {
    const name = path.basename(file);
    try {
      const nb = readNotebook(file);
      sources.push({ file, name, nb, info: describeExercises(nb, name) });
    } catch (e) {
      if (!(e instanceof NotebookError)) throw e;
      // Only the submissions of this lesson suffer from it (they are not graded).
      sources.push({ file, name, nb: null, info: { exercises: [], answers: [], locked: [] }, problem: e.message });
    }
  }
  if (!sources.length) throw new UsageError(`no source notebooks in ${source}`);
  if (sources.every((s) => s.problem)) throw new UsageError(`the source notebooks break the exercise convention (docs/exercises.md):\n${sources.map((s) => s.problem).join("\n")}`);
  return sources;
}

/**
 * The source a submission answers: the only source there is; else the same
 * file name; else a source whose name starts the submission's; else the one
 * sharing the most exercise grade ids.
 * @param {Source[]} sources
 * @param {string} file
 * @param {Notebook | null} nb
 * @returns {Source | null}
 */
function matchSource(sources, file, nb) {
  if (sources.length === 1) return sources[0];
  const base = path.basename(file);
  const exact = sources.find((s) => s.name === base);
  if (exact) return exact;
  const stem = base.replace(/\.ipynb$/, "");
  const prefixed = sources.filter((s) => stem.startsWith(s.name.replace(/\.ipynb$/, "")));
  if (prefixed.length === 1) return prefixed[0];
  if (nb) {
    const ids = new Set(nb.cells.map((c) => nbgraderOf(c)?.grade_id));
    const scored = sources.map((s) => ({ s, n: s.info.exercises.filter((e) => ids.has(e.name)).length })).filter((x) => x.n > 0);
    scored.sort((a, b) => b.n - a.n);
    if (scored.length && (scored.length === 1 || scored[0].n > scored[1].n)) return scored[0].s;
  }
  return null;
}

const RUNNER_ENV_KEYS = ["PATH", "HOME", "LANG", "LC_ALL", "RNN_COURSE_BACKEND", "SYSTEMROOT"];

/** The largest submission the grader reads. */
const MAX_SUBMISSION_BYTES = MAX_NOTEBOOK_BYTES;

/**
 * The bytes of a submission: a regular file only (not a symbolic link, not a
 * device, FIFO or folder), read through one file descriptor with a size cap,
 * so that what is checked is what is read. Throws NotebookError saying why not.
 * @param {string} file
 * @param {number} [cap]
 * @returns {Buffer}
 */
function readSubmissionFile(file, cap = MAX_SUBMISSION_BYTES) {
  const name = path.basename(file);
  /** @type {number} */
  let fd;
  try {
    // O_NOFOLLOW: a link is refused, not followed; O_NONBLOCK: opening a FIFO does not wait for a writer.
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = e instanceof Error && "code" in e ? e.code : "";
    if (code === "ELOOP" || code === "EMLINK") throw new NotebookError(`${name} is a symbolic link: only regular files are graded (hand in the notebook itself)`);
    if (code === "ENOENT") throw new NotebookError(`${name}: no such file (a dangling link?)`);
    throw new NotebookError(`${name} cannot be opened: ${e instanceof Error ? e.message : e}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const what = st.isDirectory() ? "a folder" : st.isCharacterDevice() || st.isBlockDevice() ? "a device" : st.isFIFO() ? "a FIFO" : st.isSocket() ? "a socket" : "not a regular file";
      throw new NotebookError(`${name} is ${what}: only regular files are graded`);
    }
    if (st.size > cap) throw new NotebookError(`${name} is ${(st.size / 2 ** 20).toFixed(1)} MB, more than the ${cap >> 20} MB a submission may have`);
    // Read at most cap + 1 bytes whatever stat said (a file can grow while it is read).
    const buf = Buffer.alloc(Math.min(cap + 1, st.size + 65536));
    let length = 0;
    for (;;) {
      if (length === buf.length) break;
      const n = readSync(fd, buf, length, buf.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > cap) throw new NotebookError(`${name} is larger than the ${cap >> 20} MB a submission may have`);
    return buf.subarray(0, length);
  } finally {
    closeSync(fd);
  }
}

/**
 * A submission's notebook from its bytes; NotebookError names the file and
 * what is wrong (for JSON: the line and column).
 * @param {Buffer} bytes
 * @param {string} label
 */
function parseSubmission(bytes, label) {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  try {
    return parseNotebook(text, label);
  } catch (e) {
    if (!(e instanceof NotebookError)) throw e;
    // Where the JSON breaks, as line and column (a cut file breaks at its end).
    const at = /at position (\d+)/.exec(e.message) ?? (/end of JSON input/.test(e.message) ? [ "", String(text.length) ] : null);
    if (at && !/line \d+ column \d+/.test(e.message)) {
      const before = text.slice(0, Number(at[1]));
      const line = before.split("\n").length;
      const column = Number(at[1]) - before.lastIndexOf("\n");
      throw new NotebookError(`${e.message.replace(/\)$/, "")}, line ${line} column ${column})`);
    }
    throw e;
  }
}

/**
 * Executes one prepared notebook in the submission's sandbox: the one step of
 * grading that talks to the student's kernel (through run_submission.mjs,
 * the course's Jupyter client in Node, started with this very Node inside the
 * submission's network namespace). Resolves to the results of its code
 * cells (by index), the kernel restarts, `fatal` when grading itself failed,
 * and the executed notebook is left in dirs.executed. Everything it returns
 * about cells is untrusted: the kernel says it.
 * @param {GradeContext} ctx
 * @param {Notebook} nb
 * @param {ScratchDirs} dirs
 * @returns {Promise<{ results: Record<string, CellResult>, restarts: number, fatal: Fatal | null, stderr: string }>}
 */
function executeInSandbox(ctx, nb, dirs) {
  const { limits } = ctx;
  return new Promise((resolve) => {
    /** @type {NodeJS.ProcessEnv} */
    const env = Object.fromEntries(RUNNER_ENV_KEYS.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]]));
    // The grader's kernelspec only (JUPYTER_PATH and JUPYTER_DATA_DIR), and the kernel's connection file in the scratch folder (TMPDIR).
    Object.assign(env, { JUPYTER_PATH: dirs.jupyter, JUPYTER_DATA_DIR: dirs.data, TMPDIR: dirs.runtime });
    // In its own network namespace (isolation.mjs); with setpriv, the runner dies with
    // the grader (and its kernel with it).
    const setpriv = ctx.isolation.tools.setpriv;
    const [command, ...prefix] = [...runnerPrefix(ctx.isolation.mode, ctx.isolation.tools), ...(setpriv && ctx.pdeathsig ? [setpriv, "--pdeathsig", "KILL"] : []), process.execPath];
    const child = spawn(
      command,
      [
        ...prefix,
        RUNNER, "--kernel", GRADER_KERNEL, "--cwd", dirs.work, "--output", dirs.executed, "--kernel-log", dirs.kernelLog,
        "--cell-timeout", String(limits.cellTimeout), "--time-limit", String(limits.timeLimit), "--memory-mb", String(limits.memoryMb),
      ],
      { env, stdio: ["pipe", "pipe", "pipe"], detached: true },
    );
    ctx.children.add(child);
    /** @type {Record<string, CellResult>} */
    const seen = {};
    /** @type {Extract<RunnerEvent, { event: "done" }> | null} */
    let done = null;
    /** @type {Fatal | null} */
    let fatal = null;
    let stderr = "";
    let killedByGrader = false;
    // The runner enforces the limits itself; this is the backstop if it hangs.
    const hard = setTimeout(() => {
      killedByGrader = true;
      killGroup(child);
    }, (limits.timeLimit + 180) * 1000);
    child.stdin.on("error", () => {});
    child.stdin.end(JSON.stringify(nb));
    child.stderr.on("data", (d) => {
      if (stderr.length < 100_000) stderr += d;
    });
    onJsonLines(child.stdout, (/** @type {RunnerEvent} */ ev) => {
      if (ev.event === "cell") seen[ev.index] = ev;
      if (ev.event === "done") done = ev;
      if (ev.event === "fatal") fatal = ev;
      if (ev.event === "kernel-start" && ev.attempt > 1 && process.stdout.isTTY) process.stdout.write(`    (restarting the kernel: attempt ${ev.attempt})\r`);
    });
    child.on("close", (code) => {
      ctx.children.delete(child);
      clearTimeout(hard);
      if (process.stdout.isTTY) process.stdout.write("\x1b[K");
      const results = done ? done.cells : seen;
      if (!done && !fatal) {
        fatal = { message: killedByGrader ? "the runner did not finish in time and was killed" : `the runner stopped with status ${code}: ${stderr.trim().split("\n").slice(-3).join(" / ")}` };
      }
      resolve({ results, restarts: done?.restarts ?? 0, fatal: fatal && (!done || code !== 0) ? fatal : null, stderr });
    });
  });
}

/**
 * Takes the recorder's lines (replay.mjs) out of the test cells' outputs of an
 * executed notebook, in place; returns them by cell index. The lines are
 * untrusted (student code can print anything); the replay checks them.
 * @param {Notebook} executed
 * @param {number[]} indices  the test cells
 * @param {string} marker
 * @returns {Map<number, string[]>}
 */
function takeRecords(executed, indices, marker) {
  /** @type {Map<number, string[]>} */
  const records = new Map();
  const prefix = `${marker} `;
  for (const index of indices) {
    const cell = executed.cells[index];
    /** @type {string[]} */
    const lines = [];
    const outputs = Array.isArray(cell?.outputs) ? cell.outputs : [];
    for (const o of outputs) {
      if (!o || typeof o !== "object" || o.output_type !== "stream" || o.name !== "stdout") continue;
      const text = Array.isArray(o.text) ? o.text.join("") : typeof o.text === "string" ? o.text : "";
      const kept = [];
      for (const line of text.split(/(?<=\n)/)) {
        if (line.startsWith(prefix)) lines.push(line.slice(prefix.length).replace(/\n$/, ""));
        else kept.push(line);
      }
      o.text = kept.join("");
    }
    if (cell && Array.isArray(cell.outputs)) cell.outputs = outputs.filter((o) => !(o && typeof o === "object" && o.output_type === "stream" && o.text === ""));
    records.set(index, lines);
  }
  return records;
}

/**
 * Runs the instructor's test cells in a fresh Node.js process that no student
 * code ever ran in (replay.mjs), against what the student's kernel recorded.
 * @param {GradeContext} ctx
 * @param {import("./replay.mjs").ReplayJob} job
 * @returns {Promise<Record<string, ReplayResult> | { error: string }>}
 */
function replayTests(ctx, job) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...nodeFlagsForReplay(), REPLAY], { stdio: ["pipe", "pipe", "pipe"], detached: true, env: process.env });
    ctx.children.add(child);
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => killGroup(child), (ctx.limits.cellTimeout + 60) * 1000);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => {
      if (stderr.length < 100_000) stderr += d;
    });
    child.stdin.on("error", () => {});
    child.stdin.end(JSON.stringify(job));
    child.on("close", (code) => {
      ctx.children.delete(child);
      clearTimeout(timer);
      try {
        const out = JSON.parse(stdout);
        if (code === 0 && out && typeof out.results === "object") return resolve(out.results);
      } catch {
        // reported below
      }
      resolve({ error: `the trusted replay of the tests failed (status ${code}): ${stderr.trim().split("\n").slice(-3).join(" / ")}` });
    });
  });
}

/** The replay decodes at most what the kernel may print (64 MB per notebook): room for that. */
const nodeFlagsForReplay = () => ["--max-old-space-size=2048"];

/**
 * Kills a process started with `detached: true` and everything in its process group.
 * @param {import("node:child_process").ChildProcess} child
 */
function killGroup(child) {
  if (child.pid === undefined) return; // it never started
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/**
 * An open question's answer as the grader sees it (the instructor reads it in grades.json or the executed notebook).
 * @param {string | null} answer
 */
const manualStatus = (answer) => (answer === null ? "answer cell missing" : answer.trim() === ANSWER_STUB || !answer.trim() ? "not answered" : "answered");

/**
 * A test's status from its cell's; "ok" maps here only when the cell's last line never ran.
 * @type {Record<CellStatus, string>}
 */
const FAILURE_STATUS = { ok: "failed", error: "failed", timeout: "timeout", memory: "memory", died: "died", "not-run": "not-run" };

/**
 * Scores of one executed submission: a test passes when its trusted replay
 * passed (replays); the kernel's per-cell results (results, untrusted) only
 * explain a failure: a test the kernel never answered because it timed out,
 * ran out of memory or died gets that status and message.
 * @param {GradingPlan} plan
 * @param {Record<string, CellResult>} results  by cell index
 * @param {Record<string, ReplayResult>} replays  by cell index
 * @returns {ExerciseScore[]}
 */
function score(plan, results, replays) {
  const exercises = plan.exercises.map((ex) => {
    const tests = plan.tests.filter((t) => t.exercise === ex.name).map((t) => {
      /** @type {CellResult} */
      const r = results[t.index] ?? { status: "not-run", message: "not run" };
      const replay = replays[t.index] ?? { status: "failed", message: "not replayed", unanswered: true };
      let status = replay.status === "ok" ? "passed" : "failed";
      let message = replay.message;
      if (replay.status !== "ok" && r.status !== "ok" && (replay.unanswered || r.status !== "error")) {
        // The kernel did not answer: say why, as the kernel saw it.
        status = FAILURE_STATUS[r.status] ?? "failed";
        message = r.message ?? message;
      }
      return { grade_id: t.gradeId, points: status === "passed" ? t.points : 0, max_points: t.points, status, message, restored: t.restored };
    });
    const points = tests.reduce((a, t) => a + t.points, 0);
    const failed = tests.find((t) => t.status !== "passed");
    let status = failed ? (points > 0 ? "partial" : failed.status) : "passed";
    let message = failed ? failed.message : "";
    const solution = ex.solutionIndex === null ? null : results[ex.solutionIndex];
    if (failed && ex.solutionIndex === null) {
      status = points > 0 ? "partial" : "missing";
      message = `the solution cell '${ex.name}' is missing from the submission; ${failed.message}`;
    } else if (failed && solution && solution.status !== "ok") {
      if (points === 0) status = FAILURE_STATUS[solution.status] ?? "failed";
      message = `the solution cell '${ex.name}' failed: ${solution.message}`;
    }
    return { exercise: ex.name, points, max_points: ex.points, status, message, tests };
  });
  return exercises;
}

/**
 * One CSV field, quoted when needed.
 * @param {string | number | null | undefined} v
 */
function csvField(v) {
  let s = v === null || v === undefined ? "" : String(v);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s)) s = `'${s}`; // no formulas from student text in a spreadsheet
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * @typedef {{ grader: Record<string, unknown>, submissions: SubmissionReport[] }} Report
 */

/**
 * Writes grades.json and grades.csv.
 * @param {string} out
 * @param {Report} report
 */
function writeReports(out, report) {
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, "grades.json"), JSON.stringify(report, null, 2) + "\n");
  /** @type {(string | number)[][]} */
  const rows = [["submission", "notebook", "exercise", "points", "max_points", "status", "message"]];
  for (const s of report.submissions) {
    for (const e of s.exercises) rows.push([s.submission, s.notebook ?? "", e.exercise, e.points, e.max_points, e.status, e.message]);
    for (const a of s.manual) rows.push([s.submission, s.notebook ?? "", a.grade_id, "", a.max_points, "manual", `to grade by hand: ${a.status}`]);
    rows.push([s.submission, s.notebook ?? "", "TOTAL", s.points, s.max_points, s.status, s.message ?? ""]);
  }
  writeFileSync(path.join(out, "grades.csv"), rows.map((r) => r.map(csvField).join(",")).join("\n") + "\n");
}

/**
 * Text from a submission, made safe for a terminal: no control characters (escape sequences).
 * @param {string} t
 */
const printable = (t) => String(t).replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");

/**
 * @param {number} i
 * @param {number} n
 * @param {SubmissionReport} s
 */
function printSubmission(i, n, s) {
  const head = `[${i}/${n}] ${s.submission}${s.notebook ? ` (${s.notebook})` : ""}: ${fmtPoints(s.points)}/${fmtPoints(s.max_points)}` +
    `${s.status === "graded" ? "" : `, ${s.status}`}${s.seconds !== undefined ? ` in ${formatSeconds(s.seconds)}` : ""}` +
    (s.restarts ? `, ${s.restarts} kernel restart(s)` : "");
  console.log(printable(head));
  if (s.message) console.log(`    ${printable(s.message)}`);
  const width = Math.max(8, ...s.exercises.map((e) => e.exercise.length), ...s.manual.map((a) => a.grade_id.length));
  for (const e of s.exercises) {
    const pts = `${fmtPoints(e.points)}/${fmtPoints(e.max_points)}`.padStart(5);
    console.log(printable(`    ${e.exercise.padEnd(width)}  ${pts}  ${e.status.padEnd(8)}  ${e.message.split("\n")[0]}`).trimEnd());
  }
  for (const a of s.manual) console.log(`    ${a.grade_id.padEnd(width)}  ${`-/${fmtPoints(a.max_points)}`.padStart(5)}  manual    to grade by hand: ${a.status}`);
  for (const note of s.notes ?? []) console.log(`    note: ${printable(note)}`);
}

/**
 * Grades one submission (never throws for what the submission does).
 * @param {Submission} sub
 * @param {GradeContext} ctx
 * @param {number} n  its number, naming its scratch folder
 * @returns {Promise<SubmissionReport>}
 */
async function gradeOne(sub, ctx, n) {
  const t0 = performance.now();
  /** @type {SubmissionReport} */
  const result = { submission: sub.label, path: sub.file, notebook: null, status: "graded", points: 0, max_points: 0, exercises: [], manual: [], notes: [] };
  /** @type {Notebook | null} */
  let nb = null;
  /** @type {Buffer | null} */
  let bytes = null;
  /** @type {string | null} */
  let parseError = null;
  /** @type {string | null} */
  let refused = null;
  try {
    bytes = readSubmissionFile(sub.file);
  } catch (e) {
    if (!(e instanceof NotebookError)) throw e;
    refused = e.message;
  }
  if (bytes) {
    try {
      nb = parseSubmission(bytes, path.basename(sub.file));
    } catch (e) {
      if (!(e instanceof NotebookError)) throw e;
      parseError = e.message;
    }
  }
  const source = matchSource(ctx.sources, sub.file, nb);
  /**
   * Marks the submission ungraded: every exercise of its source gets 0 points and `short` as its message.
   * @param {string} status
   * @param {string} message
   * @param {string} [short]
   */
  const zero = (status, message, short = "") => {
    if (source) {
      result.notebook = source.name;
      result.max_points = source.info.exercises.reduce((a, e) => a + e.points, 0);
      result.exercises = source.info.exercises.map((e) => ({ exercise: e.name, points: 0, max_points: e.points, status, message: short, tests: [] }));
      result.manual = source.info.answers.map((a) => ({ grade_id: a.gradeId, max_points: a.points, status: "not graded", answer: null }));
    }
    result.status = status;
    result.message = message;
  };
  if (refused !== null) {
    zero("refused", `${sub.label}: not graded: ${refused}`, "not graded: the file was refused");
  } else if (parseError !== null) {
    // Named whether or not the file name matches a lesson: the message says what to fix.
    zero("malformed", `${sub.label}: the notebook cannot be read: ${parseError}`, "not graded: the notebook cannot be read");
  } else if (source && source.nb === null) {
    zero("grader-error", `the source notebook ${source.name} breaks the exercise convention (docs/exercises.md): ${source.problem.replace(/\n/g, "; ")}`, "not graded");
    ctx.graderErrors++;
  } else if (!source) {
    zero("unknown-notebook", `matches no source notebook (${ctx.sources.map((s) => s.name).join(", ")}): name it like the lesson it answers`);
  } else if (nb === null || bytes === null) {
    throw new Error("gradeOne: no notebook and no reason (a bug of the grader)");
  } else {
    result.notebook = source.name;
    const marker = `rnn-grader-call-${randomBytes(12).toString("hex")}`;
    const plan = gradingNotebook(source.nb, source.info, nb, { marker, params: ctx.full ? {} : { quick: true } });
    result.notes.push(...plan.notes);
    const dirs = prepareScratch(ctx, sub, n, bytes);
    try {
      const run = await executeInSandbox(ctx, plan.nb, dirs);
      result.restarts = run.restarts;
      // The executed notebook: written by the runner, its outputs are the student's (untrusted).
      /** @type {Notebook | null} */
      let executed = null;
      try {
        executed = existsSync(dirs.executed) ? parseNotebook(readSubmissionFile(dirs.executed, 4 * MAX_NOTEBOOK_BYTES).toString("utf8"), "the executed notebook") : null;
      } catch (e) {
        if (!(e instanceof NotebookError)) throw e;
      }
      const records = executed ? takeRecords(executed, plan.tests.map((t) => t.index), marker) : new Map();
      const replays = run.fatal
        ? {}
        : await replayTests(ctx, { tests: plan.tests.map((t) => ({ index: t.index, source: t.source, names: t.names, records: records.get(t.index) ?? [] })) });
      const replayError = "error" in replays && typeof replays.error === "string" ? replays.error : null;
      if (run.fatal || replayError) {
        const why = run.fatal ? `${run.fatal.message}${run.fatal.log?.length ? ` [kernel log: ${run.fatal.log.join(" / ")}]` : ""}` : replayError;
        zero("grader-error", `grading failed (not the student's fault): ${why}`, "not graded: the grader failed");
        ctx.graderErrors++;
      } else {
        result.exercises = score(plan, run.results, /** @type {Record<string, ReplayResult>} */ (replays));
        result.points = result.exercises.reduce((a, e) => a + e.points, 0);
        result.max_points = result.exercises.reduce((a, e) => a + e.max_points, 0);
        result.manual = plan.answers.map((a) => ({ grade_id: a.gradeId, max_points: a.points, status: manualStatus(a.answer), answer: a.answer }));
        const graded = new Set([...plan.tests.map((t) => t.index), ...plan.exercises.map((e) => e.solutionIndex)]);
        for (const [index, r] of Object.entries(run.results)) {
          if (!graded.has(Number(index)) && r.status !== "ok") result.notes.push(`cell ${Number(index) + 1} of the executed notebook (not graded): ${r.status}: ${r.message}`);
        }
      }
      if (executed) {
        const target = path.join(ctx.out, "executed", sub.label.split(path.sep).filter((p) => p !== ".." && p !== "").join(path.sep));
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, JSON.stringify(executed, null, 1) + "\n");
        result.executed = path.relative(ctx.out, target);
      }
    } finally {
      if (!ctx.keepScratch) rmSync(dirs.base, { recursive: true, force: true });
    }
  }
  result.seconds = (performance.now() - t0) / 1000;
  return result;
}

/**
 * The private folders of one submission, under the grader's own temp folder (mode 700).
 * @param {GradeContext} ctx
 * @param {Submission} sub
 * @param {number} n
 * @param {Buffer} bytes  the submission as read (the file is not opened again)
 */
function prepareScratch(ctx, sub, n, bytes) {
  const base = path.join(ctx.scratch, `submission-${n}`);
  /** @type {ScratchDirs} */
  const dirs = {
    base,
    work: path.join(base, "work"),
    workSource: path.join(base, "work-source"),
    newRoot: path.join(base, "root"),
    jupyter: path.join(base, "jupyter"),
    runtime: path.join(base, "runtime"),
    data: path.join(base, "data"),
    executed: path.join(base, "executed.ipynb"),
    kernelLog: path.join(base, "kernel.log"),
  };
  for (const d of [dirs.work, dirs.workSource, dirs.newRoot, dirs.runtime, dirs.data]) mkdirSync(d, { recursive: true, mode: 0o700 });
  // The scratch folder holds a copy of the student's own file, nothing of the instructor's.
  const copyTo = ctx.isolation.mode === "none" ? dirs.work : dirs.workSource;
  writeFileSync(path.join(copyTo, path.basename(sub.file)), bytes, { mode: 0o600 });
  if (ctx.isolation.mode === "none") symlinkSync(path.join(ROOT, "node_modules"), path.join(dirs.work, "node_modules"));
  const spec = kernelSpec(ctx.isolation, {
    newRoot: dirs.newRoot,
    work: dirs.work,
    workSource: dirs.workSource,
    hide: ctx.hide,
    limits: ctx.limits,
    uid: kernelUid(n),
  });
  const kdir = path.join(dirs.jupyter, "kernels", GRADER_KERNEL);
  mkdirSync(kdir, { recursive: true });
  writeFileSync(path.join(kdir, "kernel.json"), JSON.stringify(spec, null, 1));
  return dirs;
}

async function main() {
  const args = parseCommandLine(process.argv.slice(2));
  if (args.help) {
    console.log(helpText(import.meta.url));
    return 0;
  }
  if (args.submissions.length === 0) throw new UsageError("name the submissions to grade: npm run grade -- FILE.ipynb|FOLDER ... (-h for help)");
  const sources = loadSources(args.source);
  const sourceDirs = [...new Set(sources.map((s) => realPath(path.dirname(s.file))))];
  const outReal = realPath(args.out);
  for (const d of sourceDirs) {
    if (isInside(outReal, d)) throw new UsageError(`--out ${args.out} is inside the source folder ${d}`);
  }
  const submissions = collectSubmissions(args.submissions, [outReal]);
  for (const a of args.submissions) {
    if (existsSync(a) && statSync(a).isDirectory() && isInside(outReal, realPath(a))) {
      throw new UsageError(`--out ${args.out} is inside the submissions folder ${a}: a later run would grade its executed notebooks`);
    }
  }
  // Fail closed before anything else runs: no sandbox, no grading (unless --isolation none).
  /** @type {Isolation} */
  let isolation;
  try {
    isolation = await detectIsolation(args.isolation);
  } catch (e) {
    if (e instanceof IsolationError) throw new UsageError(e.message);
    throw e;
  }
  if (isolation.mode === "none") console.error(NO_ISOLATION_WARNING);
  ensureLibraryBuilt();
  const hide = [
    ...new Set([
      ...sourceDirs,
      ...submissions.map((s) => realPath(path.dirname(s.file))),
      ...args.submissions.filter((a) => existsSync(a)).map((a) => realPath(a)),
      outReal,
      path.join(ROOT, "notebooks"),
      path.join(ROOT, ".git"),
      path.join(ROOT, "build"),
    ]),
  ];
  const scratch = mkdtempSync(path.join(os.tmpdir(), "rnn-grade-"));
  /** @param {string} p */
  const rel = (p) => path.relative(process.cwd(), p) || ".";
  /** @type {GradeContext} */
  const ctx = {
    sources, isolation, hide, scratch, limits: args.limits, out: args.out, full: args.full, keepScratch: args.keepScratch,
    graderErrors: 0, children: new Set(), pdeathsig: process.platform === "linux" && Boolean(isolation.tools.setpriv),
  };
  // Interrupted: stop the runners (their kernels die with them) and remove the scratch folders.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
    process.once(signal, () => {
      for (const child of ctx.children) killGroup(child);
      if (!args.keepScratch) rmSync(scratch, { recursive: true, force: true });
      console.error(`\nnpm run grade: interrupted; the grades of the submissions finished so far are in ${rel(args.out)}/`);
      process.exit(130);
    });
  }

  console.log(`npm run grade: ${submissions.length} submission(s) against ${sources.length} source notebook(s) in ${rel(args.source)}`);
  console.log(`Isolation: ${DESCRIPTIONS[isolation.mode]}.`);
  if (isolation.mode === "none") console.log(NO_ISOLATION_WARNING);
  for (const s of sources) {
    if (s.nb === null) console.log(`Warning: ${s.name} breaks the exercise convention; its submissions will not be graded:\n  ${s.problem.split("\n").join("\n  ")}`);
  }
  console.log(
    `Limits: ${args.limits.cellTimeout} s per cell, ${args.limits.timeLimit} s per submission, ${args.limits.memoryMb} MB of memory; ` +
      `${args.full ? "full size" : "quick mode (quick = true)"}.\n`,
  );
  /** @type {Report} */
  const report = {
    grader: {
      when: new Date().toISOString(),
      isolation: isolation.mode,
      isolation_notes: isolation.reasons,
      limits: { cell_timeout_s: args.limits.cellTimeout, time_limit_s: args.limits.timeLimit, memory_mb: args.limits.memoryMb },
      quick: !args.full,
      sources: sources.map((s) => ({ notebook: s.name, exercises: s.info.exercises.map((e) => ({ exercise: e.name, points: e.points })) })),
    },
    submissions: [],
  };
  /** @type {(SubmissionReport | undefined)[]} */
  const results = new Array(submissions.length);
  let next = 0;
  let printed = 0;
  /**
   * @param {number} i
   * @returns {Promise<SubmissionReport>}
   */
  const gradeSafely = async (i) => {
    const sub = submissions[i];
    try {
      return await gradeOne(sub, ctx, i + 1);
    } catch (e) {
      // A bug of the grader must not lose the other submissions' grades.
      ctx.graderErrors++;
      return { submission: sub.label, path: sub.file, notebook: null, status: "grader-error", points: 0, max_points: 0, exercises: [], manual: [], notes: [], message: `grading failed: ${(e instanceof Error && e.stack) || e}` };
    }
  };
  const worker = async () => {
    while (next < submissions.length) {
      const i = next++;
      results[i] = await gradeSafely(i);
      for (let r = results[printed]; r !== undefined; r = results[printed]) {
        printSubmission(printed + 1, submissions.length, r);
        printed++;
      }
      report.submissions = results.flatMap((r) => r ?? []);
      writeReports(args.out, report); // after each submission, so an interrupted run keeps what it graded
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(args.jobs, submissions.length) }, worker));
  } finally {
    if (!args.keepScratch) rmSync(scratch, { recursive: true, force: true });
    else console.log(`Scratch folders kept in ${scratch}`);
  }
  console.log(`\nWrote ${rel(path.join(args.out, "grades.csv"))}, grades.json and the executed notebooks (they contain the hidden tests: do not hand them out) in ${rel(path.join(args.out, "executed"))}/`);
  if (ctx.graderErrors) {
    console.log(`${ctx.graderErrors} submission(s) could not be graded because of a problem of the grader, its installation or a source notebook (see above).`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof UsageError || isParseArgsError(e)) {
      console.error(`npm run grade: ${e.message}`);
      process.exit(2);
    }
    console.error(e);
    process.exit(1);
  },
);
