/**
 * Generating text: draw the next token from P(· | sentence so far), append
 * it, repeat until `</s>` or a length limit. All randomness comes from the
 * seeded `Random`, so the same seed gives the same text.
 */
import { Random } from "../random";
import { detokenize } from "../text/tokenize";
import { checkSentence, Sentence } from "./counts";
import { LanguageModel } from "./model";

/** Options of {@link sample}. */
export interface SampleOptions {
  /** Stop after generating this many tokens if `</s>` has not come (default 100). */
  maxTokens?: number;
  /** The start of the sentence to continue (ids, no boundary tokens; default empty). */
  prefix?: Sentence;
}

/**
 * One sentence drawn from the model: `prefix` followed by the generated ids, without `</s>`.
 * Used in lesson 01.
 */
export function sample(model: LanguageModel, rng: Random, options: SampleOptions = {}): number[] {
  const { maxTokens = 100, prefix = [] } = options;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw new Error(`sample: maxTokens must be an integer >= 1, got ${maxTokens}`);
  checkSentence(prefix, 0, model.vocab, "sample: prefix");
  const out = [...prefix];
  for (let generated = 0; generated < maxTokens; generated++) {
    const w = rng.categorical(model.distribution(out.slice(Math.max(0, out.length - model.order + 1))));
    if (w === model.vocab.eos) break;
    out.push(w);
  }
  return out;
}

/** {@link sample}, decoded to text: word tokens detokenized, or character tokens joined. */
export function sampleText(model: LanguageModel, rng: Random, options: SampleOptions & { join?: "words" | "chars" } = {}): string {
  const tokens = model.vocab.decode(sample(model, rng, options));
  return options.join === "chars" ? tokens.join("") : detokenize(tokens);
}
