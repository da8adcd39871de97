// tasks.lastMarked: "recall the last marked value" (lesson 06).
import { describe, it, expect } from "vitest";
import { Random } from "../lib/src";
import { lastMarked, LAST_MARKED_BASELINE_MSE } from "../lib/src/tasks";
import type { LastMarkedOptions } from "../lib/src/tasks";

describe("lastMarked", () => {
  it("lays a batch out time-major: x [T·B, 2], y [T·B, 1], age [T·B]", () => {
    const { x, y, age } = lastMarked(new Random(1), { steps: 7, batch: 3, markerRate: 0.2 });
    expect([x.steps, x.batch, x.features]).toEqual([7, 3, 2]);
    expect([y.steps, y.batch, y.features]).toEqual([7, 3, 1]);
    expect(age.length).toBe(21);
    expect(x.data.dtype).toBe("float32");
    expect(lastMarked(new Random(1), { steps: 7, batch: 3, markerRate: 0.2, dtype: "float64" }).y.data.dtype).toBe("float64");
  });

  it("with markerRate 0 only the first step is marked: every target is x_0 and the age is t", () => {
    const { x, y, age } = lastMarked(new Random(2), { steps: 5, batch: 2, markerRate: 0, dtype: "float64" });
    for (let b = 0; b < 2; b++) {
      for (let t = 0; t < 5; t++) {
        expect(x.at(t).get(b, 1)).toBe(t === 0 ? 1 : 0);
        expect(y.at(t).get(b, 0)).toBe(x.at(0).get(b, 0));
        expect(age[t * 2 + b]).toBe(t);
      }
    }
  });

  it("with markerRate 1 every step is marked: every target is the step's own value", () => {
    const { x, y, age } = lastMarked(new Random(3), { steps: 4, batch: 3, markerRate: 1, dtype: "float64" });
    for (let r = 0; r < 12; r++) {
      expect(x.data.get(r, 1)).toBe(1);
      expect(y.data.get(r, 0)).toBe(x.data.get(r, 0));
      expect(age[r]).toBe(0);
    }
  });

  it("draws value then marker per step, from the given Random: the batch equals a brute-force replay of the draws", () => {
    const T = 30, B = 4, p = 0.3;
    const { x, y, age } = lastMarked(new Random(4), { steps: T, batch: B, markerRate: p, dtype: "float64" });
    const replay = new Random(4);
    for (let b = 0; b < B; b++) {
      const values: number[] = [], marks: number[] = [];
      for (let t = 0; t < T; t++) {
        values.push(replay.uniform());
        marks.push(t === 0 || replay.uniform() < p ? 1 : 0);
      }
      for (let t = 0; t < T; t++) {
        let s = t;
        while (marks[s] === 0) s--; // back to the most recent marker
        expect(x.at(t).get(b, 0)).toBe(values[t]);
        expect(x.at(t).get(b, 1)).toBe(marks[t]);
        expect(y.at(t).get(b, 0)).toBe(values[s]);
        expect(age[t * B + b]).toBe(t - s);
      }
    }
  });

  it("marks a fraction p of the later steps, with geometric gaps; the constant 1/2 scores 1/12", () => {
    const T = 200, B = 500, p = 0.1;
    const { x, y, age } = lastMarked(new Random(5), { steps: T, batch: B, markerRate: p });
    let marked = 0, longAges = 0, se = 0;
    for (let r = B; r < T * B; r++) marked += x.data.get(r, 1); // steps 1 … T − 1
    const rate = marked / ((T - 1) * B);
    // 99,500 Bernoulli(0.1) draws: standard deviation 0.00095.
    expect(Math.abs(rate - p)).toBeLessThan(0.004);
    // Far from the start, P(age ≥ 20) = 0.9^20 ≈ 0.1216.
    let counted = 0;
    for (let t = 100; t < T; t++) for (let b = 0; b < B; b++) { counted++; if (age[t * B + b] >= 20) longAges++; }
    expect(Math.abs(longAges / counted - 0.9 ** 20)).toBeLessThan(0.01);
    for (let r = 0; r < T * B; r++) se += (y.data.get(r, 0) - 0.5) ** 2;
    expect(LAST_MARKED_BASELINE_MSE).toBe(1 / 12);
    expect(Math.abs(se / (T * B) - 1 / 12)).toBeLessThan(0.003);
  });

  it("is reproducible from its seed", () => {
    const a = lastMarked(new Random(6), { steps: 20, batch: 5, markerRate: 0.2 });
    const b = lastMarked(new Random(6), { steps: 20, batch: 5, markerRate: 0.2 });
    expect(Array.from(a.x.data.data)).toEqual(Array.from(b.x.data.data));
    expect(Array.from(a.y.data.data)).toEqual(Array.from(b.y.data.data));
  });

  it("rejects bad input with a message naming the problem", () => {
    const ok: LastMarkedOptions = { steps: 5, batch: 2, markerRate: 0.1 };
    expect(() => lastMarked(new Random(1), { ...ok, steps: 0 })).toThrow(/lastMarked: steps must be an integer ≥ 1, got 0/);
    expect(() => lastMarked(new Random(1), { ...ok, batch: 1.5 })).toThrow(/lastMarked: batch must be an integer ≥ 1, got 1.5/);
    expect(() => lastMarked(new Random(1), { ...ok, markerRate: 1.2 })).toThrow(/markerRate must be a probability in \[0, 1\], got 1.2/);
    expect(() => lastMarked(new Random(1), { ...ok, markerRate: NaN })).toThrow(/markerRate must be a probability/);
    expect(() => lastMarked(new Random(1), { ...ok, dtype: "int8" as never })).toThrow(/dtype must be "float32" or "float64"/);
    expect(() => lastMarked(Math.random as never, ok)).toThrow(/rng must be a Random/);
    expect(() => lastMarked(new Random(1), null as never)).toThrow(/options must be/);
  });
});
