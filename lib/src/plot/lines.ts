/** Line plots: loss curves, schedules, sequences on linear or log axes. */
import { AxesOptions, cartesianLayout, logAxes } from "./axes";
import { Figure, Trace } from "./figure";
import { ColorRef, Dash, figure, legendNames, obj, seriesDash } from "./style";
import { empty, finite, Numbers, nonEmptyList, positiveForLog, resolveColor, sameLength, seriesWhere } from "./validate";

/**
 * One line of `lines`.
 * Used in lessons 03, 05 and 11.
 */
export interface LineSeries {
  name: string;
  /** x values (default 0, 1, ..., n-1). */
  x?: Numbers;
  y: Numbers;
  dash?: Dash;
  /** Default `"lines"`. */
  mode?: "lines" | "markers" | "lines+markers";
  color?: ColorRef;
  /** Line width in pixels (default 2). */
  width?: number;
}

/** Options of `lines`. */
export interface LinesOptions extends AxesOptions {
  series: readonly LineSeries[];
  logX?: boolean;
  logY?: boolean;
}

/**
 * Line plot of one or more series (loss curves, schedules), optionally on log axes.
 * Used in lesson 00 (r^k on a log axis; the sampling densities drawn over the
 * histogram), 01 (held-out perplexity against add-k's k; distinct n-grams as
 * the text grows; perplexity against n on training and held-out text), 02
 * (numbers stored against context length; each step's share of ∂J/∂W_hh;
 * held-out perplexity against n-gram order), 03 (a gradient in the
 * eigenbasis; power iteration's error; figs. 1, 3, 4a and 4b on Jacobian
 * products, injected errors and the recall task) and 04 (the one-unit RNN's
 * states; loss and ‖g‖ of gradient descent with and without clipping; angle
 * against the clipping threshold; the character RNN's loss and ‖g‖), and by
 * `LiveLossCurve`.
 * Used in lessons 05, 06, 07, 08, 09, 10 and 11.
 */
export function lines(options: LinesOptions): Figure {
  const fn = "lines";
  const series = nonEmptyList(fn, "series", options.series);
  const logX = options.logX === true;
  const logY = options.logY === true;
  const data: Trace[] = series.map((s, i) => {
    const where = seriesWhere(fn, "series", s.name, i);
    const y = finite(where, "y", s.y);
    if (y.length === 0) empty(where, "y has no values");
    const x = s.x === undefined ? y.map((_, j) => j) : finite(where, "x", s.x);
    sameLength(where, "x", x, "y", y);
    if (logX) positiveForLog(where, s.x === undefined ? "x (default 0..n-1)" : "x", x, "x");
    if (logY) positiveForLog(where, "y", y, "y");
    const color = resolveColor(where, s.color, i);
    // Past the palette's length, a palette colour repeats: such a line gets a dash of its own (a CSS colour does not).
    const paletteIndex = s.color === undefined ? i : typeof s.color === "number" ? s.color : null;
    const mode = s.mode ?? "lines";
    return {
      type: "scatter",
      name: s.name,
      mode,
      x,
      y,
      line: obj({ color, width: s.width ?? 2, dash: s.dash ?? (paletteIndex === null ? undefined : seriesDash(paletteIndex)) }),
      marker: mode === "lines" ? undefined : { color, size: 6 },
    };
  });
  const layout = cartesianLayout(fn, options, legendNames(options.showLegend ?? data.length > 1, data), logAxes(data, logX, logY));
  layout.hovermode = "x unified";
  return figure(data, layout);
}
