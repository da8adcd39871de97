/** Grouped bar charts: one value per category and series. */
import { axis, Shape, shapesJson, valuesAlong } from "./axes";
import { Figure, Trace } from "./figure";
import { baseLayout, ColorRef, FigureOptions, figure, formatNumber, Layout, legendNames, obj, trimZeros } from "./style";
import { checkHeight, describe, fail, finite, Numbers, nonEmptyList, positiveForLog, resolveColor, seriesWhere } from "./validate";

/** One group member of `bars`: one value per category. */
export interface BarSeries {
  name: string;
  values: Numbers;
  color?: ColorRef;
}

/** Options of `bars`. */
export interface BarsOptions extends FigureOptions {
  categories: readonly string[];
  series: readonly BarSeries[];
  /** Bars along x (default false: vertical bars). */
  horizontal?: boolean;
  /** Log scale on the value axis. */
  logValues?: boolean;
  /** Title of the category axis. */
  categoryTitle?: string;
  /** Title of the value axis. */
  valueTitle?: string;
  /** Print each value on its bar (default true when there are at most 40 bars). */
  showValues?: boolean;
  shapes?: readonly Shape[];
}

/**
 * Grouped bars: one group per category, one bar per series (perplexity tables).
 * Used in lesson 00 (a made-up perplexity comparison), 01 (what follows a
 * context; held-out tokens with an unseen n-gram or context; each token's
 * surprisal) and 02 (recall accuracy against the truncation length k; the
 * next-character distribution at three temperatures).
 */
export function bars(options: BarsOptions): Figure {
  const fn = "bars";
  checkHeight(fn, options.height);
  const categories = nonEmptyList(fn, "categories", options.categories);
  const seen = new Set<string>();
  categories.forEach((c, i) => {
    if (typeof c !== "string") fail(fn, `categories[${i}] is ${describe(c)}, not a string`);
    if (seen.has(c)) fail(fn, `category "${c}" appears twice (bars of the same category would be merged)`);
    seen.add(c);
  });
  const series = nonEmptyList(fn, "series", options.series);
  const log = options.logValues === true;
  const showValues = options.showValues ?? categories.length * series.length <= 40;
  const horizontal = options.horizontal === true;
  const data: Trace[] = series.map((s, i) => {
    const where = seriesWhere(fn, "series", s.name, i);
    const values = finite(where, "values", s.values);
    if (values.length !== categories.length) fail(where, `values has ${values.length} values but there are ${categories.length} categories`);
    if (log) positiveForLog(where, "values", values, horizontal ? "x" : "y");
    return {
      type: "bar",
      name: s.name,
      orientation: horizontal ? "h" : "v",
      x: horizontal ? values : [...categories],
      y: horizontal ? [...categories] : values,
      marker: { color: resolveColor(where, s.color, i) },
      text: showValues ? values.map((v) => trimZeros(formatNumber(v))) : undefined,
      textposition: showValues ? "outside" : undefined,
      cliponaxis: false,
    };
  });
  const catAxis = obj({ title: options.categoryTitle ? { text: options.categoryTitle } : undefined, type: "category" });
  const valueAxis = horizontal ? "x" : "y";
  const valAxis = axis(fn, valueAxis, options.valueTitle, log ? valuesAlong(data, valueAxis) : undefined, undefined);
  const layout: Layout = {
    ...baseLayout(options, legendNames(options.showLegend ?? series.length > 1, data)),
    barmode: "group",
    xaxis: horizontal ? valAxis : catAxis,
    yaxis: horizontal ? { ...catAxis, autorange: "reversed" } : valAxis,
  };
  const shapes = shapesJson(fn, options.shapes, horizontal && log, !horizontal && log);
  if (shapes.length > 0) layout.shapes = shapes;
  return figure(data, layout);
}
