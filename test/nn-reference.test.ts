import { describe, it, expect } from "vitest";
import {
  Matrix, Parameter, Sequence, RecurrentLayer, gradCheck,
  RNN, LSTM, LSTMOptions, LSTMLayerState, GateWeights, GRU, GRUOptions, ReferenceRNN, ReferenceLSTM, ReferenceGRU, referenceOps,
} from "../lib/src/nn";
import { Random } from "../lib/src";
import { dot, expectGradCheck, randn, relDiff } from "./helpers";

const T = 4, B = 3, I = 3, H = 5;

/** Noise on every parameter, so that zero-initialised biases and peepholes matter too. */
function perturb(layer: RecurrentLayer, rng: Random): void {
  for (const p of layer.parameters()) {
    for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += rng.normal(0, 0.5);
    p.changed();
  }
}

/** The name a parameter has in the fast layer, without its prefix ("lstm.Wx" → "Wx"). */
const shortName = (p: Parameter): string => p.name.slice(p.name.lastIndexOf(".") + 1);

/** What a reference run gives, in the fast layer's terms (`a`: the gate activations of full gate recurrence). */
interface ReferenceRun {
  h: Sequence;
  last: LSTMLayerState;
  dx: Sequence;
  dFirst: LSTMLayerState;
  /** Parameter gradients in the fast layer's layout, by the fast layer's parameter names. */
  grads: Record<string, Matrix | undefined>;
}

/**
 * Runs the fast layer and its reference on the same random inputs, initial
 * state, output gradients dh and last-state gradients, and expects the same
 * outputs, last state, parameter gradients, input gradients and first-state
 * gradients to ~1e-12 (relative to the largest entry).
 */
function expectSameAsFast(layer: RecurrentLayer, reference: (x: Sequence, first: LSTMLayerState, dh: Sequence, dLast: LSTMLayerState) => ReferenceRun, seed: number): void {
  const rng = new Random(seed);
  perturb(layer, rng);
  const zero: LSTMLayerState = layer.initialState(1);
  const hasCell = zero.c !== undefined, gateWidth = zero.a?.cols ?? 0;
  const x = new Sequence(T, B, randn(rng, T * B, I));
  const first: LSTMLayerState = {
    h: randn(rng, B, H, "float64", 0.5),
    ...(hasCell ? { c: randn(rng, B, H) } : {}),
    ...(gateWidth ? { a: uniformMatrix(rng, B, gateWidth) } : {}),
  };
  const dh = new Sequence(T, B, randn(rng, T * B, H));
  const dLast: LSTMLayerState = { h: randn(rng, B, H), ...(hasCell ? { c: randn(rng, B, H) } : {}), ...(gateWidth ? { a: randn(rng, B, gateWidth) } : {}) };

  for (const p of layer.parameters()) p.zeroGrad();
  const fast = layer.forward(x, first);
  const fastBack = layer.backward(fast, dh, dLast);
  const ref = reference(x, first, dh, dLast);
  if (gateWidth) {
    const lastA = (fast.last as LSTMLayerState).a as Matrix, dFirstA = (fastBack.dFirst as LSTMLayerState).a as Matrix;
    expect(relDiff(ref.last.a as Matrix, lastA), "last a").toBeLessThan(1e-12);
    expect(relDiff(ref.dFirst.a as Matrix, dFirstA), "dFirst.a").toBeLessThan(1e-12);
  } else {
    expect(ref.last.a, "a reference without gate recurrence has no a").toBeUndefined();
  }

  const tol = 1e-12;
  expect(relDiff(ref.h.data, fast.h.data), "h").toBeLessThan(tol);
  expect(relDiff(ref.last.h, fast.last.h), "last h").toBeLessThan(tol);
  expect(relDiff(ref.dx.data, fastBack.dx.data), "dx").toBeLessThan(tol);
  expect(relDiff(ref.dFirst.h, fastBack.dFirst.h), "dFirst.h").toBeLessThan(tol);
  if (hasCell) {
    expect(relDiff(ref.last.c as Matrix, fast.last.c as Matrix), "last c").toBeLessThan(tol);
    expect(relDiff(ref.dFirst.c as Matrix, fastBack.dFirst.c as Matrix), "dFirst.c").toBeLessThan(tol);
  }
  const names = layer.parameters().map(shortName);
  expect(Object.keys(ref.grads).filter((k) => ref.grads[k] !== undefined).sort()).toEqual([...names].sort());
  for (const p of layer.parameters()) {
    const g = ref.grads[shortName(p)] as Matrix;
    expect([g.rows, g.cols], p.name).toEqual([p.grad.rows, p.grad.cols]);
    expect(relDiff(g, p.grad), `gradient of ${p.name}`).toBeLessThan(tol);
  }
}

/** A rows x cols matrix of seeded uniform entries in (0, 1): gate activations. */
function uniformMatrix(rng: Random, rows: number, cols: number): Matrix {
  const m = Matrix.zeros(rows, cols, "float64");
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.uniform();
  return m;
}

/** Every matrix of a weight record (grouped by gate or not), with its path: "f.Wx", "pi", … */
function leaves(record: object, prefix = ""): [string, Matrix][] {
  return Object.entries(record).flatMap(([key, value]): [string, Matrix][] => {
    if (value instanceof Matrix) return [[prefix + key, value]];
    return value === undefined ? [] : leaves(value as object, `${prefix}${key}.`);
  });
}

/**
 * A finite-difference check of ONE reference step: its weights (wrapped as
 * parameters that share their matrices), x_t, h_{t−1}, c_{t−1} and, with
 * `gateWidth` > 0 (full gate recurrence), a_{t−1}, for the loss
 * L = Σ R_h ⊙ h_t + Σ R_c ⊙ c_t (+ Σ R_a ⊙ a_t).
 */
function checkStep(
  weights: object,
  step: (x: Matrix, hPrev: Matrix, cPrev: Matrix, aPrev?: Matrix) => { h: Matrix; c?: Matrix; a?: Matrix },
  stepBack: (x: Matrix, hPrev: Matrix, cPrev: Matrix, dh: Matrix, dc: Matrix, aPrev?: Matrix, da?: Matrix) => { dx: Matrix; dhPrev: Matrix; dcPrev?: Matrix; daPrev?: Matrix; grads: object },
  hasCell: boolean,
  seed: number,
  gateWidth = 0,
): void {
  const rng = new Random(seed);
  const params = leaves(weights).map(([name, m]) => new Parameter(name, m));
  const x = new Parameter("x", randn(rng, B, I)), hPrev = new Parameter("hPrev", randn(rng, B, H, "float64", 0.5));
  const cPrev = new Parameter("cPrev", randn(rng, B, H));
  const aPrev = gateWidth ? new Parameter("aPrev", uniformMatrix(rng, B, gateWidth)) : undefined;
  const Rh = randn(rng, B, H), Rc = randn(rng, B, H), Ra = gateWidth ? randn(rng, B, gateWidth) : undefined;
  const inputs = [x, hPrev, ...(hasCell ? [cPrev] : []), ...(aPrev ? [aPrev] : [])];
  const loss = (): number => {
    const out = step(x.value, hPrev.value, cPrev.value, aPrev?.value);
    return dot(out.h, Rh) + (out.c ? dot(out.c, Rc) : 0) + (Ra ? dot(out.a as Matrix, Ra) : 0);
  };
  const backward = (): void => {
    const back = stepBack(x.value, hPrev.value, cPrev.value, Rh, Rc, aPrev?.value, Ra);
    const grads = new Map(leaves(back.grads));
    for (const p of params) p.grad.data.set((grads.get(p.name) as Matrix).data);
    x.grad.data.set(back.dx.data);
    hPrev.grad.data.set(back.dhPrev.data);
    if (back.dcPrev) cPrev.grad.data.set(back.dcPrev.data);
    if (aPrev) aPrev.grad.data.set((back.daPrev as Matrix).data);
  };
  const all = [...params, ...inputs];
  expectGradCheck(all, gradCheck(all, loss, backward), 1e-6);
}

describe("ReferenceRNN", () => {
  it("gives the fast RNN's outputs, last state and gradients (float64, to 1e-12)", () => {
    const rnn = new RNN(I, H, { rng: new Random(1), dtype: "float64" });
    expectSameAsFast(rnn, (x, first, dh, dLast) => {
      const ref = ReferenceRNN.from(rnn);
      const f = ref.forward(x, { h: first.h });
      const b = ref.backward(f, dh, { h: dLast.h });
      return { h: f.h, last: f.last, dx: b.dx, dFirst: b.dFirst, grads: { Wxh: b.grads.Wxh, Whh: b.grads.Whh, bh: b.grads.bh } };
    }, 11);
  });

  it("one step passes a finite-difference gradient check", () => {
    const rnn = new RNN(I, H, { rng: new Random(2), dtype: "float64" });
    perturb(rnn, new Random(3));
    const ref = ReferenceRNN.from(rnn);
    checkStep(
      ref.weights,
      (x, hPrev) => ref.stepForward(x, { h: hPrev }),
      (x, hPrev, _c, dh) => ref.stepBackward(dh, ref.stepForward(x, { h: hPrev }).cache),
      false, 4,
    );
  });
});

const lstmVariants: { label: string; options: Omit<LSTMOptions, "rng"> }[] = [
  { label: "plain", options: {} },
  { label: "peephole", options: { peephole: true } },
  { label: "coupled input-forget (CIFG)", options: { coupledInputForget: true } },
  { label: "CIFG with peepholes", options: { coupledInputForget: true, peephole: true } },
  { label: "no forget gate", options: { noForgetGate: true } },
  { label: "no forget gate with peepholes", options: { noForgetGate: true, peephole: true } },
  { label: "forgetBias 3", options: { forgetBias: 3 } },
  // Greff et al.'s variants: each on its own, and on their "vanilla" cell (with peepholes).
  { label: "no input gate (NIG)", options: { noInputGate: true } },
  { label: "NIG with peepholes", options: { noInputGate: true, peephole: true } },
  { label: "no output gate (NOG)", options: { noOutputGate: true } },
  { label: "NOG with peepholes", options: { noOutputGate: true, peephole: true } },
  { label: "no input activation (NIAF) with peepholes", options: { noInputActivation: true, peephole: true } },
  { label: "no output activation (NOAF) with peepholes", options: { noOutputActivation: true, peephole: true } },
  { label: "NIAF and NOAF", options: { noInputActivation: true, noOutputActivation: true } },
  { label: "full gate recurrence (FGR)", options: { fullGateRecurrence: true } },
  { label: "FGR with peepholes", options: { fullGateRecurrence: true, peephole: true } },
  { label: "FGR with CIFG and peepholes", options: { fullGateRecurrence: true, coupledInputForget: true, peephole: true } },
  { label: "FGR, NIG and NOG", options: { fullGateRecurrence: true, noInputGate: true, noOutputGate: true } },
];

describe("ReferenceLSTM", () => {
  lstmVariants.forEach(({ label, options }, k) => {
    it(`${label}: gives the fast LSTM's outputs, last state and gradients (float64, to 1e-12)`, () => {
      const lstm = new LSTM(I, H, { ...options, rng: new Random(20 + k), dtype: "float64" });
      expectSameAsFast(lstm, (x, first, dh, dLast) => {
        const ref = ReferenceLSTM.from(lstm);
        expect(ref.fullGateRecurrence).toBe(lstm.fullGateRecurrence);
        const f = ref.forward(x, { h: first.h, c: first.c as Matrix, ...(first.a ? { a: first.a } : {}) });
        const b = ref.backward(f, dh, dLast);
        return { h: f.h, last: f.last, dx: b.dx, dFirst: b.dFirst, grads: { ...ref.fuse(b.grads) } };
      }, 30 + k);
    });

    it(`${label}: one step passes a finite-difference gradient check`, () => {
      const lstm = new LSTM(I, H, { ...options, rng: new Random(40 + k), dtype: "float64" });
      perturb(lstm, new Random(50 + k));
      const ref = ReferenceLSTM.from(lstm);
      const state = (hPrev: Matrix, cPrev: Matrix, aPrev?: Matrix) => ({ h: hPrev, c: cPrev, ...(aPrev ? { a: aPrev } : {}) });
      checkStep(
        ref.weights,
        (x, hPrev, cPrev, aPrev) => ref.stepForward(x, state(hPrev, cPrev, aPrev)),
        (x, hPrev, cPrev, dh, dc, aPrev, da) => ref.stepBackward(dh, dc, ref.stepForward(x, state(hPrev, cPrev, aPrev)).cache, da),
        true, 60 + k, ref.gateStateSize,
      );
    });
  });

  it("slices the fused weights by gate: CIFG has no input-gate block, the forget bias lands in f's block", () => {
    const cifg = ReferenceLSTM.from(new LSTM(I, H, { coupledInputForget: true, forgetBias: 2, rng: new Random(5), dtype: "float64" }));
    expect(cifg.weights.i).toBeUndefined();
    expect(Array.from(cifg.weights.f?.b.data ?? [])).toEqual(new Array(H).fill(2));
    expect(Array.from(cifg.weights.g.b.data)).toEqual(new Array(H).fill(0));
    const noForget = ReferenceLSTM.from(new LSTM(I, H, { noForgetGate: true, rng: new Random(5), dtype: "float64" }));
    expect(noForget.weights.f).toBeUndefined();
    expect([noForget.weights.i?.Wx.rows, noForget.weights.i?.Wx.cols]).toEqual([I, H]);
  });

  it("reads the variant from the fast layer: NIG and CIFG both lack i's weights, the options tell them apart; NOG has no o; FGR slices W_a by gate", () => {
    const nig = ReferenceLSTM.from(new LSTM(I, H, { noInputGate: true, rng: new Random(5), dtype: "float64" }));
    expect([nig.weights.i, nig.coupledInputForget]).toEqual([undefined, false]);
    const cifg = ReferenceLSTM.from(new LSTM(I, H, { coupledInputForget: true, rng: new Random(5), dtype: "float64" }));
    expect([cifg.weights.i, cifg.coupledInputForget]).toEqual([undefined, true]);
    const x = Matrix.from([[0.5, -1, 2]], "float64"), prev = { h: Matrix.zeros(1, H, "float64"), c: Matrix.zeros(1, H, "float64") };
    expect(Array.from(nig.stepForward(x, prev).cache.i.data)).toEqual(new Array(H).fill(1));
    const cifgStep = cifg.stepForward(x, prev).cache;
    Array.from(cifgStep.i.data).forEach((v, j) => expect(v).toBe(1 - cifgStep.f.data[j]));
    const nog = ReferenceLSTM.from(new LSTM(I, H, { noOutputGate: true, rng: new Random(5), dtype: "float64" }));
    expect(nog.weights.o).toBeUndefined();
    const fgrLayer = new LSTM(I, H, { fullGateRecurrence: true, noOutputGate: true, rng: new Random(5), dtype: "float64" });
    const fgr = ReferenceLSTM.from(fgrLayer);
    expect([fgr.weights.i?.Wa?.rows, fgr.weights.i?.Wa?.cols, fgr.weights.f?.Wa?.cols, fgr.gateStateSize]).toEqual([2 * H, H, H, 2 * H]);
    expect(fgr.weights.f?.Wa?.get(1, 2)).toBe(fgrLayer.Wa?.value.get(1, H + 2));
    expect(() => new ReferenceLSTM(fgr.weights, { noInputGate: true, coupledInputForget: true })).toThrow(/coupledInputForget and noInputGate conflict/);
    expect(() => new ReferenceLSTM(ReferenceLSTM.from(new LSTM(I, H, { rng: new Random(5) })).weights, { noInputGate: true })).toThrow(
      /the weights have an input gate, but the options say noInputGate/,
    );
    expect(() => new ReferenceLSTM({ ...fgr.weights, f: { ...(fgr.weights.f as GateWeights) , Wa: undefined } })).toThrow(/every gate \(i, f, o\) it has needs its W_a/);
    expect(() => fgr.stepForward(x, prev)).toThrow(/the state needs the previous gate activations a, \[1, 10\]/);
    expect(() => nig.stepForward(x, { ...prev, a: Matrix.zeros(1, 10, "float64") })).toThrow(/this cell has no full gate recurrence/);
  });

  it("copies the weights: training the fast layer afterwards leaves the reference as it was", () => {
    const lstm = new LSTM(I, H, { rng: new Random(6), dtype: "float64" });
    const ref = ReferenceLSTM.from(lstm);
    const before = ref.weights.o?.Wx.get(0, 0);
    lstm.Wx.value.data.fill(7);
    expect(ref.weights.o?.Wx.get(0, 0)).toBe(before);
    expect(ReferenceLSTM.from(lstm).weights.o?.Wx.get(0, 0)).toBe(7);
  });

  it("follows a float32 fast LSTM to float32 accuracy (the fast one uses approximate σ and tanh)", () => {
    const rng = new Random(8);
    const lstm = new LSTM(I, H, { peephole: true, rng: new Random(9) });
    perturb(lstm, rng);
    const x = new Sequence(T, B, randn(rng, T * B, I, "float32"));
    const fast = lstm.forward(x);
    const ref = ReferenceLSTM.from(lstm).forward(x);
    expect(ref.h.data.dtype).toBe("float32");
    expect(relDiff(ref.h.data, fast.h.data)).toBeLessThan(1e-5);
  });
});

const gruVariants: { label: string; options: Omit<GRUOptions, "rng"> }[] = [
  { label: "reset after the product (cuDNN, PyTorch)", options: { resetAfter: true } },
  { label: "reset before the product (Cho et al. 2014)", options: { resetAfter: false } },
  { label: "reset after, z weighs the candidate", options: { resetAfter: true, zMultiplies: "candidate" } },
  { label: "reset before, z weighs the candidate", options: { resetAfter: false, zMultiplies: "candidate" } },
];

describe("ReferenceGRU", () => {
  gruVariants.forEach(({ label, options }, k) => {
    it(`${label}: gives the fast GRU's outputs, last state and gradients (float64, to 1e-12)`, () => {
      const gru = new GRU(I, H, { ...options, rng: new Random(70 + k), dtype: "float64" });
      expectSameAsFast(gru, (x, first, dh, dLast) => {
        const ref = ReferenceGRU.from(gru);
        expect([ref.resetAfter, ref.zMultiplies]).toEqual([gru.resetAfter, gru.zMultiplies]);
        const f = ref.forward(x, { h: first.h });
        const b = ref.backward(f, dh, { h: dLast.h });
        return { h: f.h, last: f.last, dx: b.dx, dFirst: b.dFirst, grads: { ...ref.fuse(b.grads) } };
      }, 80 + k);
    });

    it(`${label}: one step passes a finite-difference gradient check`, () => {
      const gru = new GRU(I, H, { ...options, rng: new Random(90 + k), dtype: "float64" });
      perturb(gru, new Random(100 + k));
      const ref = ReferenceGRU.from(gru);
      checkStep(
        ref.weights,
        (x, hPrev) => ref.stepForward(x, { h: hPrev }),
        (x, hPrev, _c, dh) => ref.stepBackward(dh, ref.stepForward(x, { h: hPrev }).cache),
        false, 110 + k,
      );
    });
  });

  it("rejects weights that do not match the convention (b_hh̃ exists exactly when r acts after the product)", () => {
    const ref = ReferenceGRU.from(new GRU(I, H, { rng: new Random(12), dtype: "float64" }));
    expect(() => new ReferenceGRU(ref.weights, { resetAfter: false, zMultiplies: "previous" })).toThrow(/b_hh̃/);
  });
});

describe("referenceOps", () => {
  const { add, hadamard, matmul, oneMinus, sigmoid } = referenceOps;
  const m = Matrix.from([[1, 2], [3, 4]], "float64");
  const row = Matrix.from([[10, 20]], "float64");

  it("add and hadamard repeat a [1, cols] row on every row, as a bias or a peephole", () => {
    expect(add(m, row).toArray()).toEqual([[11, 22], [13, 24]]);
    expect(hadamard(row, m, m).toArray()).toEqual([[10, 80], [90, 320]]);
    expect(() => add(m, Matrix.from([[1, 2, 3]], "float64"))).toThrow(/do not match/);
  });

  it("matmul, oneMinus and sigmoid compute what their names say", () => {
    expect(matmul(m, m).toArray()).toEqual([[7, 10], [15, 22]]);
    expect(oneMinus(m).toArray()).toEqual([[0, -1], [-2, -3]]);
    expect(sigmoid(Matrix.from([[0, Math.log(3)]], "float64")).toArray()[0].map((v) => +v.toFixed(12))).toEqual([0.5, 0.75]);
  });
});
