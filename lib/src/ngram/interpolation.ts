/**
 * Linear interpolation (Jelinek–Mercer): mix the relative frequencies of all
 * orders,
 *
 *   P(w | h) = λ_0 / |O| + Σ_{k=1..n} λ_k · c(h_{k-1} w) / c(h_{k-1} •)
 *
 * where h_{k-1} is the last k-1 tokens of the history and λ_0 weights the
 * uniform distribution over the |O| outcomes (the "0-gram"), which keeps
 * every probability above zero. When a context h_{k-1} was never seen, its
 * relative frequency is 0/0: that term is dropped and the remaining weights
 * are renormalized, so the result still sums to 1.
 *
 * The same model, written as a recursion from the uniform distribution up:
 *
 *   P_0(w) = 1 / |O|
 *   P_k(w | h_{k-1}) = μ_k · c(h_{k-1} w) / c(h_{k-1} •) + (1 - μ_k) · P_{k-1}(w | h_{k-2})
 *
 * stopping at the longest context that was seen. With μ_k = λ_k / (λ_0 + … + λ_k)
 * the two are equal (dropping the unseen terms and renormalizing is exactly
 * stopping the recursion early), and the recursive form is the one with room
 * for more: μ_k may depend on how often the context was seen, one weight per
 * count bucket ({@link countBucket}), so that a context seen a hundred times
 * is trusted more than one seen once. {@link fitInterpolation} chooses the
 * weights by EM on development text.
 */
import { checkSentence, NgramCounts, Sentence } from "./counts";
import { NgramModel, suffix } from "./model";

/**
 * Default weights for order n: 1% on the uniform distribution and the rest
 * split equally over orders 1..n. A starting point only; the weights that
 * fit a corpus are found on development text ({@link fitInterpolation}).
 * Used in lesson 01.
 */
export function defaultLambdas(order: number): number[] {
  return [0.01, ...Array<number>(order).fill(0.99 / order)];
}

/**
 * The count bucket of a context seen `count` times, out of `buckets`:
 * ⌊log2 count⌋ capped at buckets - 1, so the buckets hold the counts 1, 2–3,
 * 4–7, 8–15, …, and the last one everything from 2^(buckets-1) up.
 * With one bucket every context shares it.
 */
export function countBucket(count: number, buckets: number): number {
  if (!Number.isInteger(buckets) || buckets < 1) throw new Error(`countBucket: buckets must be an integer >= 1, got ${buckets}`);
  if (!Number.isInteger(count) || count < 1) throw new Error(`countBucket: a context count must be an integer >= 1, got ${count}`);
  return Math.min(Math.floor(Math.log2(count)), buckets - 1);
}

/** μ_k = λ_k / (λ_0 + … + λ_k), k = 1..n: the recursive weights of flat weights λ_0..λ_n (one bucket each). */
export function lambdasToMu(lambdas: readonly number[]): number[][] {
  const mu: number[][] = [];
  let cumulative = lambdas[0];
  for (let k = 1; k < lambdas.length; k++) {
    cumulative += lambdas[k];
    mu.push([cumulative > 0 ? lambdas[k] / cumulative : 0]);
  }
  return mu;
}

/** λ_k = μ_k · Π_{i>k} (1 - μ_i), with μ_0 = 1: the flat weights of one-bucket recursive weights. */
export function muToLambdas(mu: readonly (readonly number[])[]): number[] {
  if (mu.some((row) => row.length !== 1)) throw new Error("muToLambdas: flat weights exist only with one bucket per order");
  const lambdas = new Array<number>(mu.length + 1);
  let rest = 1;
  for (let k = mu.length; k >= 1; k--) {
    lambdas[k] = mu[k - 1][0] * rest;
    rest *= 1 - mu[k - 1][0];
  }
  lambdas[0] = rest;
  return lambdas;
}

/** Weights of an {@link InterpolationModel}: flat λ_0..λ_n, or recursive μ per order and count bucket. */
export type InterpolationWeights = readonly number[] | { readonly mu: readonly (readonly number[])[] };

/** The interpolated estimator, with flat weights λ_0..λ_n or recursive weights μ_k per count bucket. */
export class InterpolationModel extends NgramModel {
  readonly name = "interpolation";
  /**
   * μ[k-1][b]: the weight of the order-k relative frequency when its context
   * falls in count bucket b; 1 - μ goes to the order below.
   */
  readonly mu: readonly (readonly number[])[];
  /** The number of count buckets (1 when the weights were given as flat λ). */
  readonly buckets: number;
  /** λ_0 (uniform) .. λ_n, when there is one bucket; undefined for bucketed weights. */
  readonly lambdas: readonly number[] | undefined;

  constructor(counts: NgramCounts, order: number = counts.n, weights?: InterpolationWeights) {
    super(counts, order);
    if (weights === undefined || Array.isArray(weights)) {
      const l = (this.lambdas = weights ? [...(weights as readonly number[])] : defaultLambdas(this.order));
      if (l.length !== this.order + 1) {
        throw new Error(
          `interpolation: an order-${this.order} model needs ${this.order + 1} lambdas ` +
            `(λ_0 for the uniform distribution, then one per order 1..${this.order}), got ${l.length}`,
        );
      }
      if (!l.every((x) => Number.isFinite(x) && x >= 0)) {
        throw new Error(`interpolation: lambdas must be finite and non-negative, got [${l.join(", ")}]`);
      }
      const sum = l.reduce((a, b) => a + b, 0);
      if (Math.abs(sum - 1) > 1e-9) throw new Error(`interpolation: lambdas must sum to 1, got ${sum} for [${l.join(", ")}]`);
      if (!(l[0] + l[1] > 0)) {
        // Otherwise an unseen context would leave no defined term at all.
        throw new Error("interpolation: λ_0 + λ_1 must be > 0 so that every context has an estimate (use \"mle\" for a pure n-gram)");
      }
      this.mu = lambdasToMu(l);
      this.buckets = 1;
    } else {
      const mu = (weights as { mu?: unknown }).mu;
      if (!Array.isArray(mu)) throw new Error("interpolation: weights must be an array of lambdas or { mu: number[][] }");
      if (mu.length !== this.order) {
        throw new Error(`interpolation: an order-${this.order} model needs ${this.order} rows of μ (one per order 1..${this.order}), got ${mu.length}`);
      }
      const buckets = Array.isArray(mu[0]) ? mu[0].length : 0;
      if (buckets < 1 || !mu.every((row) => Array.isArray(row) && row.length === buckets)) {
        throw new Error("interpolation: every row of μ must hold the same number (>= 1) of count buckets");
      }
      for (const row of mu as number[][]) {
        if (!row.every((x) => Number.isFinite(x) && x >= 0 && x <= 1)) throw new Error(`interpolation: every μ must be in [0, 1], got [${row.join(", ")}]`);
      }
      this.mu = (mu as number[][]).map((row) => [...row]);
      this.buckets = buckets;
      this.lambdas = buckets === 1 ? muToLambdas(this.mu) : undefined;
    }
  }

  /** The weight μ of order k (1..n) for a context seen `total` (>= 1) times. */
  weightOf(k: number, total: number): number {
    return this.mu[k - 1][this.buckets === 1 ? 0 : countBucket(total, this.buckets)];
  }

  protected probOf(h: number[], w: number): number {
    const contexts = this.counts.contextSuffixes(h);
    const ngrams = this.counts.ngramSuffixes(h, w);
    let p = 1 / this.outcomes;
    for (let k = 1; k <= this.order; k++) {
      const total = contexts[k - 1].total;
      if (total === 0) break; // unseen, and so is every longer context
      const m = this.weightOf(k, total);
      p = (m * ngrams[k - 1].count) / total + (1 - m) * p;
    }
    return p;
  }

  protected distributionOf(h: number[]): Float64Array {
    const p = this.uniform();
    for (let k = 1; k <= this.order; k++) {
      const context = suffix(h, k - 1);
      const total = this.counts.contextCount(context);
      if (total === 0) break;
      const m = this.weightOf(k, total);
      for (let i = 0; i < p.length; i++) p[i] *= 1 - m;
      for (const { token, count } of this.counts.continuations(context)) p[token] += (m * count) / total;
    }
    return p;
  }
}

/** Settings of {@link fitInterpolation}. */
export interface FitInterpolationOptions {
  /** The n of the model, 1..counts.n (default counts.n). */
  order?: number;
  /** Count buckets per order ({@link countBucket}); 1 (the default) fits one weight per order, i.e. flat λ. */
  buckets?: number;
  /** The most EM iterations (default 200). */
  maxIterations?: number;
  /** Stop once an iteration raises the log-likelihood by less than this, in nats per token (default 1e-7). */
  tolerance?: number;
  /** Flat starting weights λ_0..λ_n, all > 0 (default {@link defaultLambdas}); with buckets > 1 every bucket starts from them. */
  initial?: readonly number[];
}

/**
 * The result of {@link fitInterpolation}.
 * Used in lesson 01.
 */
export interface InterpolationFit {
  /** The interpolated model with the fitted weights. */
  model: InterpolationModel;
  /** The fitted weights, μ[k-1][b] as in {@link InterpolationModel.mu}. */
  mu: number[][];
  /** The fitted flat weights λ_0..λ_n when buckets = 1. */
  lambdas: number[] | undefined;
  /** Log-likelihood of the development text (nats), at the starting weights and after each iteration. */
  logLikelihoods: number[];
  /** EM iterations run. */
  iterations: number;
  /** Whether the last iteration gained less than the tolerance (false: stopped at maxIterations). */
  converged: boolean;
  /** Predicted tokens of the development text (words and `</s>`). */
  tokens: number;
  /** How many development tokens fell in each bucket, per order: tokensPerBucket[k-1][b]. */
  tokensPerBucket: number[][];
}

/**
 * Chooses the interpolation weights that make development text most
 * probable, by expectation–maximization (Jelinek & Mercer's held-out
 * estimation of the weights).
 *
 * Read the recursion as a story of how each token was produced: start at the
 * longest seen context, take that order's relative frequency with
 * probability μ_k, else step down one order; the uniform distribution ends
 * the walk. Which order produced a token is hidden. The E-step computes, for
 * every development token, the posterior probability r_j that order j
 * produced it (its share of P(w | h)); the M-step sets each μ_k to the
 * expected number of tokens produced at order k over the expected number
 * that reached order k (were produced at k or below), summed per bucket.
 * Each iteration never lowers the development log-likelihood; the
 * component probabilities do not depend on the weights, so they are looked
 * up once.
 * Used in lesson 01.
 */
export function fitInterpolation(counts: NgramCounts, sentences: readonly Sentence[], options: FitInterpolationOptions = {}): InterpolationFit {
  const { order = counts.n, buckets = 1, maxIterations = 200, tolerance = 1e-7 } = options;
  if (!Array.isArray(sentences) || sentences.length === 0) throw new Error("fitInterpolation: no development sentences to fit the weights on");
  if (!Number.isInteger(buckets) || buckets < 1) throw new Error(`fitInterpolation: buckets must be an integer >= 1, got ${buckets}`);
  if (!Number.isInteger(maxIterations) || maxIterations < 1) throw new Error(`fitInterpolation: maxIterations must be an integer >= 1, got ${maxIterations}`);
  if (!(tolerance >= 0)) throw new Error(`fitInterpolation: tolerance must be >= 0, got ${tolerance}`);
  const start = new InterpolationModel(counts, order, options.initial ? [...options.initial] : undefined); // checks order and λ
  const initial = start.lambdas as readonly number[];
  if (!initial.every((x) => x > 0)) {
    throw new Error(`fitInterpolation: every starting weight must be > 0 (EM never moves a weight away from 0), got [${initial.join(", ")}]`);
  }
  const n = start.order;
  const { bos, eos } = counts.vocab;
  const outcomes = counts.vocab.size - 1;

  // Per token: the relative frequencies of orders 1..K (K = its longest seen context) and their buckets.
  const probs: number[][] = [];
  const bucketOf: number[][] = [];
  const tokensPerBucket = Array.from({ length: n }, () => new Array<number>(buckets).fill(0));
  sentences.forEach((s, index) => {
    checkSentence(s, index, counts.vocab, "fitInterpolation");
    for (let i = 0; i <= s.length; i++) {
      const w = i < s.length ? s[i] : eos;
      const context = s.slice(Math.max(0, i - n + 1), i);
      const h = context.length < n - 1 ? [...Array<number>(n - 1 - context.length).fill(bos), ...context] : context;
      const contexts = counts.contextSuffixes(h);
      const ngrams = counts.ngramSuffixes(h, w);
      const p: number[] = [];
      const b: number[] = [];
      for (let k = 1; k <= n; k++) {
        const total = contexts[k - 1].total;
        if (total === 0) break;
        p.push(ngrams[k - 1].count / total);
        b.push(countBucket(total, buckets));
        tokensPerBucket[k - 1][b[k - 1]]++;
      }
      probs.push(p);
      bucketOf.push(b);
    }
  });

  const mu = lambdasToMu(initial).map((row) => new Array<number>(buckets).fill(row[0]));
  const uniform = 1 / outcomes;
  const logLikelihoods: number[] = [];
  const weights = new Array<number>(n + 1);
  let iterations = 0;
  let converged = false;
  for (;;) {
    const produced = Array.from({ length: n }, () => new Array<number>(buckets).fill(0));
    const reached = Array.from({ length: n }, () => new Array<number>(buckets).fill(0));
    let logLikelihood = 0;
    for (let t = 0; t < probs.length; t++) {
      const p = probs[t];
      const b = bucketOf[t];
      const K = p.length;
      // weights[j]: the probability that the walk stops at order j (0 = uniform).
      let rest = 1;
      for (let j = K; j >= 1; j--) {
        const m = mu[j - 1][b[j - 1]];
        weights[j] = m * rest;
        rest *= 1 - m;
      }
      weights[0] = rest;
      let total = weights[0] * uniform;
      for (let j = 1; j <= K; j++) total += weights[j] * p[j - 1];
      logLikelihood += Math.log(total);
      let below = (weights[0] * uniform) / total; // posterior mass produced at order 0..j
      for (let j = 1; j <= K; j++) {
        const r = (weights[j] * p[j - 1]) / total;
        below += r;
        produced[j - 1][b[j - 1]] += r;
        reached[j - 1][b[j - 1]] += below;
      }
    }
    logLikelihoods.push(logLikelihood);
    const gained = logLikelihoods.length > 1 ? (logLikelihood - logLikelihoods[logLikelihoods.length - 2]) / probs.length : Infinity;
    if (gained < tolerance) {
      converged = true;
      break;
    }
    if (iterations === maxIterations) break;
    for (let k = 0; k < n; k++) for (let q = 0; q < buckets; q++) if (reached[k][q] > 0) mu[k][q] = produced[k][q] / reached[k][q];
    iterations++;
  }
  const model = new InterpolationModel(counts, n, { mu });
  return { model, mu, lambdas: model.lambdas ? [...model.lambdas] : undefined, logLikelihoods, iterations, converged, tokens: probs.length, tokensPerBucket };
}
