/** Histograms: distributions counted into shared bins. */
import { AxesOptions, cartesianLayout, logAxes } from "./axes";
import { Figure, Trace } from "./figure";
import { ColorRef, figure, legendNames, withAlpha } from "./style";
import { empty, fail, finite, Numbers, nonEmptyList, resolveColor, seriesWhere } from "./validate";

/** One distribution of `histogram`. */
export interface HistogramSeries {
  name: string;
  values: Numbers;
  color?: ColorRef;
}

/** Options of `histogram`. */
export interface HistogramOptions extends AxesOptions {
  series: readonly HistogramSeries[];
  /** Number of bins over the common range of all series (default 30). */
  bins?: number;
  /** Range binned (default: min..max of all values); values outside are left out. */
  range?: readonly [number, number];
  /** `count` (default), `probability` (sums to 1), or `density` (integrates to 1). */
  normalize?: "count" | "probability" | "density";
  logY?: boolean;
}

/** Bin counts of `values` over `bins` equal bins from `lo` to `hi` (the last bin includes `hi`). */
export function binCounts(values: readonly number[], bins: number, lo: number, hi: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const width = (hi - lo) / bins;
  for (const v of values) {
    if (v < lo || v > hi) continue;
    const k = width > 0 ? Math.min(bins - 1, Math.floor((v - lo) / width)) : 0;
    counts[k]++;
  }
  return counts;
}

/**
 * Histograms of one or more distributions, overlaid on shared bins. The bins
 * are counted here, so a million values send only the bin counts.
 * Used in lesson 00 (uniform and normal samples from a seeded generator).
 */
export function histogram(options: HistogramOptions): Figure {
  const fn = "histogram";
  const series = nonEmptyList(fn, "series", options.series);
  const bins = options.bins ?? 30;
  if (!Number.isInteger(bins) || bins < 1) fail(fn, `bins must be a positive integer, got ${bins}`);
  const all = series.map((s, i) => {
    const where = seriesWhere(fn, "series", s.name, i);
    const values = finite(where, "values", s.values);
    if (values.length === 0) empty(where, "no values");
    return values;
  });
  let lo: number;
  let hi: number;
  if (options.range !== undefined) {
    [lo, hi] = finite(fn, "range", options.range);
    if (!(hi > lo)) fail(fn, `range must be [min, max] with max > min, got [${lo}, ${hi}]`);
  } else {
    lo = Infinity;
    hi = -Infinity;
    for (const values of all) for (const v of values) { if (v < lo) lo = v; if (v > hi) hi = v; }
    if (hi === lo) { lo -= 0.5; hi += 0.5; }
  }
  const width = (hi - lo) / bins;
  const centers = Array.from({ length: bins }, (_, k) => lo + (k + 0.5) * width);
  const overlaid = series.length > 1;
  const normalize = options.normalize ?? "count";
  const data: Trace[] = series.map((s, i) => {
    const where = seriesWhere(fn, "series", s.name, i);
    const counts = binCounts(all[i], bins, lo, hi);
    const n = all[i].length;
    const y = normalize === "probability" ? counts.map((c) => c / n) : normalize === "density" ? counts.map((c) => c / (n * width)) : counts;
    const color = resolveColor(where, s.color, i);
    return {
      type: "bar",
      name: s.name,
      x: centers,
      y,
      // An explicit offset/width draws the bars on the bin edges and overlays
      // the series whatever the layout's barmode (also inside `subplots`).
      width,
      offset: -width / 2,
      marker: { color: withAlpha(color, overlaid ? 0.4 : 0.75), line: { color, width: 1 } },
      hovertemplate: `%{x:.4g}: %{y:.4g}<extra>${s.name.replace(/</g, "&lt;")}</extra>`,
    };
  });
  const yTitle = options.yTitle ?? (normalize === "count" ? "count" : normalize);
  // Empty bins (height 0) have no place on a log axis; plotly leaves them out and so do the ticks.
  const layout = cartesianLayout(fn, { ...options, yTitle }, legendNames(options.showLegend ?? overlaid, data), logAxes(data, false, options.logY === true));
  layout.bargap = 0;
  return figure(data, layout);
}
