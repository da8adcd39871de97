/**
 * Matrix products on TensorFlow.js, for float32 operands (float64 ones go to
 * `jsLinalg`, which is exact). Two measured facts on the wasm backend shape
 * this file:
 *   - `tf.matMul(a, b, transposeA, transposeB)` with a flag set is 10–25x
 *     slower than transposing first and multiplying plainly, so we transpose
 *     explicitly and never pass the flags;
 *   - uploading a weight matrix costs about three times a product with a
 *     weight that already lives on the backend, so each Parameter's tensor
 *     (and its transpose, for A·Wᵀ) stays resident and is uploaded again only
 *     when its value changed: `param.changed()` says so at once, and any other
 *     in-place edit is caught by comparing the value with the copy uploaded
 *     (a memcmp, about 1% of a step), so no user can train on a stale weight;
 *   - XNNPACK repacks the RIGHT operand of a product for every new tensor
 *     (about 5 ns per element, more than the multiply-adds when that operand
 *     is wide; a resident weight is packed once). A weight gradient Xᵀ·dZ,
 *     whose dZ spans every gate ([T·B, 4H] for an LSTM), is therefore
 *     computed as (dZᵀ·X)ᵀ, packing the narrow X: 17–40% faster at the
 *     benchmark's shapes (bench/, docs/benchmarks.md).
 * Every temporary tensor is disposed before a call returns, so the number of
 * tensors stays flat however many products run.
 *
 * On the wasm backend the products skip TensorFlow.js's operations and call
 * its XNNPACK kernel directly (wasmCalls.ts): the same arithmetic without
 * some 30 µs of bookkeeping per product (measured at hidden size 32), which
 * is most of the cost of the many small per-step products of a small network.
 */
import * as tf from "@tensorflow/tfjs";
import { Matrix } from "../core/matrix";
import { checkInner } from "../core/shapes";
import { Parameter, Operand, valueOf } from "../core/parameter";
import { Linalg, setLinalg } from "./linalg";
import { jsLinalg } from "./jsLinalg";
import { initBackend, BackendInfo, BackendName } from "./backend";
import { WasmCalls } from "./wasmCalls";

/** A weight as it lives on the backend: its tensor, its transpose, and which values they hold. */
interface Resident {
  version: number;
  /** The values uploaded, to detect an in-place edit made without `changed()`. */
  uploaded: Float32Array;
  w: tf.Tensor2D;
  wT: tf.Tensor2D | null;
}

/** Options of {@link TensorFlowLinalg}. */
export interface TensorFlowLinalgOptions {
  /**
   * Products with fewer multiply-adds (n·k·m) than this run in `jsLinalg`,
   * where a call costs no dispatch overhead. Default 8192 (e.g. [8, 32]·[32, 32]).
   */
  minWork?: number;
  /**
   * On the wasm backend, call its matrix-multiply kernel directly instead of
   * through `tf.matMul` (same kernel and result, less overhead). Default true;
   * it falls back to `tf.matMul` by itself where the direct calls are unavailable.
   */
  directCalls?: boolean;
}

/** Counters for tests and curious notebooks. */
export interface TensorFlowLinalgStats {
  /** How many times a weight was copied to the backend. */
  uploads: number;
  /** Products computed by TensorFlow.js. */
  tfProducts: number;
  /** Products handed to `jsLinalg` (float64, or too small to be worth a call). */
  jsProducts: number;
}

/**
 * Reads a result back into a Matrix and frees the tensor. Called OUTSIDE
 * tf.tidy on purpose: tidy searches whatever its callback returns for
 * tensors, and walks a typed array element by element (7x slower at [32, 128]).
 */
function download(t: tf.Tensor2D): Matrix {
  const [rows, cols] = t.shape;
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return new Matrix(rows, cols, data);
}

/** A `Linalg` on the active TensorFlow.js backend; call `dispose()` to free its resident weights. */
export class TensorFlowLinalg implements Linalg {
  readonly name = "tfjs";
  readonly stats: TensorFlowLinalgStats = { uploads: 0, tfProducts: 0, jsProducts: 0 };
  /** See {@link TensorFlowLinalgOptions}; read by `lm.trainInWorkers` to set up a worker's products the same way. */
  readonly minWork: number;
  readonly directCalls: boolean;
  /** The direct calls for `callsBackend` (null: unavailable there); re-checked when the backend changes. */
  private calls: WasmCalls | null = null;
  private callsBackend: unknown = null;
  private readonly resident = new WeakMap<Parameter, Resident>();
  /** The same entries, iterable, so `dispose()` can free them all. */
  private readonly entries = new Set<Resident>();
  /** Frees a weight's tensors if its Parameter is garbage-collected first. */
  private readonly finalizer = new FinalizationRegistry<Resident>((r) => this.release(r));

  constructor(options: TensorFlowLinalgOptions = {}) {
    this.minWork = options.minWork ?? 8192;
    this.directCalls = options.directCalls ?? true;
  }

  /** Whether products go straight to the wasm backend's kernel now (see {@link TensorFlowLinalgOptions.directCalls}). */
  usesDirectCalls(): boolean {
    return this.direct() !== null;
  }

  matmul(a: Matrix, bOperand: Operand): Matrix {
    const b = valueOf(bOperand);
    checkInner("matmul", a, a.cols, b, b.rows);
    if (this.useJs(a, a.rows * a.cols * b.cols)) return jsLinalg.matmul(a, bOperand);
    this.stats.tfProducts++;
    const direct = this.direct();
    if (direct) {
      const right = bOperand instanceof Parameter ? direct.idOf(this.weight(bOperand).w) : f32(b);
      return new Matrix(a.rows, b.cols, direct.matmul(f32(a), a.rows, a.cols, right, b.cols));
    }
    return download(
      tf.tidy(() => {
        const w = bOperand instanceof Parameter ? this.weight(bOperand).w : upload(b);
        return tf.matMul(upload(a), w);
      }),
    );
  }

  matmulBT(a: Matrix, bOperand: Operand): Matrix {
    const b = valueOf(bOperand);
    checkInner("matmulBT", a, a.cols, b, b.cols);
    if (this.useJs(a, a.rows * a.cols * b.rows)) return jsLinalg.matmulBT(a, bOperand);
    this.stats.tfProducts++;
    const direct = this.direct();
    if (direct) {
      const right = bOperand instanceof Parameter ? direct.idOf(this.transposed(bOperand)) : direct.transpose(f32(b), b.rows, b.cols);
      return new Matrix(a.rows, b.rows, direct.matmul(f32(a), a.rows, a.cols, right, b.rows));
    }
    return download(
      tf.tidy(() => {
        const wT = bOperand instanceof Parameter ? this.transposed(bOperand) : tf.transpose(upload(b));
        return tf.matMul(upload(a), wT);
      }),
    );
  }

  matmulAT(a: Matrix, b: Matrix): Matrix {
    checkInner("matmulAT", a, a.rows, b, b.rows);
    if (this.useJs(a, a.rows * a.cols * b.cols)) return jsLinalg.matmulAT(a, b);
    this.stats.tfProducts++;
    const direct = this.direct();
    if (direct) return new Matrix(a.cols, b.cols, direct.matmulAT(f32(a), a.rows, a.cols, f32(b), b.cols));
    // Pack the narrower operand (see the file comment): Aᵀ·B = (Bᵀ·A)ᵀ.
    if (b.cols > a.cols) return download(tf.tidy(() => tf.transpose(tf.matMul(tf.transpose(upload(b)), upload(a))) as tf.Tensor2D));
    return download(tf.tidy(() => tf.matMul(tf.transpose(upload(a)), upload(b))));
  }

  /** Number of tensors this object keeps resident (weights and their transposes). */
  residentTensors(): number {
    let n = 0;
    for (const r of this.entries) n += r.wT ? 2 : 1;
    return n;
  }

  /** Frees every resident weight; the object stays usable (weights upload again on demand). */
  dispose(): void {
    for (const r of [...this.entries]) this.release(r);
  }

  /** The direct calls for the active backend, or null (option off, or not available there). */
  private direct(): WasmCalls | null {
    if (!this.directCalls) return null;
    const backend = tf.backend();
    if (backend !== this.callsBackend) {
      this.calls?.dispose();
      this.calls = WasmCalls.attach();
      this.callsBackend = backend;
    }
    return this.calls;
  }

  private useJs(a: Matrix, work: number): boolean {
    if (a.dtype === "float32" && work > 0 && work >= this.minWork) return false;
    this.stats.jsProducts++;
    return true;
  }

  /** The resident tensor of a weight, uploaded again if its value changed since. */
  private weight(p: Parameter): Resident {
    let r = this.resident.get(p);
    if (r && r.version === p.version && this.entries.has(r) && sameValues(r.uploaded, p.value.data as Float32Array)) return r;
    if (r) this.release(r);
    // A copy, kept: the cpu backend would otherwise alias the array, and the
    // comparison above needs the values as uploaded.
    const uploaded = p.value.data.slice() as Float32Array;
    const w = tf.keep(tf.tensor2d(uploaded, [p.value.rows, p.value.cols], "float32"));
    r = { version: p.version, uploaded, w, wT: null };
    this.stats.uploads++;
    this.resident.set(p, r);
    this.entries.add(r);
    this.finalizer.register(p, r, r);
    return r;
  }

  private transposed(p: Parameter): tf.Tensor2D {
    const r = this.weight(p);
    if (!r.wT) r.wT = tf.keep(tf.transpose(r.w));
    return r.wT;
  }

  private release(r: Resident): void {
    if (!this.entries.delete(r)) return;
    this.finalizer.unregister(r);
    r.w.dispose();
    r.wT?.dispose();
  }
}

/** Whether two float32 arrays hold the same bits (a native memcmp over their bytes). */
function sameValues(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length &&
    Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

/** A float32 matrix's values (only float32 products reach TensorFlow.js). */
function f32(m: Matrix): Float32Array {
  return m.data as Float32Array;
}

/** A float32 matrix as a tensor (a temporary: call inside tf.tidy). */
function upload(m: Matrix): tf.Tensor2D {
  return tf.tensor2d(m.data as Float32Array, [m.rows, m.cols], "float32");
}

/**
 * Starts the fastest TensorFlow.js backend (`initBackend`) and makes every
 * layer's products run on it. Returns the new `Linalg` and the backend report.
 * Used in lessons 00, 02, 03, 04, 05, 06, 07, 08, 09, 10 and 11.
 */
export async function useTensorFlowLinalg(
  options: TensorFlowLinalgOptions & { backend?: BackendName } = {},
): Promise<{ linalg: TensorFlowLinalg; backend: BackendInfo }> {
  const backend = await initBackend(options.backend);
  const impl = new TensorFlowLinalg(options);
  setLinalg(impl);
  return { linalg: impl, backend };
}
