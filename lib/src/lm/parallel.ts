/**
 * Several training runs at once, one per core. The course's engine runs its
 * products on TensorFlow.js's wasm backend, which uses one thread in Node, so
 * two runs on a 2-core machine, each in a worker thread of its own, take 0.59
 * of the time they take one after another (npm run bench:parallel). Lesson 10
 * trains its networks this way.
 *
 * A run is described by plain data (a `StreamTrainingJob`), so that a worker
 * can build the same model from the same seed and train it with the same
 * code (`trainOnStream`). The worker sends back the trained weights, which
 * are loaded into a model built here from the same spec. Where a run trains
 * makes no difference to its result: the tests check the weights against a
 * run in this thread, bit for bit.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import * as tf from "@tensorflow/tfjs";
import { FloatArray } from "../nn/core/matrix";
import { linalg } from "../nn/compute/linalg";
import { BackendName, isBackendName } from "../nn/compute/backend";
import { TensorFlowLinalg } from "../nn/compute/tfLinalg";
import { RNNLanguageModel } from "./model";
import { StackedLSTMSpec, StreamTrainingOptions, StreamTrainingReport, stackedLSTMModel } from "./streamTraining";

/**
 * One training run: a model, a text, a recipe.
 * Used in lesson 10.
 */
export interface StreamTrainingJob {
  /** Names the run in reports and errors. */
  name: string;
  model: StackedLSTMSpec;
  /** The training text, as token ids. */
  ids: Int32Array;
  training: StreamTrainingOptions;
}

/** Where a worker does its matrix products: as the calling thread does, so that the result is the same. */
export type WorkerLinalg =
  | { name: "js" }
  | { name: "tfjs"; backend: BackendName; minWork: number; directCalls: boolean };

/** What a worker is given: the job, and where to do its products. */
export interface WorkerJob extends StreamTrainingJob {
  linalg: WorkerLinalg;
}

/** A trained run. */
export interface TrainedRun {
  name: string;
  model: RNNLanguageModel;
  /** Seconds the worker spent training (on a busy machine, more than alone). */
  seconds: number;
  /** The mean training loss of the last report. */
  finalLoss: number;
}

/** Options of {@link trainInWorkers}. */
export interface TrainInWorkersOptions {
  /** Runs at a time (default: the machine's cores, at most the number of jobs). Jobs start in the order given. */
  workers?: number;
  /** Receives every report of every run, with its name. */
  onReport?: (name: string, report: StreamTrainingReport) => void;
  /** The compiled worker script (default: trainWorker.js beside this module, in the built library). */
  workerScript?: string;
  /**
   * Stops every run when it is aborted. The process's SIGINT does the same
   * while the call runs: it is how Jupyter interrupts a kernel, and a student
   * who interrupts the cell expects the training to stop, not to go on in
   * the background on every core.
   */
  signal?: AbortSignal;
}

/** What a worker sends: reports while it trains, then the weights or an error. */
export type WorkerMessage =
  | { kind: "report"; report: StreamTrainingReport }
  | { kind: "done"; weights: { name: string; data: FloatArray }[]; seconds: number; finalLoss: number }
  | { kind: "failed"; message: string };

/** The weights a worker sent, loaded into `model` (built from the same spec), matched by name and size. */
function loadWeights(model: RNNLanguageModel, weights: { name: string; data: FloatArray }[]): void {
  const params = model.parameters();
  if (params.length !== weights.length) throw new Error(`it sent ${weights.length} weights for a model of ${params.length}`);
  params.forEach((p, k) => {
    const w = weights[k];
    if (w.name !== p.name || w.data.length !== p.value.data.length) {
      throw new Error(`it sent ${w.name} (${w.data.length} values) where the model has ${p.name} (${p.value.data.length})`);
    }
    p.value.data.set(w.data);
    p.changed();
  });
}

/** The products of this thread, described so that a worker can set up the same. */
function currentLinalg(): WorkerLinalg {
  const active = linalg();
  if (active.name === "js") return { name: "js" };
  const backend = tf.getBackend();
  if (active instanceof TensorFlowLinalg && isBackendName(backend)) {
    return { name: "tfjs", backend: backend, minWork: active.minWork, directCalls: active.directCalls };
  }
  throw new Error(`trainInWorkers: a worker cannot set up the products this thread uses ("${active.name}" on backend "${backend}"); use jsLinalg or useTensorFlowLinalg`);
}

/** The workers running now, so that one run's failure, or an interrupt, can stop the others. */
interface Pool {
  running: Set<Worker>;
  /** Why the runs were stopped, once they were. */
  stopped: string | null;
}

function stopAll(pool: Pool, reason: string): void {
  if (pool.stopped !== null) return;
  pool.stopped = reason;
  for (const worker of pool.running) void worker.terminate();
}

function runOne(job: StreamTrainingJob, script: string, products: WorkerLinalg, pool: Pool, onReport?: (name: string, r: StreamTrainingReport) => void): Promise<TrainedRun> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: { ...job, linalg: products } satisfies WorkerJob });
    pool.running.add(worker);
    let settled = false;
    const settle = () => {
      settled = true;
      pool.running.delete(worker);
    };
    const fail = (message: string) => {
      if (settled) return;
      settle();
      void worker.terminate();
      stopAll(pool, `run "${job.name}" failed`); // the call rejects with this error: the other runs' results would be thrown away
      reject(new Error(`trainInWorkers: run "${job.name}" failed: ${message}`));
    };
    worker.on("message", (m: WorkerMessage) => {
      if (m.kind === "report") {
        try {
          onReport?.(job.name, m.report);
        } catch (e) {
          fail(`onReport threw: ${(e as Error).message}`); // else it would escape into the event loop, and the run go on
        }
      }
      else if (m.kind === "failed") fail(m.message);
      else {
        try {
          const model = stackedLSTMModel(job.model);
          loadWeights(model, m.weights);
          settle();
          resolve({ name: job.name, model: model, seconds: m.seconds, finalLoss: m.finalLoss });
        } catch (e) {
          fail((e as Error).message);
        }
      }
    });
    worker.on("error", (e) => fail(e.message));
    worker.on("exit", (code) => fail(pool.stopped !== null ? `stopped: ${pool.stopped}` : `its worker exited (code ${code}) before sending the weights`));
  });
}

/**
 * Trains every job, `workers` at a time, each in a worker thread of its own,
 * and returns the trained models in the order of the jobs. The first run
 * that fails rejects the whole call with its error; the runs still going are
 * stopped, and so are all of them on an interrupt (`signal`, SIGINT).
 * Used in lesson 10.
 */
export async function trainInWorkers(jobs: readonly StreamTrainingJob[], options: TrainInWorkersOptions = {}): Promise<TrainedRun[]> {
  if (jobs.length === 0) throw new Error("trainInWorkers: no jobs");
  const names = new Set(jobs.map((j) => j.name));
  if (names.size !== jobs.length) throw new Error("trainInWorkers: two jobs have the same name; reports could not tell them apart");
  const workers = options.workers ?? Math.min(jobs.length, os.availableParallelism());
  if (!Number.isInteger(workers) || workers <= 0) throw new Error(`trainInWorkers: workers must be a positive integer, got ${workers}`);
  const script = options.workerScript ?? path.join(__dirname, "trainWorker.js");
  if (!fs.existsSync(script)) throw new Error(`trainInWorkers: no worker script at ${script}; build the library (npm run build)`);
  const products = currentLinalg();
  const signal = options.signal;
  if (signal?.aborted) throw new Error("trainInWorkers: the signal was aborted before any run started");
  const results: TrainedRun[] = new Array(jobs.length);
  const pool: Pool = { running: new Set(), stopped: null };
  let next = 0;
  const slot = async () => {
    while (next < jobs.length && pool.stopped === null) {
      const k = next++;
      results[k] = await runOne(jobs[k], script, products, pool, options.onReport);
    }
  };
  let interrupt: (reason: string) => void = () => {};
  const interrupted = new Promise<never>((_, reject) => {
    interrupt = (reason) => {
      stopAll(pool, reason);
      reject(new Error(`trainInWorkers: ${reason}; every run was stopped`));
    };
  });
  const onSigint = () => interrupt("interrupted (SIGINT)");
  const onAbort = () => interrupt("stopped by the caller's signal");
  // Not before this turn of the event loop has ended. tslab runs a cell's synchronous part with vm's
  // breakOnSigint, which takes the SIGINT listeners off while it runs and, when it ends, leaves the
  // signal to its default action if a listener was added meanwhile: the next interrupt then killed the
  // kernel (test/kernel-interrupt.test.ts).
  await new Promise<void>((resolve) => setImmediate(resolve));
  process.on("SIGINT", onSigint);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await Promise.race([Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, slot)), interrupted]);
  } finally {
    process.off("SIGINT", onSigint);
    signal?.removeEventListener("abort", onAbort);
  }
  return results;
}
