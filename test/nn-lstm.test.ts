import { describe, it, expect } from "vitest";
import { Matrix, Parameter, Sequence, gradCheck, GradCheckResult, RecurrentLayer, LSTM, LSTMOptions, LSTMGate } from "../lib/src/nn";
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

/**
 * Finite-difference check of a recurrent layer's parameters, its input x and
 * (optionally) its first state. The loss is linear in the outputs with random
 * weights, L = Σ R ⊙ h + Σ R_h ⊙ h_T + Σ R_c ⊙ c_T, so dh = R and dLast = (R_h, R_c).
 */
function checkRecurrent(layer: RecurrentLayer, setup: CheckSetup): GradCheckResult[] {
  const T = setup.steps ?? 4, B = setup.batch ?? 2, I = layer.inputSize, H = layer.hiddenSize;
  const rng = new Random(setup.seed ?? 7);
  // Noise on every parameter, so zero-initialised peepholes and biases matter too (a forget bias keeps its offset).
  for (const p of layer.parameters()) {
    for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += rng.normal(0, 0.5);
    p.changed();
  }
  const hasCell = layer.initialState(1).c !== undefined;
  const x = new Parameter("x", randn(rng, T * B, I));
  const h0 = new Parameter("h0", randn(rng, B, H, "float64", 0.5));
  const c0 = new Parameter("c0", randn(rng, B, H));
  const R = randn(rng, T * B, H), Rh = randn(rng, B, H), Rc = randn(rng, B, H);
  const run = () =>
    layer.forward(new Sequence(T, B, x.value), setup.withFirst ? { h: h0.value, c: hasCell ? c0.value : undefined } : undefined);
  const loss = (): number => {
    const f = run();
    let L = dot(f.h.data, R);
    if (setup.withDLast) L += dot(f.last.h, Rh) + (hasCell ? dot(f.last.c as Matrix, Rc) : 0);
    return L;
  };
  const inputs = [x, ...(setup.withFirst ? [h0, ...(hasCell ? [c0] : [])] : [])];
  const backward = (): void => {
    for (const p of [...layer.parameters(), ...inputs]) p.zeroGrad();
    const f = run();
    const dLast = setup.withDLast ? { h: Rh, c: hasCell ? Rc : undefined } : undefined;
    const b = layer.backward(f, new Sequence(T, B, R), dLast);
    x.grad.data.set(b.dx.data.data);
    h0.grad.data.set(b.dFirst.h.data);
    if (hasCell) c0.grad.data.set((b.dFirst.c as Matrix).data);
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
];

describe("LSTM gradients (float64 finite differences)", () => {
  for (const { label, options, params } of variants) {
    for (const withFirst of [false, true]) {
      for (const withDLast of [false, true]) {
        const setup = `${withFirst ? "given first state" : "zero first state"}, ${withDLast ? "nonzero dLast (h_T, c_T)" : "no dLast"}`;
        it(`${label}, ${setup}: max relative error < 1e-6`, () => {
          const layer = new LSTM(3, 4, { dtype: "float64", rng: new Random(1), ...options });
          const names = [...params.map((p) => `lstm.${p}`), "x", ...(withFirst ? ["h0", "c0"] : [])];
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

  it("two truncated segments chained by last → first and dFirst → dLast give the whole sequence's gradients", () => {
    const T = 6, B = 2, I = 3, H = 4;
    const rng = new Random(5);
    const layer = new LSTM(I, H, { dtype: "float64", peephole: true, rng: new Random(6) });
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
  });
});

describe("LSTM agrees with TensorFlow.js autodiff (float32)", () => {
  const T = 5, B = 3, I = 4, H = 3;
  const cases: { label: string; options: Omit<LSTMOptions, "rng"> }[] = [
    { label: "plain", options: {} },
    { label: "peephole", options: { peephole: true } },
    { label: "CIFG with peepholes", options: { coupledInputForget: true, peephole: true } },
    { label: "no forget gate", options: { noForgetGate: true } },
  ];
  for (const { label, options } of cases) {
    it(`${label}: loss, every parameter gradient, dx, dh0 and dc0 within relative 1e-4`, () => {
      const rng = new Random(31);
      const layer = new LSTM(I, H, { rng: new Random(32), ...options });
      for (const p of layer.parameters()) {
        for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += rng.normal(0, 0.3);
        p.changed();
      }
      const f32 = (rows: number, cols: number) => randn(rng, rows, cols).clone("float32");
      const x = f32(T * B, I), h0 = f32(B, H), c0 = f32(B, H);
      const R = f32(T * B, H), Rh = f32(B, H), Rc = f32(B, H);
      const dotF = (a: Matrix, b: Matrix) => dot(a, b);
      const report = compareWithTf({
        params: layer.parameters(),
        inputs: { x, h0, c0 },
        engine: () => {
          const f = layer.forward(new Sequence(T, B, x), { h: h0, c: c0 });
          const back = layer.backward(f, new Sequence(T, B, R), { h: Rh, c: Rc });
          const loss = dotF(f.h.data, R) + dotF(f.last.h, Rh) + dotF(f.last.c as Matrix, Rc);
          return { loss, inputGrads: { x: back.dx.data, h0: back.dFirst.h, c0: back.dFirst.c as Matrix } };
        },
        tf: (p, inp) => {
          // The same equations, written with tf ops: autodiff derives the backward pass.
          const order = layer.gateOrder;
          const xs = stepsOf(inp.x.matMul(p["lstm.Wx"]).add(p["lstm.b"]) as tf.Tensor2D, T, B);
          let h: tf.Tensor = inp.h0, c: tf.Tensor = inp.c0;
          const hs: tf.Tensor[] = [];
          for (let t = 0; t < T; t++) {
            const blocks = tf.split(xs[t].add(tf.matMul(h as tf.Tensor2D, p["lstm.Wh"])), order.length, 1);
            const pre = (g: LSTMGate) => blocks[order.indexOf(g)];
            const peep = (k: string, cell: tf.Tensor) => (p[k] ? tf.mul(p[k], cell) : tf.scalar(0));
            const f = order.includes("f") ? tf.sigmoid(pre("f").add(peep("lstm.pf", c))) : tf.onesLike(c);
            const i = order.includes("i") ? tf.sigmoid(pre("i").add(peep("lstm.pi", c))) : tf.sub(1, f);
            const g = tf.tanh(pre("g"));
            c = tf.add(tf.mul(f, c), tf.mul(i, g));
            const o = tf.sigmoid(pre("o").add(peep("lstm.po", c)));
            h = tf.mul(o, tf.tanh(c));
            hs.push(h);
          }
          return tf.sum(tf.mul(tf.concat(hs), tensorOf(R)))
            .add(tf.sum(tf.mul(h, tensorOf(Rh))))
            .add(tf.sum(tf.mul(c, tensorOf(Rc)))) as tf.Scalar;
        },
      });
      expect(report.tensors.length).toBe(layer.parameters().length + 3);
      expectAgreement(report, 1e-4);
    });
  }
});
