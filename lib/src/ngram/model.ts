/**
 * What every language model in the course offers: P(w | context) for one
 * token, and the whole distribution over the vocabulary for sampling.
 * Evaluation and sampling are written against this interface only.
 */
import { Vocabulary } from "../text/vocabulary";
import { NgramCounts } from "./counts";

/** A conditional distribution P(w | context) over a vocabulary. */
export interface LanguageModel {
  /** A short name for tables and legends, e.g. "kneser-ney". */
  readonly name: string;
  /** How many tokens it looks at, the predicted one included (an n-gram model's n). */
  readonly order: number;
  readonly vocab: Vocabulary;
  /** P(w | context). `context` holds the preceding ids of the sentence, oldest first. */
  prob(context: readonly number[], w: number): number;
  /** P(· | context) as an array indexed by token id, summing to 1. */
  distribution(context: readonly number[]): Float64Array;
}

/**
 * The common part of the n-gram estimators: checking ids and turning a
 * context into the history h of exactly n-1 tokens that the Markov
 * assumption keeps.
 *
 * The outcomes are every token but `<s>`, which is never predicted: P(`<s>` | h)
 * is 0 and the other |V| - 1 probabilities sum to 1. Smoothing spreads mass
 * over those |V| - 1 outcomes, `<unk>` and `</s>` included.
 * Used in lesson 01.
 */
export abstract class NgramModel implements LanguageModel {
  abstract readonly name: string;
  /** The n of this estimator, at most `counts.n`. */
  readonly order: number;
  readonly vocab: Vocabulary;
  /** |V| - 1: the number of tokens that can be predicted. */
  protected readonly outcomes: number;

  constructor(
    /** The training counts the estimates come from. */
    readonly counts: NgramCounts,
    order: number = counts.n,
  ) {
    if (!Number.isInteger(order) || order < 1 || order > counts.n) {
      throw new RangeError(
        `n-gram model: order must be an integer in 1..${counts.n} (the counts' n), got ${order}` +
          (order > counts.n ? `; count with n >= ${order}` : ""),
      );
    }
    this.order = order;
    this.vocab = counts.vocab;
    this.outcomes = this.vocab.size - 1;
  }

  /**
   * The last n-1 tokens of `context`. A shorter context is the start of a
   * sentence, so it is padded on the left with `<s>`: with n = 3,
   * `history([])` is [`<s>`, `<s>`] and `history([a])` is [`<s>`, a].
   */
  history(context: readonly number[]): number[] {
    const k = this.order - 1;
    const h = context.slice(Math.max(0, context.length - k));
    for (const id of h) this.vocab.checkId(id, `${this.name}: context`);
    return h.length < k ? [...Array<number>(k - h.length).fill(this.vocab.bos), ...h] : h;
  }

  /** P(w | context), for `context` as in {@link NgramModel.history}. */
  prob(context: readonly number[], w: number): number {
    this.vocab.checkId(w, `${this.name}: predicted token`);
    const h = this.history(context);
    return w === this.vocab.bos ? 0 : this.probOf(h, w);
  }

  /** P(· | context) indexed by token id; the entry of `<s>` is 0. */
  distribution(context: readonly number[]): Float64Array {
    const p = this.distributionOf(this.history(context));
    p[this.vocab.bos] = 0;
    return p;
  }

  /** The uniform distribution over the outcomes, the bottom of every recursion. */
  protected uniform(): Float64Array {
    const p = new Float64Array(this.vocab.size).fill(1 / this.outcomes);
    p[this.vocab.bos] = 0;
    return p;
  }

  /** P(w | h) for a history of exactly n-1 tokens and w ≠ `<s>`. */
  protected abstract probOf(h: number[], w: number): number;
  /** P(· | h) for a history of exactly n-1 tokens. */
  protected abstract distributionOf(h: number[]): Float64Array;
}

/** The last j tokens of h: the context an order-(j+1) estimate conditions on. */
export function suffix(h: readonly number[], j: number): number[] {
  return h.slice(h.length - j);
}

/** Throws unless `d` is an absolute discount in (0, 1). `who` names the estimator in the message. */
export function checkDiscount(d: number, who: string): void {
  if (!(d > 0 && d < 1)) throw new Error(`${who}: discount must be in (0, 1), got ${d}`);
}
