// Executes one submission for `npm run grade` and reports every code cell.
//
// Started by tools/exercises/grade.mjs inside the submission's network
// namespace (isolation.mjs: only a loopback, where the kernel's ports live);
// not meant to be run by hand. It is a Jupyter client in Node
// (tools/kernel/execute.mjs), no Python. It reads the notebook to execute
// (the student's cells with the instructor's test cells put back) as JSON on
// stdin: it is never written where the kernel can see it. The kernel is the
// grader's kernelspec (a sandboxed tslab, see sandbox.sh), found through
// JUPYTER_PATH.
//
// Every code cell runs even when an earlier one failed, and gets a status:
// ok | error | timeout | memory | died | not-run.
//   - error: the cell raised, or TypeScript refused to compile it; the
//     message is the first line of the error.
//   - timeout: the cell ran longer than --cell-timeout (or the submission used
//     up --time-limit): the kernel is killed.
//   - memory: the kernel used more than --memory-mb (resident memory of its
//     process tree, checked ten times a second) or hit the JavaScript heap
//     limit: the kernel is killed.
//   - died: the kernel process ended while running the cell (process.exit(),
//     a crash, a signal).
//   - error is also the status of a cell after which the kernel sent
//     something the client cannot read (everything the kernel sends is
//     untrusted): the client stops that kernel.
// After a kill or a death the notebook runs again from the top in a fresh
// kernel, skipping the cells that broke it, so one broken exercise costs
// only its own points.
//
// Progress goes to stdout as JSON lines:
//   {"event": "kernel-start", "attempt", "pid", "seconds"}
//   {"event": "cell", "index", "attempt", "status", "message"?, "seconds"}
//   {"event": "fatal", "message", "log"}          the kernel could not be started
//   {"event": "done", "cells": {index: result}, "restarts", "seconds"}   last
// Exit status: 0 the notebook was executed (whatever its cells did), 3 the
// kernel could not be started (an installation problem, not the student's),
// 2 bad usage.
import { readFileSync, readdirSync, appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { executeNotebook, formatExecuted, writeFileAtomic } from "../kernel/execute.mjs";
import { KernelError } from "../kernel/client.mjs";

/**
 * @typedef {import("../notebooks.mjs").Notebook} Notebook
 * @typedef {import("../notebooks.mjs").Cell} Cell
 * @typedef {import("../notebooks.mjs").Output} Output
 * @typedef {"ok" | "error" | "timeout" | "memory" | "died" | "not-run"} CellStatus
 * @typedef {{ status: CellStatus, message?: string, seconds?: number }} CellResult
 */

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const TS_ERROR = /^\d+:\d+ - /;
const JS_ERROR = /^(?:Uncaught )?(?:[A-Za-z_$][\w$.]*)?(?:Error|Exception)\b/;
const HEAP_OOM = /heap out of memory|Reached heap limit|Fatal process out of memory|Allocation failed/;

/** @param {Record<string, unknown>} event */
const emit = (event) => process.stdout.write(JSON.stringify(event) + "\n");

/**
 * One line of student-controlled text, safe to print on the instructor's terminal.
 * @param {string} text
 */
function clip(text, limit = 300) {
  const t = String(text ?? "").replace(ANSI, "").replace(CONTROL, " ").trim();
  return t.length <= limit ? t : `${t.slice(0, limit - 1)}…`;
}

/** @param {unknown} t */
const joined = (t) => (Array.isArray(t) ? t.join("") : typeof t === "string" ? t : "");

/**
 * The first line worth showing from a failed cell's outputs: an error
 * output, else tslab's stderr (a TypeScript message "line:column - ..."
 * relative to the cell, or the thrown error's line, not the stack).
 * @param {Output[]} outputs
 */
export function failureMessage(outputs) {
  for (const o of outputs) {
    if (o.output_type === "error") return clip(`${o.ename ?? "Error"}: ${o.evalue ?? ""}`.split("\n")[0]);
  }
  const text = outputs.filter((o) => o.output_type === "stream" && o.name === "stderr").map((o) => joined(o.text)).join("").replace(ANSI, "");
  const lines = text.split("\n").filter((l) => l.trim());
  const ts = lines.filter((l) => TS_ERROR.test(l));
  if (ts.length) return clip(`TypeScript error at ${ts[0]}${ts.length > 1 ? ` (and ${ts.length - 1} more)` : ""}`);
  const js = lines.filter((l) => JS_ERROR.test(l));
  if (js.length) return clip(js[js.length - 1]);
  const plain = lines.filter((l) => !l.startsWith("evalmachine.") && !/^\s*(at |\^)/.test(l));
  return clip(plain.length ? plain[plain.length - 1] : "failed without an error message");
}

// --- the kernel's processes --------------------------------------------------

/**
 * `root` and every process below it, from /proc (the runner is outside the
 * kernel's PID namespace, so it sees them all).
 * @param {number} root
 */
function descendants(root) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  let names;
  try {
    names = readdirSync("/proc");
  } catch {
    return [root];
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "latin1");
      // The command name (in parentheses) may hold spaces: the fields after its last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  const found = [];
  const todo = [root];
  while (todo.length) {
    const pid = /** @type {number} */ (todo.pop());
    found.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return found;
}

const PAGE_BYTES = 4096;

/** @param {number[]} pids */
function residentBytes(pids) {
  let total = 0;
  for (const pid of pids) {
    try {
      total += Number(readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]) * PAGE_BYTES;
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

/** @param {number} root */
function killTree(root) {
  for (const pid of descendants(root).reverse()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/**
 * Kills the kernel's process tree when its resident memory passes `limitBytes`.
 * @param {number} root
 * @param {number} limitBytes
 */
function watchMemory(root, limitBytes) {
  const state = { fired: 0, stop: () => clearInterval(timer) };
  const timer = setInterval(() => {
    const rss = residentBytes(descendants(root));
    if (rss > limitBytes) {
      state.fired = rss;
      clearInterval(timer);
      killTree(root);
    }
  }, 100);
  return state;
}

// -----------------------------------------------------------------------------

/**
 * @param {string[]} argv
 */
function parseCommandLine(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      kernel: { type: "string" },
      cwd: { type: "string" },
      output: { type: "string" },
      "kernel-log": { type: "string" },
      "cell-timeout": { type: "string", default: "120" },
      "time-limit": { type: "string", default: "600" },
      "memory-mb": { type: "string", default: "2048" },
      "startup-timeout": { type: "string", default: "90" },
      "max-output-mb": { type: "string", default: "16" },
    },
  });
  /** @param {"kernel" | "cwd" | "output" | "kernel-log"} name */
  const required = (name) => {
    const v = values[name];
    if (!v) throw new UsageError(`--${name} is required`);
    return v;
  };
  /** @param {"cell-timeout" | "time-limit" | "memory-mb" | "startup-timeout" | "max-output-mb"} name */
  const positive = (name) => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v <= 0) throw new UsageError(`--${name} ${values[name]}: expected a positive number`);
    return v;
  };
  return {
    kernel: required("kernel"),
    cwd: required("cwd"),
    output: required("output"),
    kernelLog: required("kernel-log"),
    cellTimeout: positive("cell-timeout"),
    timeLimit: positive("time-limit"),
    memoryMb: positive("memory-mb"),
    startupTimeout: positive("startup-timeout"),
    maxOutputMb: positive("max-output-mb"),
  };
}

class UsageError extends Error {}

/** @param {number} s */
const fmt = (s) => String(Math.round(s * 100) / 100);

/**
 * Runs the notebook, restarting after each cell that killed or hung the
 * kernel; see the file's header.
 * @param {Notebook} nb
 * @param {ReturnType<typeof parseCommandLine>} args
 * @returns {Promise<{ nb: Notebook, results: Record<string, CellResult> | null, attempt: number }>}
 */
async function run(nb, args) {
  const started = performance.now();
  const deadline = started + args.timeLimit * 1000;
  const notRun = () => /** @type {CellResult} */ ({ status: "not-run", message: `not run: the submission's time limit (${fmt(args.timeLimit)} s) was used up` });
  const codeCells = nb.cells.flatMap((c, i) => (c.cell_type === "code" && joined(c.source).trim() ? [i] : []));
  /** @type {Map<number, { result: CellResult, outputs: Output[] }>} cells that killed or hung a kernel */
  const broken = new Map();
  /** @type {Record<string, CellResult>} */
  let results = {};
  let executed = nb;
  let attempt = 0;
  for (;;) {
    attempt++;
    results = {};
    // The cells that broke an earlier kernel are not run again.
    const copy = structuredClone(nb);
    for (const index of broken.keys()) {
      const cell = copy.cells[index];
      const tags = cell.metadata?.tags;
      cell.metadata = { ...(cell.metadata ?? {}), tags: [...(Array.isArray(tags) ? tags : []), "skip-execution"] };
    }
    const stop = new AbortController();
    const untilDeadline = setTimeout(() => stop.abort("time-limit"), Math.max(0, deadline - performance.now()));
    /** @type {import("../kernel/client.mjs").KernelClient | null} */
    let kernel = null;
    /** @type {ReturnType<typeof watchMemory> | null} */
    let watchdog = null;
    let restart = false;
    /** @type {Awaited<ReturnType<typeof executeNotebook>>} */
    let outcome;
    try {
      outcome = await executeNotebook(copy, {
        kernelName: args.kernel,
        cwd: args.cwd,
        label: "the submission",
        timeoutSeconds: args.cellTimeout,
        startupTimeoutSeconds: args.startupTimeout,
        // The kernel of a cell that timed out is killed anyway: no waiting for it to answer the interrupt.
        interruptGraceSeconds: 0.5,
        allowErrors: true,
        outputLimits: { cellBytes: args.maxOutputMb * 2 ** 20, totalBytes: 4 * args.maxOutputMb * 2 ** 20 },
        signal: stop.signal,
        onKernel: (k) => {
          kernel = k;
          watchdog = watchMemory(k.pid, args.memoryMb * 2 ** 20);
          emit({ event: "kernel-start", attempt, pid: k.pid, seconds: Math.round(performance.now() - started) / 1000 });
        },
        onEvent: (ev) => {
          // A cell that timed out leaves a kernel that cannot be trusted to be idle: stop this attempt.
          if (ev.event === "cell-done" && ev.status === "timeout") stop.abort("restart");
        },
      });
    } catch (e) {
      clearTimeout(untilDeadline);
      /** @type {{ stop: () => void } | null} */ (watchdog)?.stop();
      if (!(e instanceof KernelError)) throw e;
      const [message, ...log] = e.message.split("\n");
      emit({ event: "fatal", message: `the kernel did not start: ${clip(message, 500)}`, log: log.slice(-8).map((l) => clip(l)) });
      return { nb: executed, results: null, attempt };
    }
    clearTimeout(untilDeadline);
    const watched = /** @type {ReturnType<typeof watchMemory> | null} */ (watchdog);
    watched?.stop();
    const k = /** @type {import("../kernel/client.mjs").KernelClient | null} */ (kernel);
    // The executor has shut the kernel down (its process group; in the sandbox, its whole PID namespace).
    if (k) {
      mkdirSync(path.dirname(args.kernelLog), { recursive: true });
      appendFileSync(args.kernelLog, `--- attempt ${attempt}\n${k.log}`); // for --keep-scratch
    }
    executed = outcome.notebook;
    const byIndex = new Map(outcome.cells.map((c) => [c.index, c]));
    for (const index of codeCells) {
      const cell = executed.cells[index];
      const seen = broken.get(index);
      if (seen) {
        results[index] = seen.result;
        cell.outputs = [...seen.outputs, { output_type: "stream", name: "stderr", text: `[grader: ${seen.result.message}; not run again]\n` }];
        continue;
      }
      const r = byIndex.get(index);
      // A kernel that died between cells (a timer of the last cell called process.exit(), say) is charged to the next cell.
      const diedBefore = outcome.failure?.kind === "died" && outcome.failure.index === index;
      if (!r || ((r.status === "not-run" || r.status === "skipped") && !diedBefore)) continue;
      const seconds = Math.round(r.seconds * 100) / 100;
      /** @type {CellResult} */
      let result;
      if (r.status === "ok") result = { status: "ok", seconds };
      else if (r.status === "error") result = { status: "error", message: failureMessage(cell.outputs ?? []), seconds };
      else if (r.status === "timeout") {
        result = { status: "timeout", message: `still running after ${fmt(args.cellTimeout)} s (the limit per cell): an endless loop?`, seconds };
      } else if (r.status === "interrupted") {
        // Only the submission's deadline interrupts a cell.
        result = { status: "timeout", message: `still running after ${Math.round(r.seconds)} s (the submission's time limit of ${fmt(args.timeLimit)} s): an endless loop?`, seconds };
      } else if (k?.unreadable) {
        // The client stopped a kernel that sent what it cannot read (say, the cell replaced JSON.stringify,
        // which the kernel writes its messages with): the student's failure, not the grader's.
        result = { status: "error", message: `the kernel sent a reply the grader cannot read (${clip(k.unreadable, 160)}): did this cell change the runtime (JSON, console, process)?`, seconds };
      } else if (watched?.fired) {
        result = { status: "memory", message: `used more than ${fmt(args.memoryMb)} MB of memory (${Math.round(watched.fired / 2 ** 20)} MB)`, seconds };
      } else if (k && HEAP_OOM.test(k.log)) {
        result = { status: "memory", message: "ran out of memory (the kernel's JavaScript heap limit)", seconds };
      } else {
        result = { status: "died", message: "the kernel died while running this cell (process.exit(), a crash or a signal)", seconds };
      }
      results[index] = result;
      emit({ event: "cell", index, attempt, ...result });
      // Every status but ok and a plain error means the kernel is gone (or was stopped): the rest runs in a fresh one.
      if (!(r.status === "ok" || r.status === "error")) {
        broken.set(index, { result, outputs: [...(cell.outputs ?? [])] });
        restart = true;
        break;
      }
    }
    if (!restart || performance.now() >= deadline) break;
  }
  for (const index of codeCells) results[index] ??= notRun();
  return { nb: executed, results, attempt };
}

async function main() {
  const args = parseCommandLine(process.argv.slice(2));
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  /** @type {Notebook} */
  const nb = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const t0 = performance.now();
  const { nb: executed, results, attempt } = await run(nb, args);
  writeFileAtomic(args.output, formatExecuted(executed));
  if (results === null) return 3;
  emit({ event: "done", cells: results, restarts: attempt - 1, seconds: Math.round(performance.now() - t0) / 1000 });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`run_submission: ${e instanceof UsageError ? e.message : (e instanceof Error && e.stack) || e}`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
