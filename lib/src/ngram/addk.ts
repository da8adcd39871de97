/**
 * Add-k smoothing: pretend every outcome was seen k more times than it was,
 *   P(w | h) = (c(h w) + k) / (c(h •) + k·|O|),   |O| = |V| - 1 outcomes.
 * k = 1 is Laplace smoothing. Simple and never zero, but with a large
 * vocabulary it hands most of the mass of a rare context to unseen words.
 */
import { NgramCounts } from "./counts";
import { NgramModel } from "./model";

/** The add-k (Laplace for k = 1) estimator. */
export class AddKModel extends NgramModel {
  readonly name = "addk";

  constructor(
    counts: NgramCounts,
    order: number = counts.n,
    /** The pseudo-count added to every outcome, > 0. */
    readonly k = 1,
  ) {
    super(counts, order);
    if (!(k > 0) || !Number.isFinite(k)) throw new Error(`addk: k must be a finite number > 0, got ${k}`);
  }

  protected probOf(h: number[], w: number): number {
    return (this.counts.count([...h, w]) + this.k) / (this.counts.contextCount(h) + this.k * this.outcomes);
  }

  protected distributionOf(h: number[]): Float64Array {
    const denominator = this.counts.contextCount(h) + this.k * this.outcomes;
    const p = new Float64Array(this.vocab.size).fill(this.k / denominator);
    for (const { token, count } of this.counts.continuations(h)) p[token] = (count + this.k) / denominator;
    return p;
  }
}
