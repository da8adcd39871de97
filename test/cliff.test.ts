import { describe, expect, it } from "vitest";
import { Matrix, Parameter, clipGradNorm, clipGradValue } from "../lib/src/nn";
import {
  cliffDescent,
  cliffEdge,
  cliffLoss,
  cliffLossGrid,
  cliffStates,
  flattenGradients,
  gradientAngle,
} from "../lib/src/analysis";

const sig = (x: number) => 1 / (1 + Math.exp(-x));

describe("cliffStates and cliffLoss", () => {
  it("one step by hand: x1 = w·σ(0) + b", () => {
    // x0 = 0: σ(0) = 0.5, x1 = 0.5·2 + 0.5 = 1.5, L = (1.5 − 0.7)² = 0.64,
    // ∂L/∂w = 2·0.8·σ(0) = 0.8, ∂L/∂b = 2·0.8 = 1.6.
    const opts = { timeSteps: 1, x0: 0, target: 0.7 };
    expect(Array.from(cliffStates(2, 0.5, opts))).toEqual([0, 1.5]);
    const g = cliffLoss(2, 0.5, opts);
    expect(g.xT).toBeCloseTo(1.5, 14);
    expect(g.loss).toBeCloseTo(0.64, 14);
    expect(g.dw).toBeCloseTo(0.8, 14);
    expect(g.db).toBeCloseTo(1.6, 14);
    expect(g.gradNorm).toBeCloseTo(Math.hypot(0.8, 1.6), 14);
  });

  it("two steps by hand: the gradient goes back through w·σ′(x1)", () => {
    // w = 2, b = −1, x0 = 0: x1 = 1 − 1 = 0, x2 = 2·σ(0) − 1 = 0, L = 0.49, δ2 = −1.4.
    // ∂L/∂w = δ2·(σ(x1) + w·σ′(x1)·σ(x0)) = −1.4·(0.5 + 2·0.25·0.5) = −1.05
    // ∂L/∂b = δ2·(1 + w·σ′(x1))           = −1.4·(1 + 0.5)          = −2.1
    const g = cliffLoss(2, -1, { timeSteps: 2, x0: 0, target: 0.7 });
    expect(g.xT).toBeCloseTo(0, 14);
    expect(g.loss).toBeCloseTo(0.49, 14);
    expect(g.dw).toBeCloseTo(-1.05, 14);
    expect(g.db).toBeCloseTo(-2.1, 14);
  });

  it("tanh: two steps by hand", () => {
    // w = 1, b = 0.5, x0 = 0: x1 = 0.5, x2 = tanh(0.5) + 0.5; δ2 = 2(x2 − 0.7).
    const t = Math.tanh(0.5);
    const x2 = t + 0.5, d2 = 2 * (x2 - 0.7), d1 = d2 * (1 - t * t);
    const g = cliffLoss(1, 0.5, { timeSteps: 2, x0: 0, target: 0.7, activation: "tanh" });
    expect(g.xT).toBeCloseTo(x2, 14);
    expect(g.dw).toBeCloseTo(d2 * t + d1 * 0, 14);
    expect(g.db).toBeCloseTo(d2 + d1, 14);
  });

  it("at a fixed point the gradient is a geometric sum: it explodes when w·σ′(x0) > 1", () => {
    // b = x0 − w·σ(x0) keeps x_t = x0, so δ_{t−1} = λ·δ_t with λ = w·σ′(x0):
    // ∂L/∂b = 2(x0 − y)·(λ^T − 1)/(λ − 1), ∂L/∂w = σ(x0)·∂L/∂b.
    const x0 = 0.5, y = 0.7, w = 6, T = 50;
    const b = cliffEdge(w, { x0 });
    expect(b).toBeCloseTo(x0 - w * sig(x0), 14);
    const lambda = w * sig(x0) * (1 - sig(x0));
    expect(lambda).toBeGreaterThan(1);
    const states = cliffStates(w, b, { x0, timeSteps: T });
    for (const x of states) expect(x).toBeCloseTo(x0, 9);
    const g = cliffLoss(w, b, { x0, target: y, timeSteps: T });
    const db = (2 * (x0 - y) * (lambda ** T - 1)) / (lambda - 1);
    expect(g.db / db).toBeCloseTo(1, 6);
    expect(g.dw / (sig(x0) * db)).toBeCloseTo(1, 6);
    expect(Math.abs(g.db)).toBeGreaterThan(1e6); // λ ≈ 1.41: λ^50 ≈ 3e7
  });

  it("agrees with central finite differences away from the wall", () => {
    const points: [number, number][] = [[1.5, -0.3], [3, -1.2], [5, -1], [7, -2], [5.5, -4.5], [-2, 0.4]];
    for (const activation of ["sigmoid", "tanh"] as const) {
      for (const [w, b] of points) {
        const opts = { activation, timeSteps: 50 };
        const g = cliffLoss(w, b, opts);
        const h = 1e-6;
        const fdw = (cliffLoss(w + h, b, opts).loss - cliffLoss(w - h, b, opts).loss) / (2 * h);
        const fdb = (cliffLoss(w, b + h, opts).loss - cliffLoss(w, b - h, opts).loss) / (2 * h);
        const scale = Math.max(1, Math.abs(g.dw), Math.abs(g.db));
        expect(Math.abs(g.dw - fdw) / scale, `${activation} dw at (${w}, ${b})`).toBeLessThan(1e-6);
        expect(Math.abs(g.db - fdb) / scale, `${activation} db at (${w}, ${b})`).toBeLessThan(1e-6);
      }
    }
  });

  it("has a wall: the loss jumps across b = x0 − w·σ(x0)", () => {
    const w = 6, b = cliffEdge(w);
    const below = cliffLoss(w, b - 1e-3), above = cliffLoss(w, b + 1e-3);
    expect(below.xT).toBeLessThan(-2.5); // the low attractor
    expect(above.xT).toBeGreaterThan(2); // the high attractor
    expect(below.loss - above.loss).toBeGreaterThan(5);
    // …while away from it the gradient is moderate.
    expect(below.gradNorm).toBeLessThan(20);
    expect(above.gradNorm).toBeLessThan(20);
    expect(cliffLoss(w, b).gradNorm).toBeGreaterThan(1e6);
  });

  it("cliffEdge is NaN where the fixed point is stable (no wall)", () => {
    expect(cliffEdge(3)).toBeNaN(); // 3·σ′(0.5) ≈ 0.71 < 1
    expect(cliffEdge(4.5)).toBeCloseTo(0.5 - 4.5 * sig(0.5), 14);
  });

  it("rejects bad options", () => {
    expect(() => cliffLoss(1, 1, { timeSteps: 0 })).toThrow(/timeSteps/);
    expect(() => cliffLoss(NaN, 1)).toThrow(/finite/);
    expect(() => cliffLoss(1, 1, { activation: "relu" as never })).toThrow(/activation/);
  });
});

describe("cliffLossGrid", () => {
  it("rows follow b, columns follow w, with an optional transform", () => {
    const ws = [1, 2, 3], bs = [-1, 0];
    const z = cliffLossGrid(ws, bs, { timeSteps: 5 });
    expect(z).toHaveLength(2);
    expect(z[0]).toHaveLength(3);
    expect(z[1][2]).toBe(cliffLoss(3, 0, { timeSteps: 5 }).loss);
    const logz = cliffLossGrid(ws, bs, { timeSteps: 5, transform: (l) => Math.log10(l + 1e-3) });
    expect(logz[0][1]).toBeCloseTo(Math.log10(cliffLoss(2, -1, { timeSteps: 5 }).loss + 1e-3), 14);
  });
});

describe("cliffDescent", () => {
  it("takes plain gradient steps: the first step is −η·g", () => {
    const p = cliffDescent({ w: 3, b: -1 }, { learningRate: 0.01, iterations: 3 });
    expect(p.w).toHaveLength(4);
    const g = cliffLoss(3, -1);
    expect(p.w[1]).toBeCloseTo(3 - 0.01 * g.dw, 14);
    expect(p.b[1]).toBeCloseTo(-1 - 0.01 * g.db, 14);
    expect(p.loss[0]).toBe(g.loss);
    expect(p.gradNorm[0]).toBe(g.gradNorm);
    expect(p.divergedAt).toBeUndefined();
  });

  it("with norm clipping no step is longer than η·clipNorm, and the direction is kept", () => {
    const lr = 0.02, c = 2;
    const p = cliffDescent({ w: 7.5, b: -1.5 }, { learningRate: lr, iterations: 60, clipNorm: c });
    for (let k = 0; k + 1 < p.w.length; k++) {
      const step = Math.hypot(p.w[k + 1] - p.w[k], p.b[k + 1] - p.b[k]);
      expect(step).toBeLessThanOrEqual(lr * c * (1 + 1e-12));
      expect(step).toBeCloseTo(lr * Math.min(c, p.gradNorm[k]), 10);
      const g = cliffLoss(p.w[k], p.b[k]);
      expect(gradientAngle([g.dw, g.db], [p.w[k] - p.w[k + 1], p.b[k] - p.b[k + 1]])).toBeLessThan(1e-6);
    }
  });

  it("near the wall an unclipped step can be thrown far away, a clipped one not", () => {
    // Just past the edge, on the cliff face, the gradient is huge.
    const w = 5, b = cliffEdge(w) - 1e-4;
    const g = cliffLoss(w, b);
    expect(g.gradNorm).toBeGreaterThan(1e3);
    const free = cliffDescent({ w, b }, { learningRate: 0.02, iterations: 1 });
    const clipped = cliffDescent({ w, b }, { learningRate: 0.02, iterations: 1, clipNorm: 10 });
    expect(Math.hypot(free.w[1] - w, free.b[1] - b)).toBeGreaterThan(20);
    expect(Math.hypot(clipped.w[1] - w, clipped.b[1] - b)).toBeCloseTo(0.2, 10);
  });

  it("stops and reports where the walk stops being finite", () => {
    // A huge learning rate on the far quadratic slope overflows in a few dozen steps.
    const p = cliffDescent({ w: 10, b: 10 }, { learningRate: 100, iterations: 500, timeSteps: 3 });
    expect(p.divergedAt).toBeDefined();
    expect(p.w.length).toBeLessThan(500);
    for (const v of [...p.w, ...p.b]) expect(Number.isFinite(v)).toBe(true);
  });

  it("rejects bad options", () => {
    expect(() => cliffDescent({ w: 1, b: 1 }, { learningRate: 0, iterations: 1 })).toThrow(/learningRate/);
    expect(() => cliffDescent({ w: 1, b: 1 }, { learningRate: 1, iterations: 1.5 })).toThrow(/iterations/);
    expect(() => cliffDescent({ w: 1, b: 1 }, { learningRate: 1, iterations: 1, clipNorm: -1 })).toThrow(/clipNorm/);
  });
});

describe("gradientAngle", () => {
  it("measures angles in degrees", () => {
    expect(gradientAngle([1, 0], [0, 3])).toBeCloseTo(90, 12);
    expect(gradientAngle([1, 0], [1, 1])).toBeCloseTo(45, 12);
    expect(gradientAngle([1, 2, 3], [-2, -4, -6])).toBeCloseTo(180, 12);
    expect(gradientAngle([1, 2, 3], [1e-200, 2e-200, 3e-200])).toBeCloseTo(0, 12);
    expect(gradientAngle([1e200, 0], [1e200, 1e200])).toBeCloseTo(45, 12);
  });

  it("resolves tiny angles (where acos of the cosine returns 0)", () => {
    const eps = 1e-9;
    const expected = (Math.atan(eps) * 180) / Math.PI;
    expect(gradientAngle([1, 0], [1, eps]) / expected).toBeCloseTo(1, 6);
  });

  it("rejects zero, mismatched and non-finite vectors", () => {
    expect(() => gradientAngle([0, 0], [1, 0])).toThrow(/zero vector/);
    expect(() => gradientAngle([1], [1, 0])).toThrow(/entries/);
    expect(() => gradientAngle([NaN, 1], [1, 0])).toThrow(/NaN/);
  });

  it("norm clipping keeps the direction of real gradients, value clipping turns it", () => {
    const p = new Parameter("W", Matrix.from([[10, 0.1], [-0.5, 2]], "float64"));
    const q = new Parameter("b", Matrix.from([[0.3, -4]], "float64"));
    const grads = [[[10, 0.1], [-0.5, 2]], [[0.3, -4]]];
    const reset = () => [p, q].forEach((x, i) => x.grad.data.set(grads[i].flat()));
    reset();
    const g = flattenGradients([p, q]);
    expect(Array.from(g)).toEqual([10, 0.1, -0.5, 2, 0.3, -4]);
    clipGradNorm([p, q], 1);
    expect(gradientAngle(g, flattenGradients([p, q]))).toBeLessThan(1e-6);
    reset();
    clipGradValue([p, q], 1);
    const v = flattenGradients([p, q]); // [1, 0.1, −0.5, 1, 0.3, −1]
    const dot = g.reduce((s, x, i) => s + x * v[i], 0);
    const cos = dot / (Math.hypot(...g) * Math.hypot(...v));
    expect(gradientAngle(g, v)).toBeCloseTo((Math.acos(cos) * 180) / Math.PI, 9);
    expect(gradientAngle(g, v)).toBeGreaterThan(30);
  });
});
