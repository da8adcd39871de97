/**
 * Live progress for long cells: a loss curve and a progress bar that are
 * redrawn in place (one output, replaced through a Jupyter display_id), not
 * printed line after line.
 *
 * Updates are throttled by wall time: the first update is drawn at once,
 * later ones at most every `intervalMs` (300 ms), and `done()` always draws
 * the final state. Throttling needs no timer: a push draws when the interval
 * has passed since the last drawing, and otherwise only records. Outside a
 * notebook (tests, scripts) updates are dropped and `done()` prints the final
 * text line once.
 */
import { lines, LineSeries } from "./lines";
import { formatNumber, seriesColor } from "./style";
import { BundleOptions, ensureLibrary, figureBundle, LiveOutput, MimeBundle } from "./display";
import { Figure } from "./figure";

/** Where live updates go: `LiveOutput` by default, or a test double. */
export interface LiveTarget {
  update(bundle: MimeBundle): void;
  close(): void;
}

/** Options shared by the live displays. */
export interface LiveOptions {
  /** Minimum wall time between two drawings, in ms (default 300). */
  intervalMs?: number;
  /** Clock in milliseconds (default `performance.now`); inject a fake one in tests. */
  clock?: () => number;
  /** Output to update (default a new `LiveOutput`). */
  output?: LiveTarget;
}

const DEFAULT_INTERVAL_MS = 300;

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A duration for humans: `850 ms`, `12.3 s`, `4 min 05 s`, `1 h 02 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return "?";
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const total = Math.round(s);
  if (total < 3600) return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, "0")} s`;
  const minutes = Math.floor(total / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** Draw-at-most-every-interval bookkeeping shared by the live displays. */
class Throttled {
  readonly clock: () => number;
  readonly output: LiveTarget;
  private readonly interval: number;
  private lastDraw = -Infinity;
  private dirty = false;
  private closed = false;
  /** Number of bundles sent to the output. */
  draws = 0;

  constructor(where: string, options: LiveOptions, private readonly render: () => MimeBundle) {
    const interval = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    if (!(interval >= 0) || !Number.isFinite(interval)) throw new Error(`${where}: intervalMs must be a non-negative number, got ${interval}`);
    this.interval = interval;
    this.clock = options.clock ?? (() => performance.now());
    this.output = options.output ?? new LiveOutput();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Records a change; draws now if the interval has passed since the last drawing. */
  changed(): void {
    this.dirty = true;
    if (this.clock() - this.lastDraw >= this.interval) this.draw();
  }

  /** Draws now if anything changed since the last drawing (or nothing was drawn yet). */
  flush(): void {
    if (this.dirty || this.draws === 0) this.draw();
  }

  /** Final drawing, then closes the output; later calls do nothing. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.output.close();
  }

  private draw(): void {
    this.output.update(this.render());
    this.draws++;
    this.dirty = false;
    this.lastDraw = this.clock();
  }
}

// ----------------------------------------------------------- loss curve

/** Options of `LiveLossCurve`. */
export interface LiveLossCurveOptions extends LiveOptions {
  /** Names of the curves, in legend (and colour) order, e.g. `["train", "held-out"]`. */
  series: readonly string[];
  title?: string;
  /** Default "step". */
  xTitle?: string;
  /** Default "loss". */
  yTitle?: string;
  logY?: boolean;
  /** Planned number of steps: fixes the x range and shows `step i/total`. */
  totalSteps?: number;
  height?: number;
  /** Points drawn per curve at most (older points are thinned; default 2000). */
  maxPoints?: number;
}

interface Curve {
  steps: number[];
  values: number[];
  last: number | undefined;
}

/**
 * A loss curve redrawn in place while a model trains.
 *
 * ```ts
 * const live = new plot.LiveLossCurve({ title: "training", series: ["train", "held-out"], totalSteps: 500 });
 * for (let step = 1; step <= 500; step++) { ...; live.push("train", step, loss); }
 * live.done();
 * ```
 * Values that cannot be drawn (NaN, ±Infinity, or ≤ 0 on a log axis) are left
 * out of the curve but shown in the status line.
 * Used in lesson 00 (fitting y = wx + b by SGD), 02 (the character RNN on
 * Moby-Dick, training and held-out loss) and 03 (the character RNN whose W_h
 * is examined).
 * Used in lessons 05, 06, 07, 08, 09, 10 and 11.
 */
export class LiveLossCurve {
  private readonly options: LiveLossCurveOptions;
  private readonly curves = new Map<string, Curve>();
  private readonly throttle: Throttled;
  private readonly started: number;
  private lastStep: number | undefined;

  constructor(options: LiveLossCurveOptions) {
    const where = "LiveLossCurve";
    if (!Array.isArray(options.series) || options.series.length === 0) throw new Error(`${where}: give at least one series name`);
    for (const name of options.series) {
      if (typeof name !== "string" || name === "") throw new Error(`${where}: series names must be non-empty strings, got ${JSON.stringify(name)}`);
      if (this.curves.has(name)) throw new Error(`${where}: series "${name}" is listed twice`);
      this.curves.set(name, { steps: [], values: [], last: undefined });
    }
    const total = options.totalSteps;
    if (total !== undefined && !(Number.isFinite(total) && total > 0)) throw new Error(`${where}: totalSteps must be a positive number, got ${total}`);
    const maxPoints = options.maxPoints ?? 2000;
    if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new Error(`${where}: maxPoints must be an integer ≥ 2, got ${maxPoints}`);
    this.options = { ...options, maxPoints };
    this.throttle = new Throttled(where, options, () => this.bundle());
    this.started = this.throttle.clock();
    ensureLibrary();
  }

  /** Adds the value of `series` at `step`; redraws if the last drawing is older than the interval. */
  push(series: string, step: number, value: number): void {
    if (this.throttle.isClosed) throw new Error(`LiveLossCurve.push: called after done()`);
    const curve = this.curves.get(series);
    if (!curve) {
      const known = [...this.curves.keys()].map((n) => `"${n}"`).join(", ");
      throw new Error(`LiveLossCurve.push: unknown series "${series}"; declared series: ${known}`);
    }
    if (typeof step !== "number" || !Number.isFinite(step)) throw new Error(`LiveLossCurve.push: step of "${series}" must be a finite number, got ${step}`);
    if (typeof value !== "number") throw new Error(`LiveLossCurve.push: value of "${series}" must be a number, got ${typeof value}`);
    curve.last = value;
    this.lastStep = this.lastStep === undefined ? step : Math.max(this.lastStep, step);
    if (Number.isFinite(value) && (!this.options.logY || value > 0)) {
      curve.steps.push(step);
      curve.values.push(value);
    }
    this.throttle.changed();
  }

  /** Draws the final state (whatever the throttle) and closes the output. Idempotent. */
  done(): void {
    this.throttle.close();
  }

  /** Number of drawings sent so far. */
  get draws(): number {
    return this.throttle.draws;
  }

  /** The recorded points of `series` (the drawable ones), for a final static figure. */
  history(series: string): { steps: number[]; values: number[] } {
    const curve = this.curves.get(series);
    if (!curve) throw new Error(`LiveLossCurve.history: unknown series "${series}"`);
    return { steps: [...curve.steps], values: [...curve.values] };
  }

  /** The status line, e.g. `step 120/500  train 2.31  held-out 2.45  (12.3 s)`. */
  text(): string {
    const total = this.options.totalSteps;
    const step = this.lastStep === undefined ? "–" : formatNumber(this.lastStep);
    const parts = [`step ${step}${total !== undefined ? `/${formatNumber(total)}` : ""}`];
    for (const [name, curve] of this.curves) parts.push(`${name} ${curve.last === undefined ? "–" : formatNumber(curve.last)}`);
    parts.push(`(${formatDuration(this.throttle.clock() - this.started)})`);
    return parts.join("  ");
  }

  /** The current figure (the same one the notebook shows). */
  figure(): Figure {
    const o = this.options;
    const maxPoints = o.maxPoints ?? 2000;
    const series: LineSeries[] = [];
    let index = 0;
    for (const [name, curve] of this.curves) {
      const color = seriesColor(index++);
      if (curve.steps.length === 0) continue;
      const { steps, values } = thin(curve.steps, curve.values, maxPoints);
      series.push({ name, x: steps, y: values, color });
    }
    const common = {
      title: o.title,
      xTitle: o.xTitle ?? "step",
      yTitle: o.yTitle ?? "loss",
      logY: o.logY,
      height: o.height,
      showLegend: this.curves.size > 1,
      xRange: o.totalSteps !== undefined ? ([0, o.totalSteps] as const) : undefined,
    };
    if (series.length > 0) return lines({ ...common, series });
    // Nothing drawable yet: the same frame, without data.
    const fig = lines({ ...common, series: [{ name: "no data yet", x: [1], y: [1] }], showLegend: false });
    fig.data = [];
    return fig;
  }

  private bundle(): MimeBundle {
    const text = this.text();
    const options: BundleOptions = { includeLibrary: false };
    const bundle = figureBundle(this.figure(), options);
    const status = `<div style="font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#374151;margin:2px 0;white-space:pre">${escapeHtml(text)}</div>\n`;
    return { ...bundle, "text/html": status + String(bundle["text/html"]), "text/plain": text };
  }
}

/** Keeps at most `max` points: every k-th point, and always the last one. */
function thin(steps: number[], values: number[], max: number): { steps: number[]; values: number[] } {
  if (steps.length <= max) return { steps: [...steps], values: [...values] };
  const stride = Math.ceil(steps.length / (max - 1));
  const s: number[] = [];
  const v: number[] = [];
  for (let i = 0; i < steps.length; i += stride) {
    s.push(steps[i]);
    v.push(values[i]);
  }
  if (s[s.length - 1] !== steps[steps.length - 1]) {
    s.push(steps[steps.length - 1]);
    v.push(values[values.length - 1]);
  }
  return { steps: s, values: v };
}

// ---------------------------------------------------------- progress bar

/** Options of `ProgressBar`. */
export interface ProgressBarOptions extends LiveOptions {
  /** Number of steps of the whole task. */
  total: number;
  /** Shown before the bar, e.g. "epoch 3". */
  label?: string;
}

/**
 * A progress bar redrawn in place: steps done / total, elapsed time, an
 * estimate of the time left, and an optional message.
 *
 * ```ts
 * const bar = new plot.ProgressBar({ total: batches.length, label: "epoch 1" });
 * for (const b of batches) { ...; bar.tick(1, `loss ${loss.toFixed(3)}`); }
 * bar.done();
 * ```
 * Used in lesson 01 (scoring the models; sampling), 02 (training one RNN per
 * window length), 03 (the recall task) and 04 (the character RNN with and
 * without clipping).
 * Used in lessons 06, 08 and 09.
 */
export class ProgressBar {
  private readonly total: number;
  private readonly label: string | undefined;
  private readonly throttle: Throttled;
  private readonly started: number;
  private count = 0;
  private message: string | undefined;

  constructor(options: ProgressBarOptions) {
    const where = "ProgressBar";
    if (!(Number.isFinite(options.total) && options.total > 0)) throw new Error(`${where}: total must be a positive number, got ${options.total}`);
    this.total = options.total;
    this.label = options.label;
    this.throttle = new Throttled(where, options, () => this.bundle());
    this.started = this.throttle.clock();
    this.throttle.changed(); // show the empty bar at once
  }

  /** Advances by `n` steps (default 1), optionally replacing the message. */
  tick(n = 1, message?: string): void {
    if (!Number.isFinite(n) || n < 0) throw new Error(`ProgressBar.tick: n must be a non-negative number, got ${n}`);
    this.update(this.count + n, message);
  }

  /** Sets the number of steps done, optionally replacing the message. */
  update(done: number, message?: string): void {
    if (this.throttle.isClosed) throw new Error("ProgressBar: update after done()");
    if (!Number.isFinite(done) || done < 0) throw new Error(`ProgressBar.update: done must be a non-negative number, got ${done}`);
    this.count = done;
    if (message !== undefined) this.message = message;
    this.throttle.changed();
  }

  /** Draws the final state and closes the output. Idempotent. */
  done(message?: string): void {
    if (!this.throttle.isClosed && message !== undefined) {
      this.message = message;
      this.throttle.changed();
    }
    this.throttle.close();
  }

  /** Number of drawings sent so far. */
  get draws(): number {
    return this.throttle.draws;
  }

  /** Fraction done, in 0..1. */
  get fraction(): number {
    return Math.min(1, this.count / this.total);
  }

  /** The status line, e.g. `epoch 1  120/500  24%  elapsed 3.2 s  eta 10.1 s  loss 2.31`. */
  text(): string {
    const elapsed = this.throttle.clock() - this.started;
    const parts: string[] = [];
    if (this.label) parts.push(this.label);
    parts.push(`${formatNumber(this.count)}/${formatNumber(this.total)}`, `${Math.floor(this.fraction * 100)}%`, `elapsed ${formatDuration(elapsed)}`);
    if (this.count > 0 && this.count < this.total) parts.push(`eta ${formatDuration((elapsed / this.count) * (this.total - this.count))}`);
    if (this.message) parts.push(this.message);
    return parts.join("  ");
  }

  private bundle(): MimeBundle {
    const text = this.text();
    const pct = (this.fraction * 100).toFixed(1);
    const label = this.label ? `<span style="white-space:nowrap">${escapeHtml(this.label)}</span>` : "";
    const rest = text.slice(this.label ? this.label.length : 0).trim();
    const html =
      `<div class="rnn-course-progress" style="font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px;color:#374151;max-width:720px;margin:2px 0">` +
      `<div style="display:flex;align-items:center;gap:8px">${label}` +
      `<div style="flex:1;min-width:120px;height:10px;background:#E6EAF0;border-radius:5px;overflow:hidden">` +
      `<div style="width:${pct}%;height:100%;background:${seriesColor(0)}"></div></div></div>` +
      `<div style="margin-top:2px;white-space:pre">${escapeHtml(rest)}</div></div>`;
    return { "text/html": html, "text/plain": text };
  }
}
