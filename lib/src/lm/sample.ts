/**
 * Turning a model's logits into the next token.
 *
 * Temperature τ rescales the logits before the softmax:
 *
 *   p_i(τ) = exp(o_i / τ) / Σ_j exp(o_j / τ)
 *
 * τ = 1 is the model's own distribution; τ < 1 sharpens it (the likely
 * tokens get likelier), τ > 1 flattens it toward uniform. As τ → 0 all the
 * mass goes to the largest logit, which is greedy decoding: τ = 0 is defined
 * as exactly that (the argmax, no random draw).
 */
import { Random } from "../random";

function checkTemperature(where: string, temperature: number): void {
  if (!(Number.isFinite(temperature) && temperature >= 0)) {
    throw new Error(`${where}: temperature must be a finite number >= 0, got ${temperature}`);
  }
}

/** Index of the largest entry (the first one on ties); −Infinity entries are never chosen unless all are. */
export function argmax(values: ArrayLike<number>): number {
  if (values.length === 0) throw new Error("argmax: no values");
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/**
 * softmax(o / τ), computed stably (shifted by the maximum). τ = 0 gives the
 * one-hot vector of the argmax. Logits of −Infinity get probability 0.
 */
export function softmaxWithTemperature(logits: ArrayLike<number>, temperature = 1): Float64Array {
  checkTemperature("softmaxWithTemperature", temperature);
  const n = logits.length;
  if (n === 0) throw new Error("softmaxWithTemperature: no logits");
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(logits[i]) || logits[i] === Infinity) throw new Error(`softmaxWithTemperature: logit ${i} is ${logits[i]}`);
  }
  const p = new Float64Array(n);
  const best = argmax(logits);
  if (logits[best] === -Infinity) throw new Error("softmaxWithTemperature: every logit is -Infinity (every token excluded)");
  if (temperature === 0) {
    p[best] = 1;
    return p;
  }
  const max = logits[best];
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (p[i] = Math.exp((logits[i] - max) / temperature));
  for (let i = 0; i < n; i++) p[i] /= sum;
  return p;
}

/** One token from softmax(o / τ): the argmax for τ = 0 (drawing nothing from `rng`), else a seeded draw. */
export function sampleFromLogits(logits: ArrayLike<number>, temperature: number, rng: Random): number {
  checkTemperature("sampleFromLogits", temperature);
  if (temperature === 0) {
    softmaxWithTemperature(logits, 0); // validates
    return argmax(logits);
  }
  return rng.categorical(softmaxWithTemperature(logits, temperature));
}

/** The entropy −Σ p ln p of a distribution, in nats (0 · ln 0 counts as 0). */
export function entropy(p: ArrayLike<number>): number {
  let h = 0;
  for (let i = 0; i < p.length; i++) if (p[i] > 0) h -= p[i] * Math.log(p[i]);
  return h;
}
