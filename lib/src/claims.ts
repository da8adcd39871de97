/**
 * Claims: the results a lesson's prose states, checked by the lesson's own run.
 *
 *   const claims = new Claims({ quick: quick });   // once, in the setup cell
 *   claims.check("the LSTM solves the adding problem at T = 100", mse < 0.01, `MSE ${mse.toFixed(4)}`, { fullSizeOnly: true });
 *
 * Each check displays one output: a text line (✔ held / ✘ FAILED / ○ not
 * checked in quick mode, with the measured value beside it), the same line
 * as coloured HTML for the HTML export, and a JSON part (MIME type
 * CLAIM_MIME) that the course runner collects from the executed notebook.
 * A failed claim does not throw, so one run shows every failure; the runner
 * fails the run. docs/authoring.md says how to state results with claims.
 */
import { CLAIM_MIME } from "./constants";
import { displayBundle, MimeBundle } from "./plot";

export type ClaimStatus = "held" | "failed" | "not-checked";

/** One checked claim: what a check displays in its CLAIM_MIME part, and what the runner reads back. */
export interface ClaimRecord {
  statement: string;
  status: ClaimStatus;
  /** The value the claim was judged on, as the author passed it (a non-finite number becomes its string, as JSON has none). */
  measured: string | number;
  fullSizeOnly: boolean;
}

export interface ClaimOptions {
  /**
   * The result needs the full-size run (the experiment is too small in quick
   * mode to show it). In quick mode the claim is reported "not-checked",
   * never "held".
   */
  fullSizeOnly?: boolean;
}

export interface ClaimCounts {
  held: number;
  failed: number;
  notChecked: number;
}

export interface ClaimsOptions {
  /** The notebook's `quick` parameter. */
  quick: boolean;
}

const OPTION_NAMES = new Set(["fullSizeOnly"]);

/** A measured number as the text line shows it: integers whole, others to 4 significant digits. */
function formatMeasured(measured: string | number): string {
  if (typeof measured === "string") return measured;
  if (Number.isInteger(measured)) return String(measured);
  return Number.isFinite(measured) ? String(Number(measured.toPrecision(4))) : String(measured);
}

/** The claim's text line, as printed outside a notebook and shown where no HTML is rendered. */
export function claimText(claim: ClaimRecord): string {
  const measured = formatMeasured(claim.measured);
  switch (claim.status) {
    case "held":
      return `✔ held: ${claim.statement}  (measured: ${measured})`;
    case "failed":
      return `✘ FAILED: ${claim.statement}  (measured: ${measured})`;
    case "not-checked":
      return `○ not checked in quick mode: ${claim.statement}  (measured at quick size: ${measured})`;
  }
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] as string);

const STYLE: Record<ClaimStatus, { color: string; mark: string; label: string; measuredLabel: string }> = {
  held: { color: "#1a7f37", mark: "✔", label: "held", measuredLabel: "measured" },
  failed: { color: "#cf222e", mark: "✘", label: "FAILED", measuredLabel: "measured" },
  "not-checked": { color: "#6e7781", mark: "○", label: "not checked in quick mode", measuredLabel: "measured at quick size" },
};

/** The display bundle of one claim: text, HTML and the CLAIM_MIME part. */
export function claimBundle(claim: ClaimRecord): MimeBundle {
  const s = STYLE[claim.status];
  const html =
    `<div class="rnn-course-claim" data-status="${claim.status}" style="margin:.15em 0;font-family:system-ui,sans-serif;color:${s.color}">` +
    `${s.mark} <b>${escapeHtml(s.label)}</b>: ${escapeHtml(claim.statement)} ` +
    `<span style="color:#57606a">(${s.measuredLabel}: ${escapeHtml(formatMeasured(claim.measured))})</span></div>`;
  return {
    [CLAIM_MIME]: { ...claim },
    "text/html": html,
    "text/plain": claimText(claim),
  };
}

/** "3 held, 1 failed, 2 not checked in quick mode": the phrase the summary and the course runner print. */
export function describeClaimCounts(counts: ClaimCounts): string {
  return `${counts.held} held, ${counts.failed} failed, ${counts.notChecked} not checked in quick mode`;
}

/**
 * The claims of one notebook run.
 * Used in lessons 00, 01, 02, 03, 04, 05, 06, 07, 08, 09, 10 and 11.
 */
export class Claims {
  private readonly quick: boolean;
  private readonly checked: ClaimRecord[] = [];

  constructor(options: ClaimsOptions) {
    if (typeof options?.quick !== "boolean") {
      throw new Error(`Claims: pass the notebook's quick parameter, new Claims({ quick: quick }); got quick = ${String(options?.quick)}`);
    }
    this.quick = options.quick;
  }

  /**
   * Checks one stated result and displays the verdict. `holds` is the test
   * (a boolean, computed from the run); `measured` is what it was judged on,
   * shown beside the statement so a reader sees the number. Never throws
   * for a claim that fails: the course runner reports it and fails the run.
   * Returns nothing, so a check as a cell's last line echoes no value.
   */
  check(statement: string, holds: boolean, measured: string | number, options: ClaimOptions = {}): void {
    if (typeof statement !== "string" || statement.trim() === "") {
      throw new Error(`Claims.check: the statement must be a non-empty string, got ${JSON.stringify(statement)}`);
    }
    if (typeof holds !== "boolean") {
      throw new Error(
        `Claims.check("${statement}"): holds must be a boolean (a comparison such as mse < 0.01), got ${typeof holds} ${String(holds)}`,
      );
    }
    if (typeof measured !== "string" && typeof measured !== "number") {
      throw new Error(`Claims.check("${statement}"): measured must be a string or a number, got ${typeof measured}`);
    }
    if (typeof options !== "object" || options === null) {
      throw new Error(`Claims.check("${statement}"): options must be an object such as { fullSizeOnly: true }`);
    }
    const unknown = Object.keys(options).filter((k) => !OPTION_NAMES.has(k));
    if (unknown.length) {
      throw new Error(`Claims.check("${statement}"): unknown option(s) ${unknown.join(", ")}; the only option is fullSizeOnly`);
    }
    if (options.fullSizeOnly !== undefined && typeof options.fullSizeOnly !== "boolean") {
      throw new Error(`Claims.check("${statement}"): fullSizeOnly must be a boolean`);
    }
    const fullSizeOnly = options.fullSizeOnly ?? false;
    const status: ClaimStatus = fullSizeOnly && this.quick ? "not-checked" : holds ? "held" : "failed";
    const record: ClaimRecord = {
      statement,
      status,
      measured: typeof measured === "number" && !Number.isFinite(measured) ? String(measured) : measured,
      fullSizeOnly,
    };
    this.checked.push(record);
    displayBundle(claimBundle(record));
  }

  /** Every claim checked so far, in order (copies: the verdicts cannot be edited afterwards). */
  get records(): ClaimRecord[] {
    return this.checked.map((c) => ({ ...c }));
  }

  /** How many claims held, failed, and were not checked (full-size only, in quick mode). */
  counts(): ClaimCounts {
    const count = (status: ClaimStatus) => this.checked.filter((c) => c.status === status).length;
    return { held: count("held"), failed: count("failed"), notChecked: count("not-checked") };
  }

  /** Displays the counts and repeats each failed claim (`counts()` returns them). */
  summary(): void {
    const counts = this.counts();
    const line = `Claims: ${describeClaimCounts(counts)}`;
    const failed = this.checked.filter((c) => c.status === "failed");
    const colour = counts.failed ? STYLE.failed.color : STYLE.held.color;
    displayBundle({
      "text/plain": [line, ...failed.map(claimText)].join("\n"),
      "text/html":
        `<div class="rnn-course-claims-summary" style="margin:.3em 0;font-family:system-ui,sans-serif;color:${colour}"><b>${escapeHtml(line)}</b>` +
        failed.map((c) => `<br>${STYLE.failed.mark} ${escapeHtml(c.statement)}`).join("") +
        `</div>`,
    });
  }
}
