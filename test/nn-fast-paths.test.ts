// The engine's speed-ups (see docs/benchmarks.md) must not change what it computes:
// float32 activations, the orientation of weight-gradient products on
// TensorFlow.js, and input gradients computed only when read.
import { describe, it, expect, beforeAll, afterEach } from "vitest";
import { Matrix, Sequence, jsLinalg, linalg, setLinalg, TensorFlowLinalg, softmaxCrossEntropy, RecurrentLayer, RNN, LSTM, GRU, SGD } from "../lib/src/nn";
import {
  activations, sigmoid, tanhFloat32, sigmoidFloat32, expFloat32, tanhInPlace, sigmoidInPlaceRange, tanhInPlaceRange, addVector,
} from "../lib/src/nn";
import { initBackend, Random } from "../lib/src";
import { randn } from "./helpers";

beforeAll(async () => {
  await initBackend();
});

const original = linalg();
afterEach(() => setLinalg(original));

function maxAbsDiff(a: Matrix, b: Matrix): number {
  let d = 0;
  for (let i = 0; i < a.data.length; i++) d = Math.max(d, Math.abs(a.data[i] - b.data[i]));
  return d;
}

describe("float32 activations", () => {
  it("tanhFloat32 is within 2.7e-7 of Math.tanh and sigmoidFloat32 within 1.5e-7 of σ, on [−30, 30]", () => {
    let tanhErr = 0, sigmoidErr = 0;
    for (let x = -30; x <= 30; x += 0.001) {
      tanhErr = Math.max(tanhErr, Math.abs(tanhFloat32(x) - Math.tanh(x)));
      sigmoidErr = Math.max(sigmoidErr, Math.abs(sigmoidFloat32(x) - sigmoid(x)));
    }
    expect(tanhErr).toBeLessThan(2.7e-7);
    expect(sigmoidErr).toBeLessThan(1.5e-7);
    // Odd, bounded, and exact at the origin and beyond the clamp.
    expect(tanhFloat32(0)).toBe(0);
    expect(tanhFloat32(-0.3)).toBe(-tanhFloat32(0.3));
    expect(Math.abs(tanhFloat32(1e6))).toBeLessThanOrEqual(1);
    expect(sigmoidFloat32(0)).toBe(0.5);
  });

  it("expFloat32 is within 1e-8 of Math.exp (relative) over float32's range, and exact at 0 and at the edges", () => {
    let worst = 0;
    for (let x = -87.3; x <= 88.7; x += 0.0007) {
      worst = Math.max(worst, Math.abs(expFloat32(x) - Math.exp(x)) / Math.exp(x));
    }
    expect(worst).toBeLessThan(1e-8);
    expect(worst).toBeGreaterThan(0); // it is an approximation: the test would notice Math.exp sneaking back
    expect(expFloat32(0)).toBe(1);
    expect(expFloat32(-Infinity)).toBe(0);
    expect(expFloat32(1000)).toBe(Infinity);
    expect(expFloat32(-200)).toBe(Math.exp(-200));
    expect(Number.isNaN(expFloat32(NaN))).toBe(true);
  });

  it("a float32 cross-entropy (fast exp) matches the float64 one (Math.exp) to 1e-6", () => {
    const rng = new Random(5);
    const z64 = randn(rng, 40, 30, "float64");
    for (let i = 0; i < z64.data.length; i++) z64.data[i] *= 6; // confident logits: exp over a wide range
    const z32 = new Matrix(40, 30, Float32Array.from(z64.data));
    const z64Rounded = new Matrix(40, 30, Float64Array.from(z32.data));
    const targets = Array.from({ length: 40 }, (_, i) => (i * 7) % 30);
    const a = softmaxCrossEntropy(z32, targets), b = softmaxCrossEntropy(z64Rounded, targets);
    expect(Math.abs(a.loss - b.loss) / b.loss).toBeLessThan(1e-6);
    expect(maxAbsDiff(a.dLogits, b.dLogits)).toBeLessThan(1e-7);
  });

  it("the range helpers apply σ and tanh to one block only, in the array's precision", () => {
    const x = [-3, -0.5, 0.25, 2, 7];
    const d64 = Float64Array.from(x), d32 = Float32Array.from(x);
    sigmoidInPlaceRange(d64, 1, 2);
    tanhInPlaceRange(d64, 3, 2);
    expect(Array.from(d64)).toEqual([-3, sigmoid(-0.5), sigmoid(0.25), Math.tanh(2), Math.tanh(7)]);
    sigmoidInPlaceRange(d32, 0, 2);
    tanhInPlaceRange(d32, 2, 1);
    expect(Array.from(d32)).toEqual([sigmoidFloat32(-3), sigmoidFloat32(-0.5), tanhFloat32(0.25), 2, 7].map(Math.fround));
  });

  it("addVector adds a float64 accumulator into a gradient and names a length mismatch", () => {
    const g = Matrix.from([[1, 2, 3]], "float32");
    addVector(g, Float64Array.from([0.5, -2, 1e-3]));
    expect(Array.from(g.data)).toEqual([1.5, 0, 3.001].map(Math.fround));
    expect(() => addVector(g, new Float64Array(2))).toThrow("addVector: 2 values for a gradient of shape [1, 3]");
  });

  it("float64 keeps the exact functions (gradient checks need every digit), float32 takes the fast ones", () => {
    expect(activations("float64").tanh).toBe(Math.tanh);
    expect(activations("float64").sigmoid).toBe(sigmoid);
    expect(activations("float64").exp).toBe(Math.exp);
    expect(activations("float32").tanh).toBe(tanhFloat32);
    expect(activations("float32").exp).toBe(expFloat32);
    const m64 = Matrix.from([[0.3, -2]], "float64");
    expect(tanhInPlace(m64).toArray()[0]).toEqual([Math.tanh(0.3), Math.tanh(-2)]);
  });
});

describe("TensorFlowLinalg.matmulAT", () => {
  it("agrees with jsLinalg whichever operand is wider (it packs the narrower one), relative 1e-5", () => {
    const rng = new Random(11);
    const tfl = new TensorFlowLinalg();
    for (const [n, k, m] of [[96, 64, 256], [96, 128, 32], [80, 48, 48]]) {
      const a = randn(rng, n, k, "float32"), b = randn(rng, n, m, "float32");
      const got = tfl.matmulAT(a, b), want = jsLinalg.matmulAT(a, b);
      expect(got.shape).toEqual([k, m]);
      let scale = 0;
      for (const v of want.data) scale = Math.max(scale, Math.abs(v));
      expect(maxAbsDiff(got, want) / scale, `[${n}, ${k}]ᵀ·[${n}, ${m}]`).toBeLessThan(1e-5);
    }
    expect(tfl.stats.tfProducts).toBe(3);
    tfl.dispose();
  });
});

describe("input gradients are computed when read", () => {
  const layers: Record<string, (rng: Random) => RecurrentLayer> = {
    rnn: (rng: Random) => new RNN(3, 4, { rng, dtype: "float64" }),
    lstm: (rng: Random) => new LSTM(3, 4, { rng, dtype: "float64" }),
    gru: (rng: Random) => new GRU(3, 4, { rng, dtype: "float64" }),
  };
  for (const [kind, make] of Object.entries(layers)) {
    it(`${kind}: dx is one product, skipped with { inputGradient: false }, whose dx then throws; the weights' gradients are the same`, () => {
      const rng = new Random(5);
      const layer = make(rng);
      const x = new Sequence(3, 2, randn(rng, 6, 3));
      const dh = new Sequence(3, 2, randn(rng, 6, 4));
      let products = 0;
      setLinalg({
        name: "counting",
        matmul: (a, b) => (products++, jsLinalg.matmul(a, b)),
        matmulBT: (a, b) => (products++, jsLinalg.matmulBT(a, b)),
        matmulAT: (a, b) => (products++, jsLinalg.matmulAT(a, b)),
      });
      const forward = layer.forward(x);
      layer.parameters().forEach((p) => p.zeroGrad());
      let before = products;
      const full = layer.backward(forward, dh);
      const withInput = products - before;
      const grads = layer.parameters().map((p) => p.grad.clone());
      layer.parameters().forEach((p) => p.zeroGrad());
      before = products;
      const without = layer.backward(forward, dh, undefined, { inputGradient: false });
      expect(products - before).toBe(withInput - 1);
      expect(() => without.dx).toThrow(/inputGradient: false/);
      expect(full.dx.steps).toBe(3);
      expect(full.dx.batch).toBe(2);
      layer.parameters().forEach((p, i) => expect(maxAbsDiff(p.grad, grads[i])).toBe(0));
      expect(maxAbsDiff(without.dFirst.h, full.dFirst.h)).toBe(0);
    });
  }
});
