// Claims (lib/src/claims.ts): the verdicts, quick mode, bad input, and the
// display bundle each check sends through tslab's channel to the notebook.
import { describe, it, expect, afterEach, vi } from "vitest";
import { createRequire } from "module";
import { Claims, ClaimRecord, claimBundle, describeClaimCounts } from "../lib/src/claims";
import { CLAIM_MIME } from "../lib/src/constants";
import type { MimeBundle } from "../lib/src/plot";

// display.ts writes through tslab's module-level channel; setting it here is
// what a running tslab kernel does, so the test sees exactly what a notebook gets.
const jupyter = createRequire(__filename)("tslab/dist/jupyter") as {
  lastWriteDisplayData: ((content: { data: MimeBundle }, update: boolean) => void) | null;
};

/** Runs `body` as if inside a notebook; returns the bundles it displayed. */
function inKernel(body: () => void): MimeBundle[] {
  const shown: MimeBundle[] = [];
  jupyter.lastWriteDisplayData = (content, update) => {
    expect(update).toBe(false);
    shown.push(content.data);
  };
  try {
    body();
  } finally {
    jupyter.lastWriteDisplayData = null;
  }
  return shown;
}

afterEach(() => vi.restoreAllMocks());

describe("Claims.check", () => {
  it("reports held and failed claims, and does not throw for a failed one", () => {
    const claims = new Claims({ quick: false });
    const bundles = inKernel(() => {
      claims.check("the loss went down", 0.3 < 2.1, "2.1 -> 0.3");
      claims.check("the LSTM solves the adding problem", 0.05 < 0.01, 0.05);
    });
    expect(claims.records.map((c) => c.status)).toEqual(["held", "failed"]);
    expect(bundles).toHaveLength(2);
    expect(bundles[0]["text/plain"]).toBe("✔ held: the loss went down  (measured: 2.1 -> 0.3)");
    expect(bundles[1]["text/plain"]).toBe("✘ FAILED: the LSTM solves the adding problem  (measured: 0.05)");
  });

  it("sends the machine-readable claim, an HTML line and the text line in one bundle", () => {
    const claims = new Claims({ quick: false });
    const [bundle] = inKernel(() => claims.check("KN <beats> MLE & add-k", true, 123.456789));
    expect(Object.keys(bundle).sort()).toEqual([CLAIM_MIME, "text/html", "text/plain"].sort());
    expect(bundle[CLAIM_MIME]).toEqual({ statement: "KN <beats> MLE & add-k", status: "held", measured: 123.456789, fullSizeOnly: false });
    // The payload survives nbformat's JSON round trip unchanged.
    expect(JSON.parse(JSON.stringify(bundle[CLAIM_MIME]))).toEqual(bundle[CLAIM_MIME]);
    const html = String(bundle["text/html"]);
    expect(html).toContain('data-status="held"');
    expect(html).toContain("KN &lt;beats&gt; MLE &amp; add-k");
    expect(html).not.toContain("<beats>");
    // Numbers are shown to 4 significant digits; the payload keeps them whole.
    expect(bundle["text/plain"]).toBe("✔ held: KN <beats> MLE & add-k  (measured: 123.5)");
  });

  it("keeps a non-finite measurement readable in JSON", () => {
    const claims = new Claims({ quick: false });
    const [bundle] = inKernel(() => claims.check("training stays finite", false, NaN));
    expect(bundle[CLAIM_MIME]).toMatchObject({ status: "failed", measured: "NaN" });
    expect(JSON.parse(JSON.stringify(bundle[CLAIM_MIME])).measured).toBe("NaN");
  });

  it("in quick mode reports a full-size-only claim as not checked, whether or not it holds", () => {
    const claims = new Claims({ quick: true });
    const bundles = inKernel(() => {
      claims.check("full size: perplexity below 5", true, 4.2, { fullSizeOnly: true });
      claims.check("full size: the GRU beats the RNN", false, "GRU 3.1 vs RNN 2.9", { fullSizeOnly: true });
      claims.check("any size: the gradient check passes", true, "1e-9");
      claims.check("any size: the loss is finite", false, "Infinity");
    });
    expect(claims.records.map((c) => c.status)).toEqual(["not-checked", "not-checked", "held", "failed"]);
    expect(bundles[0][CLAIM_MIME]).toEqual({ statement: "full size: perplexity below 5", status: "not-checked", measured: 4.2, fullSizeOnly: true });
    expect(bundles[1]["text/plain"]).toBe("○ not checked in quick mode: full size: the GRU beats the RNN  (measured at quick size: GRU 3.1 vs RNN 2.9)");
    expect(String(bundles[1]["text/html"])).toContain('data-status="not-checked"');
    expect(claims.counts()).toEqual({ held: 1, failed: 1, notChecked: 2 });
  });

  it("checks a full-size-only claim at full size", () => {
    const claims = new Claims({ quick: false });
    inKernel(() => {
      claims.check("a", true, 1, { fullSizeOnly: true });
      claims.check("b", false, 2, { fullSizeOnly: true });
    });
    expect(claims.records).toEqual<ClaimRecord[]>([
      { statement: "a", status: "held", measured: 1, fullSizeOnly: true },
      { statement: "b", status: "failed", measured: 2, fullSizeOnly: true },
    ]);
  });

  it("rejects a `holds` that is not a boolean, naming the claim", () => {
    const claims = new Claims({ quick: false });
    const loose = claims as unknown as { check(s: string, holds: unknown, m: unknown, o?: unknown): void };
    expect(() => loose.check("mse is small", 0.004, "0.004")).toThrow(/Claims\.check\("mse is small"\): holds must be a boolean .*got number 0\.004/);
    expect(() => loose.check("mse is small", "true", "0.004")).toThrow(/holds must be a boolean/);
    expect(() => loose.check("mse is small", undefined, "0.004")).toThrow(/got undefined/);
    // Also in quick mode, where a full-size-only claim is not judged: the mistake is in the notebook either way.
    const quick = new Claims({ quick: true }) as unknown as typeof loose;
    expect(() => quick.check("x", 1, "1", { fullSizeOnly: true })).toThrow(/holds must be a boolean/);
    expect(claims.records).toEqual([]);
  });

  it("rejects an empty statement, a bad measurement, unknown options and a missing quick", () => {
    const claims = new Claims({ quick: false });
    const loose = claims as unknown as { check(s: unknown, holds: unknown, m: unknown, o?: unknown): void };
    expect(() => loose.check("  ", true, "1")).toThrow(/statement must be a non-empty string/);
    expect(() => loose.check("s", true, undefined)).toThrow(/measured must be a string or a number, got undefined/);
    expect(() => loose.check("s", true, "1", { fullsizeOnly: true })).toThrow(/unknown option\(s\) fullsizeOnly/);
    expect(() => loose.check("s", true, "1", { fullSizeOnly: "yes" })).toThrow(/fullSizeOnly must be a boolean/);
    expect(() => new Claims({} as { quick: boolean })).toThrow(/pass the notebook's quick parameter/);
    expect(claims.records).toEqual([]);
  });

  it("prints the text line outside a notebook", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    new Claims({ quick: true }).check("t", true, 3, { fullSizeOnly: true });
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toBe("○ not checked in quick mode: t  (measured at quick size: 3)");
  });
});

describe("Claims.summary", () => {
  it("displays the counts and repeats the failed claims", () => {
    const claims = new Claims({ quick: true });
    const bundles = inKernel(() => {
      claims.check("one", true, 1);
      claims.check("two", false, 2);
      claims.check("three", true, 3, { fullSizeOnly: true });
      claims.summary();
    });
    expect(bundles).toHaveLength(4);
    expect(claims.counts()).toEqual({ held: 1, failed: 1, notChecked: 1 });
    const summary = bundles[3];
    expect(summary[CLAIM_MIME]).toBeUndefined(); // the runner counts claims, not summaries
    expect(summary["text/plain"]).toBe("Claims: 1 held, 1 failed, 1 not checked in quick mode\n✘ FAILED: two  (measured: 2)");
    expect(String(summary["text/html"])).toContain("1 held, 1 failed");
  });

  it("phrases the counts the way the runner prints them", () => {
    expect(describeClaimCounts({ held: 0, failed: 2, notChecked: 5 })).toBe("0 held, 2 failed, 5 not checked in quick mode");
  });
});

describe("claimBundle", () => {
  it("colours each status differently in HTML", () => {
    const html = (status: ClaimRecord["status"]) => String(claimBundle({ statement: "s", status, measured: 1, fullSizeOnly: false })["text/html"]);
    const colour = (h: string) => /color:(#[0-9a-f]{6})/.exec(h)?.[1];
    expect(new Set([colour(html("held")), colour(html("failed")), colour(html("not-checked"))]).size).toBe(3);
  });
});
