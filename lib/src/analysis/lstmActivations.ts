/**
 * What an LSTM computed at every step of a text, one matrix per quantity:
 * its gates i_t, f_t, o_t, the candidate g_t, the cell c_t and the output
 * h_t, each [T·B, H]. The fast layer's forward pass already keeps all of
 * them for its backward pass (`LSTMCache`: the gates side by side in one
 * fused [T·B, gates·H] matrix, in `lstm.gateOrder`); this cuts them apart
 * and copies them, so what a lesson holds on to does not alias the cache.
 */
import { Matrix } from "../nn/core/matrix";
import { LSTM, LSTMCache, LSTMGate } from "../nn/layers/lstm";
import { Stacked, StackedCache } from "../nn/layers/stacked";
import { RecurrentForward } from "../nn/layers/layer";

/**
 * Every step's activations of one LSTM layer, [T·B, H] each (rows t·B … t·B + B − 1 are step t).
 * Used in lesson 10.
 */
export interface LSTMActivations {
  /** The gates the layer's variant has (a variant without a gate has no entry for it); `g` is the candidate c̃. */
  gates: Partial<Record<LSTMGate, Matrix>>;
  /** The cell c_t. */
  c: Matrix;
  /** The output h_t = o_t ⊙ tanh(c_t). */
  h: Matrix;
}

/**
 * The gates, cells and outputs of every step of `forward`, which must be
 * `layer.forward(…)`'s result (e.g. the `recurrent` part of a language
 * model's forward pass); anything else is refused.
 * Used in lesson 10.
 */
export function lstmActivations(layer: LSTM, forward: RecurrentForward<unknown>): LSTMActivations {
  if (!(layer instanceof LSTM)) throw new TypeError("lstmActivations: layer must be an nn.LSTM");
  const H = layer.hiddenSize, G = layer.gateOrder.length * H;
  const cache = forward?.cache as Partial<LSTMCache> | undefined;
  const gates = cache?.gates;
  if (!cache || !(gates instanceof Matrix) || gates.cols !== G || !(cache.c?.data instanceof Matrix) || forward.h?.data?.cols !== H) {
    throw new Error(`lstmActivations: the forward result does not come from this LSTM (expected gate activations [T·B, ${G}] and cells [T·B, ${H}] in its cache)`);
  }
  const N = gates.rows;
  const out: Partial<Record<LSTMGate, Matrix>> = {};
  for (const gate of layer.gateOrder) {
    const from = layer.offset(gate);
    const m = Matrix.zeros(N, H, gates.dtype);
    for (let r = 0; r < N; r++) m.data.set(gates.data.subarray(r * G + from, r * G + from + H), r * H);
    out[gate] = m;
  }
  return { gates: out, c: cache.c.data.clone(), h: forward.h.data.clone() };
}

/**
 * {@link lstmActivations} of every layer of a stack of LSTMs, bottom layer
 * first; `forward` must be `stack.forward(…)`'s result.
 * Used in lesson 10.
 */
export function stackedLstmActivations(stack: Stacked, forward: RecurrentForward<unknown>): LSTMActivations[] {
  if (!(stack instanceof Stacked)) throw new TypeError("stackedLstmActivations: stack must be an nn.Stacked");
  const layers = (forward?.cache as Partial<StackedCache> | undefined)?.layers;
  if (!Array.isArray(layers) || layers.length !== stack.layers.length) {
    throw new Error(`stackedLstmActivations: the forward result does not come from this stack of ${stack.layers.length} layers`);
  }
  return stack.layers.map((layer, i) => {
    if (!(layer instanceof LSTM)) throw new TypeError(`stackedLstmActivations: layer ${i} of the stack is not an nn.LSTM`);
    return lstmActivations(layer, layers[i]);
  });
}
