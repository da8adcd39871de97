import { describe, it, expect } from "vitest";
import { Matrix, Sequence, RNN, LSTM, GRU, orthogonal, eigenvalues, spectralRadius } from "../lib/src/nn";
import type { RecurrentLayer } from "../lib/src/nn";
import { Random } from "../lib/src";
import { inv } from "mathjs";
import {
  powerIteration, spectralNorm, stepJacobian, jacobianProduct, jacobianProductNorms,
  tanhDerivatives, inputGradientNorms, inputWeightShares, inputWeightShareNorms,
} from "../lib/src/analysis";
import { randn } from "./helpers";

function matmul(a: Matrix, b: Matrix): Matrix {
  const c = Matrix.zeros(a.rows, b.cols, "float64");
  for (let i = 0; i < a.rows; i++) for (let k = 0; k < a.cols; k++) for (let j = 0; j < b.cols; j++) c.data[i * b.cols + j] += a.get(i, k) * b.get(k, j);
  return c;
}

function transpose(a: Matrix): Matrix {
  const t = Matrix.zeros(a.cols, a.rows, "float64");
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) t.set(j, i, a.get(i, j));
  return t;
}

function maxAbsDiff(a: Matrix, b: Matrix): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(a.data[i] - b.data[i]));
  return m;
}

/** ρ·R(θ): a rotation by θ scaled by ρ; its eigenvalues are ρe^{±iθ}. */
function scaledRotation(rho: number, theta: number): number[][] {
  return [
    [rho * Math.cos(theta), -rho * Math.sin(theta)],
    [rho * Math.sin(theta), rho * Math.cos(theta)],
  ];
}

/** Q·diag(λ)·Qᵀ with a random orthogonal Q: symmetric with eigenvalues λ. */
function symmetricWith(lambdas: number[], rng: Random): Matrix {
  const n = lambdas.length;
  const q = orthogonal(Matrix.zeros(n, n, "float64"), rng);
  const qd = Matrix.zeros(n, n, "float64");
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) qd.set(i, j, q.get(i, j) * lambdas[j]);
  return matmul(qd, transpose(q));
}

describe("powerIteration", () => {
  it("finds the largest |λ| of a diagonal matrix, with its sign and eigenvector", () => {
    const r = powerIteration([[0.5, 0, 0], [0, -3, 0], [0, 0, 2]]);
    expect(r.converged).toBe(true);
    expect(r.value.re).toBeCloseTo(-3, 9);
    expect(r.value.im).toBe(0);
    expect(r.modulus).toBeCloseTo(3, 9);
    // The fit settles before the iterate itself has turned all the way onto e₂.
    expect(Math.abs(r.vector[1])).toBeGreaterThan(0.999);
  });

  it("finds the largest |λ| of a symmetric matrix with known eigenvalues", () => {
    const lambdas = [1.7, -1.2, 0.9, 0.5, -0.3, 0.1, 0.05, -0.8];
    const w = symmetricWith(lambdas, new Random(3));
    const r = powerIteration(w, { rng: new Random(4) });
    expect(r.converged).toBe(true);
    expect(r.value.re).toBeCloseTo(1.7, 8);
    // The textbook estimate converges too when one real eigenvalue dominates.
    expect(r.ratios[r.ratios.length - 1]).toBeCloseTo(1.7, 3);
  });

  it("stays converged once close, for symmetric and for non-normal matrices (no cancellation in the fit)", () => {
    const lambdas = [1.05, 0.95, -0.9, 0.7, -0.5, 0.3];
    const rng = new Random(15);
    const q = lambdas.map(() => lambdas.map(() => rng.normal()));
    const qinv = inv(q) as number[][];
    const nonNormal = q.map((row) => qinv[0].map((_, c) => row.reduce((s, x, i) => s + x * lambdas[i] * qinv[i][c], 0)));
    for (const [w, rho] of [[nonNormal, 1.05], [symmetricWith([2, 1.9, -1.8, 1, 0.5], new Random(16)), 2]] as const) {
      const r = powerIteration(w, { rng: new Random(17) });
      expect(r.converged).toBe(true);
      const errors = r.history.map((h) => Math.abs(h - rho) / rho);
      const first = errors.findIndex((e) => e < 1e-8);
      expect(first).toBeGreaterThan(0);
      for (const e of errors.slice(first)) expect(e).toBeLessThan(1e-7);
      expect(errors[errors.length - 1]).toBeLessThan(1e-10);
    }
  });

  it("converges when two real eigenvalues ±λ share the largest modulus", () => {
    const w = symmetricWith([2, -2, 0.5, 0.1], new Random(5));
    const r = powerIteration(w, { rng: new Random(6) });
    expect(r.converged).toBe(true);
    expect(r.modulus).toBeCloseTo(2, 8);
  });

  it("finds a dominant complex pair ρe^{±iθ}, where the textbook ratio oscillates", () => {
    const rho = 0.9, theta = 0.7;
    // Block diagonal: the rotation block dominates a smaller real eigenvalue.
    const w = [
      [...scaledRotation(rho, theta)[0], 0],
      [...scaledRotation(rho, theta)[1], 0],
      [0, 0, 0.4],
    ];
    const r = powerIteration(w, { start: [1, 0.3, 1] });
    expect(r.converged).toBe(true);
    expect(r.modulus).toBeCloseTo(rho, 9);
    expect(r.value.re).toBeCloseTo(rho * Math.cos(theta), 8);
    expect(r.value.im).toBeCloseTo(rho * Math.sin(theta), 8);
  });

  it("matches the spectral radius of the Hessenberg-QR solver on a random non-symmetric matrix", () => {
    const n = 40;
    const w = randn(new Random(7), n, n, "float64", 1 / Math.sqrt(n));
    const rho = spectralRadius(w);
    const r = powerIteration(w, { rng: new Random(8), iterations: 20000, tolerance: 1e-12 });
    expect(r.modulus).toBeCloseTo(rho, 5);
  });

  it("gives 0 for a nilpotent matrix and rejects bad input", () => {
    expect(powerIteration([[0, 1], [0, 0]]).modulus).toBe(0);
    expect(() => powerIteration([[1, 2, 3]])).toThrow(/square/);
    expect(() => powerIteration([[1, NaN], [0, 1]])).toThrow(/NaN/);
    expect(() => powerIteration([[1]], { start: [1, 2] })).toThrow(/start has 2/);
  });
});

describe("spectralNorm", () => {
  it("is the largest |entry| of a diagonal matrix and ρ for ρ·orthogonal", () => {
    expect(spectralNorm([[0.5, 0], [0, -3]]).value).toBeCloseTo(3, 10);
    const q = orthogonal(Matrix.zeros(10, 10, "float64"), new Random(1), { gain: 1.3 });
    expect(spectralNorm(q).value).toBeCloseTo(1.3, 10);
  });

  it("is √(largest eigenvalue of WᵀW) for a rectangular matrix, and at least ρ(W)", () => {
    const w = Matrix.from([[1, 2], [3, 4], [5, 6]], "float64");
    // WᵀW = [[35, 44], [44, 56]]: largest eigenvalue (91 + √(21² + 88²))/2.
    const expected = Math.sqrt((91 + Math.hypot(21, 88)) / 2);
    expect(spectralNorm(w).value).toBeCloseTo(expected, 10);
    const square = randn(new Random(2), 12, 12);
    expect(spectralNorm(square).value).toBeGreaterThanOrEqual(spectralRadius(square) - 1e-9);
  });

  it("is 0 for the zero matrix and survives a start in the null space", () => {
    expect(spectralNorm([[0, 0], [0, 0]]).value).toBe(0);
    expect(spectralNorm([[0, 0], [0, 2]], { start: [1, 0] }).value).toBeCloseTo(2, 12);
  });
});

describe("Jacobian products", () => {
  it("‖W^k‖ for W = ρ·orthogonal is ρ^k (every singular value, so Frobenius is ρ^k·√n)", () => {
    const n = 8, rho = 1.1;
    const w = orthogonal(Matrix.zeros(n, n, "float64"), new Random(9), { gain: rho });
    const spectral = jacobianProductNorms(w, { lags: 30 });
    const frobenius = jacobianProductNorms(w, { lags: 30, norm: "frobenius" });
    spectral.forEach((v, k) => expect(v / rho ** k).toBeCloseTo(1, 8));
    frobenius.forEach((v, k) => expect(v / (rho ** k * Math.sqrt(n))).toBeCloseTo(1, 8));
  });

  it("‖W^k v‖ = ρ^k‖v‖ for a scaled rotation, and ‖W^k‖^(1/k) tends to ρ for a general W", () => {
    const w = scaledRotation(0.8, 1.1);
    const norms = jacobianProductNorms(w, { lags: 50 });
    expect(norms[50] / 0.8 ** 50).toBeCloseTo(1, 8);
    const g = randn(new Random(10), 20, 20, "float64", 1 / Math.sqrt(20));
    const rho = spectralRadius(g);
    const long = jacobianProductNorms(g, { lags: 400 });
    // Gelfand's formula: the k-th root of the norm approaches ρ (slowly, like a polynomial factor^(1/k)).
    expect(Math.abs(long[400] ** (1 / 400) - rho) / rho).toBeLessThan(0.02);
  });

  it("the linear product is (W_hhᵀ)^k, and a step Jacobian is diag(d)·W_hhᵀ", () => {
    const rng = new Random(11);
    const w = randn(rng, 5, 5, "float64", 0.5);
    let power = Matrix.from([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 0, 0, 1]], "float64");
    for (let k = 0; k < 6; k++) power = matmul(power, transpose(w));
    expect(maxAbsDiff(jacobianProduct(w, 6), power)).toBeLessThan(1e-12);
    const ones = Array.from({ length: 6 }, () => new Float64Array(5).fill(1));
    expect(maxAbsDiff(jacobianProduct(w, ones), power)).toBeLessThan(1e-12);
    const d = [0.1, 0.2, 0.3, 0.4, 0.5];
    const j = stepJacobian(w, d);
    for (let a = 0; a < 5; a++) for (let b = 0; b < 5; b++) expect(j.get(a, b)).toBeCloseTo(d[a] * w.get(b, a), 14);
    // The norms of the product agree with the norm of the product matrix.
    const norms = jacobianProductNorms(w, { lags: 6 });
    expect(norms[6]).toBeCloseTo(spectralNorm(power).value, 9);
  });

  it("in a real tanh RNN, the product of diag(1 − h_t²)·W_hhᵀ is ∂h_T/∂h_0 (finite differences)", () => {
    const rng = new Random(12);
    const H = 4, D = 3, T = 7;
    const rnn = new RNN(D, H, { rng, dtype: "float64" });
    const x = new Sequence(T, 1, randn(rng, T, D));
    const h0 = randn(rng, 1, H, "float64", 0.5);
    const forward = rnn.forward(x, { h: h0 });
    const analytic = jacobianProduct(rnn.Whh, tanhDerivatives(forward.h));
    const eps = 1e-6;
    for (let j = 0; j < H; j++) {
      const plus = h0.clone(), minus = h0.clone();
      plus.data[j] += eps;
      minus.data[j] -= eps;
      const hp = rnn.forward(x, { h: plus }).last.h, hm = rnn.forward(x, { h: minus }).last.h;
      for (let i = 0; i < H; i++) {
        expect(analytic.get(i, j)).toBeCloseTo((hp.data[i] - hm.data[i]) / (2 * eps), 7);
      }
    }
    // The lag sweep ends with the same product.
    const norms = jacobianProductNorms(rnn.Whh, { derivatives: tanhDerivatives(forward.h) });
    expect(norms).toHaveLength(T + 1);
    expect(norms[0]).toBeCloseTo(1, 12);
    expect(norms[T]).toBeCloseTo(spectralNorm(analytic).value, 9);
  });

  it("stays finite where the plain product would overflow or underflow", () => {
    const big = jacobianProductNorms([[2]], { lags: 1100 });
    expect(big[1000] / 2 ** 1000).toBeCloseTo(1, 10);
    expect(big[1100]).toBe(Infinity);
    const small = jacobianProductNorms([[0.5]], { lags: 1000, norm: "frobenius" });
    expect(small[1000] / 2 ** -1000).toBeCloseTo(1, 10);
  });

  it("rejects inconsistent arguments", () => {
    expect(() => jacobianProductNorms([[1]])).toThrow(/needs options.lags/);
    expect(() => jacobianProductNorms([[1, 0], [0, 1]], { derivatives: [[1, 1]], lags: 2 })).toThrow(/exceeds/);
    expect(() => jacobianProductNorms([[1, 0], [0, 1]], { derivatives: [[1]] })).toThrow(/hidden size is 2/);
    expect(() => jacobianProduct([[1, 2]], 1)).toThrow(/square/);
  });
});

describe("inputGradientNorms", () => {
  it("is ‖∂(e·h_s)/∂x_t‖ by finite differences, zero after s, and leaves gradients alone", () => {
    const rng = new Random(13);
    const D = 3, H = 4, T = 6, s = 4;
    const rnn = new RNN(D, H, { rng, dtype: "float64" });
    const x = new Sequence(T, 1, randn(rng, T, D));
    const error = randn(rng, 1, H);
    rnn.Whh.grad.data.fill(0.25);
    const norms = inputGradientNorms(rnn, x, { step: s, error });
    expect(rnn.Whh.grad.data.every((g) => g === 0.25)).toBe(true);
    const loss = (xs: Sequence) => {
      const h = rnn.forward(xs).h.at(s).data;
      let l = 0;
      for (let i = 0; i < H; i++) l += error.data[i] * h[i];
      return l;
    };
    const eps = 1e-6;
    for (let t = 0; t < T; t++) {
      let sq = 0;
      for (let j = 0; j < D; j++) {
        const idx = t * D + j;
        const plus = new Sequence(T, 1, x.data.clone()), minus = new Sequence(T, 1, x.data.clone());
        plus.data.data[idx] += eps;
        minus.data.data[idx] -= eps;
        sq += ((loss(plus) - loss(minus)) / (2 * eps)) ** 2;
      }
      expect(norms[t]).toBeCloseTo(Math.sqrt(sq), 7);
    }
    expect(norms[5]).toBe(0);
  });

  it("averages over the batch and works for an LSTM", () => {
    const rng = new Random(14);
    const lstm = new LSTM(2, 3, { rng, dtype: "float64" });
    const x = new Sequence(5, 2, randn(rng, 10, 2));
    const both = inputGradientNorms(lstm, x);
    const one = (b: number) => {
      const xb = Matrix.zeros(5, 2, "float64");
      for (let t = 0; t < 5; t++) for (let j = 0; j < 2; j++) xb.set(t, j, x.data.get(t * 2 + b, j));
      return inputGradientNorms(lstm, new Sequence(5, 1, xb));
    };
    const a = one(0), b = one(1);
    both.forEach((v, t) => expect(v).toBeCloseTo((a[t] + b[t]) / 2, 12));
    expect(both[4]).toBeGreaterThan(0);
    expect(() => inputGradientNorms(lstm, x, { step: 5 })).toThrow(/outside/);
  });
});

describe("eigenvalues cross-check", () => {
  it("the Hessenberg-QR eigenvalues of ρ·rotation are ρe^{±iθ}", () => {
    const ev = eigenvalues(Matrix.from(scaledRotation(1.2, 0.5), "float64"));
    const im = ev.map((e) => e.im).sort((a, b) => a - b);
    expect(im[0]).toBeCloseTo(-1.2 * Math.sin(0.5), 12);
    expect(im[1]).toBeCloseTo(1.2 * Math.sin(0.5), 12);
    expect(powerIteration(scaledRotation(1.2, 0.5)).modulus).toBeCloseTo(1.2, 12);
  });
});

describe("inputWeightShares: each step's share of ∂L/∂W_x, error injected at one step", () => {
  /** The fast layer's ∂L/∂W_x for the same injected error (1/√H at `step`). */
  function fastGradient(layer: RNN | LSTM, x: Sequence, step: number): Matrix {
    const H = layer.hiddenSize, recurrent: RecurrentLayer = layer;
    layer.parameters().forEach((p) => p.zeroGrad());
    const f = recurrent.forward(x);
    const dh = Sequence.zeros(x.steps, x.batch, H, "float64");
    dh.at(step).data.fill(1 / Math.sqrt(H));
    recurrent.backward(f, dh);
    const W = layer instanceof RNN ? layer.Wxh : layer.Wx;
    const g = W.grad.clone();
    layer.parameters().forEach((p) => p.zeroGrad());
    return g;
  }
  const sum = (ms: Matrix[]): Matrix => {
    const out = Matrix.zeros(ms[0].rows, ms[0].cols, "float64");
    for (const m of ms) m.data.forEach((v, i) => (out.data[i] += v));
    return out;
  };

  const layers: [string, () => RNN | LSTM][] = [
    ["a tanh RNN", () => new RNN(3, 4, { rng: new Random(21), dtype: "float64" })],
    ["an LSTM", () => new LSTM(3, 4, { rng: new Random(22), dtype: "float64" })],
    ["an LSTM with peepholes", () => new LSTM(3, 4, { rng: new Random(23), dtype: "float64", peephole: true })],
    ["a CIFG LSTM", () => new LSTM(3, 4, { rng: new Random(24), dtype: "float64", coupledInputForget: true })],
    ["an LSTM without forget gate", () => new LSTM(3, 4, { rng: new Random(25), dtype: "float64", noForgetGate: true })],
  ];
  for (const [name, make] of layers) {
    it(`sums to the fast layer's gradient for ${name}; zero after the injection; grads left alone`, () => {
      const layer = make();
      if (layer instanceof LSTM && layer.peephole) {
        // Nonzero peepholes, so that they take part.
        const rng = new Random(26);
        for (const p of [layer.pi, layer.pf, layer.po]) if (p) p.value.data.forEach((_, i) => (p.value.data[i] = rng.normal(0, 0.5)));
      }
      const x = new Sequence(7, 2, randn(new Random(27), 14, 3));
      const step = 5;
      const expected = fastGradient(layer, x, step);
      layer.parameters().forEach((p) => p.grad.data.fill(0.25));
      const shares = inputWeightShares(layer, x, { step });
      expect(shares.length).toBe(7);
      expect(maxAbsDiff(sum(shares), expected) / Math.max(...expected.data.map(Math.abs))).toBeLessThan(1e-12);
      expect(shares[6].data.every((v) => v === 0)).toBe(true);
      for (let t = 0; t <= step; t++) expect(shares[t].data.some((v) => v !== 0), `step ${t}`).toBe(true);
      for (const p of layer.parameters()) expect(p.grad.data.every((v) => v === 0.25), p.name).toBe(true);
      const norms = inputWeightShareNorms(layer, x, { step });
      norms.forEach((n, t) => expect(n).toBeCloseTo(Math.hypot(...shares[t].data), 14));
    });
  }

  it("at the injection step of an RNN, the share is x_tᵀ·(e ⊙ (1 − h_t²))", () => {
    const rnn = new RNN(2, 3, { rng: new Random(28), dtype: "float64" });
    const x = new Sequence(4, 2, randn(new Random(29), 8, 2));
    const e = randn(new Random(30), 2, 3);
    const h = rnn.forward(x).h.at(2);
    const share = inputWeightShares(rnn, x, { step: 2, error: e })[2];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let b = 0; b < 2; b++) s += x.at(2).get(b, i) * e.get(b, j) * (1 - h.get(b, j) ** 2);
        expect(share.get(i, j)).toBeCloseTo(s, 14);
      }
    }
  });

  it("the error injected at the last step reaches the first step far more weakly through a tanh RNN than through an LSTM without forget gate", () => {
    const rng = new Random(31);
    const x = new Sequence(60, 4, randn(rng, 240, 3));
    const rnn = inputWeightShareNorms(new RNN(3, 8, { rng: new Random(32), dtype: "float64" }), x);
    const cec = inputWeightShareNorms(new LSTM(3, 8, { rng: new Random(32), dtype: "float64", noForgetGate: true }), x);
    expect(rnn[0] / rnn[59]).toBeLessThan(1e-6);
    expect(cec[0] / cec[59]).toBeGreaterThan(1e-3);
  });

  it("rejects a layer without a reference cell and inputs that do not fit", () => {
    const lstm = new LSTM(3, 4, { rng: new Random(33), dtype: "float64" });
    const x = new Sequence(5, 2, randn(new Random(34), 10, 3));
    expect(() => inputWeightShares(new GRU(3, 4, { rng: new Random(35), dtype: "float64" }) as unknown as LSTM, x)).toThrow(/must be an nn.RNN or an nn.LSTM/);
    expect(() => inputWeightShares(lstm, new Sequence(5, 2, randn(new Random(36), 10, 2)))).toThrow(/x has 2 features, the layer takes 3/);
    expect(() => inputWeightShares(lstm, new Sequence(5, 2, randn(new Random(36), 10, 3, "float32")))).toThrow(/x is float32, the layer float64/);
    expect(() => inputWeightShares(lstm, x, { step: 5 })).toThrow(/step 5 is outside 0..4/);
    expect(() => inputWeightShares(lstm, x, { step: 1.5 })).toThrow(/step 1.5 is outside/);
    expect(() => inputWeightShares(lstm, x, { error: Matrix.zeros(2, 3, "float64") })).toThrow(/error: expected shape \[2, 4\]/);
  });
});
