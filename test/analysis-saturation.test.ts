import { describe, it, expect } from "vitest";
import { Matrix } from "../lib/src/nn";
import { gateSaturation } from "../lib/src/analysis";

describe("gateSaturation", () => {
  it("counts the fraction of steps below 0.1 and above 0.9 per unit", () => {
    // unit 0: 0.05, 0.5, 0.95, 0.99 → left 1/4, right 2/4; unit 1: 0.1, 0.9, 0.0, 0.2 → left 1/4 (0.1 and 0.9 are not strictly outside), right 0
    const g = Matrix.from([[0.05, 0.1], [0.5, 0.9], [0.95, 0.0], [0.99, 0.2]], "float64");
    const s = gateSaturation(g);
    expect(Array.from(s.left)).toEqual([0.25, 0.25]);
    expect(Array.from(s.right)).toEqual([0.5, 0]);
  });
  it("takes other thresholds", () => {
    const g = Matrix.from([[0.2], [0.3], [0.7], [0.8], [0.5]], "float64");
    const s = gateSaturation(g, { low: 0.25, high: 0.75 });
    expect(s.left[0]).toBeCloseTo(1 / 5, 15);
    expect(s.right[0]).toBeCloseTo(1 / 5, 15);
  });
  it("refuses bad thresholds, an empty gate and NaN", () => {
    expect(() => gateSaturation(Matrix.zeros(1, 1, "float64"), { low: 0.9, high: 0.1 })).toThrow(/low < high/);
    expect(() => gateSaturation(Matrix.zeros(0, 2, "float64"))).toThrow(/no rows/);
    expect(() => gateSaturation(Matrix.from([[0.5, NaN]], "float64"))).toThrow(/row 0, unit 1 is NaN/);
  });
});
