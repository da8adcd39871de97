// How fast is n-gram counting? Counts one million Moby-Dick tokens for
// n = 1..5 with the library's trie (lib/src/ngram/counts.ts) and with the
// obvious alternative, a Map keyed by the n-gram's tokens joined into a string.
//
// Run after building the library:
//   npm run build && node --expose-gc bench/ngram-count.mjs [tokens] [repeats]
// Each timing is the best of `repeats` runs (default 3), after a garbage
// collection when --expose-gc allows one, so other work on the machine and
// the previous run's garbage disturb it as little as possible.
//
// The corpus is Moby-Dick's sentences repeated until the token budget is met,
// so distinct n-gram counts saturate at one copy's; the speed of counting
// events is what is measured. The trie also records everything the estimators
// need (context totals, distinct continuations, continuation counts); the
// baseline only counts n-grams, so the comparison flatters the baseline.
import { loadLib } from "./common.mjs";

const { text, ngram, data } = await loadLib();

const budget = Number(process.argv[2] ?? 1_000_000);
const repeats = Number(process.argv[3] ?? 3);
if (!(Number.isInteger(budget) && budget > 0 && Number.isInteger(repeats) && repeats > 0)) {
  console.error(`usage: node --expose-gc bench/ngram-count.mjs [tokens] [repeats], both positive integers (got ${process.argv.slice(2).join(" ")})`);
  process.exit(2);
}
const sentences = text.tokenizeSentences(data.mobyDickText("all"), { lowercase: true });
const vocab = text.Vocabulary.build(sentences.flat());
const encoded = sentences.map((s) => vocab.encode(s));

// Repeat the book until `budget` predicted tokens (words + one </s> per sentence).
/** @type {number[][]} */
const corpus = [];
for (let total = 0; total < budget; ) {
  for (const s of encoded) {
    if (total >= budget) break;
    corpus.push(s);
    total += s.length + 1;
  }
}
const tokens = corpus.reduce((n, s) => n + s.length + 1, 0);

/**
 * The baseline: one string-keyed Map per order, key = the n-gram's ids joined by spaces.
 * @param {number[][]} sents
 * @param {number} n
 */
function naiveCount(sents, n) {
  /** @type {Map<string, number>[]} */
  const maps = Array.from({ length: n + 1 }, () => new Map());
  for (const s of sents) {
    const padded = [...Array(n - 1).fill(vocab.bos), ...s, vocab.eos];
    for (let i = n - 1; i < padded.length; i++) {
      for (let k = 1; k <= n; k++) {
        const key = padded.slice(i - k + 1, i + 1).join(" ");
        maps[k].set(key, (maps[k].get(key) ?? 0) + 1);
      }
    }
  }
  return maps;
}

/**
 * The best time of `repeats` runs of f, and its last result.
 * @template R
 * @param {() => R} f
 * @returns {{ result: R, seconds: number }}
 */
function time(f) {
  /** @type {R | null} */
  let result = null;
  let seconds = Infinity;
  for (let r = 0; r < repeats; r++) {
    result = null; // let the previous run's structure be collected first
    globalThis.gc?.();
    const start = performance.now();
    result = f();
    seconds = Math.min(seconds, (performance.now() - start) / 1000);
  }
  if (result === null) throw new Error(`repeats is ${repeats}: nothing was timed`);
  return { result, seconds };
}

console.log(
  `${tokens.toLocaleString("en")} tokens (Moby-Dick, ${vocab.size.toLocaleString("en")} types, repeated), ` +
    `node ${process.version}, best of ${repeats}${globalThis.gc ? "" : " (run with --expose-gc for steadier numbers)"}\n`,
);
console.log("n   trie s   trie tok/s   string-Map s   string-Map tok/s   speed-up   distinct n-grams of order n");
for (let n = 1; n <= 5; n++) {
  const trie = time(() => ngram.countNgrams(corpus, vocab, n));
  const naive = time(() => naiveCount(corpus, n));
  const distinct = trie.result.distinctNgrams(n);
  if (distinct !== naive.result[n].size) throw new Error(`n = ${n}: trie has ${distinct} distinct n-grams, baseline ${naive.result[n].size}`);
  /** @param {number} s */
  const rate = (s) => Math.round(tokens / s).toLocaleString("en").padStart(12);
  console.log(
    `${n}   ${trie.seconds.toFixed(2).padStart(6)}   ${rate(trie.seconds)}   ${naive.seconds.toFixed(2).padStart(12)}   ` +
      `${rate(naive.seconds).padStart(16)}   ${(naive.seconds / trie.seconds).toFixed(1).padStart(7)}x   ${distinct.toLocaleString("en")}`,
  );
}
