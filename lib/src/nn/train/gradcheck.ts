/**
 * Gradient checking: compares a backward pass with centered finite
 * differences, (L(w + ε) − L(w − ε)) / 2ε, for every element of every
 * parameter (or a seeded sample of them). Run it in float64: with float32 the
 * differences drown in rounding.
 */
import { Parameter } from "../core/parameter";
import { Random } from "../../random";

export interface GradCheckResult {
  parameter: string;
  /** max |analytic − numeric| / max(|analytic| + |numeric|, tiny) over checked elements. */
  maxRelativeError: number;
  maxAbsoluteError: number;
  checked: number;
}

export interface GradCheckOptions {
  epsilon?: number;
  /** Check at most this many elements per parameter (chosen with `seed`); default all. */
  maxElementsPerParameter?: number;
  seed?: number;
}

/**
 * `loss()` must run a fresh forward pass and return the loss; `backward()`
 * must zero the gradients, run forward and backward, and leave the analytic
 * gradients in each parameter's `grad`.
 * Used in lessons 02 and 11.
 */
export function gradCheck(
  params: Parameter[],
  loss: () => number,
  backward: () => void,
  options: GradCheckOptions = {},
): GradCheckResult[] {
  const eps = options.epsilon ?? 1e-5;
  const rng = new Random(options.seed ?? 0);
  for (const p of params) {
    if (p.value.dtype !== "float64") {
      throw new Error(`gradCheck: parameter ${p.name} is ${p.value.dtype}; finite differences need float64`);
    }
  }
  backward();
  const analytic = params.map((p) => Float64Array.from(p.grad.data));
  return params.map((p, pi) => {
    const n = p.value.data.length;
    let indices = Array.from({ length: n }, (_, i) => i);
    if (options.maxElementsPerParameter !== undefined && n > options.maxElementsPerParameter) {
      indices = rng.shuffle(indices).slice(0, options.maxElementsPerParameter);
    }
    let maxRel = 0, maxAbs = 0;
    for (const i of indices) {
      const w = p.value.data[i];
      p.value.data[i] = w + eps;
      p.changed();
      const plus = loss();
      p.value.data[i] = w - eps;
      p.changed();
      const minus = loss();
      p.value.data[i] = w;
      p.changed();
      const numeric = (plus - minus) / (2 * eps);
      const a = analytic[pi][i];
      const abs = Math.abs(a - numeric);
      const rel = abs / Math.max(Math.abs(a) + Math.abs(numeric), 1e-12);
      if (!Number.isFinite(numeric)) throw new Error(`gradCheck: the loss is not finite around ${p.name}[${i}]`);
      maxAbs = Math.max(maxAbs, abs);
      // Where both gradients are ~0 the relative error is noise; the absolute one decides.
      if (abs > 1e-10) maxRel = Math.max(maxRel, rel);
    }
    return { parameter: p.name, maxRelativeError: maxRel, maxAbsoluteError: maxAbs, checked: indices.length };
  });
}
