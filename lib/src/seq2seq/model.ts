/**
 * An encoder–decoder (sequence-to-sequence) model, with or without attention.
 *
 *   encoder:  k_i = f_enc(E_src[x_i], k_{i−1})            i = 1 … T, from the zero state
 *   decoder:  s_t = f_dec(E_tgt[y_{t−1}], s_{t−1})         s_0 = the encoder's last state, y_0 = <s>
 *   without attention:  o_t = s_t W_y + b_y
 *   with attention:     o_t = h̃_t W_y + b_y,  h̃_t = LuongAttention(s_t; k_1 … k_T)
 *   P(y_t | y_<t, x) = softmax(o_t)
 *
 * Without attention the decoder learns everything about the source from
 * s_0, one vector of the encoder's hidden size: the bottleneck. With
 * attention every decoder step reads a weighted average of ALL the encoder's
 * states.
 *
 * Training uses teacher forcing: the decoder's input at step t is the TRUE
 * y_{t−1}, not its own guess, so all target steps run as one sequence and
 * the loss is the mean cross-entropy of the targets. Backward runs the chain
 * in reverse: readout → attention (which sends gradient to the decoder's
 * states AND to every encoder state) → the decoder through time → its first
 * state, which is the encoder's last → the encoder through time.
 *
 * At test time there is no true y_{t−1}: greedy decoding feeds back the most
 * probable token, beam search keeps the `beamWidth` most probable prefixes.
 */
import { Matrix, DType } from "../nn/core/matrix";
import { Parameter, Module } from "../nn/core/parameter";
import { Sequence } from "../nn/core/sequence";
import { RecurrentLayer, RecurrentState, RecurrentForward } from "../nn/layers/layer";
import { LSTM } from "../nn/layers/lstm";
import { GRU } from "../nn/layers/gru";
import { Dense, DenseForward } from "../nn/layers/dense";
import { Embedding, EmbeddingForward, checkIds } from "../nn/layers/embedding";
import { LuongAttention, AttentionForward } from "../nn/layers/attention";
import { softmaxCrossEntropy } from "../nn/train/losses";
import { Random } from "../random";

/** Options of {@link Seq2Seq}. */
export interface Seq2SeqOptions {
  /** |V|, shared by source and target (each side has its own embedding). */
  vocabSize: number;
  /** Size of the embeddings of both sides. */
  embeddingDim: number;
  /** Hidden size of the encoder and of the decoder (the decoder starts from the encoder's last state). */
  hiddenSize: number;
  /** Luong attention over the encoder's states (default false: the decoder sees only the last state). */
  attention?: boolean;
  /** The recurrent cell of both (default "lstm"). */
  cell?: "lstm" | "gru";
  /** Draws every initial weight. */
  rng: Random;
  /** Precision of every parameter (default float32). */
  dtype?: DType;
  /** The id the decoder reads before its first output (default 0). */
  bos?: number;
  /** The id that ends an output (default 1). */
  eos?: number;
}

/** A batch for teacher forcing, time-major; every source has the same length, every target too. */
export interface Seq2SeqBatch {
  batch: number;
  /** [T·B] source ids. */
  source: ArrayLike<number>;
  /** [T′·B] decoder inputs: <s>, then the target without its last token. */
  decoderInput: ArrayLike<number>;
  /** [T′·B] decoder targets: the target, ending with </s>. */
  decoderTarget: ArrayLike<number>;
}

/** What a teacher-forced forward pass keeps, part by part. */
export interface Seq2SeqForward {
  sourceEmbedding: EmbeddingForward<Sequence>;
  encoder: RecurrentForward<unknown>;
  targetEmbedding: EmbeddingForward<Sequence>;
  decoder: RecurrentForward<unknown>;
  /** The attention's forward result (its `weights` are the alignments), with attention. */
  attention?: AttentionForward;
  readout: DenseForward<Sequence>;
  /** o_t of every target step, [T′·B, |V|]. */
  logits: Sequence;
}

/** The loss of a batch and how to backpropagate it. */
export interface Seq2SeqLoss {
  /** Mean cross-entropy per target token, in nats. */
  loss: number;
  forward: Seq2SeqForward;
  /** ADDS every parameter's gradient into its `grad`. */
  backward(): void;
}

/** The encoder's result, where decoding starts. */
export interface Encoded {
  /** k_1 … k_T, [T·B, H]: what attention reads. */
  keys: Sequence;
  /** The encoder's last state: the decoder's first. */
  state: RecurrentState;
}

/** One decoder step for a batch of prefixes. */
export interface DecodeStep {
  /** log P(· | prefix, source), [B, |V|]. */
  logProbs: Matrix;
  /** The decoder's state after the step. */
  state: RecurrentState;
  /** With attention: the alignment of each example over the source, [B, T]. */
  weights?: Matrix;
}

/** Options of {@link Seq2Seq.greedy}. */
export interface GreedyOptions {
  /** Stop after this many tokens even without </s>. */
  maxLength: number;
}

/** What greedy decoding produced, per example. */
export interface GreedyResult {
  /** Each example's output, up to (not including) its first </s>. */
  outputs: number[][];
  /** Whether the example produced </s> within `maxLength`. */
  finished: boolean[];
  /** log P of each output (with its </s> when finished) under the model. */
  logProbs: number[];
  /** With attention: each example's alignment, one row per output token (and its </s>), over the source steps. */
  alignments?: number[][][];
}

/** Options of {@link Seq2Seq.beamSearch}. */
export interface BeamOptions {
  /** k, the number of prefixes kept at every step (1 is greedy decoding). */
  beamWidth: number;
  /** No output is longer than this (without </s>). */
  maxLength: number;
}

/** A hypothesis of beam search. */
export interface BeamHypothesis {
  /** Its tokens, without </s>. */
  tokens: number[];
  /** log P(tokens, </s> | source) when finished, else log P(tokens | source). */
  logProb: number;
  finished: boolean;
}

/** Row-wise log-softmax in float64. */
function logSoftmaxRows(logits: Matrix): Matrix {
  const V = logits.cols, out = Matrix.zeros(logits.rows, V, "float64");
  for (let r = 0; r < logits.rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, logits.data[r * V + j]);
    let sum = 0;
    for (let j = 0; j < V; j++) sum += Math.exp(logits.data[r * V + j] - max);
    const lse = max + Math.log(sum);
    for (let j = 0; j < V; j++) out.data[r * V + j] = logits.data[r * V + j] - lse;
  }
  return out;
}

/** Rows `rows` of m, in that order (repeats allowed). */
function pickRows(m: Matrix, rows: readonly number[]): Matrix {
  const out = Matrix.zeros(rows.length, m.cols, m.dtype);
  rows.forEach((r, i) => out.data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return out;
}

/**
 * Embedding → encoder (LSTM or GRU) → decoder of the same kind started from
 * the encoder's last state → optional Luong attention → Dense readout.
 * Used in lesson 11.
 */
export class Seq2Seq implements Module {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly bos: number;
  readonly eos: number;
  readonly sourceEmbedding: Embedding;
  readonly encoder: RecurrentLayer;
  readonly targetEmbedding: Embedding;
  readonly decoder: RecurrentLayer;
  /** Present when the model was built with `attention: true`. */
  readonly attention?: LuongAttention;
  readonly readout: Dense;

  constructor(options: Seq2SeqOptions) {
    const { vocabSize: V, embeddingDim: E, hiddenSize: H, rng } = options;
    if (!Number.isInteger(V) || V < 2) throw new Error(`Seq2Seq: vocabSize must be an integer >= 2, got ${V}`);
    if (!(rng instanceof Random)) throw new Error("Seq2Seq: rng must be a Random (seeded)");
    const cell = options.cell ?? "lstm";
    if (cell !== "lstm" && cell !== "gru") throw new Error(`Seq2Seq: cell must be "lstm" or "gru", got ${JSON.stringify(cell)}`);
    const dtype = options.dtype ?? "float32";
    this.bos = options.bos ?? 0;
    this.eos = options.eos ?? 1;
    checkIds("Seq2Seq: bos and eos", [this.bos, this.eos], V);
    if (this.bos === this.eos) throw new Error(`Seq2Seq: bos and eos must differ, both are ${this.bos}`);
    this.vocabSize = V;
    this.hiddenSize = H;
    const recurrent = (name: string): RecurrentLayer =>
      cell === "lstm" ? new LSTM(E, H, { rng: rng.fork(), dtype, name }) : new GRU(E, H, { rng: rng.fork(), dtype, name });
    this.sourceEmbedding = new Embedding(V, E, { rng: rng.fork(), dtype, name: "source" });
    this.encoder = recurrent("encoder");
    this.targetEmbedding = new Embedding(V, E, { rng: rng.fork(), dtype, name: "target" });
    this.decoder = recurrent("decoder");
    if (options.attention) this.attention = new LuongAttention(H, H, H, { rng: rng.fork(), dtype, name: "attention" });
    this.readout = new Dense(H, V, { rng: rng.fork(), dtype, name: "readout" });
  }

  /** The precision of every parameter and computation. */
  get dtype(): DType {
    return this.readout.dtype;
  }

  /** Source embedding, encoder, target embedding, decoder, attention (if any), readout. */
  parameters(): Parameter[] {
    return [
      ...this.sourceEmbedding.parameters(), ...this.encoder.parameters(), ...this.targetEmbedding.parameters(),
      ...this.decoder.parameters(), ...(this.attention?.parameters() ?? []), ...this.readout.parameters(),
    ];
  }

  /** The number of trainable weights. */
  get parameterCount(): number {
    return this.parameters().reduce((s, p) => s + p.value.data.length, 0);
  }

  /** Runs the encoder over time-major `source` ids ([T·B]). */
  encode(source: ArrayLike<number>, batch: number): Encoded & { embedding: EmbeddingForward<Sequence>; forward: RecurrentForward<unknown> } {
    checkSteps("Seq2Seq: source", source.length, batch);
    const embedding = this.sourceEmbedding.forward(source, batch);
    const forward = this.encoder.forward(embedding.y);
    return { keys: forward.h, state: forward.last, embedding, forward };
  }

  /** The teacher-forced forward pass: every target step at once, the decoder reading the true previous tokens. */
  forward(batch: Seq2SeqBatch): Seq2SeqForward {
    const B = batch.batch;
    checkSteps("Seq2Seq: decoderInput", batch.decoderInput.length, B);
    const enc = this.encode(batch.source, B);
    const targetEmbedding = this.targetEmbedding.forward(batch.decoderInput, B);
    const decoder = this.decoder.forward(targetEmbedding.y, enc.state);
    const attention = this.attention?.forward(decoder.h, enc.keys);
    const readout = this.readout.forward(attention ? attention.y : decoder.h);
    return { sourceEmbedding: enc.embedding, encoder: enc.forward, targetEmbedding, decoder, attention, readout, logits: readout.y };
  }

  /** Forward pass and mean cross-entropy of `decoderTarget`. */
  loss(batch: Seq2SeqBatch): Seq2SeqLoss {
    if (batch.decoderTarget.length !== batch.decoderInput.length) {
      throw new Error(`Seq2Seq.loss: decoderTarget has ${batch.decoderTarget.length} ids, decoderInput ${batch.decoderInput.length}; they must align step by step`);
    }
    const forward = this.forward(batch);
    const ce = softmaxCrossEntropy(forward.logits, batch.decoderTarget);
    return {
      loss: ce.loss,
      forward,
      backward: () => {
        const dTop = this.readout.backward(forward.readout, ce.dLogits);
        // With attention, the gradient reaches the decoder's states AND every encoder state directly.
        let dDecoder = dTop;
        let dKeys = Sequence.zeros(forward.encoder.h.steps, forward.encoder.h.batch, this.hiddenSize, this.dtype);
        if (this.attention && forward.attention) {
          const back = this.attention.backward(forward.attention, dTop);
          dDecoder = back.dQueries;
          dKeys = back.dKeys;
        }
        const dec = this.decoder.backward(forward.decoder, dDecoder);
        this.targetEmbedding.backward(forward.targetEmbedding, dec.dx);
        // The decoder's first state was the encoder's last: its gradient enters the encoder there.
        const enc = this.encoder.backward(forward.encoder, dKeys, dec.dFirst);
        this.sourceEmbedding.backward(forward.sourceEmbedding, enc.dx);
      },
    };
  }

  /**
   * One decoder step for B prefixes at once: reads `tokens` ([B], the last
   * token of each prefix) from `state`, attends over `keys` if the model has
   * attention, and returns log P(next token) for each.
   */
  decodeStep(tokens: ArrayLike<number>, state: RecurrentState, keys: Sequence): DecodeStep {
    const B = tokens.length;
    const emb = this.targetEmbedding.forward(tokens, B);
    const dec = this.decoder.forward(emb.y, state);
    const att = this.attention?.forward(dec.h, keys);
    const logits = this.readout.forward(att ? att.y.data : dec.h.data).y;
    return { logProbs: logSoftmaxRows(logits), state: dec.last, ...(att ? { weights: att.weights } : {}) };
  }

  /**
   * Greedy decoding of a batch of sources (time-major [T·B]): at every step
   * the most probable token (never <s>), fed back as the next input, until every example
   * has produced </s> or `maxLength` tokens.
   */
  greedy(source: ArrayLike<number>, batch: number, options: GreedyOptions): GreedyResult {
    const { maxLength } = options;
    if (!Number.isInteger(maxLength) || maxLength < 1) throw new Error(`Seq2Seq.greedy: maxLength must be an integer >= 1, got ${maxLength}`);
    const enc = this.encode(source, batch);
    const B = batch, V = this.vocabSize;
    const outputs: number[][] = Array.from({ length: B }, () => []);
    const finished = new Array<boolean>(B).fill(false);
    const logProbs = new Array<number>(B).fill(0);
    const alignments: number[][][] | undefined = this.attention ? Array.from({ length: B }, () => []) : undefined;
    let tokens = new Int32Array(B).fill(this.bos);
    let state = enc.state;
    // maxLength tokens, then one more step in which a finished output may still say </s>
    for (let step = 0; step <= maxLength && finished.some((f) => !f); step++) {
      const s = this.decodeStep(tokens, state, enc.keys);
      state = s.state;
      const next = new Int32Array(B);
      for (let b = 0; b < B; b++) {
        let best = this.bos === 0 ? 1 : 0;
        for (let j = 0; j < V; j++) if (j !== this.bos && s.logProbs.data[b * V + j] > s.logProbs.data[b * V + best]) best = j; // <s> is never an output
        next[b] = best;
        if (finished[b]) continue;
        if (step === maxLength && best !== this.eos) continue; // out of room: left unfinished
        logProbs[b] += s.logProbs.data[b * V + best];
        if (alignments && s.weights) alignments[b].push(Array.from(s.weights.data.subarray(b * s.weights.cols, (b + 1) * s.weights.cols)));
        if (best === this.eos) finished[b] = true;
        else outputs[b].push(best);
      }
      tokens = next;
    }
    return { outputs, finished, logProbs, ...(alignments ? { alignments } : {}) };
  }

  /**
   * Beam search for one source (a list of ids): keeps the `beamWidth` most
   * probable prefixes at every step; a prefix that ends in </s> is set
   * aside as finished. Stops when the best finished hypothesis is more
   * probable than every live prefix (extending a prefix only lowers its
   * probability) or after `maxLength` tokens. Returns the finished
   * hypotheses, most probable first; when none finished, the prefixes of
   * `maxLength` tokens that were still in the beam, unfinished (their
   * logProb without a last token, as greedy decoding reports them).
   * Scores are total log-probabilities, not normalized by length.
   */
  beamSearch(source: readonly number[], options: BeamOptions): BeamHypothesis[] {
    const { beamWidth: k, maxLength } = options;
    if (!Number.isInteger(k) || k < 1) throw new Error(`Seq2Seq.beamSearch: beamWidth must be an integer >= 1, got ${k}`);
    if (!Number.isInteger(maxLength) || maxLength < 1) throw new Error(`Seq2Seq.beamSearch: maxLength must be an integer >= 1, got ${maxLength}`);
    const enc = this.encode(source, 1);
    const T = source.length, V = this.vocabSize;
    let live: { tokens: number[]; logProb: number; row: number }[] = [{ tokens: [], logProb: 0, row: 0 }];
    let state = enc.state;
    const finished: BeamHypothesis[] = [];
    // Prefixes of maxLength tokens whose best continuation was not </s> (as greedy decoding leaves them).
    const truncated: BeamHypothesis[] = [];
    for (let step = 0; step <= maxLength && live.length > 0; step++) {
      const n = live.length;
      // The one source's keys, once per live prefix: keys[t·n + j] = k_t.
      const keys = Sequence.zeros(T, n, this.hiddenSize, this.dtype);
      for (let t = 0; t < T; t++) for (let j = 0; j < n; j++) keys.data.data.set(enc.keys.at(t).data, (t * n + j) * this.hiddenSize);
      const rows = live.map((h) => h.row);
      const stepState: RecurrentState = { h: pickRows(state.h, rows), ...(state.c ? { c: pickRows(state.c, rows) } : {}) };
      const last = live.map((h) => (h.tokens.length ? h.tokens[h.tokens.length - 1] : this.bos));
      const s = this.decodeStep(last, stepState, keys);
      // Every extension of every live prefix, best first.
      const candidates: { from: number; token: number; logProb: number }[] = [];
      for (let j = 0; j < n; j++) {
        for (let v = 0; v < V; v++) {
          if (v === this.bos) continue; // <s> is never an output
          candidates.push({ from: j, token: v, logProb: live[j].logProb + s.logProbs.data[j * V + v] });
        }
      }
      candidates.sort((a, b) => b.logProb - a.logProb);
      const next: typeof live = [];
      for (const c of candidates.slice(0, k)) {
        const tokens = live[c.from].tokens;
        if (c.token === this.eos) finished.push({ tokens: [...tokens], logProb: c.logProb, finished: true });
        else if (step < maxLength) next.push({ tokens: [...tokens, c.token], logProb: c.logProb, row: c.from });
        else if (!truncated.some((h) => h.tokens === tokens)) truncated.push({ tokens, logProb: live[c.from].logProb, finished: false }); // out of room
      }
      state = s.state;
      live = next;
      finished.sort((a, b) => b.logProb - a.logProb);
      // Extending a prefix multiplies its probability by at most 1.
      if (finished.length >= k || (finished.length > 0 && live.every((h) => h.logProb <= finished[0].logProb))) break;
    }
    if (finished.length > 0) return finished;
    return truncated.map((h) => ({ ...h, tokens: [...h.tokens] })).sort((a, b) => b.logProb - a.logProb);
  }

  /** log P(target, </s> | source) under the model: the teacher-forced loss of one example, times its length. */
  logProbability(source: readonly number[], target: readonly number[]): number {
    const decoderInput = [this.bos, ...target], decoderTarget = [...target, this.eos];
    const f = this.forward({ batch: 1, source, decoderInput, decoderTarget });
    const lp = logSoftmaxRows(f.logits.data);
    return decoderTarget.reduce((s, y, t) => s + lp.data[t * this.vocabSize + y], 0);
  }
}

function checkSteps(what: string, n: number, batch: number): void {
  if (!Number.isInteger(batch) || batch < 1 || n === 0 || n % batch !== 0) {
    throw new Error(`${what}: ${n} ids are not a whole, non-zero number of steps of batch ${batch}`);
  }
}

/** Token and whole-sequence accuracy of decoded outputs against their targets. */
export interface OutputScore {
  /** Fraction of target positions (</s> not counted) where the output has the target's token. */
  tokenAccuracy: number;
  /** Fraction of outputs equal to their target, length included. */
  sequenceAccuracy: number;
}

/**
 * Compares outputs with targets position by position: a missing or wrong
 * token counts as an error, extra tokens make the sequence wrong.
 * Used in lesson 11.
 */
export function scoreOutputs(outputs: readonly (readonly number[])[], targets: readonly (readonly number[])[]): OutputScore {
  if (outputs.length !== targets.length || targets.length === 0) {
    throw new Error(`scoreOutputs: ${outputs.length} outputs for ${targets.length} targets; need one per target, at least one`);
  }
  let right = 0, positions = 0, exact = 0;
  targets.forEach((target, i) => {
    const out = outputs[i];
    target.forEach((y, t) => (right += out[t] === y ? 1 : 0));
    positions += target.length;
    if (out.length === target.length && out.every((y, t) => y === target[t])) exact++;
  });
  return { tokenAccuracy: positions > 0 ? right / positions : 1, sequenceAccuracy: exact / targets.length };
}
