import { describe, it, expect } from "vitest";
import { Random } from "../lib/src";
import { addingProblem, ADDING_BASELINE_MSE } from "../lib/src/tasks";
import type { AddingProblemOptions } from "../lib/src/tasks";
import { repeatsLater, repeatsLaterCeiling } from "../lib/src/tasks";
import type { RepeatsLaterOptions } from "../lib/src/tasks";

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

describe("repeatsLater (lesson 08)", () => {
  it("lays a batch out time-major: inputs and targets [T·B], symbols in [0, m), tags 0 or 1", () => {
    const r = repeatsLater(new Random(1), { steps: 12, batch: 5, symbols: 6 });
    expect([r.steps, r.batch, r.symbols]).toEqual([12, 5, 6]);
    expect(r.inputs.length).toBe(60);
    expect(r.targets.length).toBe(60);
    for (const x of r.inputs) expect(x >= 0 && x < 6 && Number.isInteger(x)).toBe(true);
    for (const y of r.targets) expect(y === 0 || y === 1).toBe(true);
    expect(new Set(r.inputs).size).toBe(6); // 60 draws from 6 symbols: every one appears
  });

  it("tags step t with 1 exactly when its symbol occurs at a later step of the same sequence", () => {
    const T = 15, B = 40;
    const { inputs, targets } = repeatsLater(new Random(2), { steps: T, batch: B, symbols: 7 });
    let ones = 0;
    for (let b = 0; b < B; b++) {
      const xs = Array.from({ length: T }, (_, t) => inputs[t * B + b]);
      for (let t = 0; t < T; t++) {
        expect(targets[t * B + b]).toBe(xs.slice(t + 1).includes(xs[t]) ? 1 : 0);
        ones += targets[t * B + b];
      }
      expect(targets[(T - 1) * B + b]).toBe(0); // nothing comes after the last step
    }
    expect(ones).toBeGreaterThan(0);
    expect(ones).toBeLessThan(T * B);
  });

  it("draws the same batch from the same seed, another from another seed", () => {
    const o: RepeatsLaterOptions = { steps: 20, batch: 8, symbols: 10 };
    const a = repeatsLater(new Random(3), o), b = repeatsLater(new Random(3), o), c = repeatsLater(new Random(4), o);
    expect(Array.from(a.inputs)).toEqual(Array.from(b.inputs));
    expect(Array.from(a.targets)).toEqual(Array.from(b.targets));
    expect(Array.from(a.inputs)).not.toEqual(Array.from(c.inputs));
  });

  it("states the ceiling of a left-to-right model by hand for T = 3, m = 3", () => {
    // q = [1 − (2/3)², 1 − 2/3, 0] = [5/9, 1/3, 0]: best guesses 1, 0, 0.
    const c = repeatsLaterCeiling(3, 3);
    expect(c.probabilityOfRepeat[0]).toBeCloseTo(5 / 9, 14);
    expect(c.probabilityOfRepeat[1]).toBeCloseTo(1 / 3, 14);
    expect(c.probabilityOfRepeat[2]).toBe(0);
    expect(Array.from(c.bestGuess)).toEqual([1, 0, 0]);
    expect(c.accuracy).toBeCloseTo((5 / 9 + 2 / 3 + 1) / 3, 14); // 20/27
    const h = (p: number) => -(p * Math.log(p) + (1 - p) * Math.log(1 - p));
    expect(c.loss).toBeCloseTo((h(5 / 9) + h(1 / 3)) / 3, 14);
    expect(c.constantAccuracy).toBeCloseTo(1 - (5 / 9 + 1 / 3) / 3, 14); // q̄ = 8/27: always answer 0
  });

  it("equals the best left-to-right rule found by enumerating every sequence (T = 5, m = 3)", () => {
    // For each step t and each prefix x_0..x_t, the best guess is the tag most of its completions have.
    // Enumerating all 3^5 sequences gives the best accuracy of ANY rule that sees only the prefix.
    const T = 5, m = 3, all: number[][] = [];
    for (let code = 0; code < m ** T; code++) all.push(Array.from({ length: T }, (_, t) => Math.floor(code / m ** t) % m));
    let correct = 0, loss = 0;
    for (let t = 0; t < T; t++) {
      const byPrefix = new Map<string, [number, number]>(); // prefix → [count of tag 0, count of tag 1]
      for (const xs of all) {
        const key = xs.slice(0, t + 1).join(",");
        const tag = xs.slice(t + 1).includes(xs[t]) ? 1 : 0;
        const n = byPrefix.get(key) ?? [0, 0];
        n[tag]++;
        byPrefix.set(key, n);
      }
      for (const [n0, n1] of byPrefix.values()) {
        correct += Math.max(n0, n1);
        const p = n1 / (n0 + n1);
        if (p > 0 && p < 1) loss -= n1 * Math.log(p) + n0 * Math.log(1 - p);
      }
    }
    const c = repeatsLaterCeiling(T, m);
    expect(c.accuracy).toBeCloseTo(correct / (T * all.length), 12);
    expect(c.loss).toBeCloseTo(loss / (T * all.length), 12);
  });

  it("matches a large sample: the tag frequency per step is q_t and the best guess scores the ceiling", () => {
    const T = 20, m = 10, B = 20_000;
    const { targets } = repeatsLater(new Random(5), { steps: T, batch: B, symbols: m });
    const c = repeatsLaterCeiling(T, m);
    let right = 0;
    for (let t = 0; t < T; t++) {
      let ones = 0;
      for (let b = 0; b < B; b++) {
        ones += targets[t * B + b];
        right += targets[t * B + b] === c.bestGuess[t] ? 1 : 0;
      }
      expect(Math.abs(ones / B - c.probabilityOfRepeat[t])).toBeLessThan(0.015); // sd ≤ 0.0036
    }
    expect(Math.abs(right / (T * B) - c.accuracy)).toBeLessThan(0.005);
    expect(c.accuracy).toBeCloseTo(0.7325, 4); // T = 20, m = 10: the numbers lesson 08 uses
    expect(c.constantAccuracy).toBeLessThan(c.accuracy - 0.1); // position matters: the constant answer is far worse
  });

  it("rejects bad arguments with a message that names them", () => {
    const rng = new Random(6);
    const bad = (options: unknown) => () => repeatsLater(rng, options as RepeatsLaterOptions);
    expect(bad({ steps: 1, batch: 4, symbols: 5 })).toThrow(/steps must be an integer ≥ 2, got 1/);
    expect(bad({ steps: 10, batch: 0, symbols: 5 })).toThrow(/batch must be an integer ≥ 1, got 0/);
    expect(bad({ steps: 10, batch: 4, symbols: 1 })).toThrow(/symbols must be an integer ≥ 2, got 1/);
    expect(bad({ steps: 10, batch: 4 })).toThrow(/symbols must be an integer ≥ 2, got undefined/);
    expect(bad({ steps: "10", batch: 4, symbols: 5 })).toThrow(/steps must be an integer ≥ 2, got "10"/);
    expect(bad(null)).toThrow(/options must be/);
    expect(() => repeatsLater({ int: () => 0 } as unknown as Random, { steps: 10, batch: 4, symbols: 5 })).toThrow(/rng must be a Random/);
    expect(() => repeatsLaterCeiling(1, 5)).toThrow(/repeatsLaterCeiling: steps must be an integer ≥ 2, got 1/);
    expect(() => repeatsLaterCeiling(10, 2.5)).toThrow(/repeatsLaterCeiling: symbols must be an integer ≥ 2, got 2.5/);
  });
});
