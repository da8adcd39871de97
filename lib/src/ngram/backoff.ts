/**
 * Katz-style backoff with absolute discounting. Trust the longest context
 * that has seen w; if none has, back off to a shorter context:
 *
 *   P_j(w | h_j) = (c(h_j w) - d) / c(h_j •)          if c(h_j w) > 0
 *                = α(h_j) · P_{j-1}(w | h_{j-1})       otherwise
 *
 * where h_j is the last j tokens of the history and the bottom, P_{-1}, is
 * uniform over the outcomes. Discounting each seen count by d frees the mass
 * d·N1+(h_j •)/c(h_j •), and α(h_j) hands exactly that mass to the unseen
 * tokens in proportion to their lower-order probability:
 *
 *   α(h_j) = [d · N1+(h_j •) / c(h_j •)] / [1 - Σ_{w: c(h_j w) > 0} P_{j-1}(w | h_{j-1})]
 *
 * So every P_j sums to 1, which perplexity needs. ("Stupid backoff", which
 * multiplies by a fixed 0.4 instead of α, does not sum to 1: it ranks well
 * but its perplexity means nothing.) Two edge cases: a context never seen
 * backs off entirely (P_j = P_{j-1}); a context followed by every outcome has
 * nobody to give the freed mass to, so it keeps its plain relative frequencies.
 */
import { NgramCounts } from "./counts";
import { checkDiscount, NgramModel, suffix } from "./model";

/** The normalized backoff estimator (Katz-style, absolute discount d). */
export class BackoffModel extends NgramModel {
  readonly name = "backoff";
  private readonly alphas = new Map<string, number>();

  constructor(
    counts: NgramCounts,
    order: number = counts.n,
    /** The absolute discount d in (0, 1) taken from every seen count. */
    readonly discount = 0.75,
  ) {
    super(counts, order);
    checkDiscount(discount, "backoff");
  }

  protected probOf(h: number[], w: number): number {
    return this.p(h, this.order - 1, w);
  }

  /** P_j(w | last j tokens of h). */
  private p(h: number[], j: number, w: number): number {
    if (j < 0) return 1 / this.outcomes;
    const hj = suffix(h, j);
    const { total, continuations } = this.counts.context(hj);
    if (total === 0) return this.p(h, j - 1, w);
    const c = this.counts.count([...hj, w]);
    if (continuations === this.outcomes) return c / total;
    if (c > 0) return (c - this.discount) / total;
    return this.alpha(h, j) * this.p(h, j - 1, w);
  }

  /** α(h_j), cached: it costs one look-up per token seen after h_j. */
  private alpha(h: number[], j: number): number {
    const hj = suffix(h, j);
    const key = hj.join(" ");
    let a = this.alphas.get(key);
    if (a === undefined) {
      const { total, continuations } = this.counts.context(hj);
      let seenMass = 0;
      for (const { token } of this.counts.continuations(hj)) seenMass += this.p(h, j - 1, token);
      a = (this.discount * continuations) / total / (1 - seenMass);
      this.alphas.set(key, a);
    }
    return a;
  }

  /** Built bottom-up: each order rescales the one below by α and overwrites the seen tokens. */
  protected distributionOf(h: number[]): Float64Array {
    let p = this.uniform();
    for (let j = 0; j < this.order; j++) {
      const hj = suffix(h, j);
      const { total, continuations } = this.counts.context(hj);
      if (total === 0) break; // unseen, and so is every longer context
      const seen = this.counts.continuations(hj);
      if (continuations === this.outcomes) {
        p = new Float64Array(p.length);
        for (const { token, count } of seen) p[token] = count / total;
        continue;
      }
      let seenMass = 0;
      for (const { token } of seen) seenMass += p[token];
      const alpha = (this.discount * continuations) / total / (1 - seenMass);
      for (let i = 0; i < p.length; i++) p[i] *= alpha;
      for (const { token, count } of seen) p[token] = (count - this.discount) / total;
    }
    return p;
  }
}
