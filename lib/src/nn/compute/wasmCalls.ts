/**
 * Matrix products called straight into the XNNPACK kernels of TensorFlow.js's
 * wasm backend, skipping TensorFlow.js's per-operation bookkeeping (tensor
 * objects, kernel lookup, tidy scopes, a fresh output buffer per read).
 *
 * Why: a recurrent step is a chain of small products (one per time step and
 * direction), and at hidden size 32 that bookkeeping costs 30–50 µs per
 * product, several times the product itself (bench/, docs/benchmarks.md).
 * Called directly, the same kernel on the same operands costs a copy in, the
 * product, and a copy out.
 *
 * This uses the backend's internal interface (the compiled module's exports
 * `_BatchMatMul`, `_Transpose`, `_malloc`, `_free` and its tensor registry), which
 * is not a public API. So {@link WasmCalls.attach} checks that every piece is
 * there and that a small product comes out right before anyone uses it, and
 * returns null otherwise: callers then take TensorFlow.js's public operations.
 * The members are listed, with the version checked, in lib/src/privateApis.ts.
 */
import * as tf from "@tensorflow/tfjs";

/** The parts of the backend's compiled module that we call (tfjs-backend-wasm 4.x). */
interface WasmModule {
  HEAPF32: Float32Array;
  HEAP32: Int32Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  _BatchMatMul(aId: number, aShape: number, aRank: number, bId: number, bShape: number, bRank: number,
    transposeA: number, transposeB: number, outId: number): void;
  _Transpose(xId: number, xShape: number, rank: number, dtype: number, outId: number, perm: number, permLength: number): void;
  tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
}

/** The wasm backend as seen from here: its module, and the registry mapping tensors to ids. */
interface WasmBackendLike {
  wasm: WasmModule;
  dataIdMap: { get(dataId: object): { id: number } | undefined };
}

/** Ids for our own temporary tensors, far above the backend's counter (which starts at 0). */
const SCRATCH_ID = 2 ** 30;
const FLOAT32 = 0; // the backend's dtype code for float32

function isWasmBackend(b: unknown): b is WasmBackendLike {
  const m = (b as { wasm?: Partial<WasmModule> } | null)?.wasm;
  return (
    !!m && typeof m._BatchMatMul === "function" && typeof m._Transpose === "function" &&
    typeof m._malloc === "function" && typeof m._free === "function" &&
    typeof m.tfjs?.registerTensor === "function" && typeof m.tfjs?.disposeData === "function" &&
    m.HEAPF32 instanceof Float32Array && typeof (b as WasmBackendLike).dataIdMap?.get === "function"
  );
}

/** A block of the wasm heap registered as a tensor of the backend, for the length of one call. */
interface Block {
  id: number;
  pointer: number;
  size: number;
}

/**
 * Float32 products on the wasm backend's kernels. Operands are plain
 * Float32Arrays (row-major), or the id of a tensor the backend already holds
 * (a resident weight). Every temporary is freed before a call returns.
 */
export class WasmCalls {
  /** Heap space for the kernels' shape arguments: two rank-3 shapes, then a permutation. */
  private readonly shapes: number;
  private nextId = SCRATCH_ID;

  private constructor(
    private readonly backend: WasmBackendLike,
    private readonly module: WasmModule,
  ) {
    this.shapes = module._malloc(8 * 4);
  }

  /**
   * Direct calls on the active backend, or null if it is not the wasm backend,
   * lacks a piece this file needs, or gets a 3×4·4×2 test product wrong.
   */
  static attach(): WasmCalls | null {
    const backend: unknown = tf.backend();
    if (tf.getBackend() !== "wasm" || !isWasmBackend(backend)) return null;
    let calls: WasmCalls | null = null;
    try {
      calls = new WasmCalls(backend, backend.wasm);
      if (calls.multipliesCorrectly()) return calls;
    } catch {
      // an export missing or with another signature: fall through
    }
    calls?.dispose();
    return null;
  }

  /** A small product with small integers, exact in float32, against plain loops. */
  private multipliesCorrectly(): boolean {
    const a = Float32Array.from({ length: 12 }, (_, i) => i - 5), b = Float32Array.from({ length: 8 }, (_, i) => (i % 3) - 1);
    const got = this.matmul(a, 3, 4, b, 2);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 2; j++) {
        let want = 0;
        for (let p = 0; p < 4; p++) want += a[i * 4 + p] * b[p * 2 + j];
        if (got[i * 2 + j] !== want) return false;
      }
    }
    return true;
  }

  /** The backend's id of a tensor it holds (a resident weight), to pass as an operand. */
  idOf(t: tf.Tensor): number {
    const entry = this.backend.dataIdMap.get(t.dataId);
    if (!entry) throw new Error("WasmCalls: the tensor does not belong to the wasm backend");
    return entry.id;
  }

  /**
   * A·B for A [n, k] and B [k, m]. B is either values (copied in for this call)
   * or a resident tensor's id, whose packed form XNNPACK keeps between calls.
   */
  matmul(a: Float32Array, n: number, k: number, b: Float32Array | number, m: number): Float32Array {
    const A = this.upload(a);
    const B = typeof b === "number" ? null : this.upload(b);
    const bId = B ? B.id : (b as number);
    const out = this.allocate(n * m);
    try {
      this.product(A.id, n, k, bId, m, out.id);
      return this.download(out);
    } finally {
      this.release(A, B, out);
    }
  }

  /** Mᵀ for M [rows, cols], through the backend's transpose kernel. */
  transpose(m: Float32Array, rows: number, cols: number): Float32Array {
    const M = this.upload(m);
    const out = this.allocate(rows * cols);
    try {
      this.transposeBlock(M.id, rows, cols, out.id);
      return this.download(out);
    } finally {
      this.release(M, out);
    }
  }

  /**
   * Aᵀ·B for A [k, n] and B [k, m], as (Bᵀ·A)ᵀ when B is the wider operand,
   * so that XNNPACK packs the narrower one (see tfLinalg.ts); the transposes
   * run in the backend, on blocks already in its heap.
   */
  matmulAT(a: Float32Array, k: number, n: number, b: Float32Array, m: number): Float32Array {
    const A = this.upload(a), B = this.upload(b);
    const [wide, wideCols, narrow, narrowCols] = m > n ? [B, m, A, n] : [A, n, B, m];
    const wideT = this.allocate(k * wideCols);
    const product = this.allocate(wideCols * narrowCols);
    const result = m > n ? this.allocate(n * m) : null;
    try {
      this.transposeBlock(wide.id, k, wideCols, wideT.id);
      this.product(wideT.id, wideCols, k, narrow.id, narrowCols, product.id);
      if (!result) return this.download(product); // Aᵀ·B directly: [n, m]
      this.transposeBlock(product.id, m, n, result.id); // (Bᵀ·A)ᵀ
      return this.download(result);
    } finally {
      this.release(A, B, wideT, product, result);
    }
  }

  /** Frees the module memory this object holds (its shape buffer). */
  dispose(): void {
    this.module._free(this.shapes);
  }

  /** out = A·B, as one batch of [n, k]·[k, m]; no transpose flags (they select a slow generic loop). */
  private product(aId: number, n: number, k: number, bId: number, m: number, outId: number): void {
    const a = this.shapes, b = this.shapes + 12;
    this.module.HEAP32.set([1, n, k, 1, k, m], a >> 2);
    this.module._BatchMatMul(aId, a, 3, bId, b, 3, 0, 0, outId);
  }

  /** out = Mᵀ for M [rows, cols]: permutation [1, 0]. */
  private transposeBlock(id: number, rows: number, cols: number, outId: number): void {
    const shape = this.shapes, perm = this.shapes + 24;
    this.module.HEAP32.set([rows, cols], shape >> 2);
    this.module.HEAP32.set([1, 0], perm >> 2);
    this.module._Transpose(id, shape, 2, FLOAT32, outId, perm, 2);
  }

  private allocate(size: number): Block {
    const pointer = this.module._malloc(size * 4);
    // Ids are reused after they are disposed: disposing one also drops the
    // kernel state the backend cached for it (e.g. packed right operands).
    const id = this.nextId++;
    if (this.nextId > SCRATCH_ID + 1024) this.nextId = SCRATCH_ID;
    this.module.tfjs.registerTensor(id, size, pointer);
    return { id, pointer, size };
  }

  private upload(values: Float32Array): Block {
    const block = this.allocate(values.length);
    // HEAPF32 is read after malloc: the heap may have grown, which replaces the view.
    this.module.HEAPF32.set(values, block.pointer >> 2);
    return block;
  }

  private download(block: Block): Float32Array {
    const start = block.pointer >> 2;
    return this.module.HEAPF32.slice(start, start + block.size);
  }

  private release(...blocks: (Block | null)[]): void {
    for (const b of blocks) {
      if (!b) continue;
      this.module.tfjs.disposeData(b.id);
      this.module._free(b.pointer);
    }
  }
}
