/**
 * Maximum likelihood: P(w | h) = c(h w) / c(h •), the relative frequency.
 * It gives zero to every n-gram not seen in training, and has no answer at
 * all for a context not seen in training (0/0): the sparsity problem that
 * the other estimators exist to fix.
 */
import { NgramModel } from "./model";

/**
 * The unsmoothed estimator. On a context never seen in training, `prob`
 * returns 0 (the model has no probability to give, so in evaluation the
 * token counts as a zero-probability token and the perplexity is Infinity),
 * and `distribution` throws, because there is no distribution to sample from.
 */
export class MleModel extends NgramModel {
  readonly name = "mle";

  protected probOf(h: number[], w: number): number {
    const total = this.counts.contextCount(h);
    return total === 0 ? 0 : this.counts.count([...h, w]) / total;
  }

  protected distributionOf(h: number[]): Float64Array {
    const total = this.counts.contextCount(h);
    if (total === 0) {
      throw new Error(
        `mle: the context "${this.vocab.decode(h).join(" ")}" never occurred in training, ` +
          "so P(· | context) = 0/0 is undefined; use a smoothed estimator (addk, backoff, interpolation, kneser-ney)",
      );
    }
    const p = new Float64Array(this.vocab.size);
    for (const { token, count } of this.counts.continuations(h)) p[token] = count / total;
    return p;
  }
}
