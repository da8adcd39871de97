// Shared by the benchmark's Node workers (engine-step.mjs, tfjs-layers-step.mjs):
// the problem's shapes, the command line, the timing loop, and peak memory.
//
// A worker measures ONE implementation on ONE model in its own process, so
// that peak memory is its own, and prints one line `RESULT {json}` on stdout
// for bench/run.mjs. Everything else goes to stderr.
import fs from "node:fs";
import { createRequire } from "node:module";

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
 */
export function makeBatch(Random, seed) {
  const { steps: T, batch: B, input: I, output: O } = SHAPE;
  const rng = new Random(seed);
  const x = new Float32Array(T * B * I);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const targets = Int32Array.from({ length: T * B }, () => rng.int(O));
  return { x, targets };
}

/** Loads the BUILT library (lib/dist), the code notebooks run. */
export function loadLib() {
  const require = createRequire(import.meta.url);
  try {
    return require("@rnn-course/lib");
  } catch (e) {
    console.error(`Cannot load @rnn-course/lib (${e.message.split("\n")[0]}). Run \`npm run build\` first.`);
    process.exit(1);
  }
}

/** `--name value` pairs into an object, with defaults; numbers stay numbers. */
export function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([\w-]+)$/.exec(argv[i]);
    if (!m) throw new Error(`unexpected argument ${argv[i]}`);
    const key = m[1].replace(/-(\w)/g, (_, c) => c.toUpperCase());
    const raw = argv[++i];
    if (raw === undefined) throw new Error(`--${m[1]} needs a value`);
    out[key] = typeof defaults[key] === "number" ? Number(raw) : raw;
  }
  return out;
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

export function mb(bytes) {
  return Math.round((bytes / 2 ** 20) * 10) / 10;
}

// ---------------------------------------------------------------- timing

/** Median, quartiles, min and max of a list of milliseconds. */
export function summarize(times) {
  const s = [...times].sort((a, b) => a - b);
  const q = (p) => {
    const x = p * (s.length - 1), lo = Math.floor(x), hi = Math.ceil(x);
    return s[lo] + (s[hi] - s[lo]) * (x - lo);
  };
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
 */
export async function measure(step, { warmup, steps, baselineRssMB = null, afterStep = () => {} }) {
  const losses = [];
  for (let i = 0; i < warmup; i++) losses.push(await step());
  if (global.gc) global.gc(); // start the window from a collected heap (node --expose-gc)
  const memory = memoryWindow();
  const times = [], cpuTimes = [];
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

/** Prints the worker's result for the runner. */
export function report(result) {
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}
