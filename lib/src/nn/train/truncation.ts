/**
 * Truncated backpropagation through time, TBPTT(k1, k2) (Williams & Peng
 * 1990; Sutskever 2013): walk along a long sequence and, every k1 steps,
 * backpropagate the loss of those k1 steps through the last k2 steps (k2 ≥ k1).
 *
 *   - The FORWARD continues: each window starts from the state the model
 *     reached there, so the network still reads the text as one stream.
 *   - The GRADIENT stops at the window's start: that state is a constant, no
 *     gradient flows into the previous window. Memory and time per update
 *     are bounded by k2, however long the sequence.
 *
 * k1 = k2 = k: cut the sequence into segments of k steps (the usual "chunks").
 * k1 = k2 = T: one window, full BPTT. k2 > k1: each window also reaches
 * k2 − k1 steps further back than the steps whose loss it counts, so early
 * steps of a window get gradient from later ones; the state at each window's
 * start is recomputed by a forward-only run.
 */

/** One window: backpropagate through steps [from, to), counting the loss of steps [lossFrom, to). */
export interface TruncatedWindow {
  from: number;
  lossFrom: number;
  to: number;
}

/**
 * The windows of TBPTT(k1, k2) over `steps` steps: window j ends at
 * e_j = min(j·k1, steps), counts the loss of [e_{j−1}, e_j) (so every step's
 * loss counts exactly once) and reaches k2 − k1 steps further back, to
 * max(0, e_{j−1} − (k2 − k1)): k2 steps before its end, except that a last,
 * shorter window keeps the same k2 − k1 steps of context (so with k1 = k2 the
 * windows are exactly the consecutive segments).
 */
export function truncatedWindows(steps: number, k1: number, k2: number = k1): TruncatedWindow[] {
  for (const [name, v] of [["steps", steps], ["k1", k1], ["k2", k2]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`truncatedWindows: ${name} must be a positive integer, got ${v}`);
  }
  if (k2 < k1) {
    throw new Error(`truncatedWindows: k2 (${k2}, steps backpropagated) must be >= k1 (${k1}, steps between updates), or some losses would never reach the weights`);
  }
  const windows: TruncatedWindow[] = [];
  for (let lossFrom = 0; lossFrom < steps; lossFrom += k1) {
    const to = Math.min(lossFrom + k1, steps);
    windows.push({ from: Math.max(0, lossFrom - (k2 - k1)), lossFrom, to });
  }
  return windows;
}

/** What the model step returns for one window. */
export interface WindowResult<State> {
  /** The loss of steps [lossFrom, to) (0 if that range is empty). */
  loss: number;
  /** The state after step `to − 1`: where the forward continues. */
  last: State;
  /**
   * Backpropagates this window's loss through [from, to), ADDING into the
   * parameters' `grad`. It must not pass a `dLast` (nothing after `to` is in
   * this window) and must drop `dFirst`: that is the truncation.
   */
  backward(): void;
}

/**
 * The user's model, one window at a time: run the forward pass over steps
 * [from, to) of the data starting from `first`, and return the loss of the
 * steps [lossFrom, to). Also called with lossFrom = to and `backward` unused,
 * to advance the state without gradient (a `softmaxCrossEntropy` that masks
 * every step then needs `allowEmpty: true`, or skip the loss).
 */
export type ModelStep<State> = (window: TruncatedWindow, first: State) => WindowResult<State>;

/** Options of {@link truncatedBPTT}. */
export interface TruncatedBPTTOptions<State> {
  /** Steps between backward passes (how often the loss is backpropagated). */
  k1: number;
  /** Steps each backward pass goes through (default k1). */
  k2?: number;
  /** Called after each window's backward, e.g. for an optimizer step then zeroing the gradients. */
  afterWindow?: (window: TruncatedWindow, result: WindowResult<State>) => void;
}

/** What {@link truncatedBPTT} returns. */
export interface TruncatedBPTTResult<State> {
  /** The sum of the windows' losses. */
  loss: number;
  windows: { window: TruncatedWindow; loss: number }[];
  /** The state after the last step (the first state of the next sequence, for a stream). */
  last: State;
}

/**
 * Runs TBPTT(k1, k2) over a sequence of `steps` steps starting from state
 * `first`. Gradients accumulate across windows unless `afterWindow` resets them.
 */
export function truncatedBPTT<State>(
  steps: number,
  first: State,
  step: ModelStep<State>,
  options: TruncatedBPTTOptions<State>,
): TruncatedBPTTResult<State> {
  const windows = truncatedWindows(steps, options.k1, options.k2);
  // The latest state known (computed without gradient) where a window may start.
  let known = { at: 0, state: first };
  let last = first;
  let loss = 0;
  const losses: TruncatedBPTTResult<State>["windows"] = [];
  windows.forEach((w, j) => {
    if (known.at < w.from) {
      // This window reaches back past the last window's end (k2 > k1):
      // advance, forward only, from the latest known state to its start.
      known = { at: w.from, state: step({ from: known.at, lossFrom: w.from, to: w.from }, known.state).last };
    }
    const result = step(w, known.state);
    result.backward();
    options.afterWindow?.(w, result);
    loss += result.loss;
    losses.push({ window: w, loss: result.loss });
    last = result.last;
    const next = windows[j + 1];
    if (next && next.from >= w.to) known = { at: w.to, state: result.last };
  });
  return { loss, windows: losses, last };
}
