import { describe, it, expect } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Matrix, Parameter, Sequence, Dense, Dropout, gradCheck } from "../lib/src/nn";
import { Random } from "../lib/src";
import { compareWithTf, expectAgreement, tensorOf } from "./tfgrad";
import { dot, randn } from "./helpers";

/** A mask of 0s and 1s drawn with a Random of its own (each entry kept with probability 1 − p). */
function fixedMask(seed: number, rows: number, cols: number, p: number, dtype: "float32" | "float64" = "float64"): Matrix {
  return new Dropout({ p, rng: new Random(seed) }).drawMask(rows, cols, dtype);
}

describe("Dropout masks", () => {
  for (const p of [0.1, 0.3, 0.5, 0.8]) {
    it(`p = ${p}: the fraction of kept units is 1 − p within 4 standard errors over 200,000 units, and kept units are scaled by 1/(1 − p)`, () => {
      const layer = new Dropout({ p, rng: new Random(11) });
      const x = Matrix.zeros(400, 500, "float64").fill(1);
      const f = layer.forward(x);
      const n = x.data.length;
      const kept = Array.from(f.mask!.data).reduce((s, v) => s + v, 0);
      const se = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(kept / n - (1 - p))).toBeLessThan(4 * se);
      let wrong = 0;
      for (let i = 0; i < n; i++) if (f.y.data[i] !== (f.mask!.data[i] === 1 ? 1 / (1 - p) : 0)) wrong++;
      expect(wrong).toBe(0);
    });
  }

  it("preserves the expectation: the mean of y over 4,000 masks is x within 4 standard errors, entry by entry", () => {
    const p = 0.3, draws = 4000;
    const rng = new Random(3);
    const x = randn(rng, 3, 4);
    const layer = new Dropout({ p, rng: new Random(4) });
    const sum = new Float64Array(12);
    for (let k = 0; k < draws; k++) layer.forward(x).y.data.forEach((v, i) => (sum[i] += v));
    for (let i = 0; i < 12; i++) {
      // Var(y_i) = x_i² · p/(1 − p)
      const se = Math.abs(x.data[i]) * Math.sqrt(p / (1 - p) / draws);
      expect(Math.abs(sum[i] / draws - x.data[i]), `entry ${i}: x = ${x.data[i]}`).toBeLessThan(4 * se);
    }
  });

  it("draws the same masks from the same seed, other masks from another seed, and a fresh mask at every call", () => {
    const x = Matrix.zeros(20, 30, "float64").fill(1);
    const a = new Dropout({ p: 0.4, rng: new Random(7) }), b = new Dropout({ p: 0.4, rng: new Random(7) });
    const c = new Dropout({ p: 0.4, rng: new Random(8) });
    const a1 = a.forward(x).mask!, a2 = a.forward(x).mask!;
    expect(Array.from(b.forward(x).mask!.data)).toEqual(Array.from(a1.data));
    expect(Array.from(b.forward(x).mask!.data)).toEqual(Array.from(a2.data));
    expect(Array.from(c.forward(x).mask!.data)).not.toEqual(Array.from(a1.data));
    expect(Array.from(a2.data)).not.toEqual(Array.from(a1.data));
    a.rng = new Random(7); // replay
    expect(Array.from(a.forward(x).mask!.data)).toEqual(Array.from(a1.data));
  });

  it("on a Sequence: one mask entry per step, example and unit; the same numbers as on its matrix", () => {
    const rng = new Random(5);
    const x = new Sequence(6, 3, randn(rng, 18, 4));
    const fs = new Dropout({ p: 0.5, rng: new Random(9) }).forward(x);
    const fm = new Dropout({ p: 0.5, rng: new Random(9) }).forward(x.data);
    expect(fs.y).toBeInstanceOf(Sequence);
    expect(fs.y.steps).toBe(6);
    expect(fs.mask!.rows).toBe(18);
    expect(Array.from(fs.y.data.data)).toEqual(Array.from(fm.y.data));
    // Steps get different masks (not one mask repeated over time).
    expect(Array.from(fs.mask!.data.subarray(0, 12))).not.toEqual(Array.from(fs.mask!.data.subarray(12, 24)));
  });
});

describe("Dropout backward", () => {
  for (const dtype of ["float64", "float32"] as const) {
    it(`${dtype}: dx = m ⊙ dy / (1 − p) exactly, with the forward pass's mask`, () => {
      const p = 0.35, rng = new Random(12);
      const layer = new Dropout({ p, rng: new Random(13) });
      const x = randn(rng, 10, 7, dtype), dy = randn(rng, 10, 7, dtype);
      const f = layer.forward(x);
      const dx = layer.backward(f, dy);
      const round = dtype === "float32" ? Math.fround : (v: number) => v;
      let dropped = 0;
      for (let i = 0; i < dx.data.length; i++) {
        const want = round((f.mask!.data[i] * dy.data[i]) / (1 - p));
        expect(dx.data[i] === want, `entry ${i}: ${dx.data[i]} vs ${want}`).toBe(true);
        if (f.mask!.data[i] === 0) dropped++;
      }
      expect(dropped).toBeGreaterThan(0); // the mask did drop something
      expect(dropped).toBeLessThan(70);
    });
  }

  it("passes a gradient check in float64 with a fixed mask: through a Dense layer below and above it", () => {
    const rng = new Random(21);
    const below = new Dense(5, 6, { rng: new Random(1), dtype: "float64", name: "below" });
    const above = new Dense(6, 3, { rng: new Random(2), dtype: "float64", name: "above" });
    const layer = new Dropout({ p: 0.4, rng: new Random(3) });
    const x = new Parameter("x", randn(rng, 8, 5));
    const R = randn(rng, 8, 3);
    const mask = fixedMask(4, 8, 6, 0.4);
    const loss = () => dot(above.forward(layer.forward(below.forward(x.value).y, mask).y).y, R);
    const backward = () => {
      for (const p of [...below.parameters(), ...above.parameters(), x]) p.zeroGrad();
      const f1 = below.forward(x.value), f2 = layer.forward(f1.y, mask), f3 = above.forward(f2.y);
      x.grad.data.set(below.backward(f1, layer.backward(f2, above.backward(f3, R))).data);
    };
    const params = [...below.parameters(), ...above.parameters(), x];
    const results = gradCheck(params, loss, backward);
    for (const r of results) {
      expect(r.checked).toBeGreaterThan(0);
      expect(r.maxRelativeError, r.parameter).toBeLessThan(1e-7);
    }
    // The dropped hidden units receive no gradient: their columns of below.W have gradient exactly 0.
    const droppedEverywhere = Array.from({ length: 6 }, (_, j) => j).filter((j) => Array.from({ length: 8 }, (_, i) => mask.get(i, j)).every((v) => v === 0));
    for (const j of droppedEverywhere) for (let i = 0; i < 5; i++) expect(below.W.grad.get(i, j)).toBe(0);
  });

  it("agrees with TensorFlow.js autodiff for a fixed mask (float32): loss, W, b and dx within relative 1e-5", () => {
    const rng = new Random(31);
    const dense = new Dense(6, 5, { rng: new Random(32), name: "dense" });
    const p = 0.3;
    const layer = new Dropout({ p, rng: new Random(33) });
    const x = randn(rng, 9, 6, "float32"), R = randn(rng, 9, 5, "float32");
    const mask = fixedMask(34, 9, 5, p, "float32");
    const report = compareWithTf({
      params: dense.parameters(),
      inputs: { x },
      engine: () => {
        const f1 = dense.forward(x), f2 = layer.forward(f1.y, mask);
        return { loss: dot(f2.y, R), inputGrads: { x: dense.backward(f1, layer.backward(f2, R)) } };
      },
      tf: (prm, inp) => {
        const h = inp.x.matMul(prm["dense.W"]).add(prm["dense.b"]);
        const y = h.mul(tensorOf(mask)).div(tf.scalar(1 - p)); // y = m ⊙ h / (1 − p)
        return tf.sum(y.mul(tensorOf(R))) as tf.Scalar;
      },
    });
    expectAgreement(report, 1e-5);
  });
});

describe("Dropout at evaluation", () => {
  it("is the identity: y is x, no mask, no draw from the stream, and dx is dy", () => {
    const rng = new Random(41);
    const x = randn(rng, 4, 5), dy = randn(rng, 4, 5);
    const layer = new Dropout({ p: 0.5, rng: new Random(42), training: false });
    const f = layer.forward(x);
    expect(f.y).toBe(x);
    expect(f.mask).toBeNull();
    expect(layer.backward(f, dy)).toBe(dy);
    // No number was drawn: switching to training now gives the mask a fresh Random(42) gives.
    layer.training = true;
    expect(Array.from(layer.forward(x).mask!.data)).toEqual(Array.from(new Dropout({ p: 0.5, rng: new Random(42) }).forward(x).mask!.data));
  });

  it("p = 0 keeps everything, in training too", () => {
    const x = randn(new Random(43), 3, 3);
    const f = new Dropout({ p: 0, rng: new Random(44) }).forward(x);
    expect(f.y).toBe(x);
    expect(f.mask).toBeNull();
  });
});

describe("Dropout errors", () => {
  const rng = new Random(0);

  it("refuses p outside [0, 1), and a missing rng", () => {
    for (const p of [1, -0.1, 1.5, NaN, Infinity]) {
      expect(() => new Dropout({ p, rng })).toThrow(/Dropout: p, the probability of dropping a unit, must be a number in \[0, 1\)/);
    }
    expect(() => new Dropout({ p: "0.5", rng } as unknown as { p: number; rng: Random })).toThrow(/must be a number in \[0, 1\), got 0\.5/);
    expect(() => new Dropout({ p: 0.5 } as unknown as { p: number; rng: Random })).toThrow(/Dropout: pass a seeded Random as rng/);
  });

  it("refuses a mask of the wrong shape or with entries other than 0 and 1", () => {
    const layer = new Dropout({ p: 0.5, rng });
    const x = Matrix.zeros(3, 4, "float64");
    expect(() => layer.forward(x, Matrix.zeros(4, 3, "float64"))).toThrow(/Dropout: mask: expected shape the shape of x = \[3, 4\], got \[4, 3\]/);
    const half = Matrix.zeros(3, 4, "float64").fill(0.5);
    expect(() => layer.forward(x, half)).toThrow(/Dropout: mask entries must be 0 \(dropped\) or 1 \(kept\); entry 0 is 0\.5/);
  });

  it("refuses a dy of another shape, precision or kind than the input", () => {
    const layer = new Dropout({ p: 0.5, rng });
    const f = layer.forward(Matrix.zeros(3, 4, "float64"));
    expect(() => layer.backward(f, Matrix.zeros(3, 5, "float64"))).toThrow(/Dropout\.backward: dy: expected shape the shape of x = \[3, 4\], got \[3, 5\]/);
    expect(() => layer.backward(f, Matrix.zeros(3, 4, "float32"))).toThrow(/Dropout\.backward: dy is float32 but the input x was float64/);
    const fs = layer.forward(Sequence.zeros(3, 1, 4, "float64"));
    expect(() => layer.backward(fs, Matrix.zeros(3, 4, "float64") as unknown as Sequence)).toThrow(/dy must be a Sequence exactly when the forward input was one/);
  });
});
