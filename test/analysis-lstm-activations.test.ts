import { describe, it, expect } from "vitest";
import { Matrix, Sequence, LSTM, GRU, Stacked, ReferenceLSTM } from "../lib/src/nn";
import type { LSTMLayerState, LSTMGate } from "../lib/src/nn";
import { Random } from "../lib/src";
import { lstmActivations, stackedLstmActivations } from "../lib/src/analysis";
import { randn } from "./helpers";

const T = 5, B = 2, I = 3, H = 4;

/** The largest |a − b| over two matrices of the same shape. */
function gap(a: Matrix, b: Matrix): number {
  expect([a.rows, a.cols]).toEqual([b.rows, b.cols]);
  let m = 0;
  for (let k = 0; k < a.data.length; k++) m = Math.max(m, Math.abs(a.data[k] - b.data[k]));
  return m;
}

/** Step t's rows of a [T·B, H] matrix. */
const rowsOf = (m: Matrix, t: number) => m.rowsView(t * B, B);

describe("lstmActivations", () => {
  for (const [name, options] of [["plain", {}], ["peephole, no input gate", { peephole: true, noInputGate: true }]] as const) {
    it(`gives every step's gates, cell and output as the step-by-step reference computes them (${name})`, () => {
      const rng = new Random(3);
      const lstm = new LSTM(I, H, { rng, dtype: "float64", ...options });
      for (const p of lstm.parameters()) { for (let k = 0; k < p.value.data.length; k++) p.value.data[k] += rng.normal(0, 0.5); p.changed(); }
      const x = new Sequence(T, B, randn(rng, T * B, I));
      const first: LSTMLayerState = { h: randn(rng, B, H), c: randn(rng, B, H) };
      const acts = lstmActivations(lstm, lstm.forward(x, first));
      expect(Object.keys(acts.gates).sort()).toEqual([...lstm.gateOrder].sort());
      const ref = ReferenceLSTM.from(lstm);
      let prev = { h: first.h, c: first.c as Matrix };
      for (let t = 0; t < T; t++) {
        const step = ref.stepForward(x.at(t), prev);
        for (const gate of lstm.gateOrder) expect(gap(rowsOf(acts.gates[gate as LSTMGate] as Matrix, t), step.cache[gate as LSTMGate]), `${gate} at step ${t}`).toBeLessThan(1e-13);
        expect(gap(rowsOf(acts.c, t), step.c), `c at step ${t}`).toBeLessThan(1e-13);
        expect(gap(rowsOf(acts.h, t), step.h), `h at step ${t}`).toBeLessThan(1e-13);
        prev = { h: step.h, c: step.c };
      }
    });
  }
  it("copies: changing what it returned leaves the layer's cache alone", () => {
    const lstm = new LSTM(I, H, { rng: new Random(1), dtype: "float64" });
    const f = lstm.forward(new Sequence(T, B, randn(new Random(2), T * B, I)));
    const before = f.cache.gates.data[0];
    lstmActivations(lstm, f).gates.i?.data.fill(9);
    expect(f.cache.gates.data[0]).toBe(before);
  });
  it("refuses a forward result of another layer", () => {
    const lstm = new LSTM(I, H, { rng: new Random(1), dtype: "float64" });
    const other = new LSTM(I, H + 1, { rng: new Random(1), dtype: "float64" });
    const x = new Sequence(T, B, randn(new Random(2), T * B, I));
    expect(() => lstmActivations(lstm, other.forward(x))).toThrow(/does not come from this LSTM/);
  });
});

describe("stackedLstmActivations", () => {
  it("gives each layer's activations; layer 1's input is layer 0's h", () => {
    const rng = new Random(4);
    const stack = new Stacked([new LSTM(I, H, { rng, dtype: "float64" }), new LSTM(H, H, { rng, dtype: "float64" })]);
    const x = new Sequence(T, B, randn(rng, T * B, I));
    const acts = stackedLstmActivations(stack, stack.forward(x));
    expect(acts.length).toBe(2);
    // Layer 1 run on its own from layer 0's outputs gives the same gates.
    const top = stack.layers[1] as LSTM;
    const alone = lstmActivations(top, top.forward(new Sequence(T, B, acts[0].h)));
    expect(gap(alone.gates.f as Matrix, acts[1].gates.f as Matrix)).toBe(0);
    expect(gap(alone.c, acts[1].c)).toBe(0);
  });
  it("refuses a stack with a layer that is not an LSTM", () => {
    const rng = new Random(4);
    const stack = new Stacked([new LSTM(I, H, { rng, dtype: "float64" }), new GRU(H, H, { rng, dtype: "float64" })]);
    const x = new Sequence(T, B, randn(rng, T * B, I));
    expect(() => stackedLstmActivations(stack, stack.forward(x))).toThrow(/layer 1 of the stack is not an nn.LSTM/);
  });
});
