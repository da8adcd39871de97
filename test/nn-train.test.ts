import { describe, expect, it } from "vitest";
import * as math from "mathjs";
import { Matrix, Parameter, Adam, Momentum, Optimizer, SGD, clipGradNorm, clipGradValue, findNonFinite, globalGradNorm, TrainEvent, TrainingDivergedError, miniBatches, train } from "../lib/src/nn";
import { Dense, NonFiniteError, RNN, TrainOptions } from "../lib/src/nn";
import { Random } from "../lib/src";
import { RNNLanguageModel } from "../lib/src/lm";
import {
  eigenvalues,
  glorotNormal,
  glorotUniform,
  heNormal,
  identity,
  orthogonal,
  scaleToSpectralRadius,
  spectralRadius,
} from "../lib/src/nn";

// ------------------------------------------------------------ helpers

function param(name: string, values: number[][], dtype: "float32" | "float64" = "float64"): Parameter {
  return new Parameter(name, Matrix.from(values, dtype));
}

function withGrad(name: string, grad: number[][]): Parameter {
  const p = param(name, grad.map((row) => row.map(() => 0)));
  p.grad.data.set(grad.flat());
  return p;
}

/** f(w) = ½ Σ aᵢ wᵢ², so ∂f/∂wᵢ = aᵢ wᵢ: writes the gradient of a diagonal quadratic bowl. */
function bowlGradient(p: Parameter, curvature: number[]): void {
  p.value.data.forEach((w, i) => (p.grad.data[i] = curvature[i] * w));
}

/** Runs `steps` updates of `opt` on the bowl; returns the weights after each step. */
function descend(opt: Optimizer, p: Parameter, curvature: number[], steps: number): number[][] {
  const trace: number[][] = [];
  for (let t = 0; t < steps; t++) {
    opt.zeroGrad();
    bowlGradient(p, curvature);
    opt.step();
    trace.push(Array.from(p.value.data));
  }
  return trace;
}

function allGrads(params: Parameter[]): number[] {
  return params.flatMap((p) => Array.from(p.grad.data));
}

function cosine(a: number[], b: number[]): number {
  let dot = 0, na = 0, nb = 0;
  a.forEach((x, i) => {
    dot += x * b[i];
    na += x * x;
    nb += b[i] * b[i];
  });
  return dot / Math.sqrt(na * nb);
}

function gram(m: Matrix, side: "columns" | "rows"): number[][] {
  const n = side === "columns" ? m.cols : m.rows;
  const k = side === "columns" ? m.rows : m.cols;
  const at = (v: number, i: number): number => (side === "columns" ? m.get(i, v) : m.get(v, i));
  return Array.from({ length: n }, (_, a) =>
    Array.from({ length: n }, (_, b) => {
      let s = 0;
      for (let i = 0; i < k; i++) s += at(a, i) * at(b, i);
      return s;
    }),
  );
}

function maxDeviationFromIdentity(g: number[][], scale = 1): number {
  let worst = 0;
  g.forEach((row, i) => row.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - (i === j ? scale : 0))))));
  return worst;
}

function meanAndVariance(data: ArrayLike<number>): { mean: number; variance: number } {
  let mean = 0;
  for (let i = 0; i < data.length; i++) mean += data[i];
  mean /= data.length;
  let variance = 0;
  for (let i = 0; i < data.length; i++) variance += (data[i] - mean) ** 2;
  return { mean, variance: variance / data.length };
}

function gaussianMatrix(n: number, rng: Random, dtype: "float32" | "float64" = "float64"): Matrix {
  const m = Matrix.zeros(n, n, dtype);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.normal();
  return m;
}

// --------------------------------------------------------- optimizers

describe("optimizers on f(w) = ½·2·w², w₀ = 1 (g = 2w), η = 0.1", () => {
  const curvature = [2];

  it("SGD: w ← w − ηg gives 0.8 then 0.64", () => {
    const p = param("w", [[1]]);
    const trace = descend(new SGD([p], { learningRate: 0.1 }), p, curvature, 2);
    expect(trace[0][0]).toBeCloseTo(0.8, 12);
    expect(trace[1][0]).toBeCloseTo(0.64, 12);
  });

  it("classical momentum (μ = 0.9): v = −0.2, w = 0.8; v = 0.9·(−0.2) − 0.1·1.6 = −0.34, w = 0.46", () => {
    const p = param("w", [[1]]);
    const trace = descend(new Momentum([p], { learningRate: 0.1, momentum: 0.9 }), p, curvature, 2);
    expect(trace[0][0]).toBeCloseTo(0.8, 12);
    expect(trace[1][0]).toBeCloseTo(0.46, 12);
  });

  it("Nesterov (μ = 0.9): w = 1 + 0.9·(−0.2) − 0.2 = 0.62; then v = −0.304, w = 0.62 − 0.2736 − 0.124 = 0.2224", () => {
    const p = param("w", [[1]]);
    const trace = descend(new Momentum([p], { learningRate: 0.1, momentum: 0.9, nesterov: true }), p, curvature, 2);
    expect(trace[0][0]).toBeCloseTo(0.62, 12);
    expect(trace[1][0]).toBeCloseTo(0.2224, 12);
  });

  it("Adam: the first step moves w by η·g/(|g| + ε) ≈ η, the second by η·m̂/(√ŝ + ε) with bias correction", () => {
    const p = param("w", [[1]]);
    const trace = descend(new Adam([p], { learningRate: 0.1 }), p, curvature, 2);
    // Step 1: g = 2, m = 0.2, s = 0.004; m̂ = 0.2/0.1 = 2, ŝ = 0.004/0.001 = 4; w = 1 − 0.1·2/(2 + 1e-8).
    expect(trace[0][0]).toBeCloseTo(1 - 0.1 * (2 / (2 + 1e-8)), 12);
    // Step 2: g = 1.8, m = 0.18 + 0.18 = 0.36, s = 0.003996 + 0.00324 = 0.007236;
    // m̂ = 0.36/0.19 = 1.894737, ŝ = 0.007236/0.001999 = 3.619810; w = 0.9 − 0.1·1.894737/1.902580 = 0.800412.
    expect(trace[1][0]).toBeCloseTo(0.8004122287, 8);
  });

  it("Adam's first step is ≈ η·sign(g) whatever the gradient's magnitude", () => {
    const p = param("w", [[1, -3, 0.001]]);
    const opt = new Adam([p], { learningRate: 0.01 });
    p.grad.data.set([1000, -0.5, 1e-3]);
    opt.step();
    expect(Array.from(p.value.data)).toEqual([
      expect.closeTo(0.99, 6),
      expect.closeTo(-2.99, 6),
      expect.closeTo(0.001 - 0.01, 6),
    ]);
  });
});

describe("optimizers: convergence and bookkeeping", () => {
  // A ravine: curvature 1 along one axis, 20 along the other.
  const curvature = [1, 20];
  const optimizers: [string, (p: Parameter) => Optimizer][] = [
    ["SGD", (p) => new SGD([p], { learningRate: 0.04 })],
    ["Momentum", (p) => new Momentum([p], { learningRate: 0.04, momentum: 0.5 })],
    ["Nesterov", (p) => new Momentum([p], { learningRate: 0.04, momentum: 0.5, nesterov: true })],
    ["Adam", (p) => new Adam([p], { learningRate: 0.05 })],
  ];

  for (const [name, make] of optimizers) {
    it(`${name} reaches the bottom of a quadratic bowl`, () => {
      const p = param("w", [[3, -2]]);
      const trace = descend(make(p), p, curvature, 600);
      const [w1, w2] = trace[trace.length - 1];
      expect(Math.hypot(w1, w2)).toBeLessThan(1e-3);
    });
  }

  it("momentum gets to the bottom of the ravine in fewer steps than SGD at the same learning rate", () => {
    const stepsToConverge = (opt: (p: Parameter) => Optimizer): number => {
      const p = param("w", [[3, -2]]);
      const trace = descend(opt(p), p, curvature, 2000);
      return trace.findIndex(([a, b]) => Math.hypot(a, b) < 1e-3);
    };
    const sgd = stepsToConverge((p) => new SGD([p], { learningRate: 0.04 }));
    const momentum = stepsToConverge((p) => new Momentum([p], { learningRate: 0.04, momentum: 0.5 }));
    expect(sgd).toBeGreaterThan(0);
    expect(momentum).toBeGreaterThan(0);
    expect(momentum).toBeLessThan(sgd);
  });

  it("step() marks every parameter changed (version + 1) and zeroGrad() clears the gradients", () => {
    const a = param("a", [[1, 2]]);
    const b = param("b", [[3]], "float32");
    for (const opt of [new SGD([a, b], { learningRate: 0.1 }), new Momentum([a, b], { learningRate: 0.1 }), new Adam([a, b])]) {
      const [va, vb] = [a.version, b.version];
      a.grad.fill(1);
      b.grad.fill(1);
      opt.step();
      expect([a.version, b.version]).toEqual([va + 1, vb + 1]);
      opt.zeroGrad();
      expect(allGrads([a, b])).toEqual([0, 0, 0]);
    }
  });

  it("the learning rate can change between steps (a schedule) and is validated", () => {
    const p = param("w", [[1]]);
    const opt = new SGD([p], { learningRate: 0.1 });
    p.grad.fill(1);
    opt.step();
    opt.learningRate = 0.01;
    opt.step();
    expect(p.value.data[0]).toBeCloseTo(1 - 0.1 - 0.01, 12);
    expect(() => (opt.learningRate = -1)).toThrow(/learning rate/);
    expect(() => (opt.learningRate = NaN)).toThrow(/learning rate/);
  });

  it("rejects a parameter listed twice and out-of-range hyperparameters", () => {
    const p = param("shared", [[1]]);
    expect(() => new SGD([p, p], { learningRate: 0.1 })).toThrow(/"shared" is listed twice/);
    expect(() => new Momentum([p], { learningRate: 0.1, momentum: 1 })).toThrow(/momentum/);
    expect(() => new Adam([p], { beta2: 1.5 })).toThrow(/beta2/);
  });
});

// ----------------------------------------------------------- clipping

describe("gradient clipping", () => {
  const grads = (): Parameter[] => [withGrad("W", [[3, 4]]), withGrad("b", [[12]])];

  it("globalGradNorm treats all gradients as one vector: ‖(3, 4, 12)‖ = 13", () => {
    expect(globalGradNorm(grads())).toBeCloseTo(13, 12);
    expect(globalGradNorm([withGrad("z", [[0, 0]])])).toBe(0);
  });

  it("does not overflow on huge but finite gradients", () => {
    expect(globalGradNorm([withGrad("W", [[3e200, 4e200]])])).toBeCloseTo(5e200, -190);
  });

  it("clipGradNorm scales the norm down to maxNorm, keeps the direction, and returns the norm before", () => {
    const params = grads();
    const before = allGrads(params);
    expect(clipGradNorm(params, 6.5)).toBeCloseTo(13, 12);
    expect(globalGradNorm(params)).toBeCloseTo(6.5, 12);
    expect(allGrads(params)).toEqual([1.5, 2, 6].map((x) => expect.closeTo(x, 12)));
    expect(cosine(before, allGrads(params))).toBeCloseTo(1, 12);
  });

  it("clipGradNorm leaves gradients below the threshold unchanged", () => {
    const params = grads();
    expect(clipGradNorm(params, 20)).toBeCloseTo(13, 12);
    expect(allGrads(params)).toEqual([3, 4, 12]);
  });

  it("clipGradValue clamps each element, which changes the direction", () => {
    const params = grads();
    const before = allGrads(params);
    expect(clipGradValue(params, 3.5)).toBe(2);
    expect(allGrads(params)).toEqual([3, 3.5, 3.5]);
    expect(cosine(before, allGrads(params))).toBeLessThan(0.95);
    const untouched = grads();
    expect(clipGradValue(untouched, 100)).toBe(0);
    expect(allGrads(untouched)).toEqual([3, 4, 12]);
  });

  it("a NaN or infinite gradient is an error naming the parameter and the element", () => {
    const params = grads();
    params[1].grad.data[0] = NaN;
    expect(globalGradNorm(params)).toBeNaN();
    expect(findNonFinite(params, "grad")).toEqual({ parameter: "b", row: 0, col: 0, value: NaN });
    expect(() => clipGradNorm(params, 1)).toThrow(/gradient of "b" has NaN at \[0, 0\]/);
    const inf = grads();
    inf[0].grad.data[1] = -Infinity;
    expect(globalGradNorm(inf)).toBe(Infinity);
    expect(() => clipGradValue(inf, 1)).toThrow(/gradient of "W" has -Infinity at \[0, 1\]/);
    expect(() => clipGradNorm(grads(), 0)).toThrow(/maxNorm/);
  });
});

// -------------------------------------------------------- initializers

describe("initializers", () => {
  it("glorotUniform and glorotNormal have variance 2/(fan_in + fan_out)", () => {
    const expected = 2 / (200 + 300);
    const u = glorotUniform(Matrix.zeros(200, 300), new Random(1));
    const n = glorotNormal(Matrix.zeros(200, 300), new Random(2));
    for (const m of [u, n]) {
      const { mean, variance } = meanAndVariance(m.data);
      expect(Math.abs(mean)).toBeLessThan(0.002);
      expect(variance / expected).toBeGreaterThan(0.97);
      expect(variance / expected).toBeLessThan(1.03);
    }
    const limit = Math.sqrt(6 / 500);
    expect(Math.max(...Array.from(u.data, Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...Array.from(u.data, Math.abs))).toBeGreaterThan(0.99 * limit);
  });

  it("heNormal has variance 2/fan_in, and options override fans and gain", () => {
    const m = heNormal(Matrix.zeros(400, 150), new Random(3));
    expect(meanAndVariance(m.data).variance / (2 / 400)).toBeCloseTo(1, 1);
    const g = glorotNormal(Matrix.zeros(100, 400), new Random(4), { fanOut: 100, gain: 2 });
    expect(meanAndVariance(g.data).variance / ((4 * 2) / 200)).toBeCloseTo(1, 1);
    expect(() => heNormal(Matrix.zeros(0, 3), new Random(0))).toThrow(/fanIn/);
  });

  it("orthogonal: QᵀQ = I for square and tall matrices, QQᵀ = I for wide ones", () => {
    const rng = new Random(5);
    expect(maxDeviationFromIdentity(gram(orthogonal(Matrix.zeros(64, 64), rng), "columns"))).toBeLessThan(1e-5);
    expect(maxDeviationFromIdentity(gram(orthogonal(Matrix.zeros(64, 64), rng), "rows"))).toBeLessThan(1e-5);
    expect(maxDeviationFromIdentity(gram(orthogonal(Matrix.zeros(50, 20), rng), "columns"))).toBeLessThan(1e-5);
    expect(maxDeviationFromIdentity(gram(orthogonal(Matrix.zeros(20, 50), rng), "rows"))).toBeLessThan(1e-5);
    expect(maxDeviationFromIdentity(gram(orthogonal(Matrix.zeros(30, 30, "float64"), rng, { gain: 2 }), "columns"), 4)).toBeLessThan(1e-12);
  });

  it("orthogonal is uniformly distributed: no sign bias from the QR convention", () => {
    // Householder QR alone makes Q₀₀ = −|x₀|/‖x‖ < 0 every time; the sign correction removes the bias.
    const rng = new Random(6);
    const corners = Array.from({ length: 400 }, () => orthogonal(Matrix.zeros(3, 3, "float64"), rng).get(0, 0));
    const positive = corners.filter((x) => x > 0).length;
    expect(positive).toBeGreaterThan(160);
    expect(positive).toBeLessThan(240);
    expect(Math.abs(meanAndVariance(corners).mean)).toBeLessThan(0.08);
  });

  it("identity writes scale·I and marks a Parameter changed", () => {
    const p = new Parameter("Whh", Matrix.zeros(3, 3).fill(7));
    expect(identity(p, 0.5)).toBe(p);
    expect(p.value.toArray()).toEqual([[0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5]]);
    expect(p.version).toBe(1);
    expect(identity(Matrix.zeros(2, 3)).toArray()).toEqual([[1, 0, 0], [0, 1, 0]]);
  });

  it("the same seed gives the same matrix, another seed another one", () => {
    for (const init of [glorotUniform, glorotNormal, heNormal, orthogonal]) {
      const a = init(Matrix.zeros(8, 5), new Random(42));
      const b = init(Matrix.zeros(8, 5), new Random(42));
      const c = init(Matrix.zeros(8, 5), new Random(43));
      expect(Array.from(a.data)).toEqual(Array.from(b.data));
      expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    }
  });
});

// --------------------------------------------------- spectral radius

describe("eigenvalues and spectral radius", () => {
  const sortedEigen = (m: Matrix): number[][] =>
    eigenvalues(m)
      .map(({ re, im }) => [re, im])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);

  it("a diagonal matrix: its largest |entry|", () => {
    expect(spectralRadius(Matrix.from([[1, 0, 0], [0, -3, 0], [0, 0, 2]]))).toBeCloseTo(3, 6);
  });

  it("a rotation scaled by s: radius s, eigenvalues s·e^{±iθ}", () => {
    const s = 1.7, theta = 0.6;
    const m = Matrix.from([[s * Math.cos(theta), -s * Math.sin(theta)], [s * Math.sin(theta), s * Math.cos(theta)]], "float64");
    expect(spectralRadius(m)).toBeCloseTo(s, 12);
    const [lo, hi] = sortedEigen(m);
    expect(lo).toEqual([expect.closeTo(s * Math.cos(theta), 12), expect.closeTo(-s * Math.sin(theta), 12)]);
    expect(hi).toEqual([expect.closeTo(s * Math.cos(theta), 12), expect.closeTo(s * Math.sin(theta), 12)]);
  });

  it("[[0, a], [b, 0]] has radius √|ab|, real eigenvalues if ab > 0, imaginary if ab < 0", () => {
    expect(spectralRadius(Matrix.from([[0, 2], [8, 0]], "float64"))).toBeCloseTo(4, 12);
    expect(sortedEigen(Matrix.from([[0, 2], [8, 0]], "float64"))).toEqual([[expect.closeTo(-4, 12), 0], [expect.closeTo(4, 12), 0]]);
    expect(spectralRadius(Matrix.from([[0, 2], [-8, 0]], "float64"))).toBeCloseTo(4, 12);
    expect(sortedEigen(Matrix.from([[0, 2], [-8, 0]], "float64"))).toEqual([[expect.closeTo(0, 12), expect.closeTo(-4, 12)], [expect.closeTo(0, 12), expect.closeTo(4, 12)]]);
  });

  it("defective and nilpotent matrices, and the companion matrix of (x−1)(x−2)…(x−5)", () => {
    expect(spectralRadius(Matrix.from([[2, 1], [0, 2]], "float64"))).toBeCloseTo(2, 6);
    expect(spectralRadius(Matrix.from([[0, 1], [0, 0]], "float64"))).toBe(0);
    // x⁵ − 15x⁴ + 85x³ − 225x² + 274x − 120
    const companion = Matrix.from([
      [15, -85, 225, -274, 120],
      [1, 0, 0, 0, 0],
      [0, 1, 0, 0, 0],
      [0, 0, 1, 0, 0],
      [0, 0, 0, 1, 0],
    ], "float64");
    expect(sortedEigen(companion)).toEqual([1, 2, 3, 4, 5].map((r) => [expect.closeTo(r, 8), 0]));
  });

  it("agrees with mathjs on symmetric matrices (where mathjs uses Jacobi and always converges)", () => {
    const rng = new Random(7);
    const g = gaussianMatrix(30, rng);
    const sym = Matrix.zeros(30, 30, "float64");
    for (let i = 0; i < 30; i++) for (let j = 0; j < 30; j++) sym.set(i, j, g.get(i, j) + g.get(j, i));
    const reference = (math.eigs(sym.toArray(), { eigenvectors: false }).values as number[]).slice().sort((a, b) => a - b);
    const ours = sortedEigen(sym);
    ours.forEach(([re, im], i) => {
      expect(im).toBe(0);
      expect(re).toBeCloseTo(reference[i], 9);
    });
  });

  it("random non-symmetric matrices (where mathjs eigs fails to converge): Σλ = tr W, Σλ² = tr W², Πλ = det W", () => {
    const rng = new Random(8);
    for (const n of [12, 100]) {
      const w = gaussianMatrix(n, rng);
      const lambdas = eigenvalues(w);
      expect(lambdas).toHaveLength(n);
      const a = w.toArray();
      const trace = (m: number[][]): number => m.reduce((s, row, i) => s + row[i], 0);
      const sum = lambdas.reduce((s, l) => ({ re: s.re + l.re, im: s.im + l.im }), { re: 0, im: 0 });
      expect(sum.re).toBeCloseTo(trace(a), 8);
      expect(sum.im).toBeCloseTo(0, 8);
      const sumSquares = lambdas.reduce((s, l) => s + l.re * l.re - l.im * l.im, 0);
      expect(sumSquares).toBeCloseTo(trace(math.multiply(a, a) as number[][]), 6);
      if (n === 12) {
        const product = lambdas.reduce((p, l) => ({ re: p.re * l.re - p.im * l.im, im: p.re * l.im + p.im * l.re }), { re: 1, im: 0 });
        const det = math.det(a);
        expect(product.re / det).toBeCloseTo(1, 8);
        expect(product.im / Math.abs(det)).toBeCloseTo(0, 8);
      }
      // Circular law: a Gaussian n×n matrix has ρ ≈ √n.
      expect(spectralRadius(w) / Math.sqrt(n)).toBeGreaterThan(0.8);
      expect(spectralRadius(w) / Math.sqrt(n)).toBeLessThan(1.25);
    }
  });

  it("scaleToSpectralRadius hits the target (and refuses a matrix with ρ = 0)", () => {
    const rng = new Random(9);
    for (const rho of [0.9, 1.1]) {
      const w = new Parameter("Whh", gaussianMatrix(40, rng, "float32"));
      expect(scaleToSpectralRadius(w, rho)).toBe(w);
      expect(w.version).toBe(1);
      expect(spectralRadius(w)).toBeCloseTo(rho, 5);
    }
    expect(() => scaleToSpectralRadius(Matrix.from([[0, 1], [0, 0]]), 1)).toThrow(/spectral radius 0/);
    expect(() => spectralRadius(Matrix.zeros(2, 3))).toThrow(/square/);
  });
});

// ------------------------------------------------------ training loop

describe("miniBatches", () => {
  it("is a seeded permutation split into batches, the last one partial unless dropped", () => {
    const batches = miniBatches(10, 3, new Random(1));
    expect(batches.map((b) => b.length)).toEqual([3, 3, 3, 1]);
    expect(batches.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(miniBatches(10, 3, new Random(1))).toEqual(batches);
    expect(miniBatches(10, 3, new Random(2))).not.toEqual(batches);
    const dropped = miniBatches(10, 3, new Random(1), { dropLast: true });
    expect(dropped.map((b) => b.length)).toEqual([3, 3, 3]);
    expect(new Set(dropped.flat()).size).toBe(9);
    expect(miniBatches(5, 2, new Random(1), { shuffle: false })).toEqual([[0, 1], [2, 3], [4]]);
    expect(() => miniBatches(5, 0, new Random(1))).toThrow(/batchSize/);
  });
});

/** y = x·w* + b* on 64 random points, and a linear model trained on mean squared error. */
function linearRegression(seed = 0, dtype: "float32" | "float64" = "float64") {
  const rng = new Random(seed);
  const n = 64;
  const wTrue = [1.5, -2, 0.5];
  const bTrue = 0.3;
  const x = Array.from({ length: n }, () => [rng.normal(), rng.normal(), rng.normal()]);
  const y = x.map((xi) => xi.reduce((s, v, j) => s + v * wTrue[j], bTrue));
  const W = new Parameter("W", Matrix.zeros(3, 1, dtype));
  const b = new Parameter("b", Matrix.zeros(1, 1, dtype));
  /** Mean squared error over the batch, adding its gradient into W.grad and b.grad. */
  const loss = (indices: readonly number[], backward: boolean): number => {
    let total = 0;
    for (const i of indices) {
      const prediction = x[i].reduce((s, v, j) => s + v * W.value.data[j], b.value.data[0]);
      const error = prediction - y[i];
      total += error * error;
      if (backward) {
        x[i].forEach((v, j) => (W.grad.data[j] += (2 * error * v) / indices.length));
        b.grad.data[0] += (2 * error) / indices.length;
      }
    }
    return total / indices.length;
  };
  const all = Array.from({ length: n }, (_, i) => i);
  return { n, W, b, wTrue, bTrue, step: (batch: number[]) => loss(batch, true), validate: () => loss(all, false) };
}

describe("train", () => {
  it("fits a linear regression to near-zero loss, validating once per epoch by default", () => {
    const task = linearRegression();
    const history = train({
      optimizer: new Momentum([task.W, task.b], { learningRate: 0.05 }),
      step: task.step,
      batches: (_epoch, rng) => miniBatches(task.n, 16, rng),
      epochs: 60,
      validate: task.validate,
    });
    expect(history.trainLoss).toHaveLength(60 * 4);
    expect(history.trainLoss[0]).toBeGreaterThan(1);
    expect(history.validation.steps).toEqual(Array.from({ length: 60 }, (_, e) => 4 * e + 3));
    expect(history.validation.loss[59]).toBeLessThan(1e-8);
    expect(Array.from(task.W.value.data)).toEqual(task.wTrue.map((w) => expect.closeTo(w, 4)));
    expect(task.b.value.data[0]).toBeCloseTo(task.bTrue, 4);
  });

  it("is deterministic given the seed", () => {
    const run = (seed: number): number[] => {
      const task = linearRegression();
      return train({
        optimizer: new SGD([task.W, task.b], { learningRate: 0.05 }),
        step: task.step,
        batches: (_epoch, rng) => miniBatches(task.n, 8, rng),
        epochs: 3,
        seed,
      }).trainLoss;
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it("reports steps and validations to onProgress, with validateEvery, maxSteps and a schedule", () => {
    const task = linearRegression();
    const events: TrainEvent[] = [];
    const history = train({
      optimizer: new SGD([task.W, task.b], { learningRate: 1 }),
      step: task.step,
      batches: [[0, 1, 2], [3, 4, 5], [6, 7, 8]],
      epochs: 10,
      maxSteps: 5,
      schedule: (step) => 0.1 / (1 + step),
      validate: task.validate,
      validateEvery: 2,
      onProgress: (e) => events.push(e),
    });
    expect(events.map((e) => `${e.kind}@${e.step}`)).toEqual([
      "train@0", "train@1", "validation@1", "train@2", "train@3", "validation@3", "train@4",
    ]);
    expect(events.map((e) => e.epoch)).toEqual([0, 0, 0, 0, 1, 1, 1]);
    expect(history.trainLoss).toHaveLength(5);
    expect(history.learningRate).toEqual([0, 1, 2, 3, 4].map((s) => 0.1 / (1 + s)));
    expect(history.validation.steps).toEqual([1, 3]);
    expect(events[2].loss).toBe(history.validation.loss[0]);
  });

  it("applies clipping: records the norm before and after, and the update has the clipped length", () => {
    const task = linearRegression();
    const before = [...Array.from(task.W.value.data), task.b.value.data[0]];
    const history = train({
      optimizer: new SGD([task.W, task.b], { learningRate: 1 }),
      step: task.step,
      batches: [Array.from({ length: task.n }, (_, i) => i)],
      clipNorm: 0.1,
    });
    expect(history.gradNorm[0]).toBeGreaterThan(1);
    expect(history.clippedGradNorm[0]).toBeCloseTo(0.1, 12);
    const after = [...Array.from(task.W.value.data), task.b.value.data[0]];
    expect(Math.hypot(...after.map((w, i) => w - before[i]))).toBeCloseTo(0.1, 12);

    const byValue = linearRegression();
    const h = train({ optimizer: new SGD([byValue.W, byValue.b], { learningRate: 0.1 }), step: byValue.step, batches: [[0, 1, 2, 3]], clipValue: 0.01 });
    expect(h.clippedGradNorm[0]).toBeLessThanOrEqual(0.02 + 1e-12);
    expect(h.clippedGradNorm[0]).toBeLessThan(h.gradNorm[0]);
  });

  it("stops at the first NaN loss with a typed error naming the step, and keeps the history before it", () => {
    const task = linearRegression();
    let error: unknown;
    try {
      train({
        optimizer: new SGD([task.W, task.b], { learningRate: 0.01 }),
        step: (batch: number[], { step }) => (step === 3 ? NaN : task.step(batch)),
        batches: [[0], [1], [2], [3], [4], [5]],
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TrainingDivergedError);
    const diverged = error as TrainingDivergedError;
    expect(diverged).toMatchObject({ source: "loss", step: 3, epoch: 0, parameter: undefined });
    expect(diverged.value).toBeNaN();
    expect(diverged.message).toMatch(/^Training diverged at step 3 \(epoch 0\): the loss is NaN\. Try gradient clipping \(clipNorm\) or a lower learning rate \(it was 0\.01\)\.$/);
    expect(diverged.history.trainLoss).toHaveLength(3);
  });

  it("names the parameter whose gradient is not finite", () => {
    const task = linearRegression();
    const run = (): unknown =>
      train({
        optimizer: new Adam([task.W, task.b]),
        step: (batch: number[], { step }) => {
          const loss = task.step(batch);
          if (step === 2) task.W.grad.set(1, 0, Infinity);
          return loss;
        },
        batches: [[0], [1], [2], [3]],
        clipNorm: 1,
      });
    expect(run).toThrow(TrainingDivergedError);
    expect(run).toThrow(/at step 2 \(epoch 0\): the gradient of "W" has Infinity at \[1, 0\].*smaller clipNorm \(it was 1\)/);
  });

  it("catches a learning rate so large that the float32 weights overflow, naming the parameter", () => {
    const task = linearRegression(0, "float32");
    let error: TrainingDivergedError | undefined;
    try {
      // The exploding-loss check would stop this run first: off, to reach the weights' overflow.
      train({ optimizer: new SGD([task.W, task.b], { learningRate: 50 }), step: task.step, batches: [[0, 1, 2, 3, 4, 5, 6, 7]], epochs: 1000, divergence: false });
    } catch (e) {
      if (e instanceof TrainingDivergedError) error = e;
      else throw e;
    }
    expect(error).toBeDefined();
    const { source, step, history, message } = error!;
    // The loss (a JS double) is still finite when the float32 weights overflow.
    expect(source).toBe("value");
    expect(error!.parameter?.name).toBe("W");
    expect(message).toMatch(/after the update, the value of "W" has -?Infinity at \[\d, 0\]/);
    expect(step).toBeGreaterThan(3);
    expect(step).toBeLessThan(100);
    expect(history.trainLoss).toHaveLength(step);
    // The recorded losses grow by orders of magnitude on the way to the explosion.
    expect(history.trainLoss[step - 1]).toBeGreaterThan(1e6 * history.trainLoss[0]);
    expect(message).toMatch(new RegExp(`at step ${step} .*Try gradient clipping \\(clipNorm\\)`));
    // The same run with norm clipping stays finite.
    const clipped = linearRegression(0, "float32");
    const h = train({ optimizer: new SGD([clipped.W, clipped.b], { learningRate: 50 }), step: clipped.step, batches: [[0, 1, 2, 3, 4, 5, 6, 7]], epochs: step + 5, clipNorm: 0.01 });
    expect(h.trainLoss.every(Number.isFinite)).toBe(true);
  });

  it("rejects an epoch without batches and invalid options", () => {
    const task = linearRegression();
    const optimizer = new SGD([task.W, task.b], { learningRate: 0.1 });
    expect(() => train({ optimizer, step: task.step, batches: () => [] })).toThrow(/epoch 0 has no batches/);
    expect(() => train({ optimizer, step: task.step, batches: [[0]], clipNorm: -1 })).toThrow(/clipNorm/);
    expect(() => train({ optimizer, step: task.step, batches: [[0]], epochs: 1.5 })).toThrow(/epochs/);
  });
});

// ------------------------------------------- divergence without NaN, bad steps

/** f(w) = ½w² from w = 10 (loss 50): plain SGD multiplies w by 1 − η each step. */
function bowl() {
  const w = new Parameter("w", Matrix.from([[10]], "float64"));
  const step = (): number => {
    const v = w.value.data[0];
    w.grad.data[0] = v;
    return 0.5 * v * v;
  };
  return { w, step, batches: Array.from({ length: 50 }, (_, i) => i) };
}

/** What `run` throws (the test fails if it returns). */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  throw new Error("expected an error, the call returned normally");
}

describe("train: a finite loss that explodes, and steps that return no loss", () => {
  it("stops the quadratic bowl at a too-large rate within its 50 steps, naming the step, the loss and the remedy", () => {
    // η = 46.4: |1 − η|² ≈ 2000 per step, loss 50 → ~2e167 in 50 steps without the check.
    const silent = bowl();
    const history = train({ optimizer: new SGD([silent.w], { learningRate: 46.4 }), step: silent.step, batches: silent.batches, divergence: false });
    expect(history.trainLoss[49]).toBeGreaterThan(1e160);

    const task = bowl();
    const error = thrown(() => train({ optimizer: new SGD([task.w], { learningRate: 46.4 }), step: task.step, batches: task.batches }));
    expect(error).toBeInstanceOf(TrainingDivergedError);
    const diverged = error as TrainingDivergedError;
    // Step 1: 50 · 45.4² ≈ 1.0e5 > 1000 × 50.
    expect(diverged).toMatchObject({ source: "loss", reason: "exploding-loss", step: 1, epoch: 0, parameter: undefined });
    expect(diverged.value).toBeCloseTo(50 * 45.4 * 45.4, 6);
    expect(diverged.message).toMatch(
      /^Training diverged at step 1 \(epoch 0\): the loss is 103058, more than 1000 × the first loss of this run, 50 \(divergence\.factor sets this check\)\. Try gradient clipping \(clipNorm\) or a lower learning rate \(it was 46\.4\)\.$/,
    );
    expect(diverged.history.trainLoss).toEqual([50]);
    // The update of the exploded step is not applied: w is where step 1 found it.
    expect(task.w.value.data[0]).toBeCloseTo(10 * (1 - 46.4), 10);
  });

  it("catches geometric growth after the loss had first fallen far below its start", () => {
    // η = 0.5 for 20 steps (the loss × 1/4 per step, down to ~5e-11), then η = 2.5 (× 2.25 per step):
    // the loss never comes near 1000 × its start, but rises ten steps in a row, 2.25¹⁰ ≈ 3300-fold.
    const task = bowl();
    const error = thrown(() =>
      train({ optimizer: new SGD([task.w], { learningRate: 0.5 }), step: task.step, batches: task.batches, schedule: (t) => (t < 20 ? 0.5 : 2.5) }),
    ) as TrainingDivergedError;
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect(error).toMatchObject({ source: "loss", reason: "exploding-loss", step: 30 });
    expect(error.message).toMatch(/^Training diverged at step 30 \(epoch 0\): the loss is [\d.e-]+, up at each of the last 10 steps, 3\.33e\+3 × its value 10 steps before, [\d.e-]+ \(divergence\.window and divergence\.growth set this check\)\. Try gradient clipping/);
    expect(error.value).toBeLessThan(1e-6);
  });

  it("is configurable: a larger factor stops later, Infinity or false turn the checks off, and bad settings are refused", () => {
    const run = (divergence: TrainOptions<number>["divergence"]) => {
      const task = bowl();
      return () => train({ optimizer: new SGD([task.w], { learningRate: 46.4 }), step: task.step, batches: task.batches, divergence });
    };
    // 50 · 45.4⁴ ≈ 2e8: past 1e6 × 50 at step 2.
    expect(thrown(run({ factor: 1e6 }))).toMatchObject({ step: 2, reason: "exploding-loss" });
    // The factor off: the window check (10 rising steps, ten-fold) stops it at step 10.
    expect(thrown(run({ factor: Infinity }))).toMatchObject({ step: 10, reason: "exploding-loss" });
    expect(run({ factor: Infinity, growth: Infinity })().trainLoss).toHaveLength(50);
    expect(run(false)().trainLoss).toHaveLength(50);
    expect(run({ factor: 1 })).toThrow(/train: divergence\.factor must be a number > 1 \(Infinity: off\), got 1/);
    expect(run({ growth: NaN })).toThrow(/train: divergence\.growth must be a number > 1 \(Infinity: off\), got NaN/);
    expect(run({ window: 1 })).toThrow(/train: divergence\.window must be an integer >= 2, got 1/);
  });

  it("does not fire on a noisy, spiky but decreasing loss, nor on losses <= 0", () => {
    const rng = new Random(3);
    const p = new Parameter("p", Matrix.zeros(1, 1, "float64"));
    // Cross-entropy-like: from ln 65 down to ~0.4, ±30% noise, a 10× spike every 37 steps, and runs of
    // nine slow rises in a row (a plateau drifting up) every 100 steps.
    const losses = Array.from({ length: 600 }, (_, t) => {
      const trend = Math.log(65) * Math.exp(-t / 250);
      if (t % 100 >= 50 && t % 100 < 60) return trend * (1 + 0.02 * (t % 100 - 50));
      return trend * (1 + 0.3 * (2 * rng.uniform() - 1)) * (t % 37 === 36 ? 10 : 1);
    });
    const history = train({ optimizer: new SGD([p], { learningRate: 0.1 }), step: (t: number) => losses[t], batches: losses.map((_, t) => t) });
    expect(history.trainLoss).toEqual(losses);
    // A loss that may be negative (a log-density): no multiple of a first loss of −1 means anything.
    const signed = Array.from({ length: 100 }, (_, t) => (t === 0 ? -1 : 5 * (1 + 0.3 * rng.uniform())));
    expect(train({ optimizer: new SGD([p], { learningRate: 0.1 }), step: (t: number) => signed[t], batches: signed.map((_, t) => t) }).trainLoss).toHaveLength(100);
  });

  it("does not fire on a small character model trained at a sane rate, whose loss falls", () => {
    const text = "the whale, the whale! call me ishmael. the sea, the ship and the whale. ".repeat(8);
    const chars = [...new Set(text)];
    const ids = Array.from(text, (c) => chars.indexOf(c));
    const rng = new Random(7);
    const model = new RNNLanguageModel({ vocabSize: chars.length, layer: new RNN(chars.length, 16, { rng, dtype: "float64" }), rng });
    const T = 12, B = 4;
    const history = train({
      optimizer: new SGD(model.parameters(), { learningRate: 0.5 }),
      batches: (_epoch, r) => Array.from({ length: 10 }, () => Array.from({ length: B }, () => r.int(ids.length - T - 1))),
      epochs: 6,
      step: (starts: number[]) => {
        const inputs: number[] = [], targets: number[] = [];
        for (let t = 0; t < T; t++) for (const s of starts) inputs.push(ids[s + t]), targets.push(ids[s + t + 1]);
        const r = model.loss(inputs, targets, B);
        r.backward();
        return r.loss;
      },
    });
    expect(history.trainLoss).toHaveLength(60);
    expect(history.trainLoss[0]).toBeCloseTo(Math.log(chars.length), 0);
    expect(Math.max(...history.trainLoss.slice(50))).toBeLessThan(history.trainLoss[0] - 1);
  });

  it("reports a step that returns no number as a programming error saying what it returned", () => {
    const p = new Parameter("p", Matrix.zeros(1, 1, "float64"));
    const run = (step: () => unknown, validate?: () => unknown) => () =>
      train({ optimizer: new SGD([p], { learningRate: 0.1 }), step: step as () => number, validate: validate as (() => number) | undefined, batches: [0, 1] });
    for (const [returned, words] of [
      [undefined, "undefined"],
      ["1.5", 'the string "1.5"'],
      [null, "null"],
      [{ loss: 2, count: 3 }, "an object with a numeric .loss (return that number)"],
      [() => 2, "a function (call it and return its loss)"],
    ] as const) {
      const error = thrown(run(() => returned));
      expect(error).toBeInstanceOf(TypeError);
      expect(error).not.toBeInstanceOf(TrainingDivergedError);
      expect((error as Error).message).toBe(`train: the step function returned ${words}; it must return the loss as a number`);
    }
    expect(run(() => 1, () => undefined)).toThrow(/^train: the validate function returned undefined; it must return the loss as a number$/);
    // NaN is a number: the run diverged (unchanged).
    expect(run(() => NaN)).toThrow(TrainingDivergedError);
  });

  it("turns a NaN or an infinity met by a layer inside the step into a TrainingDivergedError naming the layer", () => {
    const rng = new Random(2);
    const dense = new Dense(3, 2, { rng, dtype: "float64" });
    const inputs = [Matrix.from([[1, 2, 3]], "float64"), Matrix.from([[0, 1, 0], [1, 2, NaN]], "float64")];
    const error = thrown(() =>
      train({
        optimizer: new SGD(dense.parameters(), { learningRate: 0.1 }),
        batches: [0, 1],
        step: (i: number) => {
          const y = dense.forward(inputs[i]).y;
          return Array.from(y.data).reduce((s, v) => s + v * v, 0);
        },
      }),
    ) as TrainingDivergedError;
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect(error).toMatchObject({ source: "forward", reason: "non-finite", step: 1, parameter: undefined });
    expect(error.value).toBeNaN();
    expect(error.cause).toBeInstanceOf(NonFiniteError);
    expect(error.message).toMatch(/^Training diverged at step 1 \(epoch 0\): inside step, Dense: input x holds NaN at row 1, column 2 \(if the data itself holds it, fix the data; otherwise the values overflowed\)\. Try gradient clipping/);
    expect(error.history.trainLoss).toHaveLength(1);
  });
});
