/** Choosing an estimator by name, e.g. from a loop over all of them in a notebook. */
import { AddKModel } from "./addk";
import { BackoffModel } from "./backoff";
import { NgramCounts } from "./counts";
import { InterpolationModel } from "./interpolation";
import { KneserNeyModel } from "./kneserNey";
import { MleModel } from "./mle";
import { NgramModel } from "./model";

/** The estimator names, in the order a lesson introduces them. */
export const ESTIMATOR_NAMES = ["mle", "addk", "backoff", "interpolation", "kneser-ney"] as const;

/** One of {@link ESTIMATOR_NAMES}. */
export type EstimatorName = (typeof ESTIMATOR_NAMES)[number];

/** Settings of {@link createModel}; each estimator reads only its own. */
export interface EstimatorOptions {
  /** The n of the model, 1..counts.n (default counts.n). */
  order?: number;
  /** addk: the pseudo-count, > 0 (default 1, Laplace). */
  k?: number;
  /** backoff, kneser-ney: the absolute discount, in (0, 1) (default 0.75). */
  discount?: number;
  /** interpolation: λ_0 (uniform) .. λ_n, non-negative, summing to 1 (default {@link defaultLambdas}). */
  lambdas?: readonly number[];
  /** interpolation, instead of lambdas: the recursive weights μ[k-1][b] per order and count bucket (see {@link InterpolationModel}). */
  mu?: readonly (readonly number[])[];
}

/**
 * The estimator called `name`, trained on `counts`. Throws on an unknown name, listing the valid ones.
 * Used in lesson 01.
 */
export function createModel(name: EstimatorName, counts: NgramCounts, options: EstimatorOptions = {}): NgramModel {
  const { order = counts.n, k, discount, lambdas, mu } = options;
  switch (name) {
    case "mle":
      return new MleModel(counts, order);
    case "addk":
      return new AddKModel(counts, order, k);
    case "backoff":
      return new BackoffModel(counts, order, discount);
    case "interpolation":
      if (lambdas !== undefined && mu !== undefined) throw new Error("createModel: interpolation takes lambdas or mu, not both");
      return new InterpolationModel(counts, order, mu !== undefined ? { mu } : lambdas);
    case "kneser-ney":
      return new KneserNeyModel(counts, order, discount);
  }
  throw new Error(`createModel: unknown estimator ${JSON.stringify(name)}; valid names are ${ESTIMATOR_NAMES.join(", ")}`);
}
