import { describe, it, expect } from "vitest";
import { Matrix, Parameter, Sequence, gradCheck, Highway, HighwayActivation } from "../lib/src/nn";
import { Random } from "../lib/src";
import * as tf from "@tensorflow/tfjs";
import { compareWithTf, expectAgreement, tensorOf } from "./tfgrad";
import { dot, randn } from "./helpers";

describe("Highway gradients (float64 finite differences)", () => {
  for (const activation of ["tanh", "relu"] as HighwayActivation[]) {
    for (const transformBias of [-2, 0.5]) {
      it(`${activation}, transformBias ${transformBias}: max relative error < 1e-6 for W_H, b_H, W_T, b_T and x`, () => {
        const rng = new Random(21);
        const layer = new Highway(5, { rng: new Random(3), dtype: "float64", activation, transformBias });
        for (const p of layer.parameters()) for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += rng.normal(0, 0.3);
        const x = new Parameter("x", randn(rng, 6, 5));
        const R = randn(rng, 6, 5);
        const loss = () => dot(layer.forward(x.value).y, R);
        const backward = () => {
          for (const p of [...layer.parameters(), x]) p.zeroGrad();
          x.grad.data.set(layer.backward(layer.forward(x.value), R).data);
        };
        const results = gradCheck([...layer.parameters(), x], loss, backward);
        expect(results.map((r) => r.parameter)).toEqual(["highway.WH", "highway.bH", "highway.WT", "highway.bT", "x"]);
        for (const r of results) {
          expect(r.checked).toBeGreaterThan(0);
          expect(r.maxRelativeError, r.parameter).toBeLessThan(1e-6);
        }
      });
    }
  }

  it("on a Sequence: the same numbers as on its matrix, gradients included", () => {
    const rng = new Random(5);
    const layer = new Highway(3, { rng: new Random(1), dtype: "float64" });
    const x = new Sequence(4, 2, randn(rng, 8, 3));
    const dy = new Sequence(4, 2, randn(rng, 8, 3));
    const fs = layer.forward(x);
    const dxs = layer.backward(fs, dy);
    const gs = layer.parameters().map((p) => Array.from(p.grad.data));
    for (const p of layer.parameters()) p.zeroGrad();
    const fm = layer.forward(x.data);
    const dxm = layer.backward(fm, dy.data);
    expect(fs.y).toBeInstanceOf(Sequence);
    expect(dxs).toBeInstanceOf(Sequence);
    expect(Array.from(fs.y.data.data)).toEqual(Array.from(fm.y.data));
    expect(Array.from(fs.T.data.data)).toEqual(Array.from(fm.T.data));
    expect(Array.from(dxs.data.data)).toEqual(Array.from(dxm.data));
    layer.parameters().forEach((p, k) => expect(Array.from(p.grad.data)).toEqual(gs[k]));
  });
});

describe("Highway forward by hand", () => {
  // One unit, x = 2. With W_T = 0 the gate is T = σ(b_T); b_T = −ln 3 gives T = 1/(1 + 3) = 1/4.
  //   tanh: W_H = ln 2 / 2, b_H = 0 → H = tanh(ln 2) = 3/5
  //         y = T·H + (1 − T)·x = 0.25·0.6 + 0.75·2 = 1.65
  //   relu: W_H = 1, b_H = −1 → H = max(0, 2 − 1) = 1, y = 0.25·1 + 0.75·2 = 1.75
  //         b_H = −3 → H = 0, only the carry is left: y = 0.75·2 = 1.5
  const run = (activation: HighwayActivation, wH: number, bH: number) => {
    const layer = new Highway(1, { rng: new Random(0), dtype: "float64", activation, transformBias: -Math.log(3) });
    layer.WT.value.data[0] = 0;
    layer.WH.value.data[0] = wH;
    layer.bH.value.data[0] = bH;
    return layer.forward(Matrix.from([[2]], "float64"));
  };

  it("tanh: T = σ(b_T) = 1/4, y = 0.25·0.6 + 0.75·2 = 1.65", () => {
    const f = run("tanh", Math.log(2) / 2, 0);
    expect(f.T.get(0, 0)).toBeCloseTo(0.25, 12);
    expect(f.H.get(0, 0)).toBeCloseTo(0.6, 12);
    expect(f.y.get(0, 0)).toBeCloseTo(1.65, 12);
  });

  it("relu: y = 1.75 with H = 1, and y = 1.5 (pure carry) with H = 0", () => {
    expect(run("relu", 1, -1).y.get(0, 0)).toBeCloseTo(1.75, 12);
    expect(run("relu", 1, -3).y.get(0, 0)).toBeCloseTo(1.5, 12);
  });

  it("starts by carrying: with the default transformBias −2 the gates sit near σ(−2) ≈ 0.12", () => {
    const rng = new Random(8);
    const layer = new Highway(16, { rng: new Random(2) });
    expect(Array.from(layer.bT.value.data).every((b) => b === -2)).toBe(true);
    const x = Matrix.zeros(32, 16);
    for (let i = 0; i < x.data.length; i++) x.data[i] = rng.normal(0, 0.5);
    const T = layer.forward(x).T.data;
    const mean = Array.from(T).reduce((s, v) => s + v, 0) / T.length;
    expect(mean).toBeGreaterThan(0.08);
    expect(mean).toBeLessThan(0.2);
  });
});

describe("Highway errors", () => {
  const rng = new Random(0);

  it("names the input and its expected width", () => {
    const layer = new Highway(4, { rng });
    expect(() => layer.forward(Matrix.zeros(3, 5))).toThrow(/Highway: input x: expected shape \[rows, size\] = \[3, 4\], got \[3, 5\]/);
    expect(() => layer.forward(Matrix.zeros(3, 4, "float64"))).toThrow(/Highway: input x is float64 but the parameters are float32/);
    const f = layer.forward(Matrix.zeros(3, 4));
    expect(() => layer.backward(f, Matrix.zeros(2, 4))).toThrow(/Highway\.backward: dy: expected shape \[rows, size\] = \[3, 4\], got \[2, 4\]/);
  });

  it("rejects bad options", () => {
    const bad = { rng, activation: "sigmoid" } as unknown as { rng: Random; activation: HighwayActivation };
    expect(() => new Highway(4, bad)).toThrow(/Highway: activation must be "tanh" or "relu", got "sigmoid"/);
    expect(() => new Highway(4, { rng, transformBias: NaN })).toThrow(/transformBias must be a finite number/);
    expect(() => new Highway(0, { rng })).toThrow(/Highway: size must be a positive integer, got 0/);
  });
});

describe("Highway agrees with TensorFlow.js autodiff (float32)", () => {
  for (const activation of ["tanh", "relu"] as HighwayActivation[]) {
    it(`${activation}: loss, W_H, b_H, W_T, b_T and dx within relative 1e-4`, () => {
      const rng = new Random(51);
      const layer = new Highway(6, { rng: new Random(52), activation });
      for (const p of layer.parameters()) {
        for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += rng.normal(0, 0.3);
        p.changed();
      }
      const x = randn(rng, 8, 6).clone("float32"), R = randn(rng, 8, 6).clone("float32");
      const report = compareWithTf({
        params: layer.parameters(),
        inputs: { x },
        engine: () => {
          const f = layer.forward(x);
          return { loss: dot(f.y, R), inputGrads: { x: layer.backward(f, R) } };
        },
        tf: (p, inp) => {
          const zH = inp.x.matMul(p["highway.WH"]).add(p["highway.bH"]);
          const H = activation === "relu" ? tf.relu(zH) : tf.tanh(zH);
          const T = tf.sigmoid(inp.x.matMul(p["highway.WT"]).add(p["highway.bT"]));
          const y = T.mul(H).add(tf.sub(1, T).mul(inp.x)); // y = T ⊙ H + C ⊙ x, C = 1 − T
          return tf.sum(y.mul(tensorOf(R))) as tf.Scalar;
        },
      });
      expectAgreement(report, 1e-4);
    });
  }
});
