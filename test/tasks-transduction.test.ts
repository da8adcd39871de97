import { describe, it, expect } from "vitest";
import { Random } from "../lib/src";
import {
  transductionBatch, transductionTarget, transductionVocabSize, transductionText, exampleOf, SEQ_BOS, SEQ_EOS, SEQ_FIRST_SYMBOL,
} from "../lib/src/tasks";

describe("transduction tasks", () => {
  it("computes the targets: reverse, copy, sort", () => {
    expect(transductionTarget("reverse", [2, 5, 3])).toEqual([3, 5, 2]);
    expect(transductionTarget("copy", [2, 5, 3])).toEqual([2, 5, 3]);
    expect(transductionTarget("sort", [4, 2, 5, 2])).toEqual([2, 2, 4, 5]);
    expect(transductionText([SEQ_BOS, 2, 3, 27, SEQ_EOS])).toBe("<s> a b z </s>");
    expect(transductionVocabSize(10)).toBe(12);
  });

  it("lays a batch out time-major, the decoder's input and target shifted by one step", () => {
    for (const kind of ["reverse", "copy", "sort"] as const) {
      const B = 5, L = 4;
      const batch = transductionBatch(new Random(1), { kind, length: L, batch: B, symbols: 3 });
      expect([batch.source.length, batch.decoderInput.length, batch.decoderTarget.length]).toEqual([L * B, (L + 1) * B, (L + 1) * B]);
      for (let b = 0; b < B; b++) {
        const src = exampleOf(batch.source, B, b), tgt = transductionTarget(kind, src);
        for (const id of src) expect(id >= SEQ_FIRST_SYMBOL && id < SEQ_FIRST_SYMBOL + 3).toBe(true);
        expect(exampleOf(batch.decoderInput, B, b)).toEqual([SEQ_BOS, ...tgt]);
        expect(exampleOf(batch.decoderTarget, B, b)).toEqual([...tgt, SEQ_EOS]);
      }
    }
  });

  it("draws every symbol about equally often, and the same batch from the same seed", () => {
    const batch = transductionBatch(new Random(2), { kind: "copy", length: 10, batch: 3000, symbols: 6 });
    const counts = new Array(6).fill(0);
    for (const id of batch.source) counts[id - SEQ_FIRST_SYMBOL]++;
    // 30,000 draws: each count is 5,000 ± 65 (one standard deviation); allow 5.
    for (const c of counts) expect(Math.abs(c - 5000)).toBeLessThan(5 * Math.sqrt(30000 * (1 / 6) * (5 / 6)));
    const again = transductionBatch(new Random(2), { kind: "copy", length: 10, batch: 3000, symbols: 6 });
    expect(again.source).toEqual(batch.source);
  });

  it("rejects bad options, naming them", () => {
    const rng = new Random(0);
    expect(() => transductionBatch(rng, { kind: "rotate" as "copy", length: 3, batch: 2 })).toThrow(/kind must be "reverse", "copy" or "sort", got "rotate"/);
    expect(() => transductionBatch(rng, { kind: "copy", length: 0, batch: 2 })).toThrow(/length must be an integer ≥ 1, got 0/);
    expect(() => transductionBatch(rng, { kind: "copy", length: 2, batch: 1.5 })).toThrow(/batch must be an integer ≥ 1, got 1\.5/);
    expect(() => transductionBatch(rng, { kind: "copy", length: 2, batch: 2, symbols: 27 })).toThrow(/symbols must be an integer from 1 to 26, got 27/);
    expect(() => exampleOf([1, 2, 3], 2, 0)).toThrow(/3 ids are not a whole number of steps of batch 2/);
    expect(() => transductionText([30])).toThrow(/30 is not a token id/);
  });
});
