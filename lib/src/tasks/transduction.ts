/**
 * Sequence-to-sequence tasks generated in code: a source sequence of random
 * symbols, and a target that is a fixed function of it.
 *
 *   - "reverse": the source backwards (abcd → dcba);
 *   - "copy": the source itself (the sequence autoencoder's target);
 *   - "sort": the source's symbols in increasing order (cadb → abcd).
 *
 * One vocabulary serves both sides: id 0 is <s> (the decoder's first input),
 * id 1 is </s> (the end of every target), ids 2 … 2 + symbols − 1 are the
 * symbols, written a, b, c, … A batch is laid out time-major, as the engine
 * wants (ids[t·B + b] is example b at step t), and all its sources have one
 * length, so no padding is needed. For teacher forcing the target comes
 * twice, shifted by one step:
 *
 *   source        a b c d
 *   decoder in    <s> d c b a
 *   decoder out   d c b a </s>
 */
import { Random } from "../random";

/** The id of <s>, the decoder's input before its first output. */
export const SEQ_BOS = 0;
/** The id of </s>, the last token of every target. */
export const SEQ_EOS = 1;
/** The first symbol's id; symbol k (from 0) has id SEQ_FIRST_SYMBOL + k. */
export const SEQ_FIRST_SYMBOL = 2;

/** What the target is, as a function of the source. */
export type TransductionKind = "reverse" | "copy" | "sort";

/** Options of {@link transductionBatch}. */
export interface TransductionOptions {
  /** The function from source to target. */
  kind: TransductionKind;
  /** The length of every source in the batch (at least 1). */
  length: number;
  /** Number of examples B. */
  batch: number;
  /** Size of the symbol alphabet, 1 … 26 (default 10); the vocabulary is symbols + 2. */
  symbols?: number;
}

/** One batch of a transduction task, time-major. */
export interface TransductionBatch {
  kind: TransductionKind;
  batch: number;
  /** L, the length of every source. */
  length: number;
  /** The sources, [L·B] ids. */
  source: Int32Array;
  /** The decoder's inputs under teacher forcing, [(L + 1)·B]: <s>, then the target without its </s>. */
  decoderInput: Int32Array;
  /** The decoder's targets, [(L + 1)·B]: the target, then </s>. */
  decoderTarget: Int32Array;
}

/** The vocabulary size of a task with `symbols` symbols: the symbols plus <s> and </s>. */
export function transductionVocabSize(symbols = 10): number {
  checkSymbols("transductionVocabSize", symbols);
  return symbols + SEQ_FIRST_SYMBOL;
}

function checkSymbols(where: string, symbols: unknown): number {
  if (typeof symbols !== "number" || !Number.isInteger(symbols) || symbols < 1 || symbols > 26) {
    throw new Error(`${where}: symbols must be an integer from 1 to 26, got ${String(symbols)}`);
  }
  return symbols;
}

/** The target of one source (ids, without </s>). */
export function transductionTarget(kind: TransductionKind, source: readonly number[]): number[] {
  if (kind === "reverse") return [...source].reverse();
  if (kind === "copy") return [...source];
  if (kind === "sort") return [...source].sort((a, b) => a - b);
  throw new Error(`transductionTarget: kind must be "reverse", "copy" or "sort", got ${JSON.stringify(kind)}`);
}

/**
 * A batch of B sources of length L, every symbol drawn uniformly with `rng`,
 * and their targets for teacher forcing.
 * Used in lesson 11.
 */
export function transductionBatch(rng: Random, options: TransductionOptions): TransductionBatch {
  if (!(rng instanceof Random)) throw new Error("transductionBatch: rng must be a Random (seeded), so that every batch can be drawn again");
  if (options === null || typeof options !== "object") throw new Error("transductionBatch: options must be { kind, length, batch, symbols? }");
  const { kind, length: L, batch: B } = options;
  if (kind !== "reverse" && kind !== "copy" && kind !== "sort") {
    throw new Error(`transductionBatch: kind must be "reverse", "copy" or "sort", got ${JSON.stringify(kind)}`);
  }
  if (!Number.isInteger(L) || L < 1) throw new Error(`transductionBatch: length must be an integer ≥ 1, got ${L}`);
  if (!Number.isInteger(B) || B < 1) throw new Error(`transductionBatch: batch must be an integer ≥ 1, got ${B}`);
  const symbols = checkSymbols("transductionBatch", options.symbols ?? 10);
  const source = new Int32Array(L * B), decoderInput = new Int32Array((L + 1) * B), decoderTarget = new Int32Array((L + 1) * B);
  for (let b = 0; b < B; b++) {
    const src = Array.from({ length: L }, () => SEQ_FIRST_SYMBOL + rng.int(symbols));
    const tgt = transductionTarget(kind, src);
    src.forEach((id, t) => (source[t * B + b] = id));
    decoderInput[b] = SEQ_BOS;
    tgt.forEach((id, t) => {
      decoderInput[(t + 1) * B + b] = id;
      decoderTarget[t * B + b] = id;
    });
    decoderTarget[L * B + b] = SEQ_EOS;
  }
  return { kind, batch: B, length: L, source, decoderInput, decoderTarget };
}

/** Example b of a time-major id array with `batch` examples per step, as a list. */
export function exampleOf(ids: ArrayLike<number>, batch: number, b: number): number[] {
  if (!Number.isInteger(batch) || batch < 1 || ids.length % batch !== 0) {
    throw new Error(`exampleOf: ${ids.length} ids are not a whole number of steps of batch ${batch}`);
  }
  if (!Number.isInteger(b) || b < 0 || b >= batch) throw new Error(`exampleOf: example ${b} is outside 0..${batch - 1}`);
  return Array.from({ length: ids.length / batch }, (_, t) => ids[t * batch + b]);
}

/** Ids as text: symbols as letters, <s> and </s> as themselves. */
export function transductionText(ids: ArrayLike<number>): string {
  return Array.from(ids, (id) => {
    if (id === SEQ_BOS) return "<s>";
    if (id === SEQ_EOS) return "</s>";
    const k = id - SEQ_FIRST_SYMBOL;
    if (!Number.isInteger(k) || k < 0 || k >= 26) throw new Error(`transductionText: ${id} is not a token id of a transduction task`);
    return String.fromCharCode(97 + k);
  }).join(" ");
}
