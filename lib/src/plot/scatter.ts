/** Scatter plots: points such as embeddings, or eigenvalues in the complex plane. */
import { AxesOptions, cartesianLayout, logAxes } from "./axes";
import { Figure, Json, Trace } from "./figure";
import { ColorRef, figure, JsonObject, legendNames, obj } from "./style";
import { describe, empty, fail, finite, Numbers, nonEmptyList, positiveForLog, resolveColor, sameLength, seriesWhere } from "./validate";

/** Marker symbols. */
export type MarkerSymbol = "circle" | "square" | "diamond" | "cross" | "x" | "triangle-up" | "triangle-down" | "star";

/** One set of points of `scatter`. */
export interface ScatterSeries {
  name: string;
  x: Numbers;
  y: Numbers;
  /** Hover text, one per point. */
  text?: readonly string[];
  /** Marker size in pixels: one for all points, or one per point (default 8). */
  size?: number | Numbers;
  color?: ColorRef;
  symbol?: MarkerSymbol;
  /** Marker opacity 0..1 (default 0.85). */
  opacity?: number;
}

/** Options of `scatter`. */
export interface ScatterOptions extends AxesOptions {
  series: readonly ScatterSeries[];
  logX?: boolean;
  logY?: boolean;
  /** One unit of x is as long as one unit of y on screen. */
  equalAxes?: boolean;
  /** Draws the unit circle (for eigenvalues in the complex plane); implies `equalAxes` unless it is false. */
  unitCircle?: boolean;
}

/**
 * Scatter plot of points (embeddings, eigenvalues with `unitCircle`), with optional equal axes and shapes.
 * Used in lesson 00 (eigenvalues of a random matrix around the unit circle),
 * 03 (fig. 2, eigenvalues of W_h before and after training) and 10 (gate saturation per unit).
 */
export function scatter(options: ScatterOptions): Figure {
  const fn = "scatter";
  const series = nonEmptyList(fn, "series", options.series);
  const logX = options.logX === true;
  const logY = options.logY === true;
  const data: Trace[] = series.map((s, i) => {
    const where = seriesWhere(fn, "series", s.name, i);
    const x = finite(where, "x", s.x);
    const y = finite(where, "y", s.y);
    sameLength(where, "x", x, "y", y);
    if (x.length === 0) empty(where, "no points");
    if (logX) positiveForLog(where, "x", x, "x");
    if (logY) positiveForLog(where, "y", y, "y");
    let text: string[] | undefined;
    if (s.text !== undefined) {
      if (!Array.isArray(s.text)) fail(where, `text must be an array of strings, got ${describe(s.text)}`);
      sameLength(where, "text", s.text, "x", x);
      text = s.text.map(String);
    }
    let size: Json = 8;
    if (typeof s.size === "number") {
      if (!(s.size > 0)) fail(where, `size must be positive, got ${s.size}`);
      size = s.size;
    } else if (s.size !== undefined) {
      const sizes = finite(where, "size", s.size);
      sameLength(where, "size", sizes, "x", x);
      size = sizes;
    }
    return {
      type: "scatter",
      name: s.name,
      mode: "markers",
      x,
      y,
      text,
      marker: obj({ color: resolveColor(where, s.color, i), size, symbol: s.symbol, opacity: s.opacity ?? 0.85 }),
    };
  });
  const unit: Json[] = options.unitCircle
    ? [{ type: "circle", xref: "x", yref: "y", layer: "below", x0: -1, x1: 1, y0: -1, y1: 1, line: { color: "#6B7280", width: 1.5, dash: "dash" } }]
    : [];
  if (options.unitCircle && (logX || logY)) fail(fn, "unitCircle cannot be drawn on log axes");
  const layout = cartesianLayout(fn, options, legendNames(options.showLegend ?? data.length > 1, data), logAxes(data, logX, logY), unit);
  if (options.equalAxes ?? options.unitCircle === true) {
    layout.xaxis = { ...(layout.xaxis as JsonObject), constrain: "domain" };
    layout.yaxis = { ...(layout.yaxis as JsonObject), scaleanchor: "x", scaleratio: 1, constrain: "domain" };
  }
  return figure(data, layout);
}
