// Shared by the benchmark's Node workers (engine-step.mjs, tfjs-layers-step.mjs):
// the problem's shapes, the command line, the timing loop, and peak memory.
//
// A worker measures ONE implementation on ONE model in its own process, so
// that peak memory is its own, and prints one line `RESULT {json}` on stdout
// for bench/run.mjs. Everything else goes to stderr.
import fs from "node:fs";

/**
 * @typedef {typeof import("@rnn-course/lib")} Lib
 * @typedef {{ median: number, q1: number, q3: number, min: number, max: number, n: number }} Summary
 * @typedef {{ method: string, peakRssMB: number, peakHeapUsedMB: number, peakExternalMB: number }} PeakMemory
 *
 * What a worker reports (its RESULT line): `measure`'s report and the
 * worker's own fields (engine-step.mjs, tfjs-layers-step.mjs, torch_step.py).
 * @typedef {{
 *   impl: string, model: string, hidden: number, backend?: string, parameters?: number, warmup?: number,
 *   ms: Summary, cpuMs: Summary, times: number[], memory: PeakMemory & { baselineRssMB: number | null },
 *   firstLoss: number, lastLoss: number, wasmHeapMB?: number | null,
 *   productsFloor?: { calls: number, ms: Summary }, elementwiseAlone?: { ms: Summary },
 *   path?: string, paths?: Record<string, { ms: Summary, cpuMs: Summary, peakRssMB: number }>,
 *   blas?: { kind: string },
 * }} WorkerResult
 * One cell of the results: measured, failed, or not run.
 * @typedef {WorkerResult | { error: string } | { skipped: string }} ImplResult
 * @typedef {{ speedupVsTfLayers: number | null, ratioToTorch: number | null }} Ratios
 * A row of bench/results/latest.json: one model and hidden size, every implementation.
 * @typedef {Ratios & {
 *   model: string, hidden: number, results: Record<string, ImplResult>,
 *   cpu: Ratios, targets: { ratioToTorch: boolean | null },
 * }} Row
 * The whole file bench/results/latest.json.
 * @typedef {{
 *   date: string, seconds: number, quick: boolean,
 *   machine: { cpus: number, cpu: string | null, platform: string, node: string, loadavgStart: number[], loadavgEnd: number[] },
 *   problem: typeof SHAPE & { optimizer: string, learningRate: number, loss: string },
 *   steps: Record<string, [number, number]>,
 *   targets: { ratioToTorch: number },
 *   torch: { python: string, version: string, libraryPath: string | null } | { skipped: true, tried: string[] },
 *   rows: Row[],
 * }} BenchReport
 */

/**
 * The measurements of a result, or null when it failed or was skipped.
 * @param {ImplResult | undefined} r
 * @returns {WorkerResult | null}
 */
export const measuredResult = (r) => (r !== undefined && "ms" in r ? r : null);

/** The problem of the issue: a language-model-like training step. */
export const SHAPE = { steps: 50, batch: 32, input: 64, output: 64 };
export const MODELS = ["lstm", "gru", "rnn"];
/** The same optimizer and step size for every implementation. */
export const LEARNING_RATE = 0.01;

/**
 * The batch every step trains on, drawn from the library's seeded generator
 * (its own stream, so both Node implementations see the same numbers):
 * inputs x ~ N(0, 1), time-major [T·B, input] (row t·B + b is example b at
 * step t), and an integer target class per row.
 * @param {Lib["Random"]} Random
 * @param {number} seed
 */
export function makeBatch(Random, seed) {
  const { steps: T, batch: B, input: I, output: O } = SHAPE;
  const rng = new Random(seed);
  const x = new Float32Array(T * B * I);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const targets = Int32Array.from({ length: T * B }, () => rng.int(O));
  return { x, targets };
}

/**
 * Loads the BUILT library (lib/dist), the code notebooks run.
 * @returns {Promise<Lib>}
 */
export async function loadLib() {
  try {
    return await import("@rnn-course/lib");
  } catch (e) {
    console.error(`Cannot load @rnn-course/lib (${String(e instanceof Error ? e.message : e).split("\n")[0]}). Run \`npm run build\` first.`);
    process.exit(1);
  }
}

/**
 * `--name value` pairs into an object, with defaults; numbers stay numbers.
 * @template {Record<string, string | number>} T
 * @param {string[]} argv
 * @param {T} defaults
 * @returns {T}
 */
export function parseArgs(argv, defaults) {
  /** @type {Record<string, string | number>} */
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([\w-]+)$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${argv[i]}`);
    const key = m[1].replace(/-(\w)/g, (_, c) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`unknown option --${m[1]}; the options are ${Object.keys(defaults).map((k) => `--${k}`).join(", ")}`);
    const raw = argv[++i];
    if (raw === undefined) throw new Error(`--${m[1]} needs a value`);
    if (typeof defaults[key] === "number") {
      const value = Number(raw);
      if (!Number.isFinite(value)) throw new Error(`--${m[1]} ${raw}: expected a number`);
      out[key] = value;
    } else {
      out[key] = raw;
    }
  }
  // Every key is one of the defaults' and has its type (checked above).
  return /** @type {T} */ (out);
}

// ---------------------------------------------------------------- memory
//
// Peak resident memory of the TIMED steps only: after the warm-up we reset
// the kernel's high-water mark (writing 5 to /proc/self/clear_refs, Linux),
// so VmHWM afterwards is the peak RSS of the timed window. RSS includes the
// V8 heap, typed arrays and the wasm heap alike. Where the reset is not
// available we fall back to sampling RSS after every step (which misses
// peaks inside a step) and say so.

const PROC_STATUS = "/proc/self/status";

function vmHWMBytes() {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(fs.readFileSync(PROC_STATUS, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Starts a peak-memory window; `sample()` after each step, `finish()` at the end. */
export function memoryWindow() {
  let method = "VmHWM after a reset (/proc/self/clear_refs)";
  try {
    fs.writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    method = "RSS sampled after each step (clear_refs unavailable)";
  }
  if (vmHWMBytes() === null) method = "RSS sampled after each step (no /proc/self/status)";
  let sampledRss = 0, peakHeapUsed = 0, peakExternal = 0;
  return {
    sample() {
      const m = process.memoryUsage();
      sampledRss = Math.max(sampledRss, m.rss);
      peakHeapUsed = Math.max(peakHeapUsed, m.heapUsed);
      peakExternal = Math.max(peakExternal, m.external + m.arrayBuffers);
    },
    finish() {
      this.sample();
      const hwm = method.startsWith("VmHWM") ? vmHWMBytes() : null;
      return {
        method,
        peakRssMB: mb(hwm ?? sampledRss),
        peakHeapUsedMB: mb(peakHeapUsed),
        peakExternalMB: mb(peakExternal),
      };
    },
  };
}

/** Resident memory now: call before building the model to know the runtime's own share. */
export function rssMB() {
  return mb(process.memoryUsage().rss);
}

/**
 * Bytes to MB, one decimal.
 * @param {number} bytes
 */
export function mb(bytes) {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}

// ---------------------------------------------------------------- timing

/**
 * Median, quartiles, min and max of a list of milliseconds.
 * @param {number[]} times
 * @returns {Summary}
 */
export function summarize(times) {
  const s = [...times].sort((a, b) => a - b);
  /** @param {number} p */
  const q = (p) => {
    const x = p * (s.length - 1), lo = Math.floor(x), hi = Math.ceil(x);
    return s[lo] + (s[hi] - s[lo]) * (x - lo);
  };
  /** @param {number} v */
  const round = (v) => Math.round(v * 100) / 100;
  return { median: round(q(0.5)), q1: round(q(0.25)), q3: round(q(0.75)), min: round(s[0]), max: round(s[s.length - 1]), n: s.length };
}

/**
 * Runs `warmup` untimed steps, then `steps` timed ones inside a memory window.
 * Each step is timed twice: wall clock (`ms`, what a user waits) and the
 * process's CPU time (`cpuMs`, user + system, all threads), which other jobs
 * on a shared machine inflate far less.
 * `step` returns the loss (a number, or a promise of one). Returns the report
 * common to every worker.
 * @param {() => number | Promise<number>} step
 * @param {{ warmup: number, steps: number, baselineRssMB?: number | null, afterStep?: () => void }} options
 */
export async function measure(step, { warmup, steps, baselineRssMB = null, afterStep = () => {} }) {
  /** @type {number[]} */
  const losses = [];
  for (let i = 0; i < warmup; i++) losses.push(await step());
  if (global.gc) global.gc(); // start the window from a collected heap (node --expose-gc)
  const memory = memoryWindow();
  /** @type {number[]} */
  const times = [];
  /** @type {number[]} */
  const cpuTimes = [];
  for (let i = 0; i < steps; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    losses.push(await step());
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpuTimes.push((c.user + c.system) / 1000);
    memory.sample();
    afterStep();
  }
  const mem = { ...memory.finish(), baselineRssMB };
  if (!losses.every(Number.isFinite)) throw new Error(`a loss was not finite: ${losses.join(", ")}`);
  /** @param {number} t */
  const round = (t) => Math.round(t * 100) / 100;
  return {
    ms: summarize(times),
    cpuMs: summarize(cpuTimes),
    times: times.map(round),
    memory: mem,
    firstLoss: losses[0],
    lastLoss: losses[losses.length - 1],
  };
}

/**
 * Prints the worker's result for the runner.
 * @param {Record<string, unknown>} result
 */
export function report(result) {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

/**
 * Bytes of the wasm backend's heap (its Emscripten module's memory), or null
 * when another backend is active. `tf` is the caller's TensorFlow.js, the
 * instance the library registered its backend in.
 * @param {typeof import("@tensorflow/tfjs")} tf
 */
export function wasmHeapBytes(tf) {
  const backend = tf.backend();
  const wasm = "wasm" in backend ? backend.wasm : undefined;
  const heap = typeof wasm === "object" && wasm !== null && "HEAPU8" in wasm ? wasm.HEAPU8 : undefined;
  return heap instanceof Uint8Array ? heap.byteLength : null;
}
