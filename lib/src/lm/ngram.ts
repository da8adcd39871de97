/**
 * Scoring an n-gram model on the same token stream a recurrent model reads,
 * so that their perplexities compare like with like.
 *
 * `ngram.evaluate` scores sentences: it predicts each word and a closing
 * `</s>`. A character stream has no sentences; here every token of the
 * stream is predicted from the n − 1 tokens before it, the start of the
 * stream padded with `<s>` (as the recurrent model reads `<s>` first), and
 * no `</s>` is added. The same N predictions as `RNNLanguageModel.evaluate`
 * on `nextTokenPairs(ids, vocab.bos)`.
 */
import { LanguageModel } from "../ngram/model";

/** The result of {@link streamEvaluation}. */
export interface StreamEvaluation {
  /** Mean −ln P per token, in nats (Infinity if some token got probability 0). */
  loss: number;
  /** e^loss. */
  perplexity: number;
  /** Number of predicted tokens. */
  count: number;
  /** How many tokens got probability 0. */
  zeroProbTokens: number;
}

/**
 * Mean −ln P(w_i | w_{i−n+1} … w_{i−1}) over every token of `ids`.
 * Used in lessons 02, 07, 08 and 10.
 */
export function streamEvaluation(model: LanguageModel, ids: ArrayLike<number>): StreamEvaluation {
  const n = ids.length;
  if (n === 0) throw new Error("streamEvaluation: the stream is empty");
  const k = model.order - 1;
  let total = 0, zero = 0;
  const context: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = model.prob(context, ids[i]);
    if (!(p >= 0 && p <= 1 + 1e-9)) throw new Error(`streamEvaluation: ${model.name} returned P = ${p}, not a probability`);
    if (p === 0) zero++;
    total -= Math.log(p);
    if (k > 0) {
      context.push(ids[i]);
      if (context.length > k) context.shift();
    }
  }
  const loss = total / n;
  return { loss, perplexity: Math.exp(loss), count: n, zeroProbTokens: zero };
}
