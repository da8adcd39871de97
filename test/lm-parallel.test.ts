import { describe, it, expect } from "vitest";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Adam, RecurrentState, TrainingDivergedError, clipGradNorm, jsLinalg, setLinalg, useTensorFlowLinalg } from "../lib/src/nn";
import { Random } from "../lib/src";
import { StreamBatches, StreamTrainingJob, StreamTrainingReport, stackedLSTMModel, trainInWorkers, trainOnStream } from "../lib/src/lm";

// The workers run the built library (a worker thread cannot load TypeScript);
// `npm run build` (run by `npm install`) writes it.
const WORKER = path.join(__dirname, "../lib/dist/lm/trainWorker.js");

/** "abcd" repeated, then ids: a text a small LSTM learns almost perfectly. */
const cycle = Int32Array.from({ length: 2_000 }, (_, i) => 1 + (i % 4));
const V = 5; // id 0 is the start token
const recipe = { batch: 4, steps: 10, learningRate: 0.05, start: 0 };

function job(name: string, seed: number, updates: number, hidden = 6): StreamTrainingJob {
  return { name: name, model: { vocabSize: V, hidden: hidden, layers: 2, seed: seed }, ids: cycle, training: { ...recipe, updates: updates } };
}

/** A run that would train for hours, on a text it cannot learn by heart: on `cycle` its loss nears 0 within seconds, where nn.train's growth check can end it by itself. */
function endless(name: string, seed: number): StreamTrainingJob {
  const rng = new Random(seed);
  return { ...job(name, seed, 10_000_000), ids: Int32Array.from({ length: 2_000 }, () => 1 + rng.int(4)) };
}

function weightsOf(m: ReturnType<typeof stackedLSTMModel>): number[][] {
  return m.parameters().map((p) => Array.from(p.value.data));
}

describe("stackedLSTMModel", () => {
  it("has the closed-form number of weights: 4H(V + H + 1) for the first layer, 4H(2H + 1) for each other, H·V + V for the readout", () => {
    const [Vv, H] = [130, 128];
    expect(stackedLSTMModel({ vocabSize: Vv, hidden: H, layers: 2, seed: 1 }).parameterCount).toBe(4 * H * (Vv + H + 1) + 4 * H * (2 * H + 1) + H * Vv + Vv);
    expect(stackedLSTMModel({ vocabSize: Vv, hidden: H, layers: 1, seed: 1 }).parameterCount).toBe(4 * H * (Vv + H + 1) + H * Vv + Vv);
    expect(stackedLSTMModel({ vocabSize: 92, hidden: 64, layers: 2, seed: 1 }).parameterCount).toBe(79_196); // lesson 10's Moby-Dick model
  });

  it("draws the same weights from the same seed, other weights from another", () => {
    const spec = { vocabSize: V, hidden: 6, layers: 2, seed: 3 };
    expect(weightsOf(stackedLSTMModel(spec))).toEqual(weightsOf(stackedLSTMModel(spec)));
    expect(weightsOf(stackedLSTMModel({ ...spec, seed: 4 }))).not.toEqual(weightsOf(stackedLSTMModel(spec)));
  });

  it("names a size that is not a positive integer", () => {
    expect(() => stackedLSTMModel({ vocabSize: V, hidden: 0, layers: 2, seed: 1 })).toThrow(/hidden must be a positive integer, got 0/);
    expect(() => stackedLSTMModel({ vocabSize: V, hidden: 4, layers: 1.5, seed: 1 })).toThrow(/layers must be a positive integer/);
  });
});

describe("trainOnStream", () => {
  it("is the loop of lessons 02–08: the same weights as writing it out (Adam, clipping at 5, state carried, reset at each pass)", () => {
    const spec = { vocabSize: V, hidden: 6, layers: 2, seed: 5 };
    const updates = 60; // 2,000 next-token pairs in 4 lanes of 10 steps: 50 windows per pass, so a second pass starts
    const viaLibrary = stackedLSTMModel(spec);
    trainOnStream(viaLibrary, cycle, { ...recipe, updates: updates });

    const byHand = stackedLSTMModel(spec);
    const optimizer = new Adam(byHand.parameters(), { learningRate: recipe.learningRate });
    const windows = StreamBatches.nextToken(cycle, { batch: recipe.batch, steps: recipe.steps, start: 0 });
    expect(windows.windows).toBe(50);
    let state: RecurrentState | undefined;
    for (let u = 0; u < updates; u++) {
      const j = u % windows.windows;
      if (j === 0) state = undefined;
      const w = windows.window(j);
      optimizer.zeroGrad();
      const r = byHand.loss(w.inputs, w.targets, recipe.batch, state);
      r.backward();
      clipGradNorm(byHand.parameters(), 5);
      optimizer.step();
      state = r.last;
    }
    expect(weightsOf(viaLibrary)).toEqual(weightsOf(byHand));
  });

  it("learns a text that repeats every 4 characters, and reports the mean loss every reportEvery updates and after the last", () => {
    const model = stackedLSTMModel({ vocabSize: V, hidden: 6, layers: 2, seed: 1 });
    const reports: StreamTrainingReport[] = [];
    const result = trainOnStream(model, cycle, { ...recipe, updates: 205, reportEvery: 50 }, (r) => reports.push(r));
    expect(reports.map((r) => r.update)).toEqual([50, 100, 150, 200, 205]);
    expect(reports[0].loss).toBeGreaterThan(0.5); // ln 5 = 1.61 at the start
    expect(result.finalLoss).toBe(reports[4].loss);
    expect(result.finalLoss).toBeLessThan(0.05); // each character follows from the one before
  });

  it("stops a diverging run with the loop's error, which says where and what to try", () => {
    const model = stackedLSTMModel({ vocabSize: V, hidden: 6, layers: 1, seed: 1 });
    const weights = model.parameters()[0].value.data;
    weights[0] = NaN;
    let error: unknown;
    try {
      trainOnStream(model, cycle, { ...recipe, updates: 5 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect((error as Error).message).toMatch(/diverged at step 0.*lower learning rate/);
  });

  it("names bad options", () => {
    const model = stackedLSTMModel({ vocabSize: V, hidden: 4, layers: 1, seed: 1 });
    expect(() => trainOnStream(model, cycle, { ...recipe, updates: 0 })).toThrow(/updates must be a positive integer, got 0/);
    expect(() => trainOnStream(model, cycle, { ...recipe, updates: 5, reportEvery: 0 })).toThrow(/reportEvery must be a positive integer/);
    expect(() => trainOnStream(model, cycle.slice(0, 20), { ...recipe, updates: 5 })).toThrow(/fewer than one window/);
  });
});

describe("trainInWorkers", () => {
  it("runs a build of the current sources (else: npm run build)", () => {
    const built = (f: string) => fs.statSync(path.join(__dirname, "../lib/dist/lm", f)).mtimeMs;
    const source = (f: string) => fs.statSync(path.join(__dirname, "../lib/src/lm", f)).mtimeMs;
    for (const f of ["trainWorker", "parallel", "streamTraining"]) expect(built(`${f}.js`)).toBeGreaterThanOrEqual(source(`${f}.ts`));
  });

  it("gives, bit for bit, the weights of training in this thread, in the order of the jobs, one worker or two", async () => {
    const jobs = [job("first", 11, 30), job("second", 12, 20), job("third", 13, 25)];
    const reports: string[] = [];
    const two = await trainInWorkers(jobs, { workers: 2, workerScript: WORKER, onReport: (name, r) => reports.push(`${name}@${r.update}`) });
    const one = await trainInWorkers(jobs, { workers: 1, workerScript: WORKER });
    expect(two.map((r) => r.name)).toEqual(["first", "second", "third"]);
    jobs.forEach((j, k) => {
      const here = stackedLSTMModel(j.model);
      const result = trainOnStream(here, j.ids, j.training);
      expect(weightsOf(two[k].model)).toEqual(weightsOf(here));
      expect(weightsOf(one[k].model)).toEqual(weightsOf(here));
      expect(two[k].finalLoss).toBe(result.finalLoss);
      expect(two[k].seconds).toBeGreaterThanOrEqual(0);
    });
    for (const name of ["first@30", "second@20", "third@25", "first@10", "third@20"]) expect(reports).toContain(name);
    expect(reports).toHaveLength(3 + 2 + 3);
  });

  it("on TensorFlow.js too: the worker sets up the same backend and products, and the weights agree bit for bit", async () => {
    await useTensorFlowLinalg(); // products of 40 × 32 · 32 × 128 and more: above minWork, so they run in TensorFlow.js
    try {
      const j = job("tfjs", 21, 15, 32);
      const [run] = await trainInWorkers([j], { workerScript: WORKER });
      const here = stackedLSTMModel(j.model);
      trainOnStream(here, j.ids, j.training);
      expect(weightsOf(run.model)).toEqual(weightsOf(here));
      setLinalg(jsLinalg);
      const plain = stackedLSTMModel(j.model);
      trainOnStream(plain, j.ids, j.training);
      expect(weightsOf(plain)).not.toEqual(weightsOf(here)); // float32 products in another order: the comparison above could tell
    } finally {
      setLinalg(jsLinalg);
    }
  });

  it("names a worker that ends without its weights, weights that do not fit, and a report callback that throws", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "workers-"));
    const script = (name: string, body: string) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, `const { parentPort } = require("worker_threads");\n${body}\n`);
      return file;
    };
    try {
      const exits = script("exits.js", "process.exit(3);");
      await expect(trainInWorkers([job("a", 1, 5)], { workerScript: exits })).rejects.toThrow(/run "a" failed: its worker exited \(code 3\) before sending the weights/);
      const noWeights = script("empty.js", 'parentPort.postMessage({ kind: "done", weights: [], seconds: 0, finalLoss: 0 });');
      await expect(trainInWorkers([job("a", 1, 5)], { workerScript: noWeights })).rejects.toThrow(/run "a" failed: it sent 0 weights for a model of 8/); // two layers of Wx, Wh, b; the readout's W, b
      const throwing = () => { throw new Error("the plot broke"); };
      await expect(trainInWorkers([job("a", 1, 50)], { workerScript: WORKER, onReport: throwing })).rejects.toThrow(/run "a" failed: onReport threw: the plot broke/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops the other runs when one fails, and starts no more", async () => {
    const reports: string[] = [];
    const bad = { ...job("bad", 1, 5), model: { vocabSize: V, hidden: 0, layers: 1, seed: 1 } };
    const call = trainInWorkers([endless("endless", 1), bad, job("queued", 2, 5)], { workers: 2, workerScript: WORKER, onReport: (name) => reports.push(name) });
    await expect(call).rejects.toThrow(/run "bad" failed/);
    const atFailure = reports.length;
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // the endless run reports every few milliseconds while it lives
    expect(reports.length).toBe(atFailure);
    expect(reports).not.toContain("queued");
  });

  it("stops every run when the caller's signal is aborted, or the process is interrupted (SIGINT, as Jupyter does)", async () => {
    for (const how of ["signal", "SIGINT"] as const) {
      const reports: string[] = [];
      const controller = new AbortController();
      const listeners = process.listenerCount("SIGINT");
      let during = -1;
      const call = trainInWorkers([endless("endless", 1), endless("endless too", 2)], {
        workerScript: WORKER,
        signal: controller.signal,
        onReport: (name) => {
          reports.push(name);
          if (reports.length === 4) {
            during = process.listenerCount("SIGINT");
            if (how === "signal") controller.abort();
            else process.emit("SIGINT");
          }
        },
      });
      await expect(call).rejects.toThrow(how === "signal" ? /stopped by the caller's signal; every run was stopped/ : /interrupted \(SIGINT\); every run was stopped/);
      expect(during).toBe(listeners + 1);
      expect(process.listenerCount("SIGINT")).toBe(listeners); // the listener goes with the call
      const atStop = reports.length;
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(reports.length).toBe(atStop);
    }
    const aborted = AbortSignal.abort();
    await expect(trainInWorkers([job("a", 1, 5)], { workerScript: WORKER, signal: aborted })).rejects.toThrow(/aborted before any run started/);
  });

  it("rejects with the failed run's name and its error, and names bad calls", async () => {
    const bad = { ...job("too small", 1, 5), model: { vocabSize: V, hidden: 0, layers: 1, seed: 1 } };
    await expect(trainInWorkers([job("fine", 1, 5), bad], { workerScript: WORKER })).rejects.toThrow(/run "too small" failed: stackedLSTMModel: hidden must be a positive integer, got 0/);
    await expect(trainInWorkers([], { workerScript: WORKER })).rejects.toThrow(/no jobs/);
    await expect(trainInWorkers([job("a", 1, 5), job("a", 2, 5)], { workerScript: WORKER })).rejects.toThrow(/same name/);
    await expect(trainInWorkers([job("a", 1, 5)], { workers: 0, workerScript: WORKER })).rejects.toThrow(/workers must be a positive integer, got 0/);
    await expect(trainInWorkers([job("a", 1, 5)], { workerScript: "/nonexistent/trainWorker.js" })).rejects.toThrow(/no worker script at .*npm run build/);
  });
});
