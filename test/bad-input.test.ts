// Bad input gets an error that names the function, the argument and the
// value, never a silent number: the seeded draws, and a NaN or an infinity
// fed to any layer's forward pass (the wrappers through their inner layers).
import { describe, it, expect } from "vitest";
import { Matrix, Sequence, RNN, LSTM, GRU, Highway, Stacked, Bidirectional, Embedding, RecurrentLayer, NonFiniteError } from "../lib/src/nn";
import { Random } from "../lib/src";
import { randn } from "./helpers";

describe("Random refuses draws that have no meaning", () => {
  it("normal: a negative, NaN or infinite std, or a non-finite mean", () => {
    const rng = new Random(1);
    expect(() => rng.normal(0, -1)).toThrow(/^Random\.normal: std must be a finite number >= 0, got -1$/);
    expect(() => rng.normal(0, NaN)).toThrow(/^Random\.normal: std must be a finite number >= 0, got NaN$/);
    expect(() => rng.normal(0, Infinity)).toThrow(/got Infinity/);
    expect(() => rng.normal(NaN, 1)).toThrow(/^Random\.normal: mean must be a finite number, got NaN$/);
    expect(() => rng.normal(0, "2" as unknown as number)).toThrow(/std must be a finite number >= 0, got "2"/);
    // The cached second value of a Box–Muller pair is checked too.
    rng.normal();
    expect(() => rng.normal(0, -2)).toThrow(/got -2/);
    expect(rng.normal(3, 0)).toBe(3);
  });

  it("int: n not an integer in 1..2^32 (a larger n would reach only 2^32 of its values)", () => {
    const rng = new Random(2);
    for (const n of [0, -3, 1.5, NaN, Infinity, 2 ** 32 + 1]) {
      expect(() => rng.int(n)).toThrow(new RegExp(`^Random\\.int: n must be an integer in 1\\.\\.2\\^32 \\(the draws are 32-bit\\), got ${n}$`));
    }
    expect(rng.int(1)).toBe(0);
    expect(rng.int(2 ** 32)).toBeLessThan(2 ** 32);
  });

  it("categorical: no weights, all zero, a bad weight, a sum that overflows, not an array", () => {
    const rng = new Random(3);
    expect(() => rng.categorical([])).toThrow(/^Random\.categorical: weights is empty: there is nothing to draw$/);
    expect(() => rng.categorical([0, 0, 0])).toThrow(/^Random\.categorical: all 3 weights are zero: no outcome can be drawn$/);
    expect(() => rng.categorical([1, -0.5])).toThrow(/^Random\.categorical: weight 1 is -0\.5; weights must be finite numbers >= 0$/);
    expect(() => rng.categorical([1, NaN])).toThrow(/weight 1 is NaN/);
    expect(() => rng.categorical([1e308, 1e308])).toThrow(/^Random\.categorical: the weights sum to Infinity; scale them down$/);
    expect(() => rng.categorical(undefined as unknown as number[])).toThrow(/^Random\.categorical: weights must be an array of numbers, got undefined$/);
    expect(rng.categorical([0, 2, 0])).toBe(1);
  });

  it("shuffle: not an array", () => {
    const rng = new Random(4);
    expect(() => rng.shuffle(undefined as unknown as number[])).toThrow(/^Random\.shuffle: items must be an array, got undefined$/);
    expect(() => rng.shuffle("abc" as unknown as string[])).toThrow(/^Random\.shuffle: items must be an array, got "abc"$/);
    expect(rng.shuffle([1, 2, 3]).sort()).toEqual([1, 2, 3]);
  });
});

describe("every layer's forward refuses a NaN or infinite input, naming the layer, the row and the column", () => {
  const I = 3, H = 4, T = 3, B = 2;
  const recurrent: [string, string, () => RecurrentLayer][] = [
    ["RNN", "RNN", () => new RNN(I, H, { rng: new Random(1), dtype: "float64" })],
    ["LSTM", "LSTM", () => new LSTM(I, H, { rng: new Random(1), dtype: "float64" })],
    ["GRU", "GRU", () => new GRU(I, H, { rng: new Random(1), dtype: "float64" })],
    // The wrappers get the check through their inner layers: the first one to read x names itself.
    ["Stacked", "LSTM", () => new Stacked([new LSTM(I, H, { rng: new Random(1), dtype: "float64", name: "l0" }), new RNN(H, H, { rng: new Random(2), dtype: "float64", name: "l1" })])],
    ["Bidirectional", "GRU", () => new Bidirectional(new GRU(I, H, { rng: new Random(1), dtype: "float64", name: "f" }), new RNN(I, H, { rng: new Random(2), dtype: "float64", name: "b" }))],
  ];

  it.each(recurrent)("%s", (_name, reports, make) => {
    const layer = make();
    const x = new Sequence(T, B, randn(new Random(5), T * B, I, "float64"));
    expect(() => layer.forward(x)).not.toThrow();
    x.data.set(3, 2, NaN); // step 1, example 1, input 2
    expect(() => layer.forward(x)).toThrow(new RegExp(`^${reports}: input x holds NaN at row 3, column 2$`));
    x.data.set(3, 2, 0);
    x.data.set(5, 0, -Infinity);
    expect(() => layer.forward(x)).toThrow(NonFiniteError);
    expect(() => layer.forward(x)).toThrow(new RegExp(`^${reports}: input x holds -Infinity at row 5, column 0$`));
  });

  it("Highway, on a matrix and on a sequence", () => {
    const highway = new Highway(I, { rng: new Random(1), dtype: "float64" });
    const x = randn(new Random(6), 4, I, "float64");
    x.set(1, 0, Infinity);
    expect(() => highway.forward(x)).toThrow(/^Highway: input x holds Infinity at row 1, column 0$/);
    expect(() => highway.forward(new Sequence(2, 2, x))).toThrow(/^Highway: input x holds Infinity at row 1, column 0$/);
  });

  it("Embedding: ids must be integers in range, so NaN and Infinity are refused already", () => {
    const e = new Embedding(5, 2, { rng: new Random(1) });
    expect(() => e.forward([1, NaN])).toThrow(/^Embedding: ids\[1\] = NaN is not a vocabulary id: valid ids are 0\.\.4$/);
    expect(() => e.forward([Infinity])).toThrow(/ids\[0\] = Infinity is not a vocabulary id/);
  });
});
