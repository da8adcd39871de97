import { describe, it, expect } from "vitest";
import { Matrix, Parameter, Sequence, gradCheck, GradCheckResult, GRU, GRUOptions } from "../lib/src/nn";
import { Random } from "../lib/src";
import * as tf from "@tensorflow/tfjs";
import { compareWithTf, expectAgreement, stepsOf, tensorOf } from "./tfgrad";
import { dot, randn } from "./helpers";

/**
 * Finite-difference check of the GRU's parameters, its input x and
 * (optionally) its first state, for L = Σ R ⊙ h (+ Σ R_h ⊙ h_T): dh = R, dLast = R_h.
 */
function checkGRU(layer: GRU, withFirst: boolean, withDLast: boolean, T = 4, B = 2): GradCheckResult[] {
  const I = layer.inputSize, H = layer.hiddenSize;
  const rng = new Random(13);
  for (const p of layer.parameters()) {
    for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += rng.normal(0, 0.5);
    p.changed();
  }
  const x = new Parameter("x", randn(rng, T * B, I));
  const h0 = new Parameter("h0", randn(rng, B, H, "float64", 0.5));
  const R = randn(rng, T * B, H), Rh = randn(rng, B, H);
  const run = () => layer.forward(new Sequence(T, B, x.value), withFirst ? { h: h0.value } : undefined);
  const loss = (): number => {
    const f = run();
    return dot(f.h.data, R) + (withDLast ? dot(f.last.h, Rh) : 0);
  };
  const inputs = withFirst ? [x, h0] : [x];
  const backward = (): void => {
    for (const p of [...layer.parameters(), ...inputs]) p.zeroGrad();
    const f = run();
    const b = layer.backward(f, new Sequence(T, B, R), withDLast ? { h: Rh } : undefined);
    x.grad.data.set(b.dx.data.data);
    h0.grad.data.set(b.dFirst.h.data);
  };
  return gradCheck([...layer.parameters(), ...inputs], loss, backward);
}

const conventions: { label: string; options: Omit<GRUOptions, "rng">; params: string[] }[] = [
  { label: "default (reset after, z keeps h_{t−1}: CS224N / PyTorch)", options: {}, params: ["Wx", "Wh", "b", "bhTilde"] },
  { label: "reset before the product (Cho et al. 2014)", options: { resetAfter: false }, params: ["Wx", "Wh", "b", "WhTilde"] },
  { label: "z weighs the candidate (colah)", options: { zMultiplies: "candidate" }, params: ["Wx", "Wh", "b", "bhTilde"] },
  {
    label: "reset before, z weighs the candidate",
    options: { resetAfter: false, zMultiplies: "candidate" },
    params: ["Wx", "Wh", "b", "WhTilde"],
  },
];

describe("GRU gradients (float64 finite differences)", () => {
  for (const { label, options, params } of conventions) {
    for (const withFirst of [false, true]) {
      for (const withDLast of [false, true]) {
        const setup = `${withFirst ? "given first state" : "zero first state"}, ${withDLast ? "nonzero dLast" : "no dLast"}`;
        it(`${label}, ${setup}: max relative error < 1e-6`, () => {
          const layer = new GRU(3, 4, { dtype: "float64", rng: new Random(2), ...options });
          const results = checkGRU(layer, withFirst, withDLast);
          const names = [...params.map((p) => `gru.${p}`), "x", ...(withFirst ? ["h0"] : [])];
          expect(results.map((r) => r.parameter).sort()).toEqual(names.sort());
          for (const r of results) expect(r.maxRelativeError, r.parameter).toBeLessThan(1e-6);
        });
      }
    }
  }
});

describe("GRU forward by hand", () => {
  // One input, one unit, one step. Fused columns are r, z, h̃.
  //   x = 1, h0 = 0.5, b = 0
  //   W_x = [0, ln 3, 0], recurrent weights W_hr = W_hz = 0, W_hh̃ = 2 ln 2
  //   r = σ(0) = 1/2,  z = σ(ln 3) = 3/4            (σ(ln a) = a / (a + 1))
  // Reset after the product (default), with b_hh̃ = ln 2:
  //   h̃ = tanh(r·(h0·W_hh̃ + b_hh̃)) = tanh(½·(ln 2 + ln 2)) = tanh(ln 2) = 3/5
  //   h1 = z·h0 + (1 − z)·h̃ = 0.75·0.5 + 0.25·0.6 = 0.525
  // Reset before the product (Cho), no recurrent bias:
  //   h̃ = tanh((r·h0)·W_hh̃) = tanh(¼·2 ln 2) = tanh(ln √2) = (2 − 1)/(2 + 1) = 1/3
  //   h1 = 0.75·0.5 + 0.25·(1/3) = 0.458333…
  // z weighing the candidate (reset after): h1 = 0.25·0.5 + 0.75·0.6 = 0.575
  const run = (options: Omit<GRUOptions, "rng">) => {
    const layer = new GRU(1, 1, { rng: new Random(0), dtype: "float64", ...options });
    layer.Wx.value.data.set([0, Math.log(3), 0]);
    layer.Wh.value.data.fill(0);
    layer.b.value.data.fill(0);
    if (layer.bhTilde) {
      layer.Wh.value.data[2] = 2 * Math.log(2);
      layer.bhTilde.value.data[0] = Math.log(2);
    } else {
      (layer.WhTilde as Parameter).value.data[0] = 2 * Math.log(2);
    }
    const f = layer.forward(new Sequence(1, 1, Matrix.from([[1]], "float64")), { h: Matrix.from([[0.5]], "float64") });
    return { layer, f };
  };

  it("default (reset after): h̃ = 3/5 and h1 = 0.525", () => {
    const { layer, f } = run({});
    expect(layer.gate(f, "r").data.get(0, 0)).toBeCloseTo(0.5, 12);
    expect(layer.gate(f, "z").data.get(0, 0)).toBeCloseTo(0.75, 12);
    expect(layer.gate(f, "hTilde").data.get(0, 0)).toBeCloseTo(0.6, 12);
    expect(f.last.h.get(0, 0)).toBeCloseTo(0.525, 12);
  });

  it("reset before the product: h̃ = 1/3 and h1 = 0.458333…", () => {
    const { layer, f } = run({ resetAfter: false });
    expect(layer.gate(f, "hTilde").data.get(0, 0)).toBeCloseTo(1 / 3, 12);
    expect(f.h.data.get(0, 0)).toBeCloseTo(0.375 + 0.25 / 3, 12);
  });

  it("z weighing the candidate: h1 = 0.575", () => {
    expect(run({ zMultiplies: "candidate" }).f.last.h.get(0, 0)).toBeCloseTo(0.575, 12);
  });

  it("the two reset conventions differ when H > 1 (r ⊙ (hU) ≠ (r ⊙ h)U)", () => {
    const after = new GRU(2, 3, { rng: new Random(9), dtype: "float64" });
    const before = new GRU(2, 3, { rng: new Random(9), dtype: "float64", resetAfter: false });
    // Same W_x and the same r, z columns of W_h; before's W_hh̃ = after's h̃ block.
    before.Wx.value.data.set(after.Wx.value.data);
    const H = 3;
    for (let i = 0; i < H; i++) {
      for (let j = 0; j < 2 * H; j++) before.Wh.value.set(i, j, after.Wh.value.get(i, j));
      for (let j = 0; j < H; j++) (before.WhTilde as Parameter).value.set(i, j, after.Wh.value.get(i, 2 * H + j));
    }
    const x = new Sequence(3, 1, Matrix.from([[1, -1], [0.5, 2], [-1, 0.3]], "float64"));
    const ha = after.forward(x).h.data.data, hb = before.forward(x).h.data.data;
    // Step 1 starts from h = 0, where both agree; from step 2 on they differ.
    for (let j = 0; j < H; j++) expect(ha[j]).toBeCloseTo(hb[j], 14);
    const diff = Math.max(...Array.from(ha.subarray(H), (v, k) => Math.abs(v - hb[H + k])));
    expect(diff).toBeGreaterThan(1e-4);
  });
});

describe("GRU structure and errors", () => {
  const rng = new Random(0);

  it("fuses the gates: W_x [input, 3H]; W_h [H, 3H] with resetAfter, [H, 2H] + W_hh̃ [H, H] without", () => {
    const a = new GRU(3, 5, { rng });
    expect([a.Wx.value.shape, a.Wh.value.shape, a.bhTilde?.value.shape]).toEqual([[3, 15], [5, 15], [1, 5]]);
    expect(a.WhTilde).toBeUndefined();
    const b = new GRU(3, 5, { rng, resetAfter: false });
    expect([b.Wh.value.shape, b.WhTilde?.value.shape]).toEqual([[5, 10], [5, 5]]);
    expect(b.bhTilde).toBeUndefined();
  });

  it("names the input and the state with their expected shapes", () => {
    const layer = new GRU(3, 4, { rng });
    expect(() => layer.forward(Sequence.zeros(2, 2, 5))).toThrow(/GRU: input x: expected shape \[T·B, input\] = \[4, 3\], got \[4, 5\]/);
    expect(() => layer.forward(Sequence.zeros(2, 2, 3), { h: Matrix.zeros(2, 5) })).toThrow(
      /GRU: first\.h: expected shape \[batch, hidden\] = \[2, 4\], got \[2, 5\]/,
    );
    expect(() => layer.forward(Sequence.zeros(2, 2, 3, "float64"))).toThrow(/GRU: input x is float64 but the parameters are float32/);
    const f = layer.forward(Sequence.zeros(2, 2, 3));
    expect(() => layer.backward(f, Sequence.zeros(2, 2, 4), { h: Matrix.zeros(1, 4) })).toThrow(
      /GRU\.backward: dLast\.h: expected shape \[batch, hidden\] = \[2, 4\], got \[1, 4\]/,
    );
  });

  it("rejects an unknown convention", () => {
    const bad = { rng, zMultiplies: "new" } as unknown as GRUOptions;
    expect(() => new GRU(3, 4, bad)).toThrow(/GRU: zMultiplies must be "previous" or "candidate", got "new"/);
  });
});

describe("GRU agrees with TensorFlow.js autodiff (float32)", () => {
  const T = 5, B = 3, I = 4, H = 3;
  for (const { label, options } of conventions) {
    it(`${label}: loss, every parameter gradient, dx and dh0 within relative 1e-4`, () => {
      const rng = new Random(41);
      const layer = new GRU(I, H, { rng: new Random(42), ...options });
      for (const p of layer.parameters()) {
        for (let i = 0; i < p.value.data.length; i++) p.value.data[i] += rng.normal(0, 0.3);
        p.changed();
      }
      const f32 = (rows: number, cols: number) => randn(rng, rows, cols).clone("float32");
      const x = f32(T * B, I), h0 = f32(B, H), R = f32(T * B, H), Rh = f32(B, H);
      const report = compareWithTf({
        params: layer.parameters(),
        inputs: { x, h0 },
        engine: () => {
          const f = layer.forward(new Sequence(T, B, x), { h: h0 });
          const back = layer.backward(f, new Sequence(T, B, R), { h: Rh });
          return { loss: dot(f.h.data, R) + dot(f.last.h, Rh), inputGrads: { x: back.dx.data, h0: back.dFirst.h } };
        },
        tf: (p, inp) => {
          // The same equations with tf ops (column blocks r, z, h̃).
          const xs = stepsOf(inp.x.matMul(p["gru.Wx"]).add(p["gru.b"]) as tf.Tensor2D, T, B);
          let h = inp.h0 as tf.Tensor2D;
          const hs: tf.Tensor[] = [];
          for (let t = 0; t < T; t++) {
            const [xr, xz, xn] = tf.split(xs[t], 3, 1);
            const hw = tf.split(h.matMul(p["gru.Wh"]), layer.resetAfter ? 3 : 2, 1);
            const r = tf.sigmoid(xr.add(hw[0]));
            const z = tf.sigmoid(xz.add(hw[1]));
            const recurrent = layer.resetAfter
              ? r.mul(hw[2].add(p["gru.bhTilde"])) // r ⊙ (h W_hh̃ + b_hh̃)
              : tf.matMul(r.mul(h) as tf.Tensor2D, p["gru.WhTilde"]); // (r ⊙ h) W_hh̃
            const hTilde = tf.tanh(xn.add(recurrent));
            const keep = layer.zMultiplies === "previous" ? z : tf.sub(1, z);
            h = keep.mul(h).add(tf.sub(1, keep).mul(hTilde)) as tf.Tensor2D;
            hs.push(h);
          }
          return tf.sum(tf.mul(tf.concat(hs), tensorOf(R))).add(tf.sum(tf.mul(h, tensorOf(Rh)))) as tf.Scalar;
        },
      });
      expect(report.tensors.length).toBe(layer.parameters().length + 2);
      expectAgreement(report, 1e-4);
    });
  }
});
