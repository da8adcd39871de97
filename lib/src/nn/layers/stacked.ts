/**
 * A stack of recurrent layers ("deep" in space as well as in time): layer i
 * reads the hidden states of layer i − 1 at the same step. Any
 * `RecurrentLayer` can go in the stack, mixed as you like.
 *
 * Skip connections (`skip` option), for deeper stacks:
 *   - "none":     in_0 = x, in_i = h_{i−1}; output h_{L−1}.
 *   - "residual": out_0 = h_0, out_i = h_i + out_{i−1} (ResNet style; every
 *                 layer above the first must keep the width of the one below);
 *                 in_i = out_{i−1}; output out_{L−1}. The identity path lets
 *                 the gradient reach the low layers undiminished.
 *   - "concat":   Graves (2013): the input reaches every layer and every layer
 *                 reaches the output. in_i = [x, h_{i−1}] for i ≥ 1 (so layer i
 *                 needs inputSize = input + hidden_{i−1}); output
 *                 [h_0, h_1, …, h_{L−1}], of width Σ hidden_i.
 *
 * State: a stack's state is a `LayeredState`: `layers[i]` is layer i's own
 * state (an LSTM's carries its c), and `h` repeats the top layer's h for code
 * that only looks at `h`. Forward reads `layers` only. Gradients of states
 * (`dLast`, `dFirst`) have the same form.
 */
import { Sequence, sequenceLike } from "../core/sequence";
import { Parameter } from "../core/parameter";
import { DType } from "../core/matrix";
import { addInPlace, concatColumns, sliceColumns } from "../core/ops";
import { RecurrentLayer, RecurrentState, RecurrentForward, RecurrentBackward, BackwardOptions, withoutInputGradient } from "./layer";

/** The state of a wrapper of recurrent layers: each inner layer's state, in order. */
export interface LayeredState extends RecurrentState {
  /** One state per inner layer (each may carry its own `c`, or be layered itself). */
  layers: RecurrentState[];
}

/**
 * The inner states of a wrapper's state, checked: `undefined` stays
 * `undefined` (each layer starts from zeros).
 */
export function innerStates(wrapper: string, tensor: string, state: RecurrentState | undefined, count: number): (RecurrentState | undefined)[] {
  if (state === undefined) return new Array<undefined>(count).fill(undefined);
  const layers = (state as Partial<LayeredState>).layers;
  if (!Array.isArray(layers) || layers.length !== count) {
    throw new Error(`${wrapper}: ${tensor} must be a LayeredState with one state per inner layer (${count}), in 'layers'; got ${Array.isArray(layers) ? layers.length : "no 'layers'"}`);
  }
  return layers;
}

/** How the layers of a stack connect besides bottom to top (see the module comment). */
export type SkipConnections = "none" | "residual" | "concat";

/** Options of {@link Stacked}. */
export interface StackedOptions {
  /** How layers connect besides bottom-to-top; see the module comment. Default "none". */
  skip?: SkipConnections;
}

/** What a stack keeps for its backward pass: each layer's forward result. */
export interface StackedCache {
  layers: RecurrentForward<unknown>[];
}

/** The forward result of a wrapper: its last state is layered. */
export interface LayeredForward<Cache> extends RecurrentForward<Cache> {
  last: LayeredState;
}

/** The backward result of a wrapper: the gradient of its first state is layered. */
export interface LayeredBackward extends RecurrentBackward {
  dFirst: LayeredState;
}

/**
 * Recurrent layers stacked bottom to top, with optional skip connections.
 * Used in lessons 08 and 10.
 */
export class Stacked implements RecurrentLayer<StackedCache> {
  readonly inputSize: number;
  /** Width of the output: the top layer's hidden size, or Σ hidden_i with "concat". */
  readonly hiddenSize: number;
  readonly skip: SkipConnections;

  constructor(
    readonly layers: RecurrentLayer[],
    options: StackedOptions = {},
  ) {
    if (layers.length === 0) throw new Error("Stacked: needs at least one layer");
    if (new Set(layers).size !== layers.length) throw new Error("Stacked: the same layer object appears twice; each level needs its own weights");
    // Names carry the position, so two default-named layers are told apart ("layers.0.lstm.Wx", "layers.1.lstm.Wx").
    layers.forEach((layer, i) => layer.parameters().forEach((p) => p.nameWithin(`layers.${i}`)));
    this.skip = options.skip ?? "none";
    this.inputSize = layers[0].inputSize;
    for (let i = 1; i < layers.length; i++) {
      const below = layers[i - 1], layer = layers[i];
      const expected = this.skip === "concat" ? this.inputSize + below.hiddenSize : below.hiddenSize;
      if (layer.inputSize !== expected) {
        const why = this.skip === "concat" ? `the stack's input ${this.inputSize} + layer ${i - 1}'s hidden ${below.hiddenSize}` : `layer ${i - 1}'s hiddenSize`;
        throw new Error(`Stacked: layer ${i} has inputSize ${layer.inputSize}, expected ${expected} (${why})`);
      }
      if (this.skip === "residual" && layer.hiddenSize !== below.hiddenSize) {
        throw new Error(`Stacked: residual connections need equal widths, but layer ${i} has hiddenSize ${layer.hiddenSize} and layer ${i - 1} has ${below.hiddenSize}`);
      }
    }
    this.hiddenSize = this.skip === "concat"
      ? layers.reduce((s, l) => s + l.hiddenSize, 0)
      : layers[layers.length - 1].hiddenSize;
  }

  parameters(): Parameter[] {
    return this.layers.flatMap((l) => l.parameters());
  }

  initialState(batch: number, dtype?: DType): LayeredState {
    return layered(this.layers.map((l) => l.initialState(batch, dtype)));
  }

  forward(x: Sequence, first?: LayeredState): LayeredForward<StackedCache> {
    const firsts = innerStates("Stacked", "first", first, this.layers.length);
    const forwards: RecurrentForward<unknown>[] = [];
    let out = x; // what the layer below passes up (out_{i−1})
    this.layers.forEach((layer, i) => {
      const input = i > 0 && this.skip === "concat" ? sequenceLike(x, concatColumns([x.data, forwards[i - 1].h.data])) : out;
      const f = layer.forward(input, firsts[i]);
      forwards.push(f);
      if (i > 0 && this.skip === "residual") {
        const sum = f.h.data.clone();
        addInPlace("Stacked residual", sum, out.data); // out_i = h_i + out_{i−1}
        out = sequenceLike(x, sum);
      } else {
        out = f.h;
      }
    });
    const h = this.skip === "concat" ? sequenceLike(x, concatColumns(forwards.map((f) => f.h.data))) : out;
    return { h, last: layered(forwards.map((f) => f.last)), cache: { layers: forwards } };
  }

  backward(forward: RecurrentForward<StackedCache>, dh: Sequence, dLast?: LayeredState, options: BackwardOptions = {}): LayeredBackward {
    const { layers: forwards } = forward.cache;
    const L = this.layers.length;
    if (dh.features !== this.hiddenSize || dh.data.rows !== forward.h.data.rows) {
      throw new Error(`Stacked.backward: dh: expected shape [T·B, hidden] = [${forward.h.data.rows}, ${this.hiddenSize}], got [${dh.data.rows}, ${dh.features}]`);
    }
    const dLasts = innerStates("Stacked.backward", "dLast", dLast, L);
    const dFirsts: RecurrentState[] = new Array(L);

    if (this.skip === "concat") {
      // Split ∂L/∂output into each layer's share, then go top-down: layer i's
      // dx splits into a share for x and a share for h_{i−1} (its input [x, h_{i−1}]).
      let offset = 0;
      const dH = forwards.map((f) => {
        const w = f.h.features;
        offset += w;
        return sliceColumns(dh.data, offset - w, offset);
      });
      const dx = Sequence.zeros(dh.steps, dh.batch, this.inputSize, dh.data.dtype);
      for (let i = L - 1; i >= 0; i--) {
        // Only the first layer's input gradient is optional: the layers above it feed on outputs below.
        const b = this.layers[i].backward(forwards[i], sequenceLike(dh, dH[i]), dLasts[i], i === 0 ? options : {});
        dFirsts[i] = b.dFirst;
        if (i === 0) {
          if (options.inputGradient === false) return withoutInputGradient("Stacked", layered(dFirsts));
          addInPlace("Stacked dx", dx.data, b.dx.data);
        } else {
          addInPlace("Stacked dx", dx.data, sliceColumns(b.dx.data, 0, this.inputSize));
          addInPlace("Stacked dh", dH[i - 1], sliceColumns(b.dx.data, this.inputSize, b.dx.features));
        }
      }
      return { dx, dFirst: layered(dFirsts) };
    }

    // "none" and "residual": dOut is ∂L/∂out_i, going down one layer at a time.
    let dOut = dh;
    for (let i = L - 1; i >= 0; i--) {
      const b = this.layers[i].backward(forwards[i], dOut, dLasts[i], i === 0 ? options : {});
      dFirsts[i] = b.dFirst;
      if (i > 0 && this.skip === "residual") {
        // out_i = h_i + out_{i−1}: out_{i−1} gets dOut through the identity AND through layer i.
        const d = dOut.data.clone();
        addInPlace("Stacked residual", d, b.dx.data);
        dOut = sequenceLike(dh, d);
      } else if (i > 0 || options.inputGradient !== false) {
        dOut = b.dx;
      }
    }
    if (options.inputGradient === false) return withoutInputGradient("Stacked", layered(dFirsts));
    return { dx: dOut, dFirst: layered(dFirsts) };
  }
}

/** A LayeredState whose `h` repeats the top (last) layer's. */
function layered(layers: RecurrentState[]): LayeredState {
  return { h: layers[layers.length - 1].h, layers };
}
