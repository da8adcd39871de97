import { describe, it, expect } from "vitest";
import { Matrix, Parameter, Sequence, gradCheck, GradCheckResult, RecurrentLayer, LSTM, LSTMOptions, LSTMGate, LSTMLayerState } from "../lib/src/nn";
import { Random } from "../lib/src";
import * as tf from "@tensorflow/tfjs";
import { compareWithTf, expectAgreement, stepsOf, tensorOf } from "./tfgrad";
import { dot, randn } from "./helpers";

interface CheckSetup {
  steps?: number;
  batch?: number;
  /** Start from a given (random) state, and check ∂L/∂(first state) too. */
  withFirst: boolean;
  /** A later segment reads the last state: L also gets Σ R ⊙ h_T (+ Σ R' ⊙ c_T). */
  withDLast: boolean;
  seed?: number;
}

/** A rows x cols matrix of seeded uniform entries in (0, 1): gate activations. */
function uniform(rng: Random, rows: number, cols: number): Matrix {
  const m = Matrix.zeros(rows, cols, "float64");
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.uniform();
  return m;
}

/**
 * Finite-difference check of a recurrent layer's parameters, its input x and
 * (optionally) its first state. The loss is linear in the outputs with random
 * weights, L = Σ R ⊙ h + Σ R_h ⊙ h_T + Σ R_c ⊙ c_T (+ Σ R_a ⊙ a_T with full
 * gate recurrence), so dh = R and dLast = (R_h, R_c, R_a).
 */
function checkRecurrent(layer: RecurrentLayer, setup: CheckSetup): GradCheckResult[] {
  const T = setup.steps ?? 4, B = setup.batch ?? 2, I = layer.inputSize, H = layer.hiddenSize;
  const rng = new Random(setup.seed ?? 7);
  // Noise on every parameter, so zero-initialised peepholes and biases matter too (a forget bias keeps its offset).
  for (const p of layer.parameters()) {
    for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += rng.normal(0, 0.5);
    p.changed();
  }
  const zero: LSTMLayerState = layer.initialState(1);
  const hasCell = zero.c !== undefined, gateWidth = zero.a?.cols ?? 0; // a: the gate activations of full gate recurrence
  const x = new Parameter("x", randn(rng, T * B, I));
  const h0 = new Parameter("h0", randn(rng, B, H, "float64", 0.5));
  const c0 = new Parameter("c0", randn(rng, B, H));
  const R = randn(rng, T * B, H), Rh = randn(rng, B, H), Rc = randn(rng, B, H);
  const a0 = new Parameter("a0", uniform(rng, B, Math.max(gateWidth, 1))), Ra = randn(rng, B, Math.max(gateWidth, 1));
  const run = () =>
    layer.forward(
      new Sequence(T, B, x.value),
      setup.withFirst ? { h: h0.value, c: hasCell ? c0.value : undefined, ...(gateWidth ? { a: a0.value } : {}) } : undefined,
    );
  const loss = (): number => {
    const f = run();
    let L = dot(f.h.data, R);
    if (setup.withDLast) L += dot(f.last.h, Rh) + (hasCell ? dot(f.last.c as Matrix, Rc) : 0) + (gateWidth ? dot((f.last as LSTMLayerState).a as Matrix, Ra) : 0);
    return L;
  };
  const inputs = [x, ...(setup.withFirst ? [h0, ...(hasCell ? [c0] : []), ...(gateWidth ? [a0] : [])] : [])];
  const backward = (): void => {
    for (const p of [...layer.parameters(), ...inputs]) p.zeroGrad();
    const f = run();
    const dLast = setup.withDLast ? { h: Rh, c: hasCell ? Rc : undefined, ...(gateWidth ? { a: Ra } : {}) } : undefined;
    const b = layer.backward(f, new Sequence(T, B, R), dLast);
    x.grad.data.set(b.dx.data.data);
    h0.grad.data.set(b.dFirst.h.data);
    if (hasCell) c0.grad.data.set((b.dFirst.c as Matrix).data);
    if (gateWidth) a0.grad.data.set(((b.dFirst as LSTMLayerState).a as Matrix).data);
  };
  return gradCheck([...layer.parameters(), ...inputs], loss, backward);
}

function expectAllBelow(results: GradCheckResult[], threshold: number, expectedNames: string[]): void {
  expect(results.map((r) => r.parameter).sort()).toEqual([...expectedNames].sort());
  for (const r of results) {
    expect(r.checked, r.parameter).toBeGreaterThan(0);
    expect(r.maxRelativeError, r.parameter).toBeLessThan(threshold);
  }
}

const variants: { label: string; options: Omit<LSTMOptions, "rng">; params: string[] }[] = [
  { label: "plain", options: {}, params: ["Wx", "Wh", "b"] },
  { label: "peephole", options: { peephole: true }, params: ["Wx", "Wh", "b", "pi", "pf", "po"] },
  { label: "coupled input-forget (CIFG)", options: { coupledInputForget: true }, params: ["Wx", "Wh", "b"] },
  { label: "CIFG with peepholes", options: { coupledInputForget: true, peephole: true }, params: ["Wx", "Wh", "b", "pf", "po"] },
  { label: "no forget gate", options: { noForgetGate: true }, params: ["Wx", "Wh", "b"] },
  { label: "no forget gate with peepholes", options: { noForgetGate: true, peephole: true }, params: ["Wx", "Wh", "b", "pi", "po"] },
  { label: "forgetBias 2", options: { forgetBias: 2 }, params: ["Wx", "Wh", "b"] },
  // The other variants of Greff et al., alone and on their "vanilla" cell (with peepholes).
  { label: "no input gate (NIG)", options: { noInputGate: true }, params: ["Wx", "Wh", "b"] },
  { label: "NIG with peepholes", options: { noInputGate: true, peephole: true }, params: ["Wx", "Wh", "b", "pf", "po"] },
  { label: "no output gate (NOG)", options: { noOutputGate: true }, params: ["Wx", "Wh", "b"] },
  { label: "NOG with peepholes", options: { noOutputGate: true, peephole: true }, params: ["Wx", "Wh", "b", "pi", "pf"] },
  { label: "no input activation (NIAF)", options: { noInputActivation: true }, params: ["Wx", "Wh", "b"] },
  { label: "NIAF with peepholes", options: { noInputActivation: true, peephole: true }, params: ["Wx", "Wh", "b", "pi", "pf", "po"] },
  { label: "no output activation (NOAF)", options: { noOutputActivation: true }, params: ["Wx", "Wh", "b"] },
  { label: "NOAF with peepholes", options: { noOutputActivation: true, peephole: true }, params: ["Wx", "Wh", "b", "pi", "pf", "po"] },
  { label: "full gate recurrence (FGR)", options: { fullGateRecurrence: true }, params: ["Wx", "Wh", "b", "Wa"] },
  { label: "FGR with peepholes", options: { fullGateRecurrence: true, peephole: true }, params: ["Wx", "Wh", "b", "Wa", "pi", "pf", "po"] },
  { label: "FGR with CIFG", options: { fullGateRecurrence: true, coupledInputForget: true }, params: ["Wx", "Wh", "b", "Wa"] },
  { label: "FGR without output gate or forget gate", options: { fullGateRecurrence: true, noOutputGate: true, noForgetGate: true }, params: ["Wx", "Wh", "b", "Wa"] },
  { label: "NIG and NFG (the cell adds every candidate)", options: { noInputGate: true, noForgetGate: true }, params: ["Wx", "Wh", "b"] },
];

describe("LSTM gradients (float64 finite differences)", () => {
  for (const { label, options, params } of variants) {
    for (const withFirst of [false, true]) {
      for (const withDLast of [false, true]) {
        const setup = `${withFirst ? "given first state" : "zero first state"}, ${withDLast ? "nonzero dLast (h_T, c_T)" : "no dLast"}`;
        it(`${label}, ${setup}: max relative error < 1e-6`, () => {
          const layer = new LSTM(3, 4, { dtype: "float64", rng: new Random(1), ...options });
          const names = [...params.map((p) => `lstm.${p}`), "x", ...(withFirst ? ["h0", "c0", ...(options.fullGateRecurrence ? ["a0"] : [])] : [])];
          expectAllBelow(checkRecurrent(layer, { withFirst, withDLast, seed: 11 }), 1e-6, names);
        });
      }
    }
  }
});

describe("LSTM forward by hand", () => {
  // One input, one unit, one step. Fused columns are i, f, g, o.
  //   x = 1, h0 = 1, c0 = 0.4, b = 0
  //   W_x = [ln 3, 0, ln 2, ln 3], W_h = [0, ln 3, 0, 0]
  //   i = σ(ln 3) = 3/4            (σ(ln a) = a / (a + 1))
  //   f = σ(0 + 1·ln 3) = 3/4
  //   g = tanh(ln 2) = (4 − 1)/(4 + 1) = 3/5   (tanh(ln a) = (a² − 1)/(a² + 1))
  //   o = σ(ln 3) = 3/4
  //   c1 = f·c0 + i·g = 0.75·0.4 + 0.75·0.6 = 0.75
  //   h1 = o·tanh(c1) = 0.75·tanh(0.75) = 0.75·0.635148952… = 0.476361714…
  const build = (options: Omit<LSTMOptions, "rng">) => {
    const layer = new LSTM(1, 1, { rng: new Random(0), dtype: "float64", ...options });
    layer.b.value.data.fill(0);
    const w = (gate: "i" | "f" | "g" | "o", wx: number, wh: number) => {
      const o = layer.offset(gate);
      if (o >= 0) {
        layer.Wx.value.data[o] = wx;
        layer.Wh.value.data[o] = wh;
      }
    };
    w("i", Math.log(3), 0);
    w("f", 0, Math.log(3));
    w("g", Math.log(2), 0);
    w("o", Math.log(3), 0);
    const x = new Sequence(1, 1, Matrix.from([[1]], "float64"));
    return layer.forward(x, { h: Matrix.from([[1]], "float64"), c: Matrix.from([[0.4]], "float64") });
  };

  it("plain: c1 = 0.75 and h1 = 0.75·tanh(0.75)", () => {
    const f = build({});
    expect(f.last.c?.get(0, 0)).toBeCloseTo(0.75, 12);
    expect(f.h.data.get(0, 0)).toBeCloseTo(0.4763617142904655, 12);
    expect(f.last.h.get(0, 0)).toBeCloseTo(0.4763617142904655, 12);
  });

  it("CIFG: i = 1 − f = 1/4, so c1 = 0.75·0.4 + 0.25·0.6 = 0.45", () => {
    const f = build({ coupledInputForget: true });
    expect(f.last.c?.get(0, 0)).toBeCloseTo(0.45, 12);
    expect(f.last.h.get(0, 0)).toBeCloseTo(0.75 * Math.tanh(0.45), 12);
  });

  it("no forget gate: f = 1, so c1 = 0.4 + 0.75·0.6 = 0.85", () => {
    const f = build({ noForgetGate: true });
    expect(f.last.c?.get(0, 0)).toBeCloseTo(0.85, 12);
  });

  it("NIG: i = 1, so c1 = 0.75·0.4 + 0.6 = 0.9", () => {
    const f = build({ noInputGate: true });
    expect(f.last.c?.get(0, 0)).toBeCloseTo(0.9, 12);
    expect(f.last.h.get(0, 0)).toBeCloseTo(0.75 * Math.tanh(0.9), 12);
  });

  it("NOG: o = 1, so h1 = tanh(c1) = tanh(0.75)", () => {
    const f = build({ noOutputGate: true });
    expect(f.last.c?.get(0, 0)).toBeCloseTo(0.75, 12);
    expect(f.last.h.get(0, 0)).toBeCloseTo(Math.tanh(0.75), 12);
  });

  it("NIAF: g = ln 2, its pre-activation, so c1 = 0.3 + 0.75·ln 2", () => {
    const f = build({ noInputActivation: true });
    const c1 = 0.3 + 0.75 * Math.log(2);
    expect(f.last.c?.get(0, 0)).toBeCloseTo(c1, 12);
    expect(f.last.h.get(0, 0)).toBeCloseTo(0.75 * Math.tanh(c1), 12);
  });

  it("NOAF: h1 = o·c1 = 0.75·0.75 = 0.5625", () => {
    const f = build({ noOutputActivation: true });
    expect(f.last.c?.get(0, 0)).toBeCloseTo(0.75, 12);
    expect(f.last.h.get(0, 0)).toBeCloseTo(0.5625, 12);
  });

  it("FGR: a_{t−1} = [i, f, o] = [1, 0, 0] and a W_a that sends ln 3 to i and −ln 3 to o give i = σ(2 ln 3) = 9/10 and o = σ(0) = 1/2", () => {
    const layer = new LSTM(1, 1, { rng: new Random(0), dtype: "float64", forgetBias: 0, fullGateRecurrence: true });
    expect(layer.recurrentGates).toEqual(["i", "f", "o"]);
    layer.Wx.value.data.set([Math.log(3), 0, Math.log(2), Math.log(3)]);
    layer.Wh.value.data.set([0, Math.log(3), 0, 0]);
    // W_a [3, 3]: row = the gate of step t−1 (i, f, o), column = the gate it feeds (i, f, o). Only i_{t−1} is nonzero.
    (layer.Wa as Parameter).value.data.set([Math.log(3), 0, -Math.log(3), 5, 5, 5, 7, 7, 7]);
    const f = layer.forward(new Sequence(1, 1, Matrix.from([[1]], "float64")), {
      h: Matrix.from([[1]], "float64"),
      c: Matrix.from([[0.4]], "float64"),
      a: Matrix.from([[1, 0, 0]], "float64"),
    });
    // c1 = f·c0 + i·g = 0.75·0.4 + 0.9·0.6 = 0.84
    expect(f.last.c?.get(0, 0)).toBeCloseTo(0.84, 12);
    expect(f.last.h.get(0, 0)).toBeCloseTo(0.5 * Math.tanh(0.84), 12);
    expect(((f.last as LSTMLayerState).a as Matrix).toArray()[0].map((v) => +v.toFixed(12))).toEqual([0.9, 0.75, 0.5]);
  });

  it("peephole: o sees the new cell, o = σ(ln 3 + p_o·c1); with p_o = ln(1/3)/0.75, o = σ(0) = 1/2", () => {
    // i and f see c0 = 0.4: with p_i = p_f = 0 they are unchanged, c1 = 0.75 as in the plain case.
    const layer = new LSTM(1, 1, { rng: new Random(0), dtype: "float64", forgetBias: 0, peephole: true });
    layer.Wx.value.data.set([Math.log(3), 0, Math.log(2), Math.log(3)]);
    layer.Wh.value.data.set([0, Math.log(3), 0, 0]);
    (layer.po as Parameter).value.data[0] = Math.log(1 / 3) / 0.75;
    const f = layer.forward(new Sequence(1, 1, Matrix.from([[1]], "float64")), {
      h: Matrix.from([[1]], "float64"),
      c: Matrix.from([[0.4]], "float64"),
    });
    expect(f.last.c?.get(0, 0)).toBeCloseTo(0.75, 12);
    expect(layer.gate(f, "o").data.get(0, 0)).toBeCloseTo(0.5, 12);
    expect(f.last.h.get(0, 0)).toBeCloseTo(0.5 * Math.tanh(0.75), 12);
  });
});

describe("LSTM structure", () => {
  it("fuses the gates: W_x is [input, 4H], W_h is [H, 4H]; variants drop the missing block", () => {
    const rng = new Random(0);
    expect(new LSTM(3, 5, { rng }).Wx.value.shape).toEqual([3, 20]);
    expect(new LSTM(3, 5, { rng }).Wh.value.shape).toEqual([5, 20]);
    const cifg = new LSTM(3, 5, { rng, coupledInputForget: true });
    expect(cifg.gateOrder).toEqual(["f", "g", "o"]);
    expect(cifg.Wh.value.shape).toEqual([5, 15]);
    expect(new LSTM(3, 5, { rng, noForgetGate: true }).gateOrder).toEqual(["i", "g", "o"]);
    expect(new LSTM(3, 5, { rng, noInputGate: true }).gateOrder).toEqual(["f", "g", "o"]);
    expect(new LSTM(3, 5, { rng, noOutputGate: true }).gateOrder).toEqual(["i", "f", "g"]);
    expect(new LSTM(3, 5, { rng, noInputActivation: true, noOutputActivation: true }).gateOrder).toEqual(["i", "f", "g", "o"]);
  });

  it("FGR: one fused W_a [S·H, S·H] over the gates the variant has; the state carries a = [i | f | o]", () => {
    const rng = new Random(0);
    const fgr = new LSTM(3, 5, { rng, fullGateRecurrence: true });
    expect(fgr.recurrentGates).toEqual(["i", "f", "o"]);
    expect(fgr.Wa?.value.shape).toEqual([15, 15]);
    expect(fgr.parameters().map((p) => p.name)).toEqual(["lstm.Wx", "lstm.Wh", "lstm.b", "lstm.Wa"]);
    expect(new LSTM(3, 5, { rng, fullGateRecurrence: true, coupledInputForget: true }).Wa?.value.shape).toEqual([10, 10]);
    expect(new LSTM(3, 5, { rng, fullGateRecurrence: true, noOutputGate: true }).recurrentGates).toEqual(["i", "f"]);
    expect(new LSTM(3, 5, { rng }).Wa).toBeUndefined();
    expect(new LSTM(3, 5, { rng }).recurrentGates).toEqual([]);
    const zero = fgr.initialState(2);
    expect(zero.a?.shape).toEqual([2, 15]);
    expect(Array.from(zero.a?.data ?? [1]).every((v) => v === 0)).toBe(true);
    expect(new LSTM(3, 5, { rng }).initialState(2).a).toBeUndefined();
    // The last state's a is the last step's gates.
    const x = Sequence.zeros(3, 2, 3, "float64");
    x.data.data.forEach((_, k) => (x.data.data[k] = Math.sin(k)));
    const layer = new LSTM(3, 5, { rng: new Random(1), dtype: "float64", fullGateRecurrence: true, peephole: true });
    const f = layer.forward(x);
    const a = (f.last as LSTMLayerState).a as Matrix;
    (["i", "f", "o"] as const).forEach((gate, k) => {
      const step = layer.gate(f, gate).at(2);
      for (let b = 0; b < 2; b++) for (let j = 0; j < 5; j++) expect(a.get(b, k * 5 + j)).toBe(step.get(b, j));
    });
  });

  it("FGR starts from a = 0: the first step equals the same LSTM without gate recurrence", () => {
    const x = Sequence.zeros(2, 1, 2, "float64");
    x.data.data.set([0.3, -1, 2, 0.5]);
    const fgr = new LSTM(2, 3, { rng: new Random(4), dtype: "float64", fullGateRecurrence: true });
    const plain = new LSTM(2, 3, { rng: new Random(4), dtype: "float64" });
    const fa = fgr.forward(x), fp = plain.forward(x); // same draws for W_x and W_h (W_a is drawn after them)
    expect(fa.h.at(0).toArray()).toEqual(fp.h.at(0).toArray());
    expect(fa.h.at(1).toArray()).not.toEqual(fp.h.at(1).toArray());
  });

  it("peepholes only for the gates that exist: NIG has no p_i, NOG no p_o", () => {
    const rng = new Random(0);
    const names = (o: Omit<LSTMOptions, "rng">) => new LSTM(2, 3, { rng, peephole: true, ...o }).parameters().map((p) => p.name);
    expect(names({ noInputGate: true })).toEqual(["lstm.Wx", "lstm.Wh", "lstm.b", "lstm.pf", "lstm.po"]);
    expect(names({ noOutputGate: true })).toEqual(["lstm.Wx", "lstm.Wh", "lstm.b", "lstm.pi", "lstm.pf"]);
    expect(names({ noInputActivation: true, noOutputActivation: true })).toEqual(["lstm.Wx", "lstm.Wh", "lstm.b", "lstm.pi", "lstm.pf", "lstm.po"]);
  });

  it("starts the forget-gate bias at forgetBias (default 1) and the other biases at 0", () => {
    const H = 3;
    const b = (o: Omit<LSTMOptions, "rng">) => Array.from(new LSTM(2, H, { rng: new Random(0), ...o }).b.value.data);
    expect(b({})).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    expect(b({ forgetBias: -0.5 })).toEqual([0, 0, 0, -0.5, -0.5, -0.5, 0, 0, 0, 0, 0, 0]);
  });

  it("runs in float32, and the last state is the state after the last step", () => {
    const layer = new LSTM(2, 3, { rng: new Random(3) });
    const x = Sequence.zeros(4, 2, 2);
    const rng = new Random(4);
    for (let i = 0; i < x.data.data.length; i++) x.data.data[i] = rng.normal();
    const f = layer.forward(x);
    expect(f.h.data.dtype).toBe("float32");
    expect(f.last.h.toArray()).toEqual(f.h.at(3).toArray());
    expect(f.last.c?.toArray()).toEqual(f.cache.c.at(3).toArray());
  });

  for (const options of [{ peephole: true }, { peephole: true, fullGateRecurrence: true }] as Omit<LSTMOptions, "rng">[]) {
  it(`two truncated segments chained by last → first and dFirst → dLast give the whole sequence's gradients (${JSON.stringify(options)})`, () => {
    const T = 6, B = 2, I = 3, H = 4;
    const rng = new Random(5);
    const layer = new LSTM(I, H, { dtype: "float64", ...options, rng: new Random(6) });
    for (const p of layer.parameters()) for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += rng.normal(0, 0.3);
    const x = new Sequence(T, B, randn(rng, T * B, I));
    const dh = new Sequence(T, B, randn(rng, T * B, H));

    const whole = layer.forward(x);
    const wholeBack = layer.backward(whole, dh);
    const wholeGrads = layer.parameters().map((p) => Array.from(p.grad.data));
    for (const p of layer.parameters()) p.zeroGrad();

    const first = layer.forward(x.slice(0, 2));
    const second = layer.forward(x.slice(2, T), first.last);
    const secondBack = layer.backward(second, dh.slice(2, T));
    const firstBack = layer.backward(first, dh.slice(0, 2), secondBack.dFirst);
    expect(second.last.h.toArray()).toEqual(whole.last.h.toArray());
    layer.parameters().forEach((p, k) => {
      Array.from(p.grad.data).forEach((g, i) => expect(g).toBeCloseTo(wholeGrads[k][i], 10));
    });
    const dx = [...firstBack.dx.data.data, ...secondBack.dx.data.data];
    dx.forEach((g, i) => expect(g).toBeCloseTo(wholeBack.dx.data.data[i], 10));
    expect(layer.parameters().every((p) => p.grad.data.some((g) => g !== 0))).toBe(true);
  });
  }

  it("gate(): NIG reports i = 1, NOG reports o = 1, NIAF reports g as its pre-activation", () => {
    const x = Sequence.zeros(2, 1, 2, "float64");
    x.data.data.set([0.3, -1, 2, 0.5]);
    const ones = [1, 1, 1, 1, 1, 1];
    const nig = new LSTM(2, 3, { rng: new Random(0), dtype: "float64", noInputGate: true });
    expect(Array.from(nig.gate(nig.forward(x), "i").data.data)).toEqual(ones);
    const nog = new LSTM(2, 3, { rng: new Random(0), dtype: "float64", noOutputGate: true });
    const fo = nog.forward(x);
    expect(Array.from(nog.gate(fo, "o").data.data)).toEqual(ones);
    Array.from(fo.h.data.data).forEach((h, k) => expect(h).toBeCloseTo(Math.tanh(fo.cache.c.data.data[k]), 14));
    const niaf = new LSTM(2, 3, { rng: new Random(0), dtype: "float64", noInputActivation: true });
    niaf.Wh.value.data.fill(0);
    const g = niaf.gate(niaf.forward(x), "g").at(0); // step 0 from h = 0: z_g = x_0 W_xg + b_g = x_0 W_xg
    const og = niaf.offset("g");
    for (let j = 0; j < 3; j++) expect(g.get(0, j)).toBeCloseTo(0.3 * niaf.Wx.value.get(0, og + j) - 1 * niaf.Wx.value.get(1, og + j), 14);
    expect(Math.max(...Array.from(g.data).map(Math.abs))).toBeGreaterThan(0);
  });

  it("gate(): CIFG reports i = 1 − f, no forget gate reports f = 1", () => {
    const x = Sequence.zeros(2, 1, 2, "float64");
    x.data.data.set([0.3, -1, 2, 0.5]);
    const cifg = new LSTM(2, 3, { rng: new Random(0), dtype: "float64", coupledInputForget: true });
    const f = cifg.forward(x);
    const fg = cifg.gate(f, "f").data.data, ig = cifg.gate(f, "i").data.data;
    fg.forEach((v, k) => expect(ig[k]).toBeCloseTo(1 - v, 14));
    const nfg = new LSTM(2, 3, { rng: new Random(0), dtype: "float64", noForgetGate: true });
    expect(Array.from(nfg.gate(nfg.forward(x), "f").data.data)).toEqual([1, 1, 1, 1, 1, 1]);
  });
});

describe("LSTM errors", () => {
  const layer = new LSTM(3, 4, { rng: new Random(0) });

  it("names the input and its expected width", () => {
    expect(() => layer.forward(Sequence.zeros(2, 1, 5))).toThrow(/LSTM: input x: expected shape \[T·B, input\] = \[2, 3\], got \[2, 5\]/);
  });

  it("names the state and its expected shape", () => {
    const x = Sequence.zeros(2, 2, 3);
    expect(() => layer.forward(x, { h: Matrix.zeros(2, 3), c: Matrix.zeros(2, 4) })).toThrow(/LSTM: first\.h: expected shape \[batch, hidden\] = \[2, 4\], got \[2, 3\]/);
    expect(() => layer.forward(x, { h: Matrix.zeros(2, 4), c: Matrix.zeros(1, 4) })).toThrow(/LSTM: first\.c: expected shape \[batch, hidden\] = \[2, 4\], got \[1, 4\]/);
    expect(() => layer.forward(x, { h: Matrix.zeros(2, 4) })).toThrow(/LSTM: first\.c: the cell state is missing; expected shape \[batch, hidden\] = \[2, 4\]/);
  });

  it("refuses mixed precision", () => {
    expect(() => layer.forward(Sequence.zeros(2, 1, 3, "float64"))).toThrow(/LSTM: input x is float64 but the parameters are float32/);
  });

  it("checks dh and dLast in backward", () => {
    const f = layer.forward(Sequence.zeros(2, 1, 3));
    expect(() => layer.backward(f, Sequence.zeros(2, 1, 3))).toThrow(/LSTM\.backward: dh: expected shape \[T·B, hidden\] = \[2, 4\], got \[2, 3\]/);
    expect(() => layer.backward(f, Sequence.zeros(2, 1, 4), { h: Matrix.zeros(1, 4), c: Matrix.zeros(2, 4) })).toThrow(
      /LSTM\.backward: dLast\.c: expected shape \[batch, hidden\] = \[1, 4\], got \[2, 4\]/,
    );
  });

  it("rejects conflicting options", () => {
    const rng = new Random(0);
    expect(() => new LSTM(3, 4, { rng, coupledInputForget: true, noForgetGate: true })).toThrow(
      /coupledInputForget and noForgetGate conflict/,
    );
    expect(() => new LSTM(3, 4, { rng, noForgetGate: true, forgetBias: 1 })).toThrow(
      /forgetBias conflicts with noForgetGate/,
    );
    expect(() => new LSTM(0, 4, { rng })).toThrow(/LSTM: inputSize must be a positive integer, got 0/);
    expect(() => new LSTM(3, 4, { rng, coupledInputForget: true, noInputGate: true })).toThrow(
      /coupledInputForget and noInputGate conflict: CIFG computes the input gate as i = 1 − f, NIG fixes it at i = 1/,
    );
    const gateless = { noInputGate: true, noForgetGate: true, noOutputGate: true };
    expect(() => new LSTM(3, 4, { rng, ...gateless, peephole: true })).toThrow(/peephole needs a gate to look at the cell/);
    expect(() => new LSTM(3, 4, { rng, ...gateless, fullGateRecurrence: true })).toThrow(/fullGateRecurrence needs a gate/);
    expect(new LSTM(3, 4, { rng, ...gateless }).gateOrder).toEqual(["g"]);
  });

  it("FGR: the state's a must be there, and only there", () => {
    const rng = new Random(0);
    const x = Sequence.zeros(2, 2, 3);
    const h = Matrix.zeros(2, 4), c = Matrix.zeros(2, 4);
    const fgr = new LSTM(3, 4, { rng, fullGateRecurrence: true });
    expect(() => fgr.forward(x, { h, c })).toThrow(/LSTM: first\.a: the previous gate activations are missing \(full gate recurrence\); expected shape \[batch, S·hidden\] = \[2, 12\]/);
    expect(() => fgr.forward(x, { h, c, a: Matrix.zeros(2, 8) })).toThrow(/LSTM: first\.a: expected shape \[batch, S·hidden\] = \[2, 12\], got \[2, 8\]/);
    const plain = new LSTM(3, 4, { rng });
    expect(() => plain.forward(x, { h, c, a: Matrix.zeros(2, 12) })).toThrow(/LSTM: first\.a: this LSTM has no full gate recurrence/);
    const f = plain.forward(x);
    expect(() => plain.backward(f, Sequence.zeros(2, 2, 4), { h, a: Matrix.zeros(2, 12) })).toThrow(/LSTM\.backward: dLast\.a: this LSTM has no full gate recurrence/);
    const fa = fgr.forward(x);
    expect(() => fgr.backward(fa, Sequence.zeros(2, 2, 4), { h, a: Matrix.zeros(2, 4) })).toThrow(/LSTM\.backward: dLast\.a: expected shape \[batch, S·hidden\] = \[2, 12\], got \[2, 4\]/);
  });
});

describe("LSTM agrees with TensorFlow.js autodiff (float32)", () => {
  const T = 5, B = 3, I = 4, H = 3;
  const cases: { label: string; options: Omit<LSTMOptions, "rng"> }[] = [
    { label: "plain", options: {} },
    { label: "peephole", options: { peephole: true } },
    { label: "CIFG with peepholes", options: { coupledInputForget: true, peephole: true } },
    { label: "no forget gate", options: { noForgetGate: true } },
    { label: "no input gate (NIG) with peepholes", options: { noInputGate: true, peephole: true } },
    { label: "no output gate (NOG) with peepholes", options: { noOutputGate: true, peephole: true } },
    { label: "no input activation (NIAF) with peepholes", options: { noInputActivation: true, peephole: true } },
    { label: "no output activation (NOAF) with peepholes", options: { noOutputActivation: true, peephole: true } },
    { label: "full gate recurrence (FGR) with peepholes", options: { fullGateRecurrence: true, peephole: true } },
    { label: "FGR with CIFG and without output gate", options: { fullGateRecurrence: true, coupledInputForget: true, noOutputGate: true } },
  ];
  for (const { label, options } of cases) {
    it(`${label}: loss, every parameter gradient, dx, dh0 and dc0 (and da0) within relative 1e-4`, () => {
      const rng = new Random(31);
      const layer = new LSTM(I, H, { rng: new Random(32), ...options });
      for (const p of layer.parameters()) {
        for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += rng.normal(0, 0.3);
        p.changed();
      }
      const f32 = (rows: number, cols: number) => randn(rng, rows, cols).clone("float32");
      const x = f32(T * B, I), h0 = f32(B, H), c0 = f32(B, H);
      const R = f32(T * B, H), Rh = f32(B, H), Rc = f32(B, H);
      const S = layer.recurrentGates.length; // FGR: a = [i | f | o] of the gates the variant has
      const a0 = uniform(rng, B, S * H).clone("float32"), Ra = f32(B, S * H);
      const dotF = (a: Matrix, b: Matrix) => dot(a, b);
      const report = compareWithTf({
        params: layer.parameters(),
        inputs: { x, h0, c0, ...(S ? { a0 } : {}) },
        engine: () => {
          const f = layer.forward(new Sequence(T, B, x), { h: h0, c: c0, ...(S ? { a: a0 } : {}) });
          const back = layer.backward(f, new Sequence(T, B, R), { h: Rh, c: Rc, ...(S ? { a: Ra } : {}) });
          const lastA = (f.last as LSTMLayerState).a;
          const loss = dotF(f.h.data, R) + dotF(f.last.h, Rh) + dotF(f.last.c as Matrix, Rc) + (lastA ? dotF(lastA, Ra) : 0);
          const dFirst = back.dFirst as LSTMLayerState;
          return { loss, inputGrads: { x: back.dx.data, h0: dFirst.h, c0: dFirst.c as Matrix, ...(S ? { a0: dFirst.a as Matrix } : {}) } };
        },
        tf: (p, inp) => {
          // The same equations, written with tf ops: autodiff derives the backward pass.
          const order = layer.gateOrder;
          const xs = stepsOf(inp.x.matMul(p["lstm.Wx"]).add(p["lstm.b"]) as tf.Tensor2D, T, B);
          let h: tf.Tensor = inp.h0, c: tf.Tensor = inp.c0, a: tf.Tensor | undefined = inp.a0;
          const fed = layer.recurrentGates;
          const hs: tf.Tensor[] = [];
          for (let t = 0; t < T; t++) {
            const blocks = tf.split(xs[t].add(tf.matMul(h as tf.Tensor2D, p["lstm.Wh"])), order.length, 1);
            const aWa = a ? tf.matMul(a as tf.Tensor2D, p["lstm.Wa"]) : undefined; // FGR: a_{t−1} W_a (tf cannot differentiate a split into one piece)
            const fromGates: tf.Tensor[] = aWa ? (fed.length > 1 ? tf.split(aWa, fed.length, 1) : [aWa]) : [];
            const pre = (g: LSTMGate): tf.Tensor => (fed.includes(g) ? blocks[order.indexOf(g)].add(fromGates[fed.indexOf(g)]) : blocks[order.indexOf(g)]);
            const peep = (k: string, cell: tf.Tensor) => (p[k] ? tf.mul(p[k], cell) : tf.scalar(0));
            const f = order.includes("f") ? tf.sigmoid(pre("f").add(peep("lstm.pf", c))) : tf.onesLike(c);
            const i: tf.Tensor = order.includes("i") ? tf.sigmoid(pre("i").add(peep("lstm.pi", c))) : layer.coupledInputForget ? tf.sub(1, f) : tf.onesLike(c);
            const g = layer.noInputActivation ? pre("g") : tf.tanh(pre("g"));
            c = tf.add(tf.mul(f, c), tf.mul(i, g));
            const o = order.includes("o") ? tf.sigmoid(pre("o").add(peep("lstm.po", c))) : tf.onesLike(c);
            h = tf.mul(o, layer.noOutputActivation ? c : tf.tanh(c));
            if (a) a = tf.concat(fed.map((gate) => ({ i, f, o, g })[gate]), 1);
            hs.push(h);
          }
          let loss = tf.sum(tf.mul(tf.concat(hs), tensorOf(R)))
            .add(tf.sum(tf.mul(h, tensorOf(Rh))))
            .add(tf.sum(tf.mul(c, tensorOf(Rc))));
          if (a) loss = loss.add(tf.sum(tf.mul(a, tensorOf(Ra))));
          return loss as tf.Scalar;
        },
      });
      expect(report.tensors.length).toBe(layer.parameters().length + (S ? 4 : 3));
      expectAgreement(report, 1e-4);
    });
  }
});
