/**
 * How well a model predicts text it was not trained on.
 *
 * Every word and every `</s>` is predicted, from the sentence so far; `<s>`
 * is given, not predicted. So a sentence of m words contributes m + 1
 * predictions, and a model is rewarded for knowing where sentences end.
 *
 *   cross-entropy H = -(1/T) Σ_t ln P(w_t | w_<t)     (nats per token; / ln 2 for bits)
 *   perplexity      = exp(H)
 *
 * Perplexity is the size of a uniform choice that would be as surprising:
 * a perplexity of 100 means the model is, on average, as unsure as if it
 * picked among 100 equally likely tokens. A single zero probability makes
 * the product zero and the perplexity infinite; we report that as
 * `Infinity`, with the number of zero-probability tokens, and never as NaN.
 * Scores are comparable only between models sharing a vocabulary: mapping
 * more words to `<unk>` makes text look easier.
 */
import { checkSentence, Sentence } from "./counts";
import { LanguageModel } from "./model";

/**
 * The result of {@link evaluate}.
 * Used in lesson 01.
 */
export interface Evaluation {
  /** Sentences evaluated. */
  sentences: number;
  /** Predicted tokens T: the words plus one `</s>` per sentence. */
  tokens: number;
  /** How many tokens got probability 0. If > 0, logProb is -Infinity and the other scores Infinity. */
  zeroProbTokens: number;
  /** Σ ln P over all predicted tokens (nats). */
  logProb: number;
  /** -logProb / T, in nats per token. */
  crossEntropy: number;
  /** The cross-entropy in bits per token. */
  crossEntropyBits: number;
  /** exp(crossEntropy). */
  perplexity: number;
}

/** ln P(w_1 … w_m </s> | <s>), summed over the sentence; -Infinity if any token gets probability 0. */
export function sentenceLogProb(model: LanguageModel, sentence: Sentence): number {
  return score(model, [sentence]).logProb;
}

/**
 * Log-probability, cross-entropy and perplexity of `model` on `sentences` (token ids, no boundary tokens).
 * Used in lesson 01.
 */
export function evaluate(model: LanguageModel, sentences: readonly Sentence[]): Evaluation {
  if (sentences.length === 0) throw new Error("evaluate: no sentences to evaluate");
  const { logProb, tokens, zeroProbTokens } = score(model, sentences);
  const crossEntropy = -logProb / tokens; // Infinity when logProb is -Infinity
  return {
    sentences: sentences.length,
    tokens,
    zeroProbTokens,
    logProb,
    crossEntropy,
    crossEntropyBits: crossEntropy / Math.LN2,
    perplexity: Math.exp(crossEntropy),
  };
}

/** Σ ln P over the predicted tokens (-Infinity if any P is 0), with the token counts. */
function score(model: LanguageModel, sentences: readonly Sentence[]) {
  const { eos } = model.vocab;
  let logProb = 0;
  let tokens = 0;
  let zeroProbTokens = 0;
  sentences.forEach((s, index) => {
    checkSentence(s, index, model.vocab, "evaluate");
    for (let i = 0; i <= s.length; i++) {
      // Only the last order-1 tokens matter, so pass no more (cheap for long sentences).
      const context = s.slice(Math.max(0, i - model.order + 1), i);
      const p = model.prob(context, i < s.length ? s[i] : eos);
      if (!(p >= 0 && p <= 1 + 1e-9)) throw new Error(`evaluate: ${model.name} returned P = ${p}, not a probability`);
      tokens++;
      if (p === 0) zeroProbTokens++;
      logProb += Math.log(p); // ln 0 = -Infinity, which no finite term can turn into NaN
    }
  });
  return { logProb, tokens, zeroProbTokens };
}
