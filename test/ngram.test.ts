import { describe, it, expect } from "vitest";
import { Random } from "../lib/src";
import { Vocabulary, tokenizeChars } from "../lib/src/text";
import { countNgrams, createModel, ESTIMATOR_NAMES, EstimatorName, evaluate, sentenceLogProb, sample, sampleText, MleModel, AddKModel, BackoffModel, InterpolationModel, defaultLambdas, KneserNeyModel, countBucket, lambdasToMu, muToLambdas, fitInterpolation } from "../lib/src/ngram";
import { mobyDickSections } from "../lib/src/data";
import { tokenizeSentences } from "../lib/src/text";

/*
 * The toy corpus used for every hand computation below.
 *
 *   the cat sat      the dog sat      the cat ran
 *
 * Vocabulary (count order, ties alphabetical):
 *   <unk>=0 <s>=1 </s>=2 the=3 cat=4 sat=5 dog=6 ran=7,  |V| = 8.
 * Outcomes (everything but <s>): |O| = 7.
 *
 * Predicted tokens: 3 words + </s> per sentence, N = 12.
 * Unigram counts:  the 3, cat 2, sat 2, dog 1, ran 1, </s> 3, <unk> 0.
 * Bigram counts:   <s> the 3 | the cat 2, the dog 1 | cat sat 1, cat ran 1 |
 *                  dog sat 1 | sat </s> 2 | ran </s> 1            (8 distinct)
 * Contexts c(h •): <s> 3, the 3, cat 2, dog 1, sat 2, ran 1.
 * N1+(h •):        <s> 1, the 2, cat 2, dog 1, sat 1, ran 1.
 * N1+(• w):        the 1 (<s>), cat 1, dog 1, sat 2 (cat, dog), ran 1, </s> 2 (sat, ran);
 *                  N1+(• •) = 8 distinct bigrams.
 * Trigrams (sentences padded with two <s>): <s><s>the 3, <s>the cat 2, <s>the dog 1,
 *   the cat sat, the dog sat, the cat ran, cat sat </s>, dog sat </s>, cat ran </s>  (9 distinct).
 *
 * Held-out sentence "the dog ran": 4 predictions, P(the|<s>) P(dog|the) P(ran|dog) P(</s>|ran)
 * for a bigram model; "dog ran" never occurred in training.
 */
const vocab = Vocabulary.build(["the", "cat", "sat", "the", "dog", "sat", "the", "cat", "ran"]);
const [UNK, BOS, EOS, THE, CAT, SAT, DOG, RAN] = [0, 1, 2, 3, 4, 5, 6, 7];
const train = [
  [THE, CAT, SAT],
  [THE, DOG, SAT],
  [THE, CAT, RAN],
];
const counts = countNgrams(train, vocab, 3);
const heldOut = [[THE, DOG, RAN]];

/** Perplexity of 4 predicted tokens from their probabilities. */
const ppl4 = (...p: number[]) => Math.pow(p.reduce((a, b) => a * b, 1), -1 / 4);

describe("countNgrams", () => {
  it("uses the ids the test assumes", () => {
    expect(vocab.tokens).toEqual(["<unk>", "<s>", "</s>", "the", "cat", "sat", "dog", "ran"]);
  });

  it("counts predicted tokens, n-grams and contexts", () => {
    expect(counts.tokens).toBe(12);
    expect(counts.sentences).toBe(3);
    expect(counts.count([THE])).toBe(3);
    expect(counts.count([EOS])).toBe(3);
    expect(counts.count([BOS])).toBe(0); // <s> is never predicted
    expect(counts.count([THE, CAT])).toBe(2);
    expect(counts.count([CAT, THE])).toBe(0);
    expect(counts.count([BOS, BOS, THE])).toBe(3);
    expect(counts.count([THE, CAT, SAT])).toBe(1);
    expect(counts.contextCount([])).toBe(12);
    expect(counts.contextCount([THE])).toBe(3);
    expect(counts.contextCount([SAT])).toBe(2); // followed by </s> twice
    expect(counts.contextCount([BOS, BOS])).toBe(3);
    expect(counts.contextCount([RAN, THE])).toBe(0);
  });

  it("counts distinct continuations and distinct left contexts", () => {
    expect(counts.distinctContinuations([THE])).toBe(2);
    expect(counts.distinctContinuations([])).toBe(6);
    expect(counts.distinctLeftContexts([SAT])).toBe(2);
    expect(counts.distinctLeftContexts([EOS])).toBe(2);
    expect(counts.distinctLeftContexts([THE])).toBe(1);
    expect(counts.distinctLeftContexts([SAT, EOS])).toBe(2); // cat sat </s>, dog sat </s>
    expect(counts.context([]).leftContextsTotal).toBe(8);
    expect(counts.context([THE]).leftContextsTotal).toBe(2); // <s> the cat, <s> the dog
  });

  it("counts distinct n-grams per order and lists continuations", () => {
    expect([1, 2, 3].map((k) => counts.distinctNgrams(k))).toEqual([6, 8, 9]);
    const after = counts.continuations([THE]).map(({ token, count }) => [token, count]);
    expect(after.sort()).toEqual([[CAT, 2], [DOG, 1]]);
    expect(counts.continuations([DOG, THE])).toEqual([]);
  });

  it("gives the statistics of every suffix in one walk", () => {
    expect(counts.contextSuffixes([BOS, THE]).map((c) => c.total)).toEqual([12, 3, 3]);
    expect(counts.ngramSuffixes([BOS, THE], CAT).map((g) => g.count)).toEqual([2, 2, 2]);
    expect(counts.ngramSuffixes([DOG, THE], CAT).map((g) => g.count)).toEqual([2, 2, 0]);
  });

  it("counts characters just as well", () => {
    const chars = Vocabulary.build(tokenizeChars("abab"));
    const c = countNgrams([chars.encode(tokenizeChars("abab"))], chars, 2);
    expect(c.count(chars.encode(["a", "b"]))).toBe(2);
    expect(c.count(chars.encode(["b", "a"]))).toBe(1);
  });

  it("rejects bad input with a message naming the problem", () => {
    expect(() => countNgrams([], vocab, 2)).toThrow(/corpus is empty/);
    expect(() => countNgrams(train, vocab, 0)).toThrow(/n must be an integer >= 1, got 0/);
    expect(() => countNgrams(train, vocab, 2.5)).toThrow(/n must be an integer >= 1, got 2.5/);
    expect(() => countNgrams([[THE, 99]], vocab, 2)).toThrow(/sentence 0, position 1: token id 99 is outside the vocabulary/);
    expect(() => countNgrams([[THE], [BOS, THE, EOS]], vocab, 2)).toThrow(/sentence 1 has <s> at position 0; pass sentences without boundary tokens/);
    expect(() => counts.count([THE, CAT, SAT, EOS])).toThrow(/n-gram must have 1..3 tokens/);
    expect(() => counts.contextCount([THE, CAT, SAT])).toThrow(/context must have 0..2 tokens/);
    expect(() => counts.count([42])).toThrow(/token id 42 is outside/);
    expect(() => counts.distinctNgrams(4)).toThrow(/order must be an integer in 1..3, got 4/);
  });
});

describe("MLE", () => {
  const bigram = new MleModel(counts, 2);

  it("is the relative frequency", () => {
    expect(bigram.prob([], THE)).toBeCloseTo(1, 12); // c(<s> the) / c(<s> •) = 3/3
    expect(bigram.prob([THE], DOG)).toBeCloseTo(1 / 3, 12); // 1/3
    expect(bigram.prob([CAT], SAT)).toBeCloseTo(1 / 2, 12); // 1/2
    expect(new MleModel(counts, 1).prob([], EOS)).toBeCloseTo(3 / 12, 12);
    expect(new MleModel(counts, 3).prob([THE, CAT], RAN)).toBeCloseTo(1 / 2, 12); // c(the cat ran)/c(the cat •)
  });

  it("gives a seen sentence a finite perplexity", () => {
    // "the cat sat": 1 · 2/3 · 1/2 · 1 = 1/3 over 4 tokens: perplexity 3^(1/4).
    const r = evaluate(bigram, [[THE, CAT, SAT]]);
    expect(r.tokens).toBe(4);
    expect(r.zeroProbTokens).toBe(0);
    expect(r.logProb).toBeCloseTo(Math.log(1 / 3), 12);
    expect(r.perplexity).toBeCloseTo(Math.pow(3, 1 / 4), 12);
  });

  it("gives unseen text infinite perplexity and says how many tokens had probability 0", () => {
    // "the dog ran": P(ran | dog) = 0/1; the other three are 1, 1/3, 1.
    const r = evaluate(bigram, heldOut);
    expect(r).toEqual({
      sentences: 1,
      tokens: 4,
      zeroProbTokens: 1,
      logProb: -Infinity,
      crossEntropy: Infinity,
      crossEntropyBits: Infinity,
      perplexity: Infinity,
    });
    // Trigram: P(ran | the dog) = 0 and the context "dog ran" is unseen, so two zeros.
    expect(evaluate(new MleModel(counts, 3), heldOut).zeroProbTokens).toBe(2);
    expect(sentenceLogProb(bigram, [THE, DOG, RAN])).toBe(-Infinity);
  });

  it("unigram perplexity of the held-out sentence", () => {
    // P(the) P(dog) P(ran) P(</s>) = 3/12 · 1/12 · 1/12 · 3/12
    expect(evaluate(new MleModel(counts, 1), heldOut).perplexity).toBeCloseTo(ppl4(3 / 12, 1 / 12, 1 / 12, 3 / 12), 10);
  });

  it("on an unseen context: prob is 0 and distribution throws, naming the context", () => {
    expect(bigram.prob([UNK], THE)).toBe(0);
    expect(() => bigram.distribution([UNK])).toThrow(/context "<unk>" never occurred in training.*use a smoothed estimator/);
    expect(() => new MleModel(counts, 3).distribution([RAN, THE])).toThrow(/context "ran the" never occurred/);
  });
});

describe("add-k", () => {
  // P(w | h) = (c(h w) + k) / (c(h •) + 7k)
  const laplace = new AddKModel(counts, 2, 1);

  it("adds k to every count", () => {
    expect(laplace.prob([], THE)).toBeCloseTo(4 / 10, 12); // (3+1)/(3+7)
    expect(laplace.prob([THE], DOG)).toBeCloseTo(2 / 10, 12); // (1+1)/(3+7)
    expect(laplace.prob([DOG], RAN)).toBeCloseTo(1 / 8, 12); // (0+1)/(1+7)
    expect(laplace.prob([UNK], SAT)).toBeCloseTo(1 / 7, 12); // unseen context: (0+1)/(0+7), uniform
    expect(new AddKModel(counts, 2, 0.5).prob([], THE)).toBeCloseTo(3.5 / 6.5, 12); // (3+.5)/(3+3.5)
  });

  it("perplexity of the held-out sentence", () => {
    // 4/10 · 2/10 · 1/8 · (1+1)/(1+7) = 0.4 · 0.2 · 0.125 · 0.25 = 1/400: perplexity 400^(1/4) = √20
    expect(evaluate(laplace, heldOut).perplexity).toBeCloseTo(Math.sqrt(20), 10);
  });
});

describe("backoff (Katz-style, absolute discount d = 0.5)", () => {
  const backoff = new BackoffModel(counts, 2, 0.5);
  /*
   * Unigram level (context empty, N = 12, 6 of the 7 outcomes seen):
   *   seen: (c - 0.5)/12, so the 2.5/12, cat 1.5/12, sat 1.5/12, dog 0.5/12, ran 0.5/12, </s> 2.5/12.
   *   freed 0.5·6/12 = 1/4 goes to <unk>, the only unseen outcome: α = (1/4)/(1 - 6/7), P(<unk>) = α/7 = 1/4.
   * Bigram level:
   *   P(the | <s>) = (3 - 0.5)/3 = 5/6
   *   P(dog | the) = (1 - 0.5)/3 = 1/6
   *   P(ran | dog): unseen. α(dog) = (0.5·1/1) / (1 - P_1(sat)) = 0.5/(1 - 1.5/12) = 4/7,
   *                 so P = 4/7 · 0.5/12 = 1/42
   *   P(</s> | ran) = (1 - 0.5)/1 = 1/2
   */
  it("discounts seen n-grams and backs off for unseen ones", () => {
    expect(backoff.prob([], THE)).toBeCloseTo(5 / 6, 12);
    expect(backoff.prob([THE], DOG)).toBeCloseTo(1 / 6, 12);
    expect(backoff.prob([DOG], RAN)).toBeCloseTo(1 / 42, 12);
    expect(backoff.prob([RAN], EOS)).toBeCloseTo(1 / 2, 12);
    expect(new BackoffModel(counts, 1, 0.5).prob([], UNK)).toBeCloseTo(1 / 4, 12);
  });

  it("backs off through an unseen context", () => {
    const trigram = new BackoffModel(counts, 3, 0.5);
    expect(trigram.prob([THE, CAT], SAT)).toBeCloseTo(0.25, 12); // (1 - 0.5)/2
    expect(trigram.prob([CAT, THE], DOG)).toBeCloseTo(1 / 6, 12); // "cat the" unseen: P(dog | the)
  });

  it("perplexity of the held-out sentence", () => {
    // 5/6 · 1/6 · 1/42 · 1/2 = 5/3024
    expect(evaluate(backoff, heldOut).perplexity).toBeCloseTo(Math.pow(3024 / 5, 1 / 4), 10);
  });
});

describe("linear interpolation", () => {
  // λ = [0.1, 0.3, 0.6]: P(w | h) = 0.1/7 + 0.3 c(w)/12 + 0.6 c(h w)/c(h •)
  const interp = new InterpolationModel(counts, 2, [0.1, 0.3, 0.6]);

  it("mixes the orders with the given weights", () => {
    expect(interp.prob([], THE)).toBeCloseTo(0.1 / 7 + 0.3 * (3 / 12) + 0.6 * 1, 12); // 193/280
    expect(interp.prob([THE], DOG)).toBeCloseTo(0.1 / 7 + 0.3 * (1 / 12) + 0.6 * (1 / 3), 12); // 67/280
    expect(interp.prob([DOG], RAN)).toBeCloseTo(0.1 / 7 + 0.3 * (1 / 12), 12); // 11/280
  });

  it("drops the term of an unseen context and renormalizes the rest", () => {
    // Context <unk> unseen: (0.1/7 + 0.3 · 3/12) / (0.1 + 0.3)
    expect(interp.prob([UNK], THE)).toBeCloseTo((0.1 / 7 + 0.3 * (3 / 12)) / 0.4, 12);
    // Trigram, λ = [.1, .2, .3, .4]; "cat the" unseen, "the" seen: (.1/7 + .2·1/12 + .3·1/3) / .6
    const trigram = new InterpolationModel(counts, 3, [0.1, 0.2, 0.3, 0.4]);
    expect(trigram.prob([CAT, THE], DOG)).toBeCloseTo((0.1 / 7 + 0.2 / 12 + 0.3 / 3) / 0.6, 12);
    // All seen: .1/7 + .2·2/12 + .3·1/2 + .4·1/2
    expect(trigram.prob([THE, CAT], SAT)).toBeCloseTo(0.1 / 7 + 0.2 * (2 / 12) + 0.15 + 0.2, 12);
  });

  it("perplexity of the held-out sentence", () => {
    // 193/280 · 67/280 · 11/280 · 193/280  (P(</s> | ran) = .1/7 + .3·3/12 + .6·1 = 193/280)
    expect(evaluate(interp, heldOut).perplexity).toBeCloseTo(ppl4(193 / 280, 67 / 280, 11 / 280, 193 / 280), 10);
  });

  it("defaults to 1% uniform and equal weights for the orders", () => {
    expect(defaultLambdas(3)).toEqual([0.01, 0.33, 0.33, 0.33]);
    expect(new InterpolationModel(counts, 2).lambdas).toEqual([0.01, 0.495, 0.495]);
  });
});

describe("interpolation in recursive form, with weights per count bucket", () => {
  it("puts context counts into buckets 1, 2–3, 4–7, …", () => {
    expect([1, 2, 3, 4, 7, 8, 15, 16, 1000].map((c) => countBucket(c, 4))).toEqual([0, 1, 1, 2, 2, 3, 3, 3, 3]);
    expect([1, 5, 1000].map((c) => countBucket(c, 1))).toEqual([0, 0, 0]);
    expect(countBucket(1000, 20)).toBe(9);
    expect(() => countBucket(0, 4)).toThrow(/a context count must be an integer >= 1, got 0/);
    expect(() => countBucket(3, 0)).toThrow(/buckets must be an integer >= 1, got 0/);
  });

  it("converts flat weights to recursive ones and back: μ_k = λ_k / (λ_0 + … + λ_k)", () => {
    lambdasToMu([0.1, 0.3, 0.6]).forEach((r, k) => expect(r[0]).toBeCloseTo([0.75, 0.6][k], 14));
    const mu = lambdasToMu([0.1, 0.2, 0.3, 0.4]); // 0.2/0.3, 0.3/0.6, 0.4/1
    mu.forEach((r, k) => expect(r[0]).toBeCloseTo([2 / 3, 0.5, 0.4][k], 14));
    muToLambdas(mu).forEach((l, i) => expect(l).toBeCloseTo([0.1, 0.2, 0.3, 0.4][i], 14));
    expect(() => muToLambdas([[0.5, 0.6]])).toThrow(/only with one bucket/);
  });

  it("gives the same probabilities from μ as from the flat λ, unseen contexts included", () => {
    const flat = new InterpolationModel(counts, 3, [0.1, 0.2, 0.3, 0.4]);
    const recursive = new InterpolationModel(counts, 3, { mu: lambdasToMu([0.1, 0.2, 0.3, 0.4]) });
    expect(recursive.buckets).toBe(1);
    recursive.lambdas!.forEach((l, i) => expect(l).toBeCloseTo([0.1, 0.2, 0.3, 0.4][i], 14));
    for (const h of [[], [THE], [THE, CAT], [CAT, THE], [UNK], [DOG, DOG]]) {
      for (let w = 0; w < vocab.size; w++) expect(recursive.prob(h, w)).toBeCloseTo(flat.prob(h, w), 14);
    }
  });

  it("uses the weight of the context's count bucket at each order", () => {
    // Two buckets: a context seen once, or at least twice. The empty context (12 tokens) is in bucket 1.
    const m = new InterpolationModel(counts, 2, { mu: [[0.5, 0.8], [0.3, 0.9]] });
    expect(m.lambdas).toBeUndefined();
    const unigram = (c: number) => 0.8 * (c / 12) + 0.2 / 7;
    // c(the •) = 3, bucket 1: 0.9 · 1/3 + 0.1 · P_1(dog)
    expect(m.prob([THE], DOG)).toBeCloseTo(0.9 / 3 + 0.1 * unigram(1), 14);
    // c(dog •) = 1, bucket 0: 0.3 · 1 + 0.7 · P_1(sat)
    expect(m.prob([DOG], SAT)).toBeCloseTo(0.3 + 0.7 * unigram(2), 14);
    expect(m.prob([DOG], RAN)).toBeCloseTo(0.7 * unigram(1), 14);
    // <unk> never was a context: the unigram level alone
    expect(m.prob([UNK], THE)).toBeCloseTo(unigram(3), 14);
    for (const h of [[THE], [DOG], [UNK]]) {
      const p = m.distribution(h);
      expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      for (let w = 0; w < vocab.size; w++) expect(m.prob(h, w)).toBeCloseTo(p[w], 14);
    }
  });

  it("rejects bad recursive weights", () => {
    const make = (mu: number[][]) => () => createModel("interpolation", counts, { order: 2, mu });
    expect(make([[0.5]])).toThrow(/order-2 model needs 2 rows of μ/);
    expect(make([[0.5, 0.5], [0.5]])).toThrow(/the same number \(>= 1\) of count buckets/);
    expect(make([[], []])).toThrow(/the same number \(>= 1\) of count buckets/);
    expect(make([[0.5], [1.2]])).toThrow(/every μ must be in \[0, 1\], got \[1.2\]/);
    expect(() => createModel("interpolation", counts, { order: 2, mu: [[0.5], [0.5]], lambdas: [0.2, 0.4, 0.4] })).toThrow(/lambdas or mu, not both/);
  });
});

describe("fitting the interpolation weights by EM", () => {
  it("one iteration from flat weights is the textbook update: λ_j = mean posterior share of order j", () => {
    // Every context of "the dog ran" was seen, so each token mixes all three terms with the flat λ.
    const lambdas = [0.2, 0.4, 0.4];
    const terms = [
      [1 / 7, 3 / 12, 3 / 3], // the | <s>
      [1 / 7, 1 / 12, 1 / 3], // dog | the
      [1 / 7, 1 / 12, 0 / 1], // ran | dog
      [1 / 7, 3 / 12, 1 / 1], // </s> | ran
    ];
    const expected = [0, 0, 0];
    let logLikelihood = 0;
    for (const p of terms) {
      const total = p.reduce((s, x, j) => s + lambdas[j] * x, 0);
      logLikelihood += Math.log(total);
      p.forEach((x, j) => (expected[j] += (lambdas[j] * x) / total / terms.length));
    }
    const fit = fitInterpolation(counts, heldOut, { order: 2, initial: lambdas, maxIterations: 1 });
    expect(fit.iterations).toBe(1);
    expect(fit.converged).toBe(false);
    expect(fit.tokens).toBe(4);
    expect(fit.logLikelihoods[0]).toBeCloseTo(logLikelihood, 12);
    fit.lambdas!.forEach((l, j) => expect(l).toBeCloseTo(expected[j], 12));
    // By hand: the first update moves weight from the uniform term to the bigram.
    expect(expected[0]).toBeLessThan(0.2);
    expect(expected[2]).toBeGreaterThan(0.4);
  });

  // A realistic case: words of 20 chapters of Moby-Dick, weights fitted on 5 others.
  const chapters = (from: number, to: number) =>
    tokenizeSentences(
      mobyDickSections()
        .filter((s) => s.chapter !== null && s.chapter >= from && s.chapter <= to)
        .map((s) => s.text)
        .join("\n\n"),
      { lowercase: true },
    );
  const trainWords = chapters(1, 20);
  const words = Vocabulary.build(trainWords.flat(), { minCount: 2 });
  const bookCounts = countNgrams(trainWords.map((s) => words.encode(s)), words, 3);
  const dev = chapters(21, 25).map((s) => words.encode(s));

  it("never lowers the development log-likelihood, and reports the likelihood of the model it returns", () => {
    for (const buckets of [1, 4]) {
      const fit = fitInterpolation(bookCounts, dev, { order: 3, buckets });
      expect(fit.converged).toBe(true);
      expect(fit.iterations).toBeGreaterThan(5);
      expect(fit.logLikelihoods).toHaveLength(fit.iterations + 1);
      for (let i = 1; i < fit.logLikelihoods.length; i++) expect(fit.logLikelihoods[i]).toBeGreaterThanOrEqual(fit.logLikelihoods[i - 1] - 1e-9);
      const scored = evaluate(fit.model, dev);
      expect(scored.tokens).toBe(fit.tokens);
      expect(scored.logProb).toBeCloseTo(fit.logLikelihoods[fit.iterations], 6);
      // Every token has its unigram and bigram terms (every word of the vocabulary was a context in
      // training), fewer a seen trigram context.
      const perOrder = fit.tokensPerBucket.map((row) => row.reduce((a, b) => a + b, 0));
      expect(perOrder[0]).toBe(fit.tokens);
      expect(perOrder[1]).toBe(fit.tokens);
      expect(perOrder[2]).toBeLessThan(perOrder[1]);
    }
  });

  it("beats the default weights on the development text, and buckets beat one weight per order", () => {
    const fixed = evaluate(new InterpolationModel(bookCounts, 3), dev).perplexity;
    const flat = fitInterpolation(bookCounts, dev, { order: 3 });
    const bucketed = fitInterpolation(bookCounts, dev, { order: 3, buckets: 6 });
    const tuned = evaluate(flat.model, dev).perplexity;
    expect(tuned).toBeLessThan(0.99 * fixed);
    expect(evaluate(bucketed.model, dev).perplexity).toBeLessThan(tuned);
    expect(flat.lambdas!.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(flat.lambdas!.every((l) => l > 0)).toBe(true);
    // A bigram context seen often earns more trust than one seen twice or three times.
    expect(bucketed.mu[1][5]).toBeGreaterThan(bucketed.mu[1][1] + 0.1);
  });

  it("finds the maximum of the development likelihood (checked against a grid over μ_1, μ_2)", () => {
    const fit = fitInterpolation(bookCounts, dev, { order: 2, tolerance: 1e-10 });
    // The terms of each development token, looked up directly.
    const terms: number[][] = [];
    const V1 = words.size - 1;
    for (const s of dev) {
      for (let i = 0; i <= s.length; i++) {
        const w = i < s.length ? s[i] : words.eos;
        const h = i === 0 ? words.bos : s[i - 1];
        const total = bookCounts.contextCount([h]);
        terms.push([1 / V1, bookCounts.count([w]) / bookCounts.tokens, ...(total > 0 ? [bookCounts.count([h, w]) / total] : [])]);
      }
    }
    const logLikelihood = (mu1: number, mu2: number) =>
      terms.reduce((s, p) => {
        const p1 = mu1 * p[1] + (1 - mu1) * p[0];
        return s + Math.log(p.length === 3 ? mu2 * p[2] + (1 - mu2) * p1 : p1);
      }, 0);
    let best = { ll: -Infinity, mu1: 0, mu2: 0 };
    for (let a = 0.01; a < 1; a += 0.01) {
      for (let b = 0.01; b < 1; b += 0.01) {
        const ll = logLikelihood(a, b);
        if (ll > best.ll) best = { ll, mu1: a, mu2: b };
      }
    }
    const emLogLikelihood = fit.logLikelihoods[fit.iterations];
    expect(emLogLikelihood).toBeCloseTo(logLikelihood(fit.mu[0][0], fit.mu[1][0]), 6);
    expect(emLogLikelihood).toBeGreaterThanOrEqual(best.ll - 1e-9);
    expect(Math.abs(fit.mu[0][0] - best.mu1)).toBeLessThan(0.02);
    expect(Math.abs(fit.mu[1][0] - best.mu2)).toBeLessThan(0.02);
  });

  it("rejects bad input with a message naming the problem", () => {
    expect(() => fitInterpolation(counts, [], { order: 2 })).toThrow(/no development sentences/);
    expect(() => fitInterpolation(counts, heldOut, { order: 2, buckets: 0 })).toThrow(/buckets must be an integer >= 1, got 0/);
    expect(() => fitInterpolation(counts, heldOut, { order: 2, maxIterations: 0 })).toThrow(/maxIterations must be an integer >= 1, got 0/);
    expect(() => fitInterpolation(counts, heldOut, { order: 2, initial: [0, 0.5, 0.5] })).toThrow(/every starting weight must be > 0/);
    expect(() => fitInterpolation(counts, heldOut, { order: 2, initial: [0.2, 0.3, 0.4] })).toThrow(/lambdas must sum to 1/);
    expect(() => fitInterpolation(counts, heldOut, { order: 4 })).toThrow(/order must be an integer in 1..3/);
    expect(() => fitInterpolation(counts, [[THE, EOS]], { order: 2 })).toThrow(/fitInterpolation: sentence 0 has <\/s> at position 1/);
  });
});

describe("interpolated Kneser–Ney (d = 0.5)", () => {
  const kn = new KneserNeyModel(counts, 2, 0.5);
  /*
   * Unigram level, continuation counts N1+(• w) over N1+(• •) = 8, 6 types seen:
   *   P_1(w) = max(N1+(• w) - 0.5, 0)/8 + (0.5·6/8) · 1/7
   *   the, cat, dog, ran: 0.5/8 + 3/56 = 13/112;  sat, </s>: 1.5/8 + 3/56 = 27/112;  <unk>: 3/56.
   * Bigram level, plain counts:
   *   P(the | <s>)  = 2.5/3 + (0.5·1/3)·13/112 = 573/672
   *   P(dog | the)  = 0.5/3 + (0.5·2/3)·13/112 =  69/336
   *   P(ran | dog)  = 0     + (0.5·1/1)·13/112 =  13/224
   *   P(</s> | ran) = 0.5/1 + (0.5·1/1)·27/112 = 139/224
   */
  it("uses continuation counts at the lower order", () => {
    expect(new KneserNeyModel(counts, 2, 0.5).prob([UNK], THE)).toBeCloseTo(13 / 112, 12); // unseen context: P_1
    expect(new KneserNeyModel(counts, 1, 0.5).prob([], SAT)).toBeCloseTo(1.5 / 12 + (0.5 * 6) / 12 / 7, 12); // order 1: plain counts
    expect(kn.prob([], THE)).toBeCloseTo(573 / 672, 12);
    expect(kn.prob([THE], DOG)).toBeCloseTo(69 / 336, 12);
    expect(kn.prob([DOG], RAN)).toBeCloseTo(13 / 224, 12);
    expect(kn.prob([RAN], EOS)).toBeCloseTo(139 / 224, 12);
  });

  it("recurses through two lower orders in a trigram model", () => {
    const trigram = new KneserNeyModel(counts, 3, 0.5);
    // P_2(sat | cat): N1+(• cat sat) = 1, N1+(• cat •) = 2, N1+(cat •) = 2
    //   = 0.5/2 + (0.5·2/2)·27/112 = 0.25 + 27/224
    // P(sat | the cat) = (1 - 0.5)/2 + (0.5·2/2)·P_2(sat | cat)
    expect(trigram.prob([THE, CAT], SAT)).toBeCloseTo(0.25 + 0.5 * (0.25 + 27 / 224), 12);
    // P_2(dog | the) = 0.5/2 + 0.5·13/112;  P(dog | <s> the) = 0.5/3 + (0.5·2/3)·P_2(dog | the)
    expect(trigram.prob([THE], DOG)).toBeCloseTo(0.5 / 3 + (1 / 3) * (0.25 + 0.5 * (13 / 112)), 12);
  });

  it("perplexity of the held-out sentence", () => {
    expect(evaluate(kn, heldOut).perplexity).toBeCloseTo(ppl4(573 / 672, 69 / 336, 13 / 224, 139 / 224), 10);
  });

  it("defaults to d = 0.75", () => {
    expect(new KneserNeyModel(counts).discount).toBe(0.75);
  });
});

describe("every estimator", () => {
  const contexts: number[][] = [[], [BOS], [THE], [CAT], [SAT], [UNK], [RAN, THE], [THE, CAT], [DOG, DOG], [EOS]];
  const options = { k: 0.3, discount: 0.6 };

  for (const name of ESTIMATOR_NAMES) {
    for (const order of [1, 2, 3]) {
      it(`${name}, order ${order}: distribution sums to 1, gives <s> nothing and agrees with prob`, () => {
        const model = createModel(name, counts, { order, ...options });
        let checked = 0;
        for (const h of contexts) {
          // MLE has no distribution on an unseen context (tested above).
          if (name === "mle" && counts.contextCount(model.history(h)) === 0) continue;
          const p = model.distribution(h);
          expect(p.length).toBe(vocab.size);
          expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
          expect(p[BOS]).toBe(0);
          for (let w = 0; w < vocab.size; w++) expect(model.prob(h, w)).toBeCloseTo(p[w], 12);
          checked++;
        }
        expect(checked).toBeGreaterThanOrEqual(name === "mle" ? 3 : contexts.length);
      });
    }
  }

  it("only smoothed estimators give every outcome a positive probability on an unseen context", () => {
    for (const name of ESTIMATOR_NAMES.filter((n) => n !== "mle")) {
      const p = createModel(name, counts, { order: 3 }).distribution([DOG, DOG]);
      expect(Math.min(...p.filter((_, w) => w !== BOS))).toBeGreaterThan(0);
    }
  });

  it("backoff keeps plain relative frequencies where every outcome was seen", () => {
    // Corpus where "a" is followed by every outcome (a, b, <unk>, </s>): nothing is left to back off to.
    const v = Vocabulary.build(["a", "b"]);
    const [a, b] = v.encode(["a", "b"]);
    const c = countNgrams([[a, a], [a, b], [a, v.unk], [a]], v, 2);
    const m = new BackoffModel(c, 2, 0.5);
    // c(a •) = 5: a→a, a→</s> twice, a→b, a→<unk>; undiscounted, P(b | a) = 1/5 and P(</s> | a) = 2/5.
    expect(m.prob([a], b)).toBeCloseTo(1 / 5, 12);
    expect(m.prob([a], v.eos)).toBeCloseTo(2 / 5, 12);
    expect(m.distribution([a]).reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
  });
});

describe("estimator factory and bad input", () => {
  it("builds each estimator by name, defaulting to the counts' n", () => {
    expect(ESTIMATOR_NAMES.map((n) => createModel(n, counts).name)).toEqual([...ESTIMATOR_NAMES]);
    expect(createModel("kneser-ney", counts).order).toBe(3);
    expect(createModel("addk", counts, { order: 1 }).order).toBe(1);
  });

  it("rejects an unknown estimator name, listing the valid ones", () => {
    expect(() => createModel("witten-bell" as EstimatorName, counts)).toThrow(
      /unknown estimator "witten-bell"; valid names are mle, addk, backoff, interpolation, kneser-ney/,
    );
  });

  it("rejects an order the counts cannot serve", () => {
    expect(() => createModel("mle", counts, { order: 4 })).toThrow(/order must be an integer in 1..3 \(the counts' n\), got 4; count with n >= 4/);
    expect(() => createModel("mle", counts, { order: 0 })).toThrow(/order must be an integer in 1..3/);
  });

  it("rejects k <= 0 for add-k", () => {
    expect(() => createModel("addk", counts, { k: 0 })).toThrow(/addk: k must be a finite number > 0, got 0/);
    expect(() => createModel("addk", counts, { k: -1 })).toThrow(/got -1/);
    expect(() => createModel("addk", counts, { k: NaN })).toThrow(/got NaN/);
  });

  it("rejects a discount outside (0, 1)", () => {
    for (const name of ["backoff", "kneser-ney"] as const) {
      for (const d of [0, 1, 1.5, -0.2, NaN]) {
        expect(() => createModel(name, counts, { discount: d })).toThrow(new RegExp(`${name}: discount must be in \\(0, 1\\), got ${d}`));
      }
    }
  });

  it("rejects bad lambdas", () => {
    const make = (lambdas: number[]) => () => createModel("interpolation", counts, { order: 2, lambdas });
    expect(make([0.2, 0.3, 0.4])).toThrow(/lambdas must sum to 1, got 0.9/);
    expect(make([0.5, 0.7, -0.2])).toThrow(/lambdas must be finite and non-negative/);
    expect(make([0.5, 0.5])).toThrow(/order-2 model needs 3 lambdas .* got 2/);
    expect(make([0, 0, 1])).toThrow(/λ_0 \+ λ_1 must be > 0/);
  });

  it("rejects token ids outside the vocabulary", () => {
    const model = createModel("kneser-ney", counts);
    expect(() => model.prob([THE], 8)).toThrow(/kneser-ney: predicted token: token id 8 is outside the vocabulary/);
    expect(() => model.prob([-1], THE)).toThrow(/kneser-ney: context: token id -1 is outside/);
    expect(() => model.distribution([THE, 2.5])).toThrow(/token id 2.5 is outside/);
    expect(() => evaluate(model, [[THE, 8]])).toThrow(/evaluate: sentence 0, position 1: token id 8 is outside/);
  });

  it("rejects an empty evaluation set and boundary tokens inside sentences", () => {
    const model = createModel("addk", counts);
    expect(() => evaluate(model, [])).toThrow(/evaluate: no sentences/);
    expect(() => evaluate(model, [[THE, EOS]])).toThrow(/evaluate: sentence 0 has <\/s> at position 1/);
  });

  it("never reports NaN", () => {
    for (const name of ESTIMATOR_NAMES) {
      const r = evaluate(createModel(name, counts), [[UNK, UNK], [RAN, RAN, RAN], []]);
      for (const value of Object.values(r)) expect(Number.isNaN(value)).toBe(false);
    }
  });
});

describe("sampling", () => {
  const kn = createModel("kneser-ney", counts);
  const draw = (seed: number) => {
    const rng = new Random(seed);
    return Array.from({ length: 20 }, () => sample(kn, rng, { maxTokens: 10 }));
  };

  it("is reproducible with a seed and differs with another seed", () => {
    expect(draw(1)).toEqual(draw(1));
    expect(draw(1)).not.toEqual(draw(2));
  });

  it("from MLE reproduces training bigrams only, with their frequencies", () => {
    const mle = new MleModel(counts, 2);
    const rng = new Random(7);
    const seen = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const s = vocab.decode(sample(mle, rng)).join(" ");
      seen.set(s, (seen.get(s) ?? 0) + 1);
    }
    // the → cat (2/3) | dog (1/3); cat → sat | ran (1/2 each); dog → sat.
    expect([...seen.keys()].sort()).toEqual(["the cat ran", "the cat sat", "the dog sat"]);
    expect(seen.get("the dog sat")! / 3000).toBeCloseTo(1 / 3, 1);
    expect(seen.get("the cat sat")! / 3000).toBeCloseTo(1 / 3, 1);
  });

  it("continues a prefix and stops at maxTokens", () => {
    const mle = new MleModel(counts, 2);
    expect(sample(mle, new Random(3), { prefix: [THE, DOG] })).toEqual([THE, DOG, SAT]);
    expect(sampleText(mle, new Random(3), { prefix: [THE, DOG] })).toBe("the dog sat");
    const lengths = Array.from({ length: 50 }, (_, i) => sample(kn, new Random(i), { maxTokens: 2 }).length);
    expect(Math.max(...lengths)).toBe(2);
    expect(() => sample(kn, new Random(1), { maxTokens: 0 })).toThrow(/maxTokens must be an integer >= 1, got 0/);
    expect(() => sample(kn, new Random(1), { prefix: [BOS] })).toThrow(/sample: prefix: sentence 0 has <s>/);
  });

  it("joins character tokens without spaces", () => {
    const chars = Vocabulary.build(tokenizeChars("ab"));
    const c = countNgrams([chars.encode(["a", "b"])], chars, 2);
    expect(sampleText(new MleModel(c, 2), new Random(1), { join: "chars" })).toBe("ab");
  });
});
