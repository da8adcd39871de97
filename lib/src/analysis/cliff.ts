/**
 * The "cliff" of a recurrent loss surface, on the smallest recurrent network
 * there is: one unit, one weight, one bias (the example Pascanu, Mikolov &
 * Bengio 2013 use to explain exploding gradients through bifurcations):
 *
 *   x_t = w·σ(x_{t−1}) + b,   t = 1..T,   from a fixed x_0,
 *   L(w, b) = (x_T − y)².
 *
 * σ is the logistic sigmoid (or tanh). For w large enough the map
 * x ↦ w·σ(x) + b has two stable fixed points with an unstable one between
 * them, and x_0 falls into one basin or the other depending on (w, b). Where
 * x_0 sits exactly on the unstable fixed point, b = x_0 − w·σ(x_0), an
 * infinitesimal change of b decides which attractor x_T ends in: x_T jumps,
 * and so does the loss. Near that line the gradient holds the product
 * Π_t w·σ′(x_t) of T factors larger than one, so it is exponentially large in
 * T: a wall, thin and steep, in the (w, b) plane.
 *
 * Backward is backpropagation through time by hand, with δ_t = ∂L/∂x_t:
 *
 *   δ_T = 2(x_T − y)
 *   ∂L/∂w = Σ_t δ_t·σ(x_{t−1}),   ∂L/∂b = Σ_t δ_t,   δ_{t−1} = δ_t·w·σ′(x_{t−1}).
 *
 * Everything is float64 plain loops: deterministic and exact enough for
 * finite-difference checks. Also here: gradient descent on the surface with
 * optional norm clipping (the trajectories of the lesson's figure), and the
 * angle between two gradient vectors (how much a clipping rule turns a step).
 */
import { Parameter } from "../nn/core/parameter";
import { sigmoid } from "../nn/compute/activations";

/** The nonlinearity of the single unit. */
export type CliffActivation = "sigmoid" | "tanh";

/** The one-unit recurrent network and its loss. */
export interface CliffOptions {
  /** Number of recurrent steps T (default 50). */
  timeSteps?: number;
  /** Initial state x_0 (default 0.5). */
  x0?: number;
  /** Target y of the last state: L = (x_T − y)² (default 0.7). */
  target?: number;
  /** σ: the logistic sigmoid (default) or tanh. */
  activation?: CliffActivation;
}

interface Resolved {
  T: number;
  x0: number;
  y: number;
  f: (x: number) => number;
  df: (x: number) => number;
}

function resolve(where: string, options: CliffOptions): Resolved {
  const T = options.timeSteps ?? 50;
  const x0 = options.x0 ?? 0.5;
  const y = options.target ?? 0.7;
  const activation = options.activation ?? "sigmoid";
  if (!(Number.isInteger(T) && T >= 1)) throw new Error(`${where}: timeSteps must be an integer >= 1, got ${T}`);
  if (!Number.isFinite(x0)) throw new Error(`${where}: x0 must be a finite number, got ${x0}`);
  if (!Number.isFinite(y)) throw new Error(`${where}: target must be a finite number, got ${y}`);
  if (activation === "sigmoid") {
    return { T, x0, y, f: sigmoid, df: (x) => { const s = sigmoid(x); return s * (1 - s); } };
  }
  if (activation === "tanh") {
    return { T, x0, y, f: Math.tanh, df: (x) => { const t = Math.tanh(x); return 1 - t * t; } };
  }
  throw new Error(`${where}: activation must be "sigmoid" or "tanh", got ${JSON.stringify(activation)}`);
}

function checkPoint(where: string, w: number, b: number): void {
  if (!Number.isFinite(w) || !Number.isFinite(b)) throw new Error(`${where}: w and b must be finite numbers, got w = ${w}, b = ${b}`);
}

/**
 * The states x_0, x_1, …, x_T of the one-unit network (T + 1 values).
 * Used in lesson 04.
 */
export function cliffStates(w: number, b: number, options: CliffOptions = {}): Float64Array {
  checkPoint("cliffStates", w, b);
  const { T, x0, f } = resolve("cliffStates", options);
  const x = new Float64Array(T + 1);
  x[0] = x0;
  for (let t = 1; t <= T; t++) x[t] = w * f(x[t - 1]) + b;
  return x;
}

/** The loss at (w, b), its gradient, and the last state. */
export interface CliffLoss {
  /** L = (x_T − y)². */
  loss: number;
  /** ∂L/∂w. */
  dw: number;
  /** ∂L/∂b. */
  db: number;
  /** The last state x_T. */
  xT: number;
  /** ‖(∂L/∂w, ∂L/∂b)‖. */
  gradNorm: number;
}

/**
 * Forward pass and backpropagation through time of L(w, b) = (x_T − y)².
 * Used in lesson 04.
 */
export function cliffLoss(w: number, b: number, options: CliffOptions = {}): CliffLoss {
  checkPoint("cliffLoss", w, b);
  const { T, y, f, df } = resolve("cliffLoss", options);
  const x = cliffStates(w, b, options);
  const xT = x[T];
  const e = xT - y;
  let delta = 2 * e; // δ_T
  let dw = 0, db = 0;
  for (let t = T; t >= 1; t--) {
    dw += delta * f(x[t - 1]);
    db += delta;
    delta *= w * df(x[t - 1]); // δ_{t−1}
  }
  return { loss: e * e, dw, db, xT, gradNorm: Math.hypot(dw, db) };
}

/**
 * The loss on a grid, ready for `plot.contour`/`plot.surface`:
 * `z[i][j] = L(ws[j], bs[i])` (rows follow b, columns follow w).
 * `transform` maps each loss first, e.g. `(L) => Math.log10(L + 1e-3)`.
 * Used in lesson 04.
 */
export function cliffLossGrid(
  ws: ArrayLike<number>,
  bs: ArrayLike<number>,
  options: CliffOptions & { transform?: (loss: number) => number } = {},
): number[][] {
  const transform = options.transform ?? ((l: number) => l);
  return Array.from(bs, (b) => Array.from(ws, (w) => transform(cliffLoss(w, b, options).loss)));
}

/**
 * Where the wall is: the bias that makes x_0 a fixed point, b = x_0 − w·σ(x_0).
 * For w·σ′(x_0) > 1 that fixed point is unstable, and crossing this line
 * sends x_T to the other attractor. Returns NaN where w·σ′(x_0) ≤ 1 (no wall).
 * Used in lesson 04.
 */
export function cliffEdge(w: number, options: CliffOptions = {}): number {
  if (!Number.isFinite(w)) throw new Error(`cliffEdge: w must be a finite number, got ${w}`);
  const { x0, f, df } = resolve("cliffEdge", options);
  return w * df(x0) > 1 ? x0 - w * f(x0) : NaN;
}

/** Options of `cliffDescent`. */
export interface CliffDescentOptions extends CliffOptions {
  /** η: each step is (w, b) ← (w, b) − η·g. */
  learningRate: number;
  /** Number of gradient steps. */
  iterations: number;
  /** Norm clipping: if ‖g‖ > clipNorm, g ← g·clipNorm/‖g‖ (off by default). */
  clipNorm?: number;
}

/**
 * A gradient-descent trajectory on the surface.
 * Used in lesson 04.
 */
export interface CliffDescentPath {
  /** The points visited, from the start: iterations + 1 of them (fewer if it diverged). */
  w: number[];
  b: number[];
  /** The loss at each point. */
  loss: number[];
  /** ‖g‖ at each point, before clipping. */
  gradNorm: number[];
  /** Index of the first point whose loss or gradient is not finite (the walk stops there), else undefined. */
  divergedAt?: number;
}

/**
 * Plain gradient descent from `start`, with optional norm clipping.
 * Used in lesson 04.
 */
export function cliffDescent(start: { w: number; b: number }, options: CliffDescentOptions): CliffDescentPath {
  const where = "cliffDescent";
  checkPoint(where, start.w, start.b);
  const { learningRate: lr, iterations, clipNorm } = options;
  if (!(Number.isFinite(lr) && lr > 0)) throw new Error(`${where}: learningRate must be a finite number > 0, got ${lr}`);
  if (!(Number.isInteger(iterations) && iterations >= 0)) throw new Error(`${where}: iterations must be an integer >= 0, got ${iterations}`);
  if (clipNorm !== undefined && !(Number.isFinite(clipNorm) && clipNorm > 0)) {
    throw new Error(`${where}: clipNorm must be a finite number > 0, got ${clipNorm}`);
  }
  resolve(where, options);
  const path: CliffDescentPath = { w: [], b: [], loss: [], gradNorm: [] };
  let { w, b } = start;
  for (let k = 0; k <= iterations; k++) {
    if (!Number.isFinite(w) || !Number.isFinite(b)) {
      path.divergedAt = k;
      break;
    }
    const g = cliffLoss(w, b, options);
    path.w.push(w);
    path.b.push(b);
    path.loss.push(g.loss);
    path.gradNorm.push(g.gradNorm);
    if (!Number.isFinite(g.loss) || !Number.isFinite(g.gradNorm)) {
      path.divergedAt = k;
      break;
    }
    if (k === iterations) break;
    const scale = clipNorm !== undefined && g.gradNorm > clipNorm ? clipNorm / g.gradNorm : 1;
    w -= lr * scale * g.dw;
    b -= lr * scale * g.db;
  }
  return path;
}

/**
 * The angle, in degrees, between two vectors of the same length, computed as
 * 2·atan2(‖û − v̂‖, ‖û + v̂‖) with û = u/‖u‖, v̂ = v/‖v‖: accurate also for
 * tiny angles, where acos of the cosine loses every digit. Throws if a vector
 * is zero or holds a non-finite value.
 * Used in lesson 04.
 */
export function gradientAngle(u: ArrayLike<number>, v: ArrayLike<number>): number {
  const where = "gradientAngle";
  if (u.length !== v.length) throw new Error(`${where}: the vectors have ${u.length} and ${v.length} entries`);
  const norm = (a: ArrayLike<number>, name: string): number => {
    let scale = 0;
    for (let i = 0; i < a.length; i++) {
      const x = Math.abs(a[i]);
      if (!Number.isFinite(x)) throw new Error(`${where}: ${name}[${i}] is ${a[i]}`);
      if (x > scale) scale = x;
    }
    if (scale === 0) throw new Error(`${where}: ${name} is the zero vector, which has no direction`);
    let s = 0;
    for (let i = 0; i < a.length; i++) s += (a[i] / scale) ** 2;
    return scale * Math.sqrt(s);
  };
  const nu = norm(u, "u"), nv = norm(v, "v");
  let diff = 0, sum = 0;
  for (let i = 0; i < u.length; i++) {
    const a = u[i] / nu, c = v[i] / nv;
    diff += (a - c) ** 2;
    sum += (a + c) ** 2;
  }
  return (2 * Math.atan2(Math.sqrt(diff), Math.sqrt(sum)) * 180) / Math.PI;
}

/**
 * Every gradient of `params`, in order, as one float64 vector (a copy).
 * Used in lesson 04.
 */
export function flattenGradients(params: readonly Parameter[]): Float64Array {
  const n = params.reduce((s, p) => s + p.grad.data.length, 0);
  const out = new Float64Array(n);
  let at = 0;
  for (const p of params) {
    out.set(p.grad.data, at);
    at += p.grad.data.length;
  }
  return out;
}
