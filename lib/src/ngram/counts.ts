/**
 * n-gram counts of every order 1..n over token ids, with the statistics that
 * the estimators need.
 *
 * What is counted. A sentence w1 … wm is read as `<s>`^(n-1) w1 … wm `</s>`:
 * the model predicts w1 … wm and `</s>`, never `<s>`. An *event* is a
 * predicted token together with the k-1 tokens before it (k = 1..n); those
 * k-grams are what `count` counts, so every counted n-gram ends in a
 * predicted token and `c(h •) = Σ_w c(h w)` is exactly the number of times
 * `h` was followed by something. Because every sentence gets n-1 `<s>`, the
 * k-gram events (k < n) are the same as a k-gram model would count, so one
 * count of order n serves the estimators of every order up to n.
 *
 * How. All sequences live in one trie read right to left: the children of
 * the node for `b c` are the nodes for `a b c`. At each position one walk
 * from the predicted token leftwards meets all its events of order 1..n (n
 * map look-ups, no strings), and the node reached one position earlier is the
 * context of each. A node id and a token id pack into one exact number key,
 * `parent * V + token`, which stays below 2^53 for any corpus that fits in
 * memory. (A JavaScript Map holds at most 2^24 ≈ 16.7 million entries, which
 * bounds the number of distinct n-grams at about that.)
 */
import { Vocabulary } from "../text/vocabulary";

/** A sentence as token ids, without boundary tokens. */
export type Sentence = readonly number[];

/** Statistics of an n-gram `g`. */
export interface NgramStats {
  /** c(g): how often g occurred as an event. */
  count: number;
  /** N1+(• g): how many distinct tokens occurred right before g (Kneser–Ney's continuation count). */
  leftContexts: number;
}

/** Statistics of a context `h`. */
export interface ContextStats {
  /** c(h •) = Σ_w c(h w): how often h was followed by a predicted token. */
  total: number;
  /** N1+(h •): how many distinct tokens followed h. */
  continuations: number;
  /** N1+(• h •) = Σ_w N1+(• h w): the Kneser–Ney denominator at lower orders. */
  leftContextsTotal: number;
}

/** A token seen after some context, with the statistics of the n-gram (context, token). */
export interface Continuation extends NgramStats {
  token: number;
}

const NO_NODE = -1;
const ROOT = 0; // the empty sequence

/** All n-gram counts of orders 1..n of a corpus. Build with {@link countNgrams}. */
export class NgramCounts {
  /** Number of predicted tokens N (words and `</s>`), i.e. the count of the empty context. */
  readonly tokens: number;
  /** Number of sentences counted. */
  readonly sentences: number;

  private readonly V: number;
  private readonly child = new Map<number, number>(); // parent * V + token -> node
  // One entry per trie node (a token sequence):
  private readonly eventCount: number[] = []; // c(g) as an event
  private readonly contextTotal: number[] = []; // c(h •) as a context
  private readonly distinctNext: number[] = []; // N1+(h •)
  private readonly distinctPrev: number[] = []; // N1+(• g)
  private readonly distinctPrevTotal: number[] = []; // N1+(• h •)
  private readonly lastToken: number[] = [];
  private readonly firstEvent: number[] = []; // as a context h: first node (h w) in a linked list ...
  private readonly nextEvent: number[] = []; // ... continued here, so continuations(h) needs no search
  private readonly distinctByOrder: number[];

  constructor(
    sentences: readonly Sentence[],
    /** The vocabulary the ids refer to. */
    readonly vocab: Vocabulary,
    /** The highest order counted. */
    readonly n: number,
  ) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`countNgrams: n must be an integer >= 1, got ${n}`);
    if (sentences.length === 0) throw new Error("countNgrams: the corpus is empty (no sentences)");
    const V = (this.V = vocab.size);
    const { bos, eos } = vocab;
    this.distinctByOrder = new Array<number>(n + 1).fill(0);

    this.newNode(NO_NODE); // ROOT
    // Contexts reaching back before a sentence are runs of <s>, the same for every sentence.
    const start = [ROOT];
    for (let k = 1; k < n; k++) {
      const node = this.newNode(bos);
      this.child.set(start[k - 1] * V + bos, node);
      start.push(node);
    }

    let prev = new Int32Array(n + 1); // prev[k]: node of the k tokens ending one position back
    let cur = new Int32Array(n + 1); // cur[k]: node of the k tokens ending here
    let tokens = 0;
    sentences.forEach((s, si) => {
      checkSentence(s, si, vocab);
      prev.set(start);
      for (let i = 0; i <= s.length; i++) {
        const w = i < s.length ? s[i] : eos;
        cur[0] = ROOT;
        for (let k = 1; k <= n; k++) {
          const t = i - k + 1; // position of the k-gram's first token
          const key = cur[k - 1] * V + (t < 0 ? bos : t === i ? w : s[t]);
          const h = prev[k - 1]; // the k-gram's context
          let node = this.child.get(key);
          if (node === undefined) {
            node = this.newNode(w);
            this.child.set(key, node);
            this.distinctByOrder[k]++;
            this.distinctNext[h]++; // h has a new continuation w
            this.nextEvent[node] = this.firstEvent[h];
            this.firstEvent[h] = node;
            if (k >= 2) {
              // A new k-gram a b…w gives its suffix b…w a new left context a,
              // and so adds one to N1+(• b… •) of the suffix's own context.
              this.distinctPrev[cur[k - 1]]++;
              this.distinctPrevTotal[prev[k - 2]]++;
            }
          }
          this.eventCount[node]++;
          this.contextTotal[h]++;
          cur[k] = node;
        }
        [prev, cur] = [cur, prev];
        tokens++;
      }
    });
    this.tokens = tokens;
    this.sentences = sentences.length;
  }

  /** Statistics of the n-gram `g` (1 <= length <= n); zeros if it never occurred. */
  ngram(g: readonly number[]): NgramStats {
    this.checkSequence(g, 1, this.n, "n-gram");
    return this.ngramStats(this.find(g));
  }

  /** Statistics of the context `h` (0 <= length <= n-1); zeros if it never occurred. */
  context(h: readonly number[]): ContextStats {
    this.checkSequence(h, 0, this.n - 1, "context");
    return this.contextStats(this.find(h));
  }

  /** c(g), the count of an n-gram. */
  count(g: readonly number[]): number {
    return this.ngram(g).count;
  }

  /** c(h •), how often the context `h` was followed by a predicted token. */
  contextCount(h: readonly number[]): number {
    return this.context(h).total;
  }

  /** N1+(h •), the number of distinct tokens seen after `h`. */
  distinctContinuations(h: readonly number[]): number {
    return this.context(h).continuations;
  }

  /** N1+(• g), the number of distinct tokens seen right before the n-gram `g`. */
  distinctLeftContexts(g: readonly number[]): number {
    return this.ngram(g).leftContexts;
  }

  /** How many distinct n-grams of this order (1..n) occurred: the storage an order-k table needs. */
  distinctNgrams(order: number): number {
    if (!Number.isInteger(order) || order < 1 || order > this.n) {
      throw new RangeError(`NgramCounts.distinctNgrams: order must be an integer in 1..${this.n}, got ${order}`);
    }
    return this.distinctByOrder[order];
  }

  /** Every token seen after the context `h`, with the statistics of (h, token); newest first, [] if `h` is unseen. */
  continuations(h: readonly number[]): Continuation[] {
    this.checkSequence(h, 0, this.n - 1, "context");
    const out: Continuation[] = [];
    const node = this.find(h);
    if (node === NO_NODE) return out;
    for (let g = this.firstEvent[node]; g !== NO_NODE; g = this.nextEvent[g]) {
      out.push({ token: this.lastToken[g], count: this.eventCount[g], leftContexts: this.distinctPrev[g] });
    }
    return out;
  }

  /**
   * Statistics of every suffix of the context `h`, shortest first: entry j is
   * about the last j tokens of h (j = 0..|h|). One walk down the trie; this
   * is what a recursive estimator needs for one prediction.
   */
  contextSuffixes(h: readonly number[]): ContextStats[] {
    this.checkSequence(h, 0, this.n - 1, "context");
    const out = [this.contextStats(ROOT)];
    let node = ROOT;
    for (let j = 1; j <= h.length; j++) {
      node = this.step(node, h[h.length - j]);
      out.push(this.contextStats(node));
    }
    return out;
  }

  /** Statistics of (last j tokens of `h`, `w`) for j = 0..|h|, shortest first. */
  ngramSuffixes(h: readonly number[], w: number): NgramStats[] {
    this.checkSequence(h, 0, this.n - 1, "context");
    this.vocab.checkId(w, "NgramCounts");
    let node = this.step(ROOT, w);
    const out = [this.ngramStats(node)];
    for (let j = 1; j <= h.length; j++) {
      node = this.step(node, h[h.length - j]);
      out.push(this.ngramStats(node));
    }
    return out;
  }

  private newNode(last: number): number {
    this.eventCount.push(0);
    this.contextTotal.push(0);
    this.distinctNext.push(0);
    this.distinctPrev.push(0);
    this.distinctPrevTotal.push(0);
    this.lastToken.push(last);
    this.firstEvent.push(NO_NODE);
    this.nextEvent.push(NO_NODE);
    return this.eventCount.length - 1;
  }

  /** The node of `token` followed by the sequence of `node`. */
  private step(node: number, token: number): number {
    return node === NO_NODE ? NO_NODE : (this.child.get(node * this.V + token) ?? NO_NODE);
  }

  private find(seq: readonly number[]): number {
    let node = ROOT;
    for (let t = seq.length - 1; t >= 0 && node !== NO_NODE; t--) node = this.step(node, seq[t]);
    return node;
  }

  private ngramStats(node: number): NgramStats {
    return node === NO_NODE
      ? { count: 0, leftContexts: 0 }
      : { count: this.eventCount[node], leftContexts: this.distinctPrev[node] };
  }

  private contextStats(node: number): ContextStats {
    return node === NO_NODE
      ? { total: 0, continuations: 0, leftContextsTotal: 0 }
      : { total: this.contextTotal[node], continuations: this.distinctNext[node], leftContextsTotal: this.distinctPrevTotal[node] };
  }

  private checkSequence(seq: readonly number[], min: number, max: number, what: string): void {
    if (seq.length < min || seq.length > max) {
      throw new RangeError(`NgramCounts: a ${what} must have ${min}..${max} tokens with n = ${this.n}, got ${seq.length}`);
    }
    for (const id of seq) this.vocab.checkId(id, "NgramCounts");
  }
}

/** Throws unless `s` holds only ids of `vocab`, and no boundary tokens. `where` names the caller. */
export function checkSentence(s: Sentence, index: number, vocab: Vocabulary, where = "countNgrams"): void {
  for (let i = 0; i < s.length; i++) {
    const id = s[i];
    vocab.checkId(id, `${where}: sentence ${index}, position ${i}`);
    if (id === vocab.bos || id === vocab.eos) {
      throw new Error(
        `${where}: sentence ${index} has ${vocab.tokens[id]} at position ${i}; ` +
          "pass sentences without boundary tokens (<s> and </s> are implied)",
      );
    }
  }
}

/**
 * Counts the n-grams of orders 1..n of tokenized, encoded sentences.
 * Used in lessons 01, 02, 07, 08 and 10.
 */
export function countNgrams(sentences: readonly Sentence[], vocab: Vocabulary, n: number): NgramCounts {
  return new NgramCounts(sentences, vocab, n);
}
