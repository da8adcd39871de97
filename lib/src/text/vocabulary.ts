/**
 * A vocabulary: the finite set of token types a model knows, each with an
 * integer id. Models work on ids; the vocabulary translates at the edges.
 */
import { describeValue, expectTokens } from "./check";

/** Stands for every token that is not in the vocabulary. */
export const UNK = "<unk>";
/** Start of a sentence. Only ever part of a context, never predicted. */
export const BOS = "<s>";
/** End of a sentence. Predicted like a word, so a model learns where sentences stop. */
export const EOS = "</s>";
/** The special tokens, in id order: `<unk>` = 0, `<s>` = 1, `</s>` = 2. */
export const SPECIAL_TOKENS: readonly string[] = [UNK, BOS, EOS];

/** Options of {@link Vocabulary.build}. */
export interface VocabularyOptions {
  /** Keep a token only if it occurs at least this often in training (default 1); rarer ones become `<unk>`. */
  minCount?: number;
}

/** Options of {@link Vocabulary.id} and {@link Vocabulary.encode}. */
export interface LookupOptions {
  /** Throw on a token that is not in the vocabulary instead of mapping it to `<unk>` (default false). */
  strict?: boolean;
}

/**
 * Token <-> id maps. Ids 0, 1, 2 are `<unk>`, `<s>`, `</s>`; the others are
 * the training tokens by decreasing count, ties broken alphabetically, so the
 * same corpus always gives the same ids.
 * Used in lessons 01 and 10.
 */
export class Vocabulary {
  /** Id of `<unk>`. */
  readonly unk = 0;
  /** Id of `<s>`. */
  readonly bos = 1;
  /** Id of `</s>`. */
  readonly eos = 2;
  /** The token of each id: `tokens[id]`. */
  readonly tokens: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;

  private constructor(tokens: string[]) {
    this.tokens = tokens;
    this.ids = new Map(tokens.map((t, i) => [t, i]));
  }

  /**
   * Builds the vocabulary of a training corpus. Occurrences of the special
   * tokens in `trainingTokens` are ignored: they are always in the vocabulary.
   */
  static build(trainingTokens: Iterable<string>, options: VocabularyOptions = {}): Vocabulary {
    const minCount = options.minCount ?? 1;
    if (!Number.isInteger(minCount) || minCount < 1) {
      throw new Error(`Vocabulary.build: minCount must be an integer >= 1, got ${minCount}`);
    }
    // A string is iterable too, but building from it would silently make a
    // vocabulary of its characters, whitespace and all.
    if (typeof trainingTokens === "string" || trainingTokens === null || typeof trainingTokens !== "object" || !(Symbol.iterator in trainingTokens)) {
      const hint = typeof trainingTokens === "string" ? " (tokenize the text first, e.g. tokenizeChars(text) or tokenizeWords(text))" : "";
      throw new TypeError(`Vocabulary.build: trainingTokens must be an iterable of token strings, got ${describeValue(trainingTokens)}${hint}`);
    }
    const counts = new Map<string, number>();
    let seen = 0;
    for (const t of trainingTokens) {
      if (typeof t !== "string") throw new TypeError(`Vocabulary.build: token ${seen} must be a string, got ${describeValue(t)}`);
      seen++;
      if (SPECIAL_TOKENS.includes(t)) continue;
      counts.set(t, (counts.get(t) ?? 0) + 1);
    }
    if (seen === 0) throw new Error("Vocabulary.build: the training corpus is empty (no tokens)");
    const kept = [...counts].filter(([, c]) => c >= minCount);
    kept.sort(([a, ca], [b, cb]) => cb - ca || (a < b ? -1 : a > b ? 1 : 0));
    return new Vocabulary([...SPECIAL_TOKENS, ...kept.map(([t]) => t)]);
  }

  /** Number of token types, special tokens included. */
  get size(): number {
    return this.tokens.length;
  }

  /** Whether `token` has an id of its own (is not mapped to `<unk>`). */
  has(token: string): boolean {
    return this.ids.has(token);
  }

  /** The id of `token`: `<unk>`'s id if unknown, or an error when `strict`. */
  id(token: string, options: LookupOptions = {}): number {
    // A non-string would otherwise be "unknown" and silently become <unk>.
    if (typeof token !== "string") throw new TypeError(`Vocabulary.id: token must be a string, got ${describeValue(token)}`);
    const id = this.ids.get(token);
    if (id !== undefined) return id;
    if (options.strict) {
      throw new Error(
        `Vocabulary: token ${JSON.stringify(token)} is not in the vocabulary (${this.size} types); ` +
          `look it up without { strict: true } to map it to ${UNK}`,
      );
    }
    return this.unk;
  }

  /** The token of an id; throws if the id is not one of this vocabulary's. */
  token(id: number): string {
    this.checkId(id);
    return this.tokens[id];
  }

  /** Ids of a token sequence; unknown tokens become `<unk>`, or throw when `strict`. */
  encode(tokens: readonly string[], options: LookupOptions = {}): number[] {
    expectTokens("Vocabulary.encode", "tokens", tokens);
    return tokens.map((t) => this.id(t, options));
  }

  /** Tokens of an id sequence. */
  decode(ids: readonly number[]): string[] {
    if (!Array.isArray(ids) && !ArrayBuffer.isView(ids)) throw new TypeError(`Vocabulary.decode: ids must be an array of token ids, got ${describeValue(ids)}`);
    // Array.from, not ids.map: on an Int32Array, map would coerce each token back to a number.
    return Array.from(ids, (id) => this.token(id));
  }

  /** Throws a RangeError unless `id` is an integer in [0, size). `where` names the caller in the message. */
  checkId(id: number, where = "Vocabulary"): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.size) {
      throw new RangeError(`${where}: token id ${id} is outside the vocabulary (ids are integers 0..${this.size - 1})`);
    }
  }
}
