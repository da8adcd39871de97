import { describe, it, expect } from "vitest";
import { Matrix, Sequence, gradCheck, RecurrentLayer, RecurrentState, RNN, LSTM, GRU, Stacked, softmax, Adam } from "../lib/src/nn";
import { Random } from "../lib/src";
import { Vocabulary } from "../lib/src/text";
import { countNgrams, KneserNeyModel, evaluate } from "../lib/src/ngram";
import {
  nextTokenPairs, StreamBatches, mobyDickChars, RNNLanguageModel, softmaxWithTemperature, sampleFromLogits,
  argmax, entropy, rnnBackwardBySteps, sumMatrices, frobeniusNorm, maxAbsDifference, streamEvaluation,
} from "../lib/src/lm";

const V = 7;

function randomIds(rng: Random, n: number, vocab = V): number[] {
  return Array.from({ length: n }, () => rng.int(vocab));
}

function tinyModel(kind: "rnn" | "lstm" | "gru" | "stacked", seed: number, embeddingDim?: number): RNNLanguageModel {
  const rng = new Random(seed);
  const input = embeddingDim ?? V;
  const opts = { rng, dtype: "float64" as const };
  let layer: RecurrentLayer;
  if (kind === "rnn") layer = new RNN(input, 5, opts);
  else if (kind === "lstm") layer = new LSTM(input, 4, opts);
  else if (kind === "gru") layer = new GRU(input, 4, opts);
  else layer = new Stacked([new RNN(input, 4, { ...opts, name: "l0" }), new GRU(4, 3, { ...opts, name: "l1" })]);
  const model = new RNNLanguageModel({ vocabSize: V, layer, rng, embeddingDim });
  // Non-zero biases, so that their gradients are exercised.
  for (const p of model.parameters()) {
    for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += 0.1 * rng.normal();
    p.changed();
  }
  return model;
}

describe("nextTokenPairs and StreamBatches", () => {
  it("pairs each token with the one before it, optionally from a start token", () => {
    expect(nextTokenPairs([5, 6, 7])).toEqual({ inputs: Int32Array.from([5, 6]), targets: Int32Array.from([6, 7]) });
    expect(nextTokenPairs([5, 6, 7], 1)).toEqual({ inputs: Int32Array.from([1, 5, 6]), targets: Int32Array.from([5, 6, 7]) });
    expect(() => nextTokenPairs([5])).toThrow(/no next token/);
  });

  it("cuts the stream into contiguous lanes, time-major, each window continuing the last", () => {
    const ids = Array.from({ length: 50 }, (_, i) => i);
    const batches = StreamBatches.nextToken(ids, { batch: 3, steps: 4 }); // 49 pairs → lanes of 16 → 4 windows
    expect(batches.laneLength).toBe(16);
    expect(batches.windows).toBe(4);
    const w0 = batches.window(0), w1 = batches.window(1);
    // Lane b starts at position 16·b; entry t·B + b is lane b at step t.
    expect(Array.from(w0.inputs.slice(0, 3))).toEqual([0, 16, 32]);
    expect(Array.from(w0.targets.slice(0, 3))).toEqual([1, 17, 33]);
    expect(Array.from(w0.inputs.slice(9, 12))).toEqual([3, 19, 35]); // step 3
    expect(Array.from(w1.inputs.slice(0, 3))).toEqual([4, 20, 36]); // step 4: where window 0 stopped
    // Every target is the next input of its lane.
    for (let t = 0; t < 3; t++) for (let b = 0; b < 3; b++) expect(w0.targets[t * 3 + b]).toBe(w0.inputs[(t + 1) * 3 + b]);
    expect(() => batches.window(4)).toThrow(/outside 0..3/);
    expect(() => StreamBatches.nextToken(ids, { batch: 10, steps: 8 })).toThrow(/fewer than one window/);
  });
});

describe("mobyDickChars", () => {
  it("encodes both sides of the split with one character vocabulary", () => {
    const c = mobyDickChars({ minCount: 3, maxTrainChars: 5000 });
    expect(c.train.length).toBe(5000);
    expect(c.heldout.length).toBeGreaterThan(80_000);
    expect(c.vocab.tokens.slice(0, 3)).toEqual(["<unk>", "<s>", "</s>"]);
    expect(c.vocab.token(c.train[0]).length).toBe(1);
    expect(c.vocab.has(" ")).toBe(true);
    // No boundary tokens inside the streams: n-gram counting accepts them as one "sentence".
    expect(c.train.includes(c.vocab.bos) || c.train.includes(c.vocab.eos)).toBe(false);
  });
});

describe("RNNLanguageModel", () => {
  it("scores exactly ln|V| per token when its output is uniform", () => {
    const model = tinyModel("rnn", 1);
    model.readout.W.value.fill(0);
    model.readout.b.value.fill(0);
    const rng = new Random(2);
    const ids = randomIds(rng, 24);
    const r = model.loss(ids.slice(0, 20), ids.slice(4), 4);
    expect(r.loss).toBeCloseTo(Math.log(V), 12);
    expect(r.count).toBe(20);
    const e = model.evaluate(nextTokenPairs(ids, 0), { batch: 3, steps: 5 });
    expect(e.perplexity).toBeCloseTo(V, 10);
    expect(e.count).toBe(24);
  });

  it.each(["rnn", "lstm", "gru", "stacked"] as const)("passes a float64 gradient check of the whole model (%s, one-hot and embedding)", (kind) => {
    for (const embeddingDim of [undefined, 3]) {
      const model = tinyModel(kind, 3, embeddingDim);
      const rng = new Random(4);
      const B = 2, T = 6;
      const inputs = randomIds(rng, T * B), targets = randomIds(rng, T * B);
      // A non-zero first state, so that the state path is checked too.
      const first = model.layer.initialState(B);
      const fill = (s: RecurrentState): void => {
        const layers = (s as { layers?: RecurrentState[] }).layers;
        if (layers) return layers.forEach(fill);
        for (const m of [s.h, s.c]) if (m) for (let i = 0; i < m.data.length; i++) m.data[i] = 0.5 * rng.normal();
      };
      fill(first);
      const params = model.parameters();
      const results = gradCheck(
        params,
        () => model.loss(inputs, targets, B, first).loss,
        () => {
          for (const p of params) p.zeroGrad();
          model.loss(inputs, targets, B, first).backward();
        },
      );
      for (const r of results) expect(r.maxRelativeError, `${kind} ${r.parameter}`).toBeLessThan(1e-6);
      for (const p of params) expect(p.grad.data.some((g) => g !== 0), `${p.name} has no gradient`).toBe(true);
    }
  });

  it("evaluates a stream in lanes and windows exactly as in one pass per lane", () => {
    const model = tinyModel("gru", 5);
    const ids = randomIds(new Random(6), 41);
    const pairs = nextTokenPairs(ids, 1);
    // One lane, all at once, vs the same lane in windows of 7 steps: the state carries over.
    const whole = model.loss(pairs.inputs, pairs.targets, 1);
    const windowed = model.evaluate(pairs, { batch: 1, steps: 7 });
    expect(windowed.loss).toBeCloseTo(whole.loss, 12);
    expect(windowed.count).toBe(41);
    // Four lanes: each position counted once, with the tail of the last lane masked.
    const lanes = model.evaluate(pairs, { batch: 4, steps: 3 });
    expect(lanes.count).toBe(41);
    let total = 0;
    for (let b = 0; b < 4; b++) {
      const from = b * 11, to = Math.min(from + 11, 41);
      total += model.loss(pairs.inputs.slice(from, to), pairs.targets.slice(from, to), 1).loss * (to - from);
    }
    expect(lanes.loss).toBeCloseTo(total / 41, 12);
    // Accuracy is the fraction of positions whose argmax is the target.
    const f = model.forward(pairs.inputs, 1);
    let correct = 0;
    for (let i = 0; i < 41; i++) if (argmax(f.logits.data.data.subarray(i * V, (i + 1) * V)) === pairs.targets[i]) correct++;
    expect(windowed.accuracy).toBeCloseTo(correct / 41, 12);
  });

  it("rejects a layer whose input size matches neither one-hot nor the embedding", () => {
    const rng = new Random(1);
    expect(() => new RNNLanguageModel({ vocabSize: V, layer: new RNN(5, 4, { rng }), rng })).toThrow(/inputs of size 5.*vocabSize = 7/);
    expect(() => new RNNLanguageModel({ vocabSize: V, layer: new RNN(5, 4, { rng }), rng, embeddingDim: 3 })).toThrow(/embedding has size 3/);
  });

  it("generates reproducibly by seed; temperature 0 is greedy, and a tiny temperature agrees with it", () => {
    const model = tinyModel("lstm", 7);
    const prefix = [1, 3, 4];
    const a = model.generate(new Random(11), { prefix, length: 30 });
    const b = model.generate(new Random(11), { prefix, length: 30 });
    const c = model.generate(new Random(12), { prefix, length: 30 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // Greedy by hand: the argmax of the next distribution, fed back.
    const greedy = model.generate(new Random(11), { prefix, length: 15, temperature: 0 });
    const context = [...prefix];
    for (let i = 0; i < 15; i++) context.push(argmax(model.nextDistribution(context)));
    expect(greedy).toEqual(context.slice(prefix.length));
    // Greedy never draws: any seed gives the same text.
    expect(model.generate(new Random(99), { prefix, length: 15, temperature: 0 })).toEqual(greedy);
    expect(model.generate(new Random(5), { prefix, length: 15, temperature: 1e-4 })).toEqual(greedy);
  });

  it("never generates excluded tokens", () => {
    const model = tinyModel("rnn", 8);
    const out = model.generate(new Random(3), { length: 300, temperature: 2, exclude: [0, 1, 2] });
    expect(out.every((id) => id > 2)).toBe(true);
  });

  it("learns a periodic stream with truncated BPTT, carrying the state across windows", () => {
    const rng = new Random(9);
    const model = new RNNLanguageModel({ vocabSize: 5, layer: new RNN(5, 16, { rng }), rng });
    const ids = Array.from({ length: 2000 }, (_, i) => [0, 1, 2, 3, 4, 3, 2, 1][i % 8]); // "2" alone is ambiguous: needs state
    const batches = StreamBatches.nextToken(ids, { batch: 8, steps: 10 });
    const opt = new Adam(model.parameters(), { learningRate: 0.02 });
    let state: RecurrentState | undefined;
    for (let step = 0; step < 150; step++) {
      const j = step % batches.windows;
      if (j === 0) state = undefined;
      const w = batches.window(j);
      opt.zeroGrad();
      const r = model.loss(w.inputs, w.targets, 8, state);
      r.backward();
      opt.step();
      state = r.last;
    }
    const e = model.evaluate(nextTokenPairs(ids), { batch: 4, steps: 25 });
    expect(e.loss).toBeLessThan(0.05);
    expect(e.accuracy).toBeGreaterThan(0.99);
  });
});

describe("RNNLanguageModel with dropout", () => {
  /** tinyModel with dropout p on h_t: the same weights as without (the masks' stream is forked after them). */
  function withDropout(kind: "rnn" | "gru", seed: number, p: number, embeddingDim?: number): { plain: RNNLanguageModel; dropped: RNNLanguageModel } {
    const plain = tinyModel(kind, seed, embeddingDim);
    const rng = new Random(seed);
    const input = embeddingDim ?? V;
    const layer = kind === "rnn" ? new RNN(input, 5, { rng, dtype: "float64" }) : new GRU(input, 4, { rng, dtype: "float64" });
    const dropped = new RNNLanguageModel({ vocabSize: V, layer, rng, embeddingDim, dropout: p });
    dropped.parameters().forEach((q, i) => {
      q.value.data.set(plain.parameters()[i].value.data);
      q.changed();
    });
    return { plain, dropped };
  }

  it.each(["rnn", "gru"] as const)("passes a float64 gradient check with a fixed mask (%s, one-hot and embedding; the mask replayed by seed)", (kind) => {
    for (const embeddingDim of [undefined, 3]) {
      const { dropped: model } = withDropout(kind, 13, 0.4, embeddingDim);
      const rng = new Random(14);
      const B = 3, T = 5;
      const inputs = randomIds(rng, T * B), targets = randomIds(rng, T * B);
      const params = model.parameters();
      const replay = () => (model.dropout!.rng = new Random(15)); // every pass draws the same mask
      const results = gradCheck(
        params,
        () => (replay(), model.loss(inputs, targets, B).loss),
        () => {
          for (const q of params) q.zeroGrad();
          replay();
          model.loss(inputs, targets, B).backward();
        },
      );
      for (const r of results) expect(r.maxRelativeError, `${kind} ${r.parameter}`).toBeLessThan(1e-6);
      for (const q of params) expect(q.grad.data.some((g) => g !== 0), `${q.name} has no gradient`).toBe(true);
      // The mask really dropped something: some readout inputs are 0 where h_t was not.
      replay();
      const f = model.forward(inputs, B);
      const zeros = Array.from(f.readout.x.data.data).filter((v, i) => v === 0 && f.recurrent.h.data.data[i] !== 0).length;
      expect(zeros).toBeGreaterThan(0);
    }
  });

  it("the readout reads m ⊙ h_t / (1 − p) in training, h_t itself once training is off", () => {
    const p = 0.3;
    const { plain, dropped } = withDropout("gru", 16, p);
    const ids = randomIds(new Random(17), 24);
    const f = dropped.forward(ids, 4);
    const m = f.dropout!.mask!, h = f.recurrent.h.data, x = f.readout.x.data;
    for (let i = 0; i < x.data.length; i++) expect(x.data[i]).toBe(m.data[i] === 0 ? 0 : h.data[i] / (1 - p));
    dropped.training = false;
    expect(dropped.training).toBe(false);
    const off = dropped.loss(ids.slice(0, 20), ids.slice(4), 4);
    expect(off.forward.dropout!.mask).toBeNull();
    expect(off.loss).toBe(plain.loss(ids.slice(0, 20), ids.slice(4), 4).loss);
    dropped.training = true;
    expect(dropped.loss(ids.slice(0, 20), ids.slice(4), 4).loss).not.toBe(off.loss);
  });

  it("never drops in evaluate, generate and nextDistribution, and leaves the model in training mode", () => {
    const { plain, dropped } = withDropout("rnn", 18, 0.5);
    const ids = randomIds(new Random(19), 40);
    const pairs = nextTokenPairs(ids, 0);
    expect(dropped.evaluate(pairs, { batch: 3, steps: 4 }).loss).toBe(plain.evaluate(pairs, { batch: 3, steps: 4 }).loss);
    expect(Array.from(dropped.nextDistribution([1, 2, 3]))).toEqual(Array.from(plain.nextDistribution([1, 2, 3])));
    expect(dropped.generate(new Random(20), { prefix: [1], length: 25 })).toEqual(plain.generate(new Random(20), { prefix: [1], length: 25 }));
    expect(dropped.training).toBe(true);
    expect(dropped.dropout!.training).toBe(true);
  });

  it("draws the same masks from the same seed: two models built alike train alike", () => {
    const run = () => {
      const rng = new Random(21);
      const model = new RNNLanguageModel({ vocabSize: V, layer: new GRU(V, 6, { rng }), rng, dropout: 0.3 });
      const opt = new Adam(model.parameters(), { learningRate: 0.01 });
      const ids = randomIds(new Random(22), 60);
      for (let k = 0; k < 5; k++) {
        opt.zeroGrad();
        model.loss(ids.slice(0, 48), ids.slice(12), 4).backward();
        opt.step();
      }
      return Array.from(model.readout.W.value.data);
    };
    expect(run()).toEqual(run());
    // The masks' stream is forked after the weights are drawn: with or without dropout, the same initial weights.
    const weights = (dropout?: number) => {
      const rng = new Random(23);
      return new RNNLanguageModel({ vocabSize: V, layer: new GRU(3, 6, { rng }), rng, embeddingDim: 3, dropout }).parameters().map((q) => Array.from(q.value.data));
    };
    expect(weights(0.3)).toEqual(weights());
  });

  it("rejects a dropout probability outside [0, 1) and a non-boolean mode", () => {
    const rng = new Random(1);
    expect(() => new RNNLanguageModel({ vocabSize: V, layer: new RNN(V, 4, { rng }), rng, dropout: 1 })).toThrow(/Dropout: p, the probability of dropping a unit, must be a number in \[0, 1\), got 1/);
    const model = new RNNLanguageModel({ vocabSize: V, layer: new RNN(V, 4, { rng }), rng });
    expect(() => ((model as unknown as { training: unknown }).training = "no")).toThrow(/training must be a boolean/);
  });
});

describe("softmaxWithTemperature and sampling", () => {
  const logits = [2, 1, 0.5, -1, 3];

  it("is the softmax at τ = 1, one-hot at τ = 0, near uniform for a large τ", () => {
    const p1 = softmaxWithTemperature(logits, 1);
    const ref = softmax(Matrix.from([logits], "float64"));
    p1.forEach((p, i) => expect(p).toBeCloseTo(ref.data[i], 14));
    expect(Array.from(softmaxWithTemperature(logits, 0))).toEqual([0, 0, 0, 0, 1]);
    softmaxWithTemperature(logits, 1e6).forEach((p) => expect(p).toBeCloseTo(0.2, 5));
  });

  it("raises the entropy with the temperature", () => {
    const hs = [0.25, 0.5, 1, 1.5, 3].map((t) => entropy(softmaxWithTemperature(logits, t)));
    for (let i = 1; i < hs.length; i++) expect(hs[i]).toBeGreaterThan(hs[i - 1]);
    expect(entropy([0.5, 0.5])).toBeCloseTo(Math.log(2), 14);
  });

  it("draws the argmax at τ = 0 and matches the probabilities at τ = 1", () => {
    const rng = new Random(1);
    expect(sampleFromLogits(logits, 0, rng)).toBe(4);
    const n = 40_000, counts = new Array(5).fill(0);
    for (let i = 0; i < n; i++) counts[sampleFromLogits(logits, 1, rng)]++;
    const p = softmaxWithTemperature(logits, 1);
    counts.forEach((c, i) => expect(Math.abs(c / n - p[i])).toBeLessThan(0.01));
    expect(() => sampleFromLogits(logits, -1, rng)).toThrow(/temperature/);
    expect(() => softmaxWithTemperature([-Infinity, -Infinity])).toThrow(/excluded/);
  });
});

describe("bad input to the sampling helpers and the evaluation", () => {
  it("argmax refuses NaN wherever it sits, and an empty array", () => {
    expect(() => argmax([NaN, 1])).toThrow(/^argmax: values\[0\] is NaN; every value must be a number, not NaN$/);
    expect(() => argmax([1, NaN, 0])).toThrow(/^argmax: values\[1\] is NaN/);
    expect(() => argmax(new Float32Array([0, 2, NaN]))).toThrow(/^argmax: values\[2\] is NaN/);
    expect(() => argmax([])).toThrow(/^argmax: values is empty: there is no largest entry$/);
    expect(() => argmax(["3", 1] as unknown as number[])).toThrow(/^argmax: values\[0\] is "3"/);
    // Infinities are ordered: still fine.
    expect(argmax([-Infinity, 2, Infinity, 1])).toBe(2);
    expect(argmax([-Infinity, -Infinity])).toBe(0);
  });

  it("entropy refuses what is not a distribution: an empty array, a sum off 1, negative, NaN or infinite entries", () => {
    expect(() => entropy([0.5, 0.7])).toThrow(/^entropy: p sums to 1\.2, not 1 \(tolerance 0\.001\); normalize it first/);
    expect(() => entropy([3, 1])).toThrow(/p sums to 4, not 1/);
    expect(() => entropy([])).toThrow(/^entropy: p is empty; a distribution needs at least one outcome$/);
    expect(() => entropy([1.5, -0.5])).toThrow(/^entropy: p\[1\] is -0\.5; probabilities must be finite numbers >= 0$/);
    expect(() => entropy([NaN, 1])).toThrow(/^entropy: p\[0\] is NaN/);
    expect(() => entropy([Infinity])).toThrow(/^entropy: p\[0\] is Infinity/);
    // A float32 softmax over many outcomes sums to 1 only within rounding: accepted.
    const rng = new Random(9);
    const p32 = Float32Array.from(softmaxWithTemperature(Array.from({ length: 5000 }, () => 3 * rng.normal()), 1));
    expect(Number.isFinite(entropy(p32))).toBe(true);
    expect(entropy([1, 0])).toBe(0);
  });

  it("the temperature must be a finite number >= 0, and the logits numbers", () => {
    const rng = new Random(1);
    for (const t of [-0.5, NaN, Infinity]) {
      expect(() => softmaxWithTemperature([1, 2], t)).toThrow(new RegExp(`^softmaxWithTemperature: temperature must be a finite number >= 0, got ${t}$`));
      expect(() => sampleFromLogits([1, 2], t, rng)).toThrow(new RegExp(`^sampleFromLogits: temperature must be a finite number >= 0, got ${t}$`));
    }
    expect(() => sampleFromLogits([1, NaN], 0, rng)).toThrow(/softmaxWithTemperature: logit 1 is NaN/);
    expect(() => sampleFromLogits([], 1, rng)).toThrow(/softmaxWithTemperature: no logits/);
  });

  it("evaluate scores a stream whose whole windows are ignored, but refuses one where every target is", () => {
    const model = tinyModel("rnn", 2);
    const ids = randomIds(new Random(3), 30);
    const pairs = nextTokenPairs(ids, 0);
    const IGNORE = -1;
    // One lane, windows of 5: the first 10 targets (two whole windows) ignored.
    const targets = pairs.targets.map((t, i) => (i < 10 ? IGNORE : t));
    const partial = model.evaluate({ inputs: pairs.inputs, targets }, { batch: 1, steps: 5, ignoreIndex: IGNORE });
    expect(partial.count).toBe(pairs.targets.length - 10);
    expect(Number.isFinite(partial.loss) && partial.loss > 0).toBe(true);
    const none = { inputs: pairs.inputs, targets: pairs.targets.map(() => IGNORE) };
    expect(() => model.evaluate(none, { batch: 1, steps: 5, ignoreIndex: IGNORE })).toThrow(
      /^RNNLanguageModel\.evaluate: no target left to score: all 30 targets equal ignoreIndex = -1$/,
    );
  });
});

describe("rnnBackwardBySteps", () => {
  it("has per-step shares h_{t−1}ᵀ·dz_t that sum to RNN.backward's gradients", () => {
    const rng = new Random(21);
    const rnn = new RNN(3, 4, { rng, dtype: "float64" });
    const T = 6, B = 2;
    const x = new Sequence(T, B, Matrix.from(Array.from({ length: T * B }, () => randomIds(rng, 3, 5).map((v) => v - 2)), "float64"));
    const h0 = Matrix.from([[0.1, -0.2, 0.3, 0.0], [0.5, 0.1, -0.4, 0.2]], "float64");
    const f = rnn.forward(x, { h: h0 });
    const dh = Sequence.zeros(T, B, 4, "float64");
    dh.data.data.forEach((_, i) => (dh.data.data[i] = rng.normal()));
    const dLast = { h: Matrix.from([[0.3, 0.1, 0, -0.2], [0, 0.2, 0.1, 0.1]], "float64") };
    const steps = rnnBackwardBySteps(rnn, f, dh, dLast);
    for (const p of rnn.parameters()) p.zeroGrad();
    const back = rnn.backward(f, dh, dLast);
    expect(steps.dWhh).toHaveLength(T);
    expect(maxAbsDifference(sumMatrices(steps.dWhh), rnn.Whh.grad)).toBeLessThan(1e-13);
    expect(maxAbsDifference(sumMatrices(steps.dWxh), rnn.Wxh.grad)).toBeLessThan(1e-13);
    expect(maxAbsDifference(sumMatrices(steps.dbh), rnn.bh.grad)).toBeLessThan(1e-13);
    expect(maxAbsDifference(steps.dFirst.h, back.dFirst.h)).toBeLessThan(1e-13);
    // No single step carries the whole gradient.
    for (const share of steps.dWhh) expect(frobeniusNorm(share)).toBeLessThan(frobeniusNorm(rnn.Whh.grad) + 1e-9);
    expect(steps.dWhh.filter((s) => frobeniusNorm(s) > 0).length).toBe(T);
  });

  it("refuses the forward pass of another layer", () => {
    const rng = new Random(1);
    const gru = new GRU(3, 4, { rng, dtype: "float64" });
    const rnn = new RNN(3, 4, { rng, dtype: "float64" });
    const x = new Sequence(2, 1, Matrix.from([[0.5, -1, 0.3], [1, 0.2, -0.4]], "float64"));
    const dh = Sequence.zeros(2, 1, 4, "float64");
    expect(() => rnnBackwardBySteps(rnn, gru.forward(x), dh)).toThrow(/does not come from this vanilla RNN/);
    // The right layer, but weights changed since the forward pass.
    const f = rnn.forward(x);
    expect(() => rnnBackwardBySteps(rnn, f, dh)).not.toThrow();
    rnn.Wxh.value.data[0] += 0.5;
    expect(() => rnnBackwardBySteps(rnn, f, dh)).toThrow(/current weights/);
  });
});

describe("streamEvaluation", () => {
  it("scores every token of a stream: ngram.evaluate of the same stream minus its </s>", () => {
    const vocab = Vocabulary.build("abracadabra cadabra".split(""));
    const train = vocab.encode("abracadabra abracadabra cadabra".split(""));
    const test = vocab.encode("cabra dabra".split(""));
    const counts = countNgrams([train], vocab, 3);
    const model = new KneserNeyModel(counts, 3);
    const s = streamEvaluation(model, test);
    const whole = evaluate(model, [test]); // also predicts </s> after the last token
    const endTerm = Math.log(model.prob(test.slice(-2), vocab.eos));
    expect(s.count).toBe(test.length);
    expect(-s.loss * s.count).toBeCloseTo(whole.logProb - endTerm, 10);
    expect(s.perplexity).toBeCloseTo(Math.exp(s.loss), 12);
  });
});
