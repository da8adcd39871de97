/**
 * Seeded pseudo-random numbers. Every random choice in the course goes
 * through a `Random`, so a notebook run twice draws the same figure.
 *
 * The generator is sfc32 (Small Fast Counting, 128-bit state), seeded by
 * splitmix32 so that nearby seeds give unrelated streams.
 * Used in lessons 00, 01, 02, 03, 04, 05, 06, 07, 08, 09, 10 and 11.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spareNormal: number | null = null;

  constructor(readonly seed: number) {
    if (!Number.isInteger(seed)) {
      throw new Error(`Random: seed must be an integer, got ${seed}`);
    }
    let s = seed >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** Uniform in [0, 1), with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /**
   * Uniform integer in [0, n), for n up to 2³². A larger n would reach only
   * 2³² of its values (the draw has 32 bits), so it is refused.
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) {
      throw new Error(`Random.int: n must be an integer in 1..2^32 (the draws are 32-bit), got ${describe(n)}`);
    }
    return Math.floor(this.uniform() * n);
  }

  /**
   * Normal sample with the given mean and standard deviation (Box–Muller,
   * caching the second value). The mean must be finite and std finite and
   * >= 0 (std = 0 returns the mean): a negative std would silently mirror
   * the draws, and NaN or ±Infinity would poison everything drawn from them.
   */
  normal(mean = 0, std = 1): number {
    if (!(typeof mean === "number" && Number.isFinite(mean))) throw new Error(`Random.normal: mean must be a finite number, got ${describe(mean)}`);
    if (!(typeof std === "number" && Number.isFinite(std) && std >= 0)) {
      throw new Error(`Random.normal: std must be a finite number >= 0, got ${describe(std)}`);
    }
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /**
   * Index drawn with probability proportional to `weights[i]`.
   * Weights must be finite, non-negative and not all zero.
   */
  categorical(weights: ArrayLike<number>): number {
    if (weights === null || typeof weights !== "object" || typeof weights.length !== "number") {
      throw new Error(`Random.categorical: weights must be an array of numbers, got ${describe(weights)}`);
    }
    if (weights.length === 0) throw new Error("Random.categorical: weights is empty: there is nothing to draw");
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (!(typeof w === "number" && w >= 0 && Number.isFinite(w))) {
        throw new Error(`Random.categorical: weight ${i} is ${describe(w)}; weights must be finite numbers >= 0`);
      }
      total += w;
    }
    if (total <= 0) throw new Error(`Random.categorical: all ${weights.length} weights are zero: no outcome can be drawn`);
    // A sum past the largest double would make every r − w comparison meaningless.
    if (!Number.isFinite(total)) throw new Error("Random.categorical: the weights sum to Infinity; scale them down");
    let r = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    // Rounding can leave r at exactly 0 after the loop: take the last non-zero weight.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
    throw new Error("unreachable");
  }

  /** Fisher–Yates shuffle, in place; returns the array. */
  shuffle<T>(items: T[]): T[] {
    if (items === null || typeof items !== "object" || typeof items.length !== "number") throw new Error(`Random.shuffle: items must be an array, got ${describe(items)}`);
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** An independent generator derived from this one (for a sub-task). */
  fork(): Random {
    return new Random(this.nextUint32());
  }
}

/** A value as an error message shows it: strings quoted, the rest as JavaScript prints it. */
function describe(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}
