/** Box plots: the spread of repeated measurements (runs over seeds), one box per group. */
import { axis, Shape, shapesJson, valuesAlong } from "./axes";
import { Figure, Trace } from "./figure";
import { baseLayout, ColorRef, FigureOptions, figure, Layout, legendNames, obj, withAlpha } from "./style";
import { checkHeight, describe, empty, fail, finite, Numbers, nonEmptyList, positiveForLog, resolveColor, seriesWhere } from "./validate";

/** One box of `box`: the measurements of one group (one variant over its seeds). */
export interface BoxGroup {
  name: string;
  values: Numbers;
  color?: ColorRef;
  /** Hover text of each point (e.g. "seed 3"), one per value. */
  labels?: readonly string[];
}

/** Options of `box`. */
export interface BoxOptions extends FigureOptions {
  groups: readonly BoxGroup[];
  /** Log scale on the value axis. */
  logValues?: boolean;
  /** Title of the category axis. */
  categoryTitle?: string;
  /** Title of the value axis. */
  valueTitle?: string;
  /** Draw every measurement as a point beside its box (default true: with a handful of seeds the points say more than the quartiles). */
  showPoints?: boolean;
  /** Reference lines in data coordinates (an `hline` for a baseline). */
  shapes?: readonly Shape[];
}

/**
 * One box per group: median, quartiles, whiskers to the extreme values
 * within 1.5 interquartile ranges, the mean as a dashed line, and (by
 * default) every measurement as a point beside its box.
 * Used in lesson 06 (every LSTM variant over several seeds, as in Greff et
 * al.'s box plots).
 */
export function box(options: BoxOptions): Figure {
  const fn = "box";
  checkHeight(fn, options.height);
  const groups = nonEmptyList(fn, "groups", options.groups);
  const log = options.logValues === true;
  const showPoints = options.showPoints ?? true;
  const seen = new Set<string>();
  const data: Trace[] = groups.map((g, i) => {
    const where = seriesWhere(fn, "groups", g.name, i);
    if (seen.has(g.name)) fail(fn, `group "${g.name}" appears twice (its boxes would be drawn on top of each other)`);
    seen.add(g.name);
    const values = finite(where, "values", g.values);
    if (values.length === 0) empty(where, "no values");
    if (log) positiveForLog(where, "values", values, "y");
    let text: string[] | undefined;
    if (g.labels !== undefined) {
      if (!Array.isArray(g.labels)) fail(where, `labels must be an array of strings, got ${describe(g.labels)}`);
      if (g.labels.length !== values.length) fail(where, `labels has ${g.labels.length} entries but there are ${values.length} values`);
      text = g.labels.map(String);
    }
    const color = resolveColor(where, g.color, i);
    return {
      type: "box",
      name: g.name,
      x: values.map(() => g.name),
      y: values,
      text,
      boxmean: true,
      boxpoints: showPoints ? "all" : "outliers",
      jitter: showPoints ? 0.3 : undefined,
      pointpos: showPoints ? -1.6 : undefined,
      marker: { color, size: 6 },
      line: { color, width: 1.5 },
      fillcolor: withAlpha(color, 0.25),
      hovertemplate: `%{y:.4g}${text ? " (%{text})" : ""}<extra>${g.name.replace(/</g, "&lt;")}</extra>`,
    };
  });
  const layout: Layout = {
    ...baseLayout(options, legendNames(options.showLegend ?? false, data)),
    xaxis: obj({ title: options.categoryTitle ? { text: options.categoryTitle } : undefined, type: "category" }),
    yaxis: axis(fn, "y", options.valueTitle, log ? valuesAlong(data, "y") : undefined, undefined),
  };
  const shapes = shapesJson(fn, options.shapes, false, log);
  if (shapes.length > 0) layout.shapes = shapes;
  return figure(data, layout);
}
