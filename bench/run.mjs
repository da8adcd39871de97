// `npm run bench`: one training step of LSTM, GRU and vanilla RNN, timed for
// three implementations in ONE run, with the ratios the course promises:
//
//   engine       the course's engine (lib/src/nn, built to lib/dist), products on
//                the fastest TensorFlow.js backend (wasm/XNNPACK here)
//   tf.layers    TensorFlow.js's Keras layers on the SAME backend (the faster of
//                model.trainOnBatch and optimizer.minimize, both measured)
//   torch        PyTorch on the CPU, one thread, when a python3 with torch exists
//
// A step: forward over 50 steps of a batch of 32 (input 64), a dense readout to
// 64 classes at every step, mean softmax cross-entropy against integer
// targets, the full backward pass (BPTT) and an SGD update. Rows: hidden 128
// for each model, and the small models at hidden 32.
//
// Each (implementation, model) runs in its own process (bench/engine-step.mjs,
// bench/tfjs-layers-step.mjs, bench/torch_step.py) so that peak memory is its
// own; the three of a row run back to back so that they share the machine's
// load as much as possible. Every step is timed in wall-clock ms and in the
// process's CPU ms (less disturbed by other jobs on a shared machine).
// Results: tables on stdout and bench/results/latest.json (not committed:
// bench/results/.gitignore). docs/benchmarks.md explains how to read them.
//
//   npm run build && npm run bench
//   npm run bench -- --quick                      # a smoke test: few steps
//   npm run bench -- --models lstm --hidden 128   # some rows only
//   npm run bench -- --impls engine,torch         # some implementations only
//   npm run bench -- --out /tmp/bench.json
//   BENCH_PYTHON=/path/to/python npm run bench    # the Python that has torch
//   npm run bench -- --torch-library-path DIR     # torch loads DIR/libblas.so.3 (e.g. OpenBLAS)
//                                                 # instead of the system's (also BENCH_TORCH_LIBRARY_PATH)
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MODELS, SHAPE, LEARNING_RATE, measuredResult } from "./common.mjs";

/**
 * @typedef {import("./common.mjs").WorkerResult} WorkerResult
 * @typedef {import("./common.mjs").ImplResult} ImplResult
 * @typedef {import("./common.mjs").Row} Row
 * @typedef {import("./common.mjs").BenchReport} BenchReport
 * @typedef {"engine" | "tfjs-layers" | "torch"} Impl
 * @typedef {{ python: string, version: string, tried: string[] } | { python: null, tried: string[] }} TorchFound
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "..");

// The target: the engine at most 3x slower than PyTorch on one thread. The ratio
// to tf.layers is reported as information only: both run the same XNNPACK
// products, whose time alone caps it near 11–13x at hidden 128
// (docs/benchmarks.md), so a 10x target for it measured nothing of the engine.
const TARGET_RATIO_TO_TORCH = 3;

/**
 * Warm-up and timed steps per implementation (tf.layers is slow: fewer steps).
 * @type {Record<"full" | "quick", Record<Impl, [number, number]>>}
 */
const STEPS = {
  full: { engine: [5, 30], "tfjs-layers": [2, 10], torch: [3, 15] }, // tf.layers: per training path, two paths
  quick: { engine: [2, 5], "tfjs-layers": [1, 2], torch: [1, 3] },
};
/** @type {Impl[]} */
const IMPLS = ["engine", "tfjs-layers", "torch"];
/** @type {Record<Impl, string>} */
const LABEL = { engine: "engine", "tfjs-layers": "tf.layers", torch: "torch" };
const WORKER_TIMEOUT_MS = 180_000;
// PyTorch on one thread: torch.set_num_threads(1) in the script, and the BLAS
// libraries' own thread pools held to one thread too.
/** @param {string | null} libraryPath */
function torchEnv(libraryPath) {
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1", BLIS_NUM_THREADS: "1" };
  // --torch-library-path: a folder whose libblas.so.3 (e.g. OpenBLAS's) torch should load instead of the system's.
  if (libraryPath) env.LD_LIBRARY_PATH = [libraryPath, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":");
  return env;
}

/** @param {string[]} argv */
function parseArgs(argv) {
  /** @type {{ quick: boolean, models: string[], hidden: number[], impls: Impl[], out: string, seed: number, torchLibraryPath: string | null }} */
  const args = {
    quick: false, models: MODELS, hidden: [128, 32], impls: IMPLS, out: path.join(here, "results", "latest.json"), seed: 1,
    torchLibraryPath: process.env.BENCH_TORCH_LIBRARY_PATH || null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (argv[i + 1] === undefined) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--quick") args.quick = true;
    else if (a === "--models") args.models = value().split(",");
    else if (a === "--hidden") args.hidden = value().split(",").map(Number);
    else if (a === "--impls") {
      args.impls = value().split(",").map((x) => {
        const impl = IMPLS.find((i) => i === x);
        if (!impl) throw new Error(`unknown implementation ${x}; use ${IMPLS.join(", ")}`);
        return impl;
      });
    }
    else if (a === "--out") args.out = path.resolve(value());
    else if (a === "--seed") {
      args.seed = Number(value());
      if (!Number.isInteger(args.seed)) throw new Error(`--seed: ${argv[i]} is not an integer`);
    }
    else if (a === "--torch-library-path") args.torchLibraryPath = path.resolve(value());
    else if (a === "--help" || a === "-h") {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), "utf8").split("\nimport")[0].replace(/^\/\/ ?/gm, ""));
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (try --help)`);
  }
  for (const m of args.models) if (!MODELS.includes(m)) throw new Error(`unknown model ${m}; use ${MODELS.join(", ")}`);
  for (const h of args.hidden) if (!(Number.isInteger(h) && h > 0)) throw new Error(`--hidden: ${h} is not a positive integer`);
  return args;
}

/** Stops with a hint unless lib/dist exists; warns when a source is newer than the build. */
function checkBuild() {
  const dist = path.join(root, "lib", "dist", "index.js");
  if (!fs.existsSync(dist)) {
    console.error("lib/dist is missing: run `npm run build` first (the bench measures the built library, as notebooks use it).");
    process.exit(1);
  }
  const built = fs.statSync(dist).mtimeMs;
  /** @type {string[]} */
  const newer = [];
  /** @param {string} dir */
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".ts") && fs.statSync(p).mtimeMs > built) newer.push(path.relative(root, p));
    }
  };
  walk(path.join(root, "lib", "src"));
  if (newer.length) console.warn(`warning: ${newer.length} source file(s) changed since the last build (e.g. ${newer[0]}); run \`npm run build\` to measure them.`);
}

/**
 * The first Python that can import torch: $BENCH_PYTHON, then `python3` on the
 * PATH, then /usr/bin/python3 (the first python3 on the PATH may be a pyenv
 * one without torch, while Debian's python3-torch lives in the system one).
 * @returns {TorchFound}
 */
function findTorch() {
  const candidates = [process.env.BENCH_PYTHON ?? "", "python3", "/usr/bin/python3"].filter((c) => c !== "");
  /** @type {string[]} */
  const tried = [];
  for (const python of [...new Set(candidates)]) {
    const r = spawnSync(python, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8", timeout: 60_000 });
    if (r.status === 0) return { python, version: r.stdout.trim(), tried };
    const why = r.error ? ("code" in r.error && typeof r.error.code === "string" ? r.error.code : r.error.message) : (r.stderr.trim().split("\n").pop() || `exit ${r.status}`);
    tried.push(`${python}: ${why}`);
  }
  return { python: null, tried };
}

/**
 * Runs one worker; resolves to its RESULT object, or to { error }.
 * @param {string} command
 * @param {string[]} args
 * @returns {Promise<ImplResult>}
 */
function runWorker(command, args, env = process.env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "", stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), WORKER_TIMEOUT_MS);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ error: `could not start ${command}: ${e.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
      // The workers print WorkerResult (common.mjs, torch_step.py).
      if (code === 0 && line) return resolve(/** @type {WorkerResult} */ (JSON.parse(line.slice("RESULT ".length))));
      const tail = stderr.trim().split("\n").slice(-6).join("\n");
      resolve({ error: `${signal ? `killed (${signal}${signal === "SIGKILL" ? `, over ${WORKER_TIMEOUT_MS / 1000} s` : ""})` : `exit ${code}`}${tail ? `:\n${tail}` : ""}` });
    });
  });
}

/**
 * The command line of one worker.
 * @param {Impl} impl
 * @param {string} model
 * @param {number} hidden
 * @param {{ quick: boolean, seed: number }} args
 * @param {TorchFound} torch
 * @returns {[string, string[]]}
 */
function workerCommand(impl, model, hidden, args, torch) {
  const [warmup, steps] = STEPS[args.quick ? "quick" : "full"][impl];
  const common = ["--model", model, "--hidden", String(hidden), "--warmup", String(warmup), "--steps", String(steps), "--seed", String(args.seed)];
  if (impl === "torch") {
    if (torch.python === null) throw new Error("no Python with torch");
    return [torch.python, [path.join(here, "torch_step.py"), ...common]];
  }
  const script = impl === "engine" ? "engine-step.mjs" : "tfjs-layers-step.mjs";
  return [process.execPath, ["--expose-gc", path.join(here, script), ...common]];
}

// ---------------------------------------------------------------- output

/**
 * @param {number | null | undefined} v
 * @param {number} [digits]
 */
const fmt = (v, digits = 1) => (v === null || v === undefined || Number.isNaN(v) ? "—" : v.toFixed(digits));

/**
 * A plain-text table; the first `alignLeft` columns are left-aligned.
 * @param {string[]} headers
 * @param {(string | number)[][]} rows
 */
function table(headers, rows, alignLeft = 1) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  /** @param {(string | number)[]} cells */
  const line = (cells) => cells.map((c, i) => (i < alignLeft ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join("  ");
  return [line(headers), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/**
 * @param {number | null} value
 * @param {boolean | null} ok
 */
function verdict(value, ok) {
  if (value === null) return "n/a";
  return ok ? "yes" : "NO";
}

// ---------------------------------------------------------------- main

const args = parseArgs(process.argv.slice(2));
checkBuild();
const started = Date.now();
const loadStart = os.loadavg();

/** @type {TorchFound} */
let torch = { python: null, tried: [] };
if (args.impls.includes("torch")) {
  torch = findTorch();
  if (torch.python !== null) console.log(`PyTorch ${torch.version} found in ${torch.python}; it runs on the CPU with torch.set_num_threads(1).`);
  else console.log(`PyTorch column skipped: no python3 with torch (${torch.tried.join("; ")}). Set BENCH_PYTHON to a Python that has it.`);
}

console.log(
  `Training step: ${SHAPE.steps} steps x batch ${SHAPE.batch}, input ${SHAPE.input}, readout to ${SHAPE.output} classes, ` +
  `cross-entropy, BPTT, SGD (lr ${LEARNING_RATE}). ${os.cpus().length} CPU(s) (${os.cpus()[0]?.model ?? "?"}), ` +
  `load average ${loadStart.map((l) => l.toFixed(2)).join(" ")}.${args.quick ? " QUICK mode: too few steps for real numbers." : ""}`,
);

/** @type {Row[]} */
const rows = [];
for (const hidden of args.hidden) {
  for (const model of args.models) {
    /** @type {Record<string, ImplResult>} */
    const results = {};
    for (const impl of args.impls) {
      if (impl === "torch" && torch.python === null) {
        results[impl] = { skipped: "no python3 with torch" };
        continue;
      }
      const [command, cmdArgs] = workerCommand(impl, model, hidden, args, torch);
      process.stdout.write(`  ${model} hidden ${hidden}: ${LABEL[impl]} ... `);
      const t0 = Date.now();
      const r = await runWorker(command, cmdArgs, impl === "torch" ? torchEnv(args.torchLibraryPath) : process.env);
      results[impl] = r;
      if ("error" in r) {
        console.log(`FAILED (${r.error.split("\n")[0]})`);
        if (r.error.includes("\n")) console.log(r.error.split("\n").slice(1).map((l) => `      ${l}`).join("\n"));
      } else if ("ms" in r) {
        console.log(`${fmt(r.ms.median)} ms/step (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
    }
    /**
     * @param {Impl} impl
     * @param {"ms" | "cpuMs"} [key]
     */
    const ms = (impl, key = "ms") => measuredResult(results[impl])?.[key].median ?? null;
    const e = ms("engine"), t = ms("tfjs-layers"), p = ms("torch");
    const speedupVsTfLayers = e && t ? t / e : null;
    const ratioToTorch = e && p ? e / p : null;
    // The same ratios in CPU time, which the machine's other jobs disturb less.
    const ec = ms("engine", "cpuMs"), tc = ms("tfjs-layers", "cpuMs"), pc = ms("torch", "cpuMs");
    rows.push({
      model, hidden, results, speedupVsTfLayers, ratioToTorch,
      cpu: { speedupVsTfLayers: ec && tc ? tc / ec : null, ratioToTorch: ec && pc ? ec / pc : null },
      targets: {
        ratioToTorch: ratioToTorch === null ? null : ratioToTorch <= TARGET_RATIO_TO_TORCH,
      },
    });
  }
}

const loadEnd = os.loadavg();
/**
 * @param {Row} r
 * @param {Impl} impl
 * @param {"ms" | "cpuMs"} key
 */
const cell = (r, impl, key, digits = 1) => fmt(measuredResult(r.results[impl])?.[key].median, digits);
/**
 * @param {Row} r
 * @param {Impl} impl
 */
const peak = (r, impl) => fmt(measuredResult(r.results[impl])?.memory.peakRssMB, 0);
/** @param {number | null} v */
const speedup = (v) => (v === null ? "—" : `${fmt(v)}x`);
/** @param {number | null} v */
const ratio = (v) => (v === null ? "—" : `${fmt(v, 2)}x`);
/**
 * Whether a ratio meets its target, null when there is no ratio.
 * @param {number | null} v
 * @param {(v: number) => boolean} meets
 */
const meetsTarget = (v, meets) => (v === null ? null : meets(v));
console.log("\nWall clock. ms: median ms per step; MB: peak resident memory of the process during the timed steps.");
console.log(
  table(
    ["model", "hidden", "engine ms", "tf.layers ms", "torch ms", "engine MB", "tf.layers MB", "torch MB",
      "vs tf.layers", "vs torch", `≤${TARGET_RATIO_TO_TORCH}x?`],
    rows.map((r) => [
      r.model, r.hidden, cell(r, "engine", "ms"), cell(r, "tfjs-layers", "ms"), cell(r, "torch", "ms"),
      peak(r, "engine"), peak(r, "tfjs-layers"), peak(r, "torch"),
      speedup(r.speedupVsTfLayers), ratio(r.ratioToTorch), verdict(r.ratioToTorch, r.targets.ratioToTorch),
    ]),
  ),
);
console.log("vs tf.layers = tf.layers ms / engine ms (higher is better); vs torch = engine ms / torch ms (lower is better; < 1: the engine is faster).");

console.log("\nCPU time (user + system of the process, median per step): the same comparison, less disturbed by other jobs on the machine.");
console.log(
  table(
    ["model", "hidden", "engine cpu ms", "tf.layers cpu ms", "torch cpu ms", "vs tf.layers", "vs torch", `≤${TARGET_RATIO_TO_TORCH}x?`],
    rows.map((r) => [
      r.model, r.hidden, cell(r, "engine", "cpuMs"), cell(r, "tfjs-layers", "cpuMs"), cell(r, "torch", "cpuMs"),
      speedup(r.cpu.speedupVsTfLayers),
      ratio(r.cpu.ratioToTorch), verdict(r.cpu.ratioToTorch, meetsTarget(r.cpu.ratioToTorch, (v) => v <= TARGET_RATIO_TO_TORCH)),
    ]),
  ),
);

const floorRows = rows.flatMap((r) => {
  const engine = measuredResult(r.results.engine);
  return engine?.productsFloor ? [{ r, engine, floor: engine.productsFloor }] : [];
});
if (floorRows.length) {
  console.log(
    "\nThe products' floor: the engine step's own matrix products, replayed alone through the same calls on operands of\n" +
    "the same shapes (nothing element-wise; wall clock, median). engine's rest = engine − floor, and outside = its share",
    "of the engine's step: the time the engine spends on its own (element-wise loops, loss, update, bookkeeping), the part",
    "it can still make faster. element-wise alone = the step with every product made free. ceiling = tf.layers ms / floor",
    "ms: the speed-up over tf.layers even a step that spent no time outside the products would reach (information only).",
  );
  console.log(
    table(
      ["model", "hidden", "products", "floor ms", "engine ms", "engine's rest ms", "outside", "element-wise alone ms", "ceiling vs tf.layers"],
      floorRows.map(({ r, engine, floor: f }) => {
        const floor = f.ms.median, e = engine.ms.median, t = measuredResult(r.results["tfjs-layers"])?.ms.median;
        return [
          r.model, r.hidden, f.calls, fmt(floor), fmt(e), fmt(e - floor), `${fmt((100 * (e - floor)) / e, 0)}%`,
          fmt(engine.elementwiseAlone?.ms.median), t ? speedup(t / floor) : "—",
        ];
      }),
    ),
  );
}

console.log("\nSpread of the wall-clock ms per step (min / first quartile / median / third quartile / max over n timed steps), and memory (MB: runtime alone before the model → peak while training):");
/** @type {(string | number)[][]} */
const spreadRows = [];
for (const r of rows) {
  for (const impl of args.impls) {
    const x = measuredResult(r.results[impl]);
    if (!x) continue;
    spreadRows.push([
      r.model, r.hidden, LABEL[impl] + (x.path ? ` (${x.path})` : ""),
      `${fmt(x.ms.min)} / ${fmt(x.ms.q1)} / ${fmt(x.ms.median)} / ${fmt(x.ms.q3)} / ${fmt(x.ms.max)}`, x.ms.n,
      `${fmt(x.memory.baselineRssMB, 0)} → ${fmt(x.memory.peakRssMB, 0)}`,
    ]);
  }
}
console.log(table(["model", "hidden", "impl", "min / q1 / median / q3 / max", "n", "MB"], spreadRows, 3));
/** @param {Impl} impl */
const backends = (impl) => [...new Set(rows.flatMap((r) => measuredResult(r.results[impl])?.backend ?? []))].join(", ");
if (args.impls.includes("engine") || args.impls.includes("tfjs-layers")) {
  console.log(`\nTensorFlow.js backend: engine on ${backends("engine") || "—"}, tf.layers on ${backends("tfjs-layers") || "—"}.`);
  if (backends("engine") && backends("tfjs-layers") && backends("engine") !== backends("tfjs-layers")) {
    console.log("  WARNING: not the same backend, so the comparison with tf.layers is not like for like.");
  }
}
const blas = [...new Set(rows.flatMap((r) => measuredResult(r.results.torch)?.blas?.kind ?? []))];
if (blas.length) {
  console.log(`\nPyTorch's matrix products ran on: ${blas.join(", ")}.`);
  if (blas.some((b) => b.startsWith("reference"))) {
    console.log(
      "  That is the unoptimized reference BLAS (Debian's default libblas3): PyTorch is several times slower on it than as\n" +
      "  usually installed. For a fair torch column install an optimized BLAS (Debian: apt-get install libopenblas0-pthread),\n" +
      "  or point this run at one without installing it: npm run bench -- --torch-library-path <dir with OpenBLAS's\n" +
      "  libblas.so.3> (docs/benchmarks.md shows how, and both sets of numbers).",
    );
  }
}
const slower = rows.flatMap((r) => {
  const layers = measuredResult(r.results["tfjs-layers"]);
  if (!layers?.paths) return [];
  return Object.entries(layers.paths).filter(([k]) => k !== layers.path).map(([, v]) => `${r.model} ${r.hidden}: ${fmt(v.ms.median)}`);
});
if (slower.length) console.log(`tf.layers' slower training path (ms per step, not used above): ${slower.join("; ")}.`);
console.log(`\nLoad average ${loadStart.map((l) => l.toFixed(2)).join(" ")} at the start, ${loadEnd.map((l) => l.toFixed(2)).join(" ")} at the end, on ${os.cpus().length} CPU(s): a load above the CPU count means other work shared the machine.`);

/** @type {BenchReport} */
const summary = {
  date: new Date().toISOString(),
  seconds: Math.round((Date.now() - started) / 100) / 10,
  quick: args.quick,
  machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? null, platform: `${os.platform()} ${os.release()}`, node: process.version, loadavgStart: loadStart, loadavgEnd: loadEnd },
  problem: { ...SHAPE, optimizer: "SGD", learningRate: LEARNING_RATE, loss: "mean softmax cross-entropy" },
  steps: STEPS[args.quick ? "quick" : "full"],
  targets: { ratioToTorch: TARGET_RATIO_TO_TORCH },
  torch: torch.python !== null ? { python: torch.python, version: torch.version, libraryPath: args.torchLibraryPath } : { skipped: true, tried: torch.tried },
  rows,
};
fs.mkdirSync(path.dirname(args.out), { recursive: true });
fs.writeFileSync(args.out, JSON.stringify(summary, null, 1) + "\n");
console.log(`Wrote ${path.relative(process.cwd(), args.out) || args.out} (${summary.seconds} s in all).`);
if (rows.some((r) => Object.values(r.results).some((x) => "error" in x))) process.exit(1);
