// Products called straight into the wasm backend's XNNPACK kernel
// (lib/src/nn/compute/wasmCalls.ts) must give exactly what tf.matMul gives, never
// reuse a stale packed operand, and never leak heap memory.
import { describe, it, expect, beforeAll } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { Matrix, Parameter, Sequence, jsLinalg, setLinalg, linalg, TensorFlowLinalg, LSTM, GRU, RNN, RecurrentLayer } from "../lib/src/nn";
import { WasmCalls } from "../lib/src/nn/compute/wasmCalls";
import { initBackend, Random } from "../lib/src";
import { randn, relDiff } from "./helpers";

beforeAll(async () => {
  await initBackend("wasm");
});

function heapBytes(): number {
  return (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.byteLength;
}

describe("direct calls into the wasm backend", () => {
  it("attach on the wasm backend, and not on the cpu backend (callers then use tf.matMul)", async () => {
    expect(WasmCalls.attach()).not.toBeNull();
    expect(new TensorFlowLinalg().usesDirectCalls()).toBe(true);
    expect(new TensorFlowLinalg({ directCalls: false }).usesDirectCalls()).toBe(false);
    await tf.setBackend("cpu");
    try {
      expect(WasmCalls.attach()).toBeNull();
      const tfl = new TensorFlowLinalg({ minWork: 0 });
      expect(tfl.usesDirectCalls()).toBe(false);
      const a = Matrix.from([[1, 2]], "float32"), b = Matrix.from([[3], [4]], "float32");
      expect(tfl.matmul(a, b).toArray()).toEqual([[11]]);
    } finally {
      await tf.setBackend("wasm");
    }
    expect(new TensorFlowLinalg().usesDirectCalls()).toBe(true);
  });

  it("give bit-for-bit the results of tf.matMul, for every product and orientation (relative 1e-5 from jsLinalg)", () => {
    const rng = new Random(3);
    const direct = new TensorFlowLinalg({ minWork: 0 }), viaOps = new TensorFlowLinalg({ minWork: 0, directCalls: false });
    for (const [n, k, m] of [[32, 128, 512], [1600, 64, 128], [7, 5, 3], [96, 48, 200]]) {
      const a = randn(rng, n, k, "float32"), w = new Parameter("w", randn(rng, k, m, "float32"));
      const wT = new Parameter("wT", randn(rng, m, k, "float32"));
      const b = randn(rng, n, m, "float32");
      const cases: [string, (l: TensorFlowLinalg) => Matrix, Matrix][] = [
        ["A·W (resident)", (l) => l.matmul(a, w), jsLinalg.matmul(a, w)],
        ["A·B (transient)", (l) => l.matmul(a, w.value), jsLinalg.matmul(a, w.value)],
        ["A·Wᵀ (resident)", (l) => l.matmulBT(a, wT), jsLinalg.matmulBT(a, wT)],
        ["A·Bᵀ (transient)", (l) => l.matmulBT(a, wT.value), jsLinalg.matmulBT(a, wT.value)],
        ["Aᵀ·B", (l) => l.matmulAT(a, b), jsLinalg.matmulAT(a, b)],
        ["Bᵀ·A", (l) => l.matmulAT(b, a), jsLinalg.matmulAT(b, a)],
      ];
      for (const [label, run, want] of cases) {
        const got = run(direct);
        expect(got.shape, `${label} [${n}, ${k}, ${m}]`).toEqual(want.shape);
        expect(Array.from(got.data), `${label} [${n}, ${k}, ${m}]`).toEqual(Array.from(run(viaOps).data));
        expect(relDiff(got, want), `${label} [${n}, ${k}, ${m}]`).toBeLessThan(1e-5);
      }
    }
  });

  it("never reuse a stale packed operand: 1500 products with a new right operand each (ids wrap around)", () => {
    const calls = WasmCalls.attach()!;
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]); // [2, 3]
    for (let i = 0; i < 1500; i++) {
      const b = Float32Array.from([i, 1, -i, 2, 0.5, 3]); // [3, 2]
      const got = calls.matmul(a, 2, 3, b, 2);
      expect(Array.from(got)).toEqual([i - 2 * i + 1.5, 1 + 4 + 9, 4 * i - 5 * i + 3, 4 + 10 + 18]);
    }
    calls.dispose();
  });

  it("see a weight's new value after changed(), and keep resident weights only", () => {
    const tfl = new TensorFlowLinalg({ minWork: 0 });
    const w = new Parameter("w", Matrix.from([[1, 0], [0, 1]], "float32"));
    const x = Matrix.from([[2, 3]], "float32");
    const before = tf.memory().numTensors;
    expect(tfl.matmul(x, w).toArray()).toEqual([[2, 3]]);
    expect(tfl.matmulBT(x, w).toArray()).toEqual([[2, 3]]);
    w.value.data.set([0, 1, 1, 0]);
    w.changed();
    expect(tfl.matmul(x, w).toArray()).toEqual([[3, 2]]);
    expect(tfl.matmulBT(x, w).toArray()).toEqual([[3, 2]]);
    expect(tf.memory().numTensors - before).toBe(tfl.residentTensors());
    tfl.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("free every temporary: 3000 products of [200, 200] leave the wasm heap as it was", () => {
    const rng = new Random(9);
    const tfl = new TensorFlowLinalg();
    const a = randn(rng, 200, 200, "float32"), b = randn(rng, 200, 200, "float32");
    for (let i = 0; i < 20; i++) (tfl.matmul(a, b), tfl.matmulBT(a, b), tfl.matmulAT(a, b)); // settle the heap
    const heap = heapBytes();
    for (let i = 0; i < 1000; i++) (tfl.matmul(a, b), tfl.matmulBT(a, b), tfl.matmulAT(a, b));
    // A leak would grow the heap by some 480 kB per round: 480 MB here.
    expect(heapBytes()).toBe(heap);
  });

  it("keep working when the wasm heap grows under them (its views are replaced)", () => {
    const calls = WasmCalls.attach()!;
    const before = heapBytes();
    const rows = 3000, cols = 4000; // 48 MB in, 48 MB out: more than the heap has spare
    const m = Float32Array.from({ length: rows * cols }, (_, i) => i % 1009);
    const t = calls.transpose(m, rows, cols);
    expect(heapBytes()).toBeGreaterThan(before);
    for (const [i, j] of [[0, 0], [1, 2], [2999, 3999], [1234, 567]]) expect(t[j * rows + i]).toBe(m[i * cols + j]);
    expect(Array.from(calls.matmul(Float32Array.from([1, 2]), 1, 2, Float32Array.from([3, 4]), 1))).toEqual([11]);
    calls.dispose();
  });

  const layers: Record<string, (rng: Random) => RecurrentLayer> = {
    rnn: (rng) => new RNN(6, 16, { rng }),
    lstm: (rng) => new LSTM(6, 16, { rng, peephole: true }),
    gru: (rng) => new GRU(6, 16, { rng }),
  };
  for (const [kind, make] of Object.entries(layers)) {
    it(`a float32 ${kind} trains identically through direct calls and through tf.matMul (forward, BPTT, input gradient)`, () => {
      const original = linalg();
      const run = (tfl: TensorFlowLinalg) => {
        setLinalg(tfl);
        const rng = new Random(21);
        const layer = make(rng.fork());
        const x = new Sequence(5, 4, randn(rng, 20, 6, "float32"));
        const fwd = layer.forward(x);
        const back = layer.backward(fwd, new Sequence(5, 4, randn(rng, 20, 16, "float32")));
        return [fwd.h.data, back.dx.data, ...layer.parameters().map((p) => p.grad)];
      };
      try {
        const viaOps = run(new TensorFlowLinalg({ minWork: 0, directCalls: false }));
        const direct = run(new TensorFlowLinalg({ minWork: 0 }));
        direct.forEach((m, i) => expect(Array.from(m.data), `tensor ${i}`).toEqual(Array.from(viaOps[i].data)));
      } finally {
        setLinalg(original);
      }
    });
  }
});
