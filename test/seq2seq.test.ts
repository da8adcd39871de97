import { describe, it, expect } from "vitest";
import { Random } from "../lib/src";
import { Adam, clipGradNorm, gradCheck } from "../lib/src/nn";
import { Seq2Seq, Seq2SeqOptions, scoreOutputs } from "../lib/src/seq2seq";
import { transductionBatch, transductionVocabSize, exampleOf } from "../lib/src/tasks";

/** A float64 model with every weight shaken, so that zero biases and the forget bias are not special. */
function model(options: Partial<Seq2SeqOptions> & { vocabSize: number }, seed = 1): Seq2Seq {
  const m = new Seq2Seq({ embeddingDim: 3, hiddenSize: 4, rng: new Random(seed), dtype: "float64", ...options });
  const rng = new Random(seed + 50);
  for (const p of m.parameters()) {
    for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += rng.normal(0, 0.5);
    p.changed();
  }
  return m;
}

describe("Seq2Seq gradients (float64 finite differences, the whole model)", () => {
  const cases: { label: string; options: Partial<Seq2SeqOptions> }[] = [
    { label: "LSTM, no attention", options: {} },
    { label: "LSTM with attention", options: { attention: true } },
    { label: "GRU with attention", options: { attention: true, cell: "gru" } },
  ];
  for (const { label, options } of cases) {
    it(`${label}: every parameter within 1e-6, none with an all-zero gradient`, () => {
      const V = transductionVocabSize(4);
      const m = model({ vocabSize: V, ...options });
      const batch = transductionBatch(new Random(3), { kind: "reverse", length: 4, batch: 2, symbols: 4 });
      const params = m.parameters();
      const results = gradCheck(params, () => m.loss(batch).loss, () => {
        for (const p of params) p.zeroGrad();
        m.loss(batch).backward();
      }, { maxElementsPerParameter: 25, seed: 4 });
      for (const r of results) expect(r.maxRelativeError, r.parameter).toBeLessThan(1e-6);
      // Every weight is used: the embeddings of the ids in the batch, the encoder through the decoder's first state…
      for (const p of params) expect(p.grad.data.some((g) => g !== 0), `${p.name} has an all-zero gradient`).toBe(true);
      expect(results.map((r) => r.parameter)).toContain("encoder.Wx");
      if (options.attention) expect(results.map((r) => r.parameter)).toEqual(expect.arrayContaining(["attention.Wa", "attention.Wc", "attention.bc"]));
    });
  }
});

describe("Seq2Seq decoding", () => {
  const V = transductionVocabSize(3); // <s>, </s>, a, b, c
  const source = [2, 4, 3, 3];

  it("greedy decoding's log-probabilities are those the teacher-forced forward pass gives its outputs", () => {
    for (const attention of [false, true]) {
      const m = model({ vocabSize: V, attention }, 8);
      const B = 3;
      const batch = transductionBatch(new Random(9), { kind: "reverse", length: 4, batch: B, symbols: 3 });
      const g = m.greedy(batch.source, B, { maxLength: 6 });
      for (let b = 0; b < B; b++) {
        const src = exampleOf(batch.source, B, b);
        const lp = m.logProbability(src, g.outputs[b]);
        if (g.finished[b]) expect(g.logProbs[b]).toBeCloseTo(lp, 10);
        expect(g.outputs[b].length).toBeLessThanOrEqual(6);
        if (attention) {
          expect(g.alignments?.[b].length).toBe(g.outputs[b].length + (g.finished[b] ? 1 : 0));
          for (const row of g.alignments![b]) expect(row.reduce((s, a) => s + a, 0)).toBeCloseTo(1, 12);
        }
      }
    }
  });

  it("beam search with width 1 is greedy decoding", () => {
    for (const attention of [false, true]) {
      for (let seed = 1; seed <= 4; seed++) {
        const m = model({ vocabSize: V, attention }, seed);
        const g = m.greedy(source, 1, { maxLength: 5 });
        const [best] = m.beamSearch(source, { beamWidth: 1, maxLength: 5 });
        expect(best.tokens).toEqual(g.outputs[0]);
        expect(best.finished).toBe(g.finished[0]);
        expect(best.logProb).toBeCloseTo(g.logProbs[0], 10);
      }
    }
  });

  it("a beam wide enough to keep every prefix finds the most probable output, as enumerating all of them does", () => {
    // Symbols a, b (ids 2, 3), outputs of at most 3 tokens: 1 + 2 + 4 + 8 = 15 candidates, each scored by the forward pass.
    const V2 = transductionVocabSize(2), src = [2, 3, 3];
    const all: number[][] = [[]];
    for (let len = 1; len <= 3; len++) for (let code = 0; code < 2 ** len; code++) all.push(Array.from({ length: len }, (_, i) => 2 + ((code >> i) & 1)));
    expect(all).toHaveLength(15);
    let beamBeatsGreedy = 0;
    for (let seed = 1; seed <= 6; seed++) {
      const m = model({ vocabSize: V2, attention: seed % 2 === 0 }, seed);
      // Scale the readout so that the model is confident and the outputs differ between seeds.
      m.readout.W.value.data.forEach((w, i) => (m.readout.W.value.data[i] = 3 * w));
      m.readout.W.changed();
      const scored = all.map((tokens) => ({ tokens, logProb: m.logProbability(src, tokens) }));
      scored.sort((a, b) => b.logProb - a.logProb);
      const beams = m.beamSearch(src, { beamWidth: 16, maxLength: 3 });
      expect(beams[0].tokens).toEqual(scored[0].tokens);
      expect(beams[0].logProb).toBeCloseTo(scored[0].logProb, 10);
      // Every finished hypothesis is scored as the forward pass scores it, best first.
      for (const h of beams) expect(h.logProb).toBeCloseTo(m.logProbability(src, h.tokens), 10);
      beams.slice(1).forEach((h, i) => expect(h.logProb).toBeLessThanOrEqual(beams[i].logProb));
      const g = m.greedy(src, 1, { maxLength: 3 });
      if (g.finished[0] && g.logProbs[0] < beams[0].logProb - 1e-9) beamBeatsGreedy++;
      if (g.finished[0]) expect(beams[0].logProb).toBeGreaterThanOrEqual(g.logProbs[0] - 1e-12);
    }
    // Not only ties: on some of these models greedy decoding misses the best output.
    expect(beamBeatsGreedy).toBeGreaterThan(0);
  });

  it("rejects bad options and ids, naming them", () => {
    const m = model({ vocabSize: V });
    expect(() => m.beamSearch(source, { beamWidth: 0, maxLength: 3 })).toThrow(/beamWidth must be an integer >= 1, got 0/);
    expect(() => m.greedy(source, 1, { maxLength: 0 })).toThrow(/maxLength must be an integer >= 1, got 0/);
    expect(() => m.greedy([2, 9], 1, { maxLength: 3 })).toThrow(/Embedding: ids\[1\] = 9 is not a vocabulary id: valid ids are 0\.\.4/);
    expect(() => m.greedy([2, 3, 4], 2, { maxLength: 3 })).toThrow(/Seq2Seq: source: 3 ids are not a whole, non-zero number of steps of batch 2/);
    expect(() => new Seq2Seq({ vocabSize: V, embeddingDim: 2, hiddenSize: 2, rng: new Random(0), bos: 1, eos: 1 })).toThrow(/bos and eos must differ/);
    expect(() => new Seq2Seq({ vocabSize: V, embeddingDim: 2, hiddenSize: 2, rng: new Random(0), eos: 7 })).toThrow(/is not a vocabulary id/);
    const batch = transductionBatch(new Random(1), { kind: "copy", length: 2, batch: 1, symbols: 3 });
    expect(() => m.loss({ ...batch, decoderTarget: batch.decoderTarget.slice(1) })).toThrow(/decoderTarget has 2 ids, decoderInput 3/);
  });
});

describe("scoreOutputs", () => {
  it("counts tokens position by position and whole sequences exactly", () => {
    // Targets of 3 + 2 tokens; output 1 has 2 right (one wrong), output 2 is right but one token too long.
    const s = scoreOutputs([[5, 6, 0], [3, 4, 4]], [[5, 6, 7], [3, 4]]);
    expect(s.tokenAccuracy).toBeCloseTo(4 / 5, 15);
    expect(s.sequenceAccuracy).toBe(0);
    expect(scoreOutputs([[1, 2], [3]], [[1, 2], [4]])).toEqual({ tokenAccuracy: 2 / 3, sequenceAccuracy: 0.5 });
    expect(scoreOutputs([[1]], [[1, 2]]).tokenAccuracy).toBe(0.5); // a missing token is an error
    expect(() => scoreOutputs([[1]], [])).toThrow(/1 outputs for 0 targets/);
  });
});

describe("Seq2Seq learns", () => {
  it("to reverse sequences of 3 symbols: greedy decoding right on more than 95% of fresh sequences", () => {
    const m = new Seq2Seq({ vocabSize: transductionVocabSize(4), embeddingDim: 8, hiddenSize: 16, attention: true, rng: new Random(2) });
    const adam = new Adam(m.parameters(), { learningRate: 0.01 });
    const rng = new Random(3);
    for (let step = 0; step < 300; step++) {
      const batch = transductionBatch(rng, { kind: "reverse", length: 3, batch: 32, symbols: 4 });
      adam.zeroGrad();
      m.loss(batch).backward();
      clipGradNorm(m.parameters(), 1);
      adam.step();
    }
    const test = transductionBatch(new Random(99), { kind: "reverse", length: 3, batch: 200, symbols: 4 });
    const g = m.greedy(test.source, 200, { maxLength: 6 });
    const targets = Array.from({ length: 200 }, (_, b) => exampleOf(test.decoderTarget, 200, b).slice(0, 3));
    expect(scoreOutputs(g.outputs, targets).sequenceAccuracy).toBeGreaterThan(0.95);
  });
});
