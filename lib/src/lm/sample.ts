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

/**
 * Index of the largest entry (the first one on ties); −Infinity entries are
 * never chosen unless all are. A NaN has no place in the order (every
 * comparison with it is false, so it would silently lose or win by
 * position): it is an error, as is an empty array.
 */
export function argmax(values: ArrayLike<number>): number {
  if (values.length === 0) throw new Error("argmax: values is empty: there is no largest entry");
  let best = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== "number" || Number.isNaN(v)) throw new Error(`argmax: values[${i}] is ${describe(v)}; every value must be a number, not NaN`);
    if (v > values[best]) best = i;
  }
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

/**
 * How far from 1 the sum of a distribution may be: float32 probabilities
 * over 10⁴ outcomes, normalized with a float32 sum, can be off by up to
 * ~10⁴ · 2⁻²⁴ ≈ 6e-4; counts or unnormalized scores are off by far more.
 */
const PROBABILITY_SUM_TOLERANCE = 1e-3;

/**
 * The entropy −Σ p ln p of a distribution, in nats (0 · ln 0 counts as 0).
 * Throws unless p is a distribution: not empty, every entry finite and >= 0,
 * summing to 1 within 1e-3 (the entropy of anything
 * else is a number without meaning).
 * Used in lesson 02.
 */
export function entropy(p: ArrayLike<number>): number {
  if (p.length === 0) throw new Error("entropy: p is empty; a distribution needs at least one outcome");
  let h = 0, sum = 0;
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (!(typeof v === "number" && Number.isFinite(v) && v >= 0)) {
      throw new Error(`entropy: p[${i}] is ${describe(v)}; probabilities must be finite numbers >= 0`);
    }
    sum += v;
    if (v > 0) h -= v * Math.log(v);
  }
  if (!(Math.abs(sum - 1) <= PROBABILITY_SUM_TOLERANCE)) {
    throw new Error(`entropy: p sums to ${sum}, not 1 (tolerance ${PROBABILITY_SUM_TOLERANCE}); normalize it first (divide by the sum)`);
  }
  return h;
}

/** A value as an error message shows it: strings quoted, the rest as JavaScript prints it. */
function describe(v: unknown): string {
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}
