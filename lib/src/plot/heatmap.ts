/** Heatmaps of a matrix: weights, attention, confusion counts. */
import { Shape, shapesJson } from "./axes";
import { Figure, Json, Trace } from "./figure";
import { baseLayout, Colorscale, colorscaleJson, DIVERGING, FigureOptions, figure, JsonObject, Layout, legendNames, obj } from "./style";
import { checkHeight, describe, fail, finite, matrix, Numbers } from "./validate";

/** Axis labels: numbers (a numeric axis) or strings (tokens; duplicates are fine). */
export type Labels = ReadonlyArray<string | number>;

/** Options of `heatmap`. */
export interface HeatmapOptions extends FigureOptions {
  /** Rows of values: `z[i][j]` is drawn at row `y[i]`, column `x[j]`. */
  z: ReadonlyArray<Numbers>;
  /** Column labels, one per column of z. */
  x?: Labels;
  /** Row labels, one per row of z. */
  y?: Labels;
  xTitle?: string;
  yTitle?: string;
  /** Default Viridis, or the blue–white–red `DIVERGING` when `zmid` is set. */
  colorscale?: Colorscale;
  /** Centre of the colour scale (0 for signed weights). */
  zmid?: number;
  zmin?: number;
  zmax?: number;
  colorbarTitle?: string;
  /** Write each value in its cell (`true` = 2 decimals, or a d3 format such as `".3f"`). */
  showValues?: boolean | string;
  /** Row 0 at the top, as a matrix is written (default false: row 0 at the bottom). */
  reverseY?: boolean;
  shapes?: readonly Shape[];
}

/** Labels on a heatmap axis: strings go through tick labels on integer positions, so repeated tokens stay separate. */
function heatLabels(where: string, name: "x" | "y", labels: Labels | undefined, count: number, countWhat: string): { values?: Json; ticks?: JsonObject; names?: string[]; text: boolean } {
  if (labels === undefined) return { text: false };
  if (!Array.isArray(labels)) fail(where, `${name} must be an array of labels, got ${describe(labels)}`);
  if (labels.length !== count) fail(where, `${name} has ${labels.length} labels but z has ${count} ${countWhat}`);
  if (labels.every((l) => typeof l === "number")) {
    const values = finite(where, name, labels as number[]);
    return { values, names: values.map(String), text: false };
  }
  const names = labels.map(String);
  const positions = names.map((_, i) => i);
  return { values: positions, names, text: true, ticks: { tickmode: "array", tickvals: positions, ticktext: names } };
}

/**
 * Heatmap of a matrix (weights, attention, confusion counts).
 * Used in lesson 00 (Himmelblau's function, beside its contour plot).
 * Used in lessons 08, 09 and 11.
 */
export function heatmap(options: HeatmapOptions): Figure {
  const fn = "heatmap";
  checkHeight(fn, options.height);
  const z = matrix(fn, options.z);
  const columns = z[0].length;
  const xs = heatLabels(fn, "x", options.x, columns, "columns");
  const ys = heatLabels(fn, "y", options.y, z.length, "rows");
  for (const key of ["zmid", "zmin", "zmax"] as const) {
    const v = options[key];
    if (v !== undefined && !Number.isFinite(v)) fail(fn, `${key} must be a finite number, got ${v}`);
  }
  let text: Json | undefined;
  let hovertemplate: string | undefined;
  if (xs.text || ys.text) {
    text = z.map((row, i) => row.map((_, j) => `${ys.names ? ys.names[i] : i} · ${xs.names ? xs.names[j] : j}`));
    hovertemplate = "%{text}<br>%{z:.4g}<extra></extra>";
  }
  const valueFormat = options.showValues === true ? ".2f" : typeof options.showValues === "string" ? options.showValues : undefined;
  const trace: Trace = {
    type: "heatmap",
    z,
    x: xs.values,
    y: ys.values,
    colorscale: colorscaleJson(options.colorscale ?? (options.zmid !== undefined ? DIVERGING : "Viridis")),
    zmid: options.zmid,
    zmin: options.zmin,
    zmax: options.zmax,
    text,
    hovertemplate,
    texttemplate: valueFormat ? `%{z:${valueFormat}}` : undefined,
    colorbar: obj({ title: options.colorbarTitle ? { text: options.colorbarTitle } : undefined, thickness: 14 }),
  };
  const layout: Layout = {
    ...baseLayout(options, legendNames(options.showLegend ?? false, [trace])),
    xaxis: { ...obj({ title: options.xTitle ? { text: options.xTitle } : undefined }), ...xs.ticks, showgrid: false, zeroline: false },
    yaxis: {
      ...obj({ title: options.yTitle ? { text: options.yTitle } : undefined, autorange: options.reverseY ? "reversed" : undefined }),
      ...ys.ticks,
      showgrid: false,
      zeroline: false,
    },
  };
  const shapes = shapesJson(fn, options.shapes, false, false);
  if (shapes.length > 0) layout.shapes = shapes;
  return figure([trace], layout);
}
