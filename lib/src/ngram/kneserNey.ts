/**
 * Interpolated Kneser–Ney. Like absolute discounting it subtracts d from each
 * seen count and gives the freed mass to a lower order; unlike it, the lower
 * orders do not count occurrences but *distinct left contexts*. A word that
 * is frequent only after one context ("Francisco" after "San") should get
 * little mass when that context is absent; the number of contexts it
 * completes, N1+(• w), measures how likely it is to turn up after a new one.
 *
 * With h_j the last j tokens of the history and P_{-1} uniform over the outcomes,
 *
 *   P_j(w | h_j) = [max(a(h_j w) - d, 0) + d · N1+(h_j •) · P_{j-1}(w | h_{j-1})] / Σ_v a(h_j v)
 *
 * where a = c (plain counts) at the highest order and a = N1+(• ·)
 * (continuation counts) below it. The weight d·N1+(h_j •)/Σ a is exactly
 * the mass the discount freed, so each P_j sums to 1. A context with
 * Σ a = 0 (never seen) passes P_{j-1} through unchanged.
 *
 * Every k-gram seen at a lower order has at least one left context (maybe
 * `<s>`, since sentences are padded with n-1 of them), which is why
 * N1+(h_j •) counts the same tokens as "a(h_j w) > 0" at every order.
 */
import { NgramCounts } from "./counts";
import { checkDiscount, NgramModel, suffix } from "./model";

/**
 * The interpolated Kneser–Ney estimator with one absolute discount d.
 * Used in lessons 02, 07, 08 and 10.
 */
export class KneserNeyModel extends NgramModel {
  readonly name = "kneser-ney";

  constructor(
    counts: NgramCounts,
    order: number = counts.n,
    /** The absolute discount d in (0, 1); 0.75 is the classic choice. */
    readonly discount = 0.75,
  ) {
    super(counts, order);
    checkDiscount(discount, "kneser-ney");
  }

  protected probOf(h: number[], w: number): number {
    const contexts = this.counts.contextSuffixes(h);
    const ngrams = this.counts.ngramSuffixes(h, w);
    const d = this.discount;
    let p = 1 / this.outcomes;
    for (let j = 0; j < this.order; j++) {
      const top = j === this.order - 1;
      const a = top ? ngrams[j].count : ngrams[j].leftContexts;
      const norm = top ? contexts[j].total : contexts[j].leftContextsTotal;
      if (norm === 0) continue;
      p = (Math.max(a - d, 0) + d * contexts[j].continuations * p) / norm;
    }
    return p;
  }

  protected distributionOf(h: number[]): Float64Array {
    const d = this.discount;
    const p = this.uniform();
    for (let j = 0; j < this.order; j++) {
      const top = j === this.order - 1;
      const hj = suffix(h, j);
      const context = this.counts.context(hj);
      const norm = top ? context.total : context.leftContextsTotal;
      if (norm === 0) continue;
      const gamma = (d * context.continuations) / norm;
      for (let i = 0; i < p.length; i++) p[i] *= gamma;
      for (const g of this.counts.continuations(hj)) p[g.token] += Math.max((top ? g.count : g.leftContexts) - d, 0) / norm;
    }
    return p;
  }
}
