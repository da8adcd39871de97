/**
 * Linear interpolation (Jelinek–Mercer): mix the relative frequencies of all
 * orders with fixed weights,
 *
 *   P(w | h) = λ_0 / |O| + Σ_{k=1..n} λ_k · c(h_{k-1} w) / c(h_{k-1} •)
 *
 * where h_{k-1} is the last k-1 tokens of the history and λ_0 weights the
 * uniform distribution over the |O| outcomes (the "0-gram"), which keeps
 * every probability above zero. When a context h_{k-1} was never seen, its
 * relative frequency is 0/0: that term is dropped and the remaining weights
 * are renormalized, so the result still sums to 1.
 */
import { NgramCounts } from "./counts";
import { NgramModel, suffix } from "./model";

/**
 * Default weights for order n: 1% on the uniform distribution and the rest
 * split equally over orders 1..n. A starting point only (on Moby-Dick it beats
 * weighting long contexts more); the best weights depend on the corpus and
 * are found by trying them on held-out text.
 */
export function defaultLambdas(order: number): number[] {
  return [0.01, ...Array<number>(order).fill(0.99 / order)];
}

/** The interpolated estimator with fixed weights λ_0..λ_n. */
export class InterpolationModel extends NgramModel {
  readonly name = "interpolation";
  /** λ_k weights the order-k relative frequency; λ_0 weights the uniform distribution. */
  readonly lambdas: readonly number[];

  constructor(counts: NgramCounts, order: number = counts.n, lambdas?: readonly number[]) {
    super(counts, order);
    this.lambdas = lambdas ? [...lambdas] : defaultLambdas(this.order);
    const l = this.lambdas;
    if (l.length !== this.order + 1) {
      throw new Error(
        `interpolation: an order-${this.order} model needs ${this.order + 1} lambdas ` +
          `(λ_0 for the uniform distribution, then one per order 1..${this.order}), got ${l.length}`,
      );
    }
    if (!l.every((x) => Number.isFinite(x) && x >= 0)) {
      throw new Error(`interpolation: lambdas must be finite and non-negative, got [${l.join(", ")}]`);
    }
    const sum = l.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-9) throw new Error(`interpolation: lambdas must sum to 1, got ${sum} for [${l.join(", ")}]`);
    if (!(l[0] + l[1] > 0)) {
      // Otherwise an unseen context would leave no defined term at all.
      throw new Error("interpolation: λ_0 + λ_1 must be > 0 so that every context has an estimate (use \"mle\" for a pure n-gram)");
    }
  }

  protected probOf(h: number[], w: number): number {
    const contexts = this.counts.contextSuffixes(h);
    const ngrams = this.counts.ngramSuffixes(h, w);
    let p = this.lambdas[0] / this.outcomes;
    let weight = this.lambdas[0];
    for (let k = 1; k <= this.order; k++) {
      const total = contexts[k - 1].total;
      if (total === 0) break; // unseen, and so is every longer context
      p += (this.lambdas[k] * ngrams[k - 1].count) / total;
      weight += this.lambdas[k];
    }
    return p / weight;
  }

  protected distributionOf(h: number[]): Float64Array {
    const p = this.uniform().map((u) => this.lambdas[0] * u);
    let weight = this.lambdas[0];
    for (let k = 1; k <= this.order; k++) {
      const context = suffix(h, k - 1);
      const total = this.counts.contextCount(context);
      if (total === 0) break;
      for (const { token, count } of this.counts.continuations(context)) p[token] += (this.lambdas[k] * count) / total;
      weight += this.lambdas[k];
    }
    return p.map((x) => x / weight);
  }
}
