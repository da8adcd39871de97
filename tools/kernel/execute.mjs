// Executes a notebook headless in a Jupyter kernel, from Node alone (the
// protocol client is tools/kernel/client.mjs). Used by the course runner
// (tools/course.mjs) and meant for the grader as well.
//
//   node tools/kernel/execute.mjs SOURCE.ipynb OUTPUT.ipynb [options]
//
//   --kernel NAME        kernelspec (default: the course's, found through
//                        the project's jupyter/ folder)
//   --param NAME=VALUE   override a parameter (JSON value, else a string);
//                        repeatable
//   --timeout SECONDS    per cell (default 1800; -1: none)
//   --allow-errors       run every cell even after one failed
//   --json               progress as JSON lines (the events of executeNotebook)
//
// The source is only read. Parameters go into a new cell tagged
// `injected-parameters` right after the cell tagged `parameters` (papermill's
// convention); the kernel runs in the source notebook's folder. OUTPUT is
// rewritten after every cell (at most once a second, see throttledSaver),
// so a crash or a kill leaves what ran.
// A cell's number in every message is its place among the source notebook's
// code cells (the [n] of Run All), never shifted by the injected cell.
// Exit status: 0 every cell ran, 1 a cell failed or timed out or the kernel
// died, 2 bad usage or input, 3 the kernel could not be started, 130/143
// stopped by SIGINT/SIGTERM (the kernel is shut down, OUTPUT says so).
//
// Programmatic use:
//   import { executeNotebook, injectParameters } from "./kernel/execute.mjs";
//   const result = await executeNotebook(notebook, { kernelName, cwd, params,
//     timeoutSeconds, allowErrors, signal, onEvent, onSave });
// result.notebook is the executed copy; result.status is "ok", "failed" or
// "interrupted"; result.failure names the first failed cell; result.cells
// gives each code cell's status and time.
import { randomBytes } from "node:crypto";
import { renameSync, writeFileSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { startKernel, KernelError, KernelDiedError } from "./client.mjs";
import { readNotebook, NotebookError } from "../notebooks.mjs";
import { ROOT, jupyterEnv } from "../jupyter.mjs";
import { helpText, isParseArgsError } from "../cli.mjs";

/**
 * @typedef {import("../notebooks.mjs").Notebook} Notebook
 * @typedef {import("../notebooks.mjs").Cell} Cell
 * @typedef {import("../notebooks.mjs").Output} Output
 * @typedef {import("./client.mjs").Message} Message
 * @typedef {import("./client.mjs").KernelClient} KernelClient
 *
 * @typedef {"ok" | "error" | "timeout" | "died" | "interrupted" | "not-run" | "skipped"} CellStatus
 * @typedef {{ index: number, number: number | null, status: CellStatus, seconds: number }} CellResult
 *   `index`: the cell's place in the executed notebook (0-based, all cells);
 *   `number`: its place among the source's code cells (1-based), null for the injected parameters.
 * @typedef {{
 *   kind: "error" | "timeout" | "died" | "interrupted",
 *   index: number, number: number | null, source: string,
 *   ename: string, evalue: string, stderr: string, message: string,
 * }} CellFailure  `message`: one line that says what happened, for people.
 * @typedef {{ event: "kernel-ready", seconds: number, pid: number }
 *   | { event: "cell-start", index: number, number: number | null, of: number }
 *   | { event: "cell-done", index: number, number: number | null, seconds: number, status: CellStatus }
 *   | { event: "save", index: number }} ExecuteEvent
 * @typedef {{
 *   kernelName: string,
 *   kernelDisplayName?: string,
 *   cwd: string,
 *   params?: Record<string, unknown>,
 *   label?: string,
 *   timeoutSeconds?: number,
 *   startupTimeoutSeconds?: number,
 *   interruptGraceSeconds?: number,
 *   allowErrors?: boolean,
 *   env?: NodeJS.ProcessEnv,
 *   signal?: AbortSignal,
 *   onEvent?: (event: ExecuteEvent) => void,
 *   onSave?: (notebook: Notebook) => void,
 *   onKernel?: (kernel: KernelClient) => void,
 *   outputLimits?: OutputLimits,
 * }} ExecuteOptions
 *   `label` names the notebook in messages; `timeoutSeconds` is per cell (-1 or Infinity: none);
 *   `signal` stops the run (its reason, e.g. "SIGINT", is recorded); `onSave` gets the
 *   notebook after each cell, the injected parameters and the end; `onKernel` gets the
 *   started kernel (its pid, say, to watch its memory); `outputLimits` caps what is kept of
 *   the outputs (the grader's, against a cell that prints without end).
 * @typedef {{ cellBytes: number, totalBytes: number }} OutputLimits  sizes of the messages' content as JSON
 * @typedef {{ notebook: Notebook, status: "ok" | "failed" | "interrupted", failure: CellFailure | null, cells: CellResult[] }} ExecuteResult
 */

/** Bad input (a notebook without a parameters cell, an unknown parameter): nothing was run. */
export class ExecuteInputError extends Error {}

export const INJECTED_TAG = "injected-parameters";
export const PARAMETERS_TAG = "parameters";
/** The notebook metadata key where a run that did not finish says why (absent after a complete run). */
export const RUN_METADATA_KEY = "rnn-course-run";

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** @param {Cell} cell */
const sourceOf = (cell) => (Array.isArray(cell.source) ? cell.source.join("") : cell.source ?? "");
/** @param {Cell} cell */
const tags = (cell) => {
  const t = cell.metadata?.tags;
  return Array.isArray(t) ? /** @type {unknown[]} */ (t) : [];
};

/**
 * A copy of `nb` with a cell tagged `injected-parameters` after the cell
 * tagged `parameters`, assigning each override as JSON (the parameters cell
 * declares them with `let`). No parameters: the copy is unchanged.
 * @param {Notebook} nb
 * @param {Record<string, unknown>} params
 * @param {string} [label]  names the notebook in errors
 * @returns {Notebook}
 */
export function injectParameters(nb, params, label = "the notebook") {
  const copy = structuredClone(nb);
  const names = Object.keys(params);
  if (names.length === 0) return copy;
  const at = copy.cells.findIndex((c) => tags(c).includes(PARAMETERS_TAG));
  if (at < 0) throw new ExecuteInputError(`${label} has no cell tagged '${PARAMETERS_TAG}', so it takes no overrides`);
  const declared = [...sourceOf(copy.cells[at]).matchAll(/\b(?:let|var)\s+([A-Za-z_$][\w$]*)/g)].map((m) => m[1]);
  const lines = ["// Injected by the course runner: overrides of the parameters above."];
  for (const name of names) {
    if (!IDENTIFIER.test(name)) throw new ExecuteInputError(`parameter name ${JSON.stringify(name)} is not an identifier`);
    if (!declared.includes(name)) {
      throw new ExecuteInputError(`${label}: the parameters cell declares no \`let ${name}\`; it declares: ${declared.join(", ") || "nothing"}`);
    }
    const value = JSON.stringify(params[name]);
    if (value === undefined) throw new ExecuteInputError(`parameter ${name}: its value has no JSON form`);
    lines.push(`${name} = ${value};`);
  }
  lines.push("void 0; // keeps the cell from echoing the last value");
  copy.cells.splice(at + 1, 0, {
    // nbformat 4.5 gives every cell an id; the injected one gets a fresh one as nbformat would.
    ...((copy.nbformat_minor ?? 0) >= 5 ? { id: randomBytes(4).toString("hex") } : {}),
    cell_type: "code",
    execution_count: null,
    metadata: { tags: [INJECTED_TAG] },
    outputs: [],
    source: lines.join("\n"),
  });
  return copy;
}

/**
 * The nbformat output a kernel's iopub message stands for (nbformat's output_from_msg).
 * @param {Message} message
 * @returns {Output | null}
 */
function outputFromMessage(message) {
  const c = message.content;
  switch (message.header.msg_type) {
    case "stream":
      return { output_type: "stream", name: String(c.name), text: String(c.text) };
    case "display_data":
    case "update_display_data":
      return { output_type: "display_data", data: asObject(c.data), metadata: asObject(c.metadata) };
    case "execute_result":
      return { output_type: "execute_result", data: asObject(c.data), metadata: asObject(c.metadata), execution_count: c.execution_count ?? null };
    case "error":
      return {
        output_type: "error",
        ename: String(c.ename ?? ""),
        evalue: String(c.evalue ?? ""),
        traceback: Array.isArray(c.traceback) ? c.traceback.map(String) : [],
      };
    default:
      return null;
  }
}

/**
 * @param {unknown} x
 * @returns {import("../notebooks.mjs").JsonObject}
 */
const asObject = (x) => (typeof x === "object" && x !== null && !Array.isArray(x) ? /** @type {import("../notebooks.mjs").JsonObject} */ (x) : {});

/**
 * @param {string} text
 * @param {number} limit
 */
const firstLine = (text, limit) => {
  const t = text.replace(ANSI, "").trim();
  return t ? t.split("\n")[0].slice(0, limit) : "";
};

// The line of tslab's stderr that says what went wrong: a TypeScript message ("3:7 - Type ...")
// or a thrown error ("Error: ...", "Uncaught TypeError: ..."), not the stack's location lines before it.
const TS_ERROR = /^\d+:\d+ - /;
const JS_ERROR = /^(?:Uncaught )?(?:[A-Za-z_$][\w$.]*)?(?:Error|Exception)\b/;

/** @param {string} stderr */
function errorLine(stderr) {
  const lines = stderr.replace(ANSI, "").split("\n").map((l) => l.trim()).filter(Boolean);
  return (lines.find((l) => TS_ERROR.test(l)) ?? lines.find((l) => JS_ERROR.test(l)) ?? lines[0] ?? "").slice(0, 300);
}

/**
 * Executes `notebook` (not modified) in a fresh kernel and resolves to the
 * executed copy and what happened; see the file's header. Rejects with
 * ExecuteInputError (nothing ran) or KernelError (the kernel did not start).
 * @param {Notebook} notebook
 * @param {ExecuteOptions} options
 * @returns {Promise<ExecuteResult>}
 */
export async function executeNotebook(notebook, options) {
  const {
    kernelName,
    kernelDisplayName = kernelName,
    cwd,
    params = {},
    label = "the notebook",
    timeoutSeconds = 1800,
    startupTimeoutSeconds = 120,
    interruptGraceSeconds = 5,
    allowErrors = false,
    env = process.env,
    signal,
    onEvent = () => {},
    onSave = () => {},
    onKernel = () => {},
    outputLimits = { cellBytes: Infinity, totalBytes: Infinity },
  } = options;
  const nb = injectParameters(notebook, params, label);
  nb.metadata = { ...(nb.metadata ?? {}), kernelspec: { display_name: kernelDisplayName, language: "typescript", name: kernelName } };
  /** @type {number[]} the executed notebook's index of each source code cell */
  const codeCells = [];
  nb.cells.forEach((c, i) => {
    if (c.cell_type === "code" && !tags(c).includes(INJECTED_TAG)) codeCells.push(i);
  });
  const numberOf = (/** @type {number} */ index) => (codeCells.includes(index) ? codeCells.indexOf(index) + 1 : null);
  /** @type {CellResult[]} */
  const cells = nb.cells.flatMap((c, index) => (c.cell_type === "code" ? [{ index, number: numberOf(index), status: /** @type {CellStatus} */ ("not-run"), seconds: 0 }] : []));
  /** @type {CellFailure | null} */
  let failure = null;
  /** @param {Record<string, unknown> | null} state */
  const mark = (state) => {
    const meta = /** @type {Record<string, unknown>} */ (nb.metadata);
    if (state) meta[RUN_METADATA_KEY] = state;
    else delete meta[RUN_METADATA_KEY];
  };
  const aborted = () => (signal?.aborted ? String(signal.reason ?? "an interrupt") : null);
  if (aborted()) return { notebook: nb, status: "interrupted", failure: null, cells };

  /** What the outputs may still take: the whole notebook's budget, shared by its cells. */
  const budget = { cellBytes: outputLimits.cellBytes, left: outputLimits.totalBytes };
  const t0 = performance.now();
  const kernel = await startKernel({ kernelName, cwd, env, startupTimeoutMs: startupTimeoutSeconds * 1000 });
  try {
    onKernel(kernel);
    const info = asObject(kernel.kernelInfo.language_info);
    if (Object.keys(info).length) nb.metadata.language_info = info;
    onEvent({ event: "kernel-ready", seconds: (performance.now() - t0) / 1000, pid: kernel.pid });
    mark({ status: "running" });
    onSave(nb);

    for (const result of cells) {
      const { index, number } = result;
      const cell = nb.cells[index];
      const source = sourceOf(cell);
      if (!source.trim() || tags(cell).includes("skip-execution")) {
        result.status = "skipped";
        continue;
      }
      if (kernel.exited) {
        // It died between cells (a timer of the last cell called process.exit, say): nothing more can run.
        const where = number === null ? "the cell of injected parameters" : `code cell ${number}`;
        const why = new KernelDiedError(kernel).message;
        failure ??= { kind: "died", index, number, source, ename: "KernelDied", evalue: why.split("\n")[0], stderr: "", message: `${label}: ${where} did not run: ${why}` };
        mark({ status: "died", cell: number, message: failure.message });
        break;
      }
      if (aborted()) {
        mark({ status: "interrupted", cell: number, message: `stopped by ${aborted()} before code cell ${number} ran` });
        onSave(nb);
        return { notebook: nb, status: "interrupted", failure, cells };
      }
      onEvent({ event: "cell-start", index, number, of: codeCells.length });
      const started = performance.now();
      const options = { timeoutMs: timeoutSeconds < 0 ? Infinity : timeoutSeconds * 1000, graceMs: interruptGraceSeconds * 1000, signal, budget };
      let attempt = await runCell(kernel, cell, source, options);
      // After an error tslab aborts what it is sent for the next 200 ms (its queue is reset):
      // with allowErrors the next cell is sent again once that has passed.
      for (let retry = 0; attempt.status === "aborted" && retry < 5; retry++) {
        await delay(250);
        attempt = await runCell(kernel, cell, source, options);
      }
      const run = /** @type {{ status: Exclude<CellStatus, "not-run" | "skipped">, message: string, recovered?: boolean }} */ (
        attempt.status === "aborted" ? { status: "error", message: attempt.message } : attempt
      );
      result.seconds = (performance.now() - started) / 1000;
      result.status = run.status;
      onEvent({ event: "cell-done", index, number, seconds: Math.round(result.seconds * 1000) / 1000, status: run.status });
      if (run.status !== "ok") {
        const outputs = cell.outputs ?? [];
        const error = outputs.find((o) => o.output_type === "error");
        const stderr = outputs
          .filter((o) => o.output_type === "stream" && o.name === "stderr")
          .map((o) => (Array.isArray(o.text) ? o.text.join("") : o.text ?? ""))
          .join("");
        const where = number === null ? "the cell of injected parameters" : `code cell ${number}`;
        /** @type {CellFailure} */
        const f = {
          kind: /** @type {CellFailure["kind"]} */ (run.status),
          index,
          number,
          source,
          ename: typeof error?.ename === "string" ? error.ename : run.status,
          evalue: typeof error?.evalue === "string" ? firstLine(error.evalue, 2000) : "",
          stderr: stderr.replace(ANSI, "").trim().split("\n").slice(0, 20).join("\n"),
          message: `${label}: ${where} ${run.message}`,
        };
        failure ??= f;
        if (run.status === "interrupted") {
          mark({ status: "interrupted", cell: number, message: `stopped by ${aborted()} while ${where} ran` });
          onSave(nb);
          return { notebook: nb, status: "interrupted", failure, cells };
        }
        mark({ status: run.status === "error" ? "failed" : run.status, cell: number, message: f.message });
        onSave(nb);
        if (!allowErrors || run.status === "died") break;
        if (run.status === "timeout" && !run.recovered) break;
        continue;
      }
      onSave(nb);
    }
    if (!failure) mark(null);
    onSave(nb);
    return { notebook: nb, status: failure ? "failed" : "ok", failure, cells };
  } finally {
    await kernel.shutdown({ graceMs: signal?.aborted ? 0 : 2000 });
  }
}

/**
 * Runs one cell: its outputs replace the cell's, its execution count and
 * timings are recorded as nbclient records them.
 * @param {KernelClient} kernel
 * @param {Cell} cell
 * @param {string} code
 * @param {{ timeoutMs: number, graceMs: number, signal?: AbortSignal, budget: { cellBytes: number, left: number } }} options
 * @returns {Promise<{ status: "ok" | "error" | "timeout" | "died" | "interrupted" | "aborted", message: string, recovered?: boolean }>}
 */
async function runCell(kernel, cell, code, { timeoutMs, graceMs, signal, budget }) {
  /** @type {Output[]} */
  const outputs = [];
  cell.outputs = outputs;
  cell.execution_count = null;
  /** @type {Record<string, string>} */
  const timing = {};
  /** @type {Map<string, Output[]>} outputs shown under a display_id, for update_display_data */
  const displays = new Map();
  let clearOnNext = false;
  // Set when the cell is given up (timeout, interrupt): what the kernel sends later is not its output.
  let givenUp = false;
  let used = 0;
  let capped = false;
  /** @param {Message} m */
  const onIopub = (m) => {
    if (givenUp) return;
    const type = m.header.msg_type;
    if (type === "status") {
      const state = m.content.execution_state;
      if (state === "busy" || state === "idle") timing[`iopub.status.${state}`] = pythonTime(m.header.date);
      return;
    }
    if (type === "execute_input") timing["iopub.execute_input"] = pythonTime(m.header.date);
    if (type === "clear_output") {
      if (m.content.wait) clearOnNext = true;
      else outputs.length = 0;
      return;
    }
    const output = outputFromMessage(m);
    if (!output) return;
    if (Number.isFinite(budget.cellBytes) || Number.isFinite(budget.left)) {
      const size = JSON.stringify(m.content).length;
      if (used + size > budget.cellBytes || size > budget.left) {
        if (!capped) outputs.push({ output_type: "stream", name: "stderr", text: "[the rest of this cell's output was dropped: too large]\n" });
        capped = true;
        return;
      }
      used += size;
      budget.left -= size;
    }
    const displayId = asObject(m.content.transient).display_id;
    if (type === "update_display_data") {
      if (typeof displayId === "string") for (const o of displays.get(displayId) ?? []) Object.assign(o, { data: output.data, metadata: output.metadata });
      return;
    }
    if (clearOnNext) {
      outputs.length = 0;
      clearOnNext = false;
    }
    if (typeof displayId === "string") displays.set(displayId, [...(displays.get(displayId) ?? []), output]);
    outputs.push(output);
  };
  const content = { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true };
  const reply = kernel.request("shell", "execute_request", content, { onIopub });
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  /** @type {Promise<"timeout">} */
  const timedOut = new Promise((resolve) => {
    if (Number.isFinite(timeoutMs)) timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  /** @type {() => void} */
  let onAbort = () => {};
  /** @type {Promise<"interrupted">} */
  const interrupted = new Promise((resolve) => {
    onAbort = () => resolve("interrupted");
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  const finished = reply.then(
    (m) => /** @type {const} */ ({ reply: m }),
    (e) => /** @type {const} */ ({ error: /** @type {Error} */ (e) }),
  );
  try {
    const first = await Promise.race([finished, timedOut, interrupted]);
    if (first === "timeout" || first === "interrupted") {
      kernel.interrupt();
      // An interrupted cell's reply (and its error output) come if the kernel can
      // still answer; a busy loop in JavaScript cannot be interrupted at all.
      const late = await Promise.race([finished, delay(first === "timeout" ? graceMs : Math.min(graceMs, 1000))]);
      givenUp = true;
      const seconds = timeoutMs / 1000;
      outputs.push({
        output_type: "error",
        ename: first === "timeout" ? "CellTimeoutError" : "Interrupted",
        evalue:
          first === "timeout"
            ? `the cell did not finish within ${seconds} s (the runner's --timeout) and was interrupted`
            : `the run was stopped (${String(signal?.reason ?? "interrupt")}) while this cell ran`,
        traceback: [],
      });
      return first === "timeout"
        ? { status: "timeout", message: `timed out after ${seconds} s`, recovered: late !== undefined && "reply" in late }
        : { status: "interrupted", message: `was interrupted (${String(signal?.reason ?? "interrupt")})` };
    }
    if ("error" in first) {
      if (first.error instanceof KernelDiedError) {
        outputs.push({ output_type: "error", ename: "KernelDied", evalue: first.error.message.split("\n")[0], traceback: [] });
        return { status: "died", message: `stopped: ${first.error.message}` };
      }
      throw first.error;
    }
    const r = first.reply;
    timing["shell.execute_reply"] = pythonTime(r.header.date);
    cell.execution_count = typeof r.content.execution_count === "number" ? r.content.execution_count : null;
    cell.metadata = { ...(cell.metadata ?? {}), execution: timing };
    if (r.content.status === "ok") return { status: "ok", message: "ran" };
    if (r.content.status === "abort" || r.content.status === "aborted") return { status: "aborted", message: "was not run by the kernel (aborted)" };
    // tslab reports a thrown error and TypeScript's compile errors on stderr, with no error output.
    const error = outputs.find((o) => o.output_type === "error");
    const stderr = outputs.filter((o) => o.output_type === "stream" && o.name === "stderr").map((o) => (Array.isArray(o.text) ? o.text.join("") : o.text ?? "")).join("");
    const what = typeof error?.evalue === "string" && error.evalue ? `${firstLine(String(error.ename ?? ""), 200)}: ${firstLine(error.evalue, 300)}` : errorLine(stderr);
    return { status: "error", message: what ? `failed: ${what}` : "failed" };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * A message's ISO date as nbclient records it (Python's isoformat: microseconds).
 * @param {string} date
 */
const pythonTime = (date) => date.replace(/\.(\d{1,6})Z$/, (_, f) => `.${f.padEnd(6, "0")}Z`);

/** @param {number} ms */
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Text media types nbformat stores as lists of lines (JSON ones stay objects). */
const isJsonMime = (/** @type {string} */ mime) => mime === "application/json" || mime.endsWith("+json");

/**
 * @param {unknown} value
 * @returns {unknown}
 */
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  /** @type {Record<string, unknown>} */
  const sorted = {};
  for (const k of Object.keys(value).sort()) sorted[k] = sortKeys(/** @type {Record<string, unknown>} */ (value)[k]);
  return sorted;
}

/**
 * A notebook as nbformat writes it: multi-line text as lists of lines, keys
 * sorted, indent 1 (so an executed notebook diffs cleanly against Jupyter's).
 * @param {Notebook} nb
 */
export function formatExecuted(nb) {
  const lines = (/** @type {unknown} */ t) => (typeof t === "string" ? (t === "" ? [] : t.split(/(?<=\n)/)) : t);
  const copy = {
    ...nb,
    cells: nb.cells.map((c) => ({
      ...c,
      source: lines(c.source),
      ...(c.outputs
        ? {
            outputs: c.outputs.map((o) => ({
              ...o,
              ...(o.text !== undefined ? { text: lines(o.text) } : {}),
              ...(o.data
                ? { data: Object.fromEntries(Object.entries(o.data).map(([mime, v]) => [mime, isJsonMime(mime) ? v : lines(v)])) }
                : {}),
            })),
          }
        : {}),
    })),
  };
  return JSON.stringify(sortKeys(copy), null, 1) + "\n";
}

/**
 * Writes a file whole or not at all (a temporary file renamed over it), so
 * a reader or a kill never sees half a notebook.
 * @param {string} file
 * @param {string} text
 */
export function writeFileAtomic(file, text) {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/**
 * Saving after every cell, kept cheap: a lesson with its figures is several
 * MB of JSON, so a save waits until at least `minIntervalMs` and ten times
 * its own cost have passed since the last one; a save put off is made by a
 * timer then (so a long cell does not hold back what ran before it), or by
 * flush(), which the caller calls when the run ends.
 * @param {(notebook: Notebook) => void} write
 * @param {{ minIntervalMs?: number }} [options]
 */
export function throttledSaver(write, { minIntervalMs = 1000 } = {}) {
  let last = -Infinity;
  let cost = 0;
  /** @type {Notebook | null} */
  let pending = null;
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    if (!pending) return;
    const nb = pending;
    pending = null;
    const t0 = performance.now();
    write(nb);
    last = performance.now();
    cost = last - t0;
  };
  return {
    /** @param {Notebook} nb */
    save(nb) {
      pending = nb;
      const wait = Math.max(minIntervalMs, 10 * cost) - (performance.now() - last);
      if (wait <= 0) flush();
      else timer ??= setTimeout(flush, wait).unref();
    },
    flush,
  };
}

/** @param {string[]} argv */
async function cli(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      kernel: { type: "string" },
      param: { type: "string", multiple: true, default: [] },
      timeout: { type: "string", default: "1800" },
      "allow-errors": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(helpText(import.meta.url).split("\nProgrammatic use:")[0]);
    return 0;
  }
  if (positionals.length !== 2) throw new ExecuteInputError("expected SOURCE.ipynb OUTPUT.ipynb (see --help)");
  const [source, output] = positionals.map((p) => path.resolve(p));
  const timeoutSeconds = Number(values.timeout);
  if (!Number.isFinite(timeoutSeconds) || (timeoutSeconds <= 0 && timeoutSeconds !== -1)) {
    throw new ExecuteInputError(`--timeout ${values.timeout}: expected a positive number of seconds, or -1 for none`);
  }
  const params = parseParams(values.param);
  /** @type {Notebook} */
  let notebook;
  try {
    notebook = readNotebook(source);
  } catch (e) {
    if (e instanceof NotebookError) throw e;
    throw new ExecuteInputError(`cannot read ${source} (${e instanceof Error ? e.message : e})`);
  }
  // The course's own kernelspec (the one folder of jupyter/kernels/) unless --kernel names another.
  const kernelName = values.kernel ?? readdirSync(path.join(ROOT, "jupyter", "kernels"))[0];
  mkdirSync(path.dirname(output), { recursive: true });
  const controller = new AbortController();
  /** @type {NodeJS.Signals | null} */
  let stoppedBy = null;
  for (const sig of /** @type {const} */ (["SIGINT", "SIGTERM"])) {
    process.on(sig, () => {
      stoppedBy ??= sig;
      controller.abort(sig);
    });
  }
  const label = path.basename(source);
  const saver = throttledSaver((nb) => writeFileAtomic(output, formatExecuted(nb)));
  const result = await executeNotebook(notebook, {
    kernelName,
    cwd: path.dirname(source),
    params,
    label,
    timeoutSeconds,
    allowErrors: values["allow-errors"],
    env: jupyterEnv(),
    signal: controller.signal,
    onSave: saver.save,
    onEvent: (ev) => {
      if (values.json) console.log(JSON.stringify(ev));
      else if (ev.event === "cell-done") console.error(`${label}: code cell ${ev.number ?? "(parameters)"} ${ev.status} in ${ev.seconds.toFixed(1)} s`);
    },
  });
  saver.flush();
  if (values.json) console.log(JSON.stringify({ event: "done", status: result.status, failure: result.failure, cells: result.cells }));
  if (result.failure && !values.json) console.error(result.failure.message);
  if (stoppedBy) return stoppedBy === "SIGINT" ? 130 : 143;
  return result.status === "ok" ? 0 : 1;
}

/**
 * `--param name=value` options as an object: the value is JSON when it parses, else a string.
 * @param {string[]} list
 */
export function parseParams(list) {
  /** @type {Record<string, unknown>} */
  const params = {};
  for (const p of list) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new ExecuteInputError(`--param ${p}: expected name=value`);
    const raw = p.slice(eq + 1);
    try {
      params[p.slice(0, eq)] = JSON.parse(raw);
    } catch {
      params[p.slice(0, eq)] = raw;
    }
  }
  return params;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  cli(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      const usage = e instanceof ExecuteInputError || e instanceof NotebookError || isParseArgsError(e);
      console.error(`execute: ${e instanceof Error && (usage || e instanceof KernelError) ? e.message : e}`);
      process.exit(usage ? 2 : e instanceof KernelError ? 3 : 1);
    },
  );
}
