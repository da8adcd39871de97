/**
 * A bidirectional recurrent layer: one layer reads the sequence left to right,
 * another right to left, and each step's output is the pair side by side,
 *   h_t = [→h_t, ←h_t]      ([T·B, Hf + Hb])
 * so every step sees its whole context. Only possible when the whole input
 * is known in advance: not for generating text one token at a time.
 *
 * The backward-direction layer is any RecurrentLayer, run on the time-reversed
 * sequence; its outputs are reversed back so that row block t is step t.
 *
 * State: a `LayeredState` with layers = [forward's, backward's]; `h` is their
 * two h side by side. The backward direction's `last` state is the one it
 * reaches after reading x_0. Carrying it into a next truncated segment is
 * allowed by the types, but only the forward direction's carry means
 * "continue the same text".
 */
import { Sequence, sequenceLike } from "../core/sequence";
import { Matrix, DType } from "../core/matrix";
import { Parameter } from "../core/parameter";
import { addInPlace, concatColumns, sliceColumns } from "../core/ops";
import { RecurrentLayer, RecurrentState, RecurrentForward, BackwardOptions, withoutInputGradient } from "./layer";
import { LayeredState, LayeredForward, LayeredBackward, innerStates } from "./stacked";

/** The steps of a sequence in reverse order (a copy): step t becomes step T−1−t. */
export function reverseSteps(x: Sequence): Sequence {
  const n = x.batch * x.features;
  const out = Sequence.zeros(x.steps, x.batch, x.features, x.data.dtype);
  for (let t = 0; t < x.steps; t++) {
    out.data.data.set(x.data.data.subarray(t * n, (t + 1) * n), (x.steps - 1 - t) * n);
  }
  return out;
}

/** What a bidirectional layer keeps for its backward pass: both directions' forward results. */
export interface BidirectionalCache {
  forward: RecurrentForward<unknown>;
  /** The right-to-left layer's result, in ITS time order (reversed). */
  backward: RecurrentForward<unknown>;
}

/**
 * Two recurrent layers reading opposite directions, outputs concatenated per step.
 * Used in lesson 08.
 */
export class Bidirectional implements RecurrentLayer<BidirectionalCache> {
  readonly inputSize: number;
  /** Hf + Hb. */
  readonly hiddenSize: number;

  constructor(
    /** Reads x_0, x_1, …, x_{T−1}. */
    readonly forwardLayer: RecurrentLayer,
    /** Reads x_{T−1}, …, x_0. */
    readonly backwardLayer: RecurrentLayer,
  ) {
    if (forwardLayer.inputSize !== backwardLayer.inputSize) {
      throw new Error(`Bidirectional: both directions read the same input, but their inputSizes are ${forwardLayer.inputSize} and ${backwardLayer.inputSize}`);
    }
    if (forwardLayer === backwardLayer) throw new Error("Bidirectional: the two directions must be two layer objects, each with its own weights");
    this.inputSize = forwardLayer.inputSize;
    this.hiddenSize = forwardLayer.hiddenSize + backwardLayer.hiddenSize;
    // Names say the direction ("forward.gru.Wh", "backward.gru.Wh").
    forwardLayer.parameters().forEach((p) => p.nameWithin("forward"));
    backwardLayer.parameters().forEach((p) => p.nameWithin("backward"));
  }

  parameters(): Parameter[] {
    return [...this.forwardLayer.parameters(), ...this.backwardLayer.parameters()];
  }

  initialState(batch: number, dtype?: DType): LayeredState {
    return sideBySide([this.forwardLayer.initialState(batch, dtype), this.backwardLayer.initialState(batch, dtype)]);
  }

  forward(x: Sequence, first?: LayeredState): LayeredForward<BidirectionalCache> {
    const [fFirst, bFirst] = innerStates("Bidirectional", "first", first, 2);
    const f = this.forwardLayer.forward(x, fFirst);
    const b = this.backwardLayer.forward(reverseSteps(x), bFirst);
    const h = sequenceLike(x, concatColumns([f.h.data, reverseSteps(b.h).data]));
    return { h, last: sideBySide([f.last, b.last]), cache: { forward: f, backward: b } };
  }

  backward(forward: RecurrentForward<BidirectionalCache>, dh: Sequence, dLast?: LayeredState, options: BackwardOptions = {}): LayeredBackward {
    const [fLast, bLast] = innerStates("Bidirectional.backward", "dLast", dLast, 2);
    const Hf = this.forwardLayer.hiddenSize;
    if (dh.features !== this.hiddenSize || dh.data.rows !== forward.h.data.rows) {
      throw new Error(`Bidirectional.backward: dh: expected shape [T·B, Hf + Hb] = [${forward.h.data.rows}, ${this.hiddenSize}], got [${dh.data.rows}, ${dh.features}]`);
    }
    const dhf = sequenceLike(dh, sliceColumns(dh.data, 0, Hf));
    const dhb = sequenceLike(dh, sliceColumns(dh.data, Hf, this.hiddenSize));
    const bf = this.forwardLayer.backward(forward.cache.forward, dhf, fLast, options);
    const bb = this.backwardLayer.backward(forward.cache.backward, reverseSteps(dhb), bLast, options);
    if (options.inputGradient === false) return withoutInputGradient("Bidirectional", sideBySide([bf.dFirst, bb.dFirst]));
    // x feeds both directions: its gradient is the sum of both.
    const dx = bf.dx.data.clone();
    addInPlace("Bidirectional dx", dx, reverseSteps(bb.dx).data);
    return { dx: sequenceLike(dh, dx), dFirst: sideBySide([bf.dFirst, bb.dFirst]) };
  }
}

/** A LayeredState whose `h` is the two directions' h side by side. */
function sideBySide(layers: RecurrentState[]): LayeredState {
  const h: Matrix = concatColumns(layers.map((s) => s.h));
  return { h, layers };
}
