import { describe, it, expect } from "vitest";
import { Matrix } from "../lib/src/nn";
import { pearson, unitCorrelations, strongestUnits } from "../lib/src/analysis";

describe("pearson", () => {
  it("matches a small example worked by hand", () => {
    // x = [1, 2, 3, 4], y = [2, 1, 4, 3]: x̄ = ȳ = 2.5, deviations (−1.5, −0.5, 0.5, 1.5) and (−0.5, −1.5, 1.5, 0.5);
    // Σ dx·dy = 0.75 + 0.75 + 0.75 + 0.75 = 3, Σ dx² = Σ dy² = 5, so r = 3 / 5 = 0.6.
    expect(pearson([1, 2, 3, 4], [2, 1, 4, 3])).toBeCloseTo(0.6, 14);
  });
  it("is ±1 for an exact affine relation, whatever its scale", () => {
    expect(pearson([0, 1, 0, 1, 1], [3, 5, 3, 5, 5])).toBeCloseTo(1, 14);
    expect(pearson([1, 2, 3], [-10, -20, -30])).toBeCloseTo(-1, 14);
  });
  it("is 0 for a relation that is not linear at all", () => {
    // y = x² over a symmetric x: Σ dx·dy = Σ x³ = 0.
    expect(pearson([-2, -1, 0, 1, 2], [4, 1, 0, 1, 4])).toBeCloseTo(0, 14);
  });
  it("is NaN when a series is constant", () => {
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
  it("keeps its precision on long float32 series far from zero", () => {
    const n = 100_000;
    const x = new Float32Array(n), y = new Float32Array(n);
    for (let i = 0; i < n; i++) { x[i] = 1000 + (i % 2); y[i] = i % 2; }
    expect(pearson(x, y)).toBeCloseTo(1, 10);
  });
  it("refuses unequal lengths, too few values and non-finite values", () => {
    expect(() => pearson([1, 2], [1, 2, 3])).toThrow(/x has 2 values but y has 3/);
    expect(() => pearson([1], [1])).toThrow(/at least 2 pairs/);
    expect(() => pearson([1, NaN], [1, 2])).toThrow(/x\[1\] is NaN/);
  });
});

describe("unitCorrelations", () => {
  it("correlates every column with the state", () => {
    // column 0 = state, column 1 = −2·state + 1, column 2 = [1, 2, 3, 4] (r = 0.6 with [2, 1, 4, 3] as above), column 3 constant
    const state = [2, 1, 4, 3];
    const a = Matrix.from(state.map((s, t) => [s, -2 * s + 1, t + 1, 7]), "float64");
    const r = unitCorrelations(a, state);
    expect(r[0]).toBeCloseTo(1, 14);
    expect(r[1]).toBeCloseTo(-1, 14);
    expect(r[2]).toBeCloseTo(0.6, 14);
    expect(r[3]).toBeNaN();
  });
  it("refuses a state of the wrong length", () => {
    expect(() => unitCorrelations(Matrix.zeros(3, 2, "float64"), [1, 2])).toThrow(/3 rows \(steps\) but state has 2 values/);
  });
});

describe("strongestUnits", () => {
  it("ranks by |r|, skipping NaN", () => {
    expect(strongestUnits([0.2, -0.9, NaN, 0.5], 3)).toEqual([{ unit: 1, r: -0.9 }, { unit: 3, r: 0.5 }, { unit: 0, r: 0.2 }]);
    expect(strongestUnits([NaN, 0.1], 5)).toEqual([{ unit: 1, r: 0.1 }]);
    expect(strongestUnits([0.3, -0.3])).toEqual([{ unit: 0, r: 0.3 }]);
  });
  it("refuses a k that is not a positive integer", () => {
    expect(() => strongestUnits([1], 0)).toThrow(/k must be a positive integer/);
  });
});
