import { describe, it, expect } from "vitest";
import { Random } from "../lib/src";
import { addingProblem, ADDING_BASELINE_MSE } from "../lib/src/tasks";
import type { AddingProblemOptions } from "../lib/src/tasks";

describe("addingProblem", () => {
  it("lays a batch out time-major: x [T·B, 2], y [B, 1], one row per (step, sequence)", () => {
    const { x, y, first, second } = addingProblem(new Random(1), { steps: 10, batch: 3 });
    expect([x.steps, x.batch, x.features]).toEqual([10, 3, 2]);
    expect([x.data.rows, x.data.cols]).toEqual([30, 2]);
    expect([y.rows, y.cols]).toEqual([3, 1]);
    expect(first.length).toBe(3);
    expect(second.length).toBe(3);
    expect(x.data.dtype).toBe("float32");
    expect(addingProblem(new Random(1), { steps: 10, batch: 3, dtype: "float64" }).x.data.dtype).toBe("float64");
  });

  it("puts exactly one marker in each half, at the recorded steps, and values in [0, 1)", () => {
    for (const T of [2, 3, 7, 100, 101]) {
      const B = 64, half = Math.floor(T / 2);
      const { x, first, second } = addingProblem(new Random(T), { steps: T, batch: B });
      for (let b = 0; b < B; b++) {
        const marked: number[] = [];
        for (let t = 0; t < T; t++) {
          const [value, marker] = [x.at(t).get(b, 0), x.at(t).get(b, 1)];
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThan(1);
          expect(marker === 0 || marker === 1).toBe(true);
          if (marker === 1) marked.push(t);
        }
        expect(marked).toEqual([first[b], second[b]]);
        expect(first[b]).toBeGreaterThanOrEqual(0);
        expect(first[b]).toBeLessThan(half);
        expect(second[b]).toBeGreaterThanOrEqual(half);
        expect(second[b]).toBeLessThan(T);
      }
    }
  });

  it("targets the sum of the two marked values", () => {
    const B = 50;
    const { x, y, first, second } = addingProblem(new Random(2), { steps: 20, batch: B, dtype: "float64" });
    for (let b = 0; b < B; b++) {
      expect(y.get(b, 0)).toBe(x.at(first[b]).get(b, 0) + x.at(second[b]).get(b, 0));
    }
  });

  it("spreads the markers over every step of each half", () => {
    const T = 10, B = 4000;
    const { first, second } = addingProblem(new Random(3), { steps: T, batch: B });
    const counts = new Array(T).fill(0);
    first.forEach((t) => counts[t]++);
    second.forEach((t) => counts[t]++);
    // Each of the 5 steps of a half gets B/5 = 800 markers on average (sd ≈ 25).
    for (const c of counts) expect(Math.abs(c - B / 5)).toBeLessThan(150);
  });

  it("makes the constant-1 prediction score MSE 1/6 (not 0.1767)", () => {
    const { y } = addingProblem(new Random(4), { steps: 4, batch: 200_000, dtype: "float64" });
    let se = 0, sum = 0;
    for (let b = 0; b < y.rows; b++) {
      se += (y.data[b] - 1) ** 2;
      sum += y.data[b];
    }
    const mse = se / y.rows;
    expect(ADDING_BASELINE_MSE).toBe(1 / 6);
    // The squared error has sd ≈ 0.197, so the mean of 200,000 has sd ≈ 0.00044.
    expect(Math.abs(mse - 1 / 6)).toBeLessThan(0.002);
    expect(Math.abs(mse - 0.1767)).toBeGreaterThan(0.008);
    expect(Math.abs(sum / y.rows - 1)).toBeLessThan(0.005); // the target's mean is 1: the best constant
  });

  it("draws the same batch from the same seed, another from another seed", () => {
    const a = addingProblem(new Random(5), { steps: 30, batch: 8 });
    const b = addingProblem(new Random(5), { steps: 30, batch: 8 });
    const c = addingProblem(new Random(6), { steps: 30, batch: 8 });
    expect(Array.from(a.x.data.data)).toEqual(Array.from(b.x.data.data));
    expect(Array.from(a.y.data)).toEqual(Array.from(b.y.data));
    expect(Array.from(a.x.data.data)).not.toEqual(Array.from(c.x.data.data));
  });

  it("rejects bad arguments with a message that names them", () => {
    const rng = new Random(7);
    const bad = (options: unknown) => () => addingProblem(rng, options as AddingProblemOptions);
    expect(bad({ steps: 1, batch: 4 })).toThrow(/steps must be an integer ≥ 2, got 1/);
    expect(bad({ steps: 10.5, batch: 4 })).toThrow(/steps must be an integer ≥ 2, got 10.5/);
    expect(bad({ steps: "100", batch: 4 })).toThrow(/steps must be an integer ≥ 2, got "100"/);
    expect(bad({ steps: 10, batch: 0 })).toThrow(/batch must be an integer ≥ 1, got 0/);
    expect(bad({ steps: 10 })).toThrow(/batch must be an integer ≥ 1, got undefined/);
    expect(bad({ steps: 10, batch: 4, dtype: "int32" })).toThrow(/dtype must be "float32" or "float64"/);
    expect(bad(null)).toThrow(/options must be/);
    expect(() => addingProblem({ uniform: Math.random } as unknown as Random, { steps: 10, batch: 4 })).toThrow(/rng must be a Random/);
  });
});
