/**
 * Figure builders: pure functions from typed options to a `Figure` (plain
 * plotly JSON). They share one look (white background, light grid, legend
 * above the plot) and one colour sequence, so series `i` has the same colour
 * in every figure. Inputs are checked: a bad length, a ragged matrix, a
 * NaN, or a value a log axis cannot show throws an Error that names the
 * builder, the series and the problem, instead of drawing a silently wrong plot.
 */
import { Figure, Json, Trace } from "./figure";

type JsonObject = { [key: string]: Json };
type Layout = Figure["layout"];

/** Numbers as the builders accept them: an array, or a typed array (`tensor.dataSync()`). */
export type Numbers = ArrayLike<number>;

/** A colour: a CSS colour string (`"#0072B2"`, `"rgb(0,114,178)"`, `"black"`), or an index into `PALETTE`. */
export type ColorRef = string | number;

/** Line dash styles. */
export type Dash = "solid" | "dot" | "dash" | "longdash" | "dashdot" | "longdashdot";

/** A named plotly colour scale, or a custom one as `[position in 0..1, colour]` stops. */
export type Colorscale =
  | "Viridis"
  | "Cividis"
  | "Blues"
  | "Greens"
  | "Greys"
  | "Reds"
  | "YlGnBu"
  | "YlOrRd"
  | "Hot"
  | "RdBu"
  | "Picnic"
  | "Portland"
  | "Electric"
  | "Jet"
  | ReadonlyArray<readonly [number, string]>;

/**
 * The colour sequence (Okabe & Ito, readable with the common colour-vision
 * deficiencies). Series `i` of a figure gets `PALETTE[i % PALETTE.length]`
 * unless it sets `color`.
 */
export const PALETTE: readonly string[] = Object.freeze([
  "#0072B2", // blue
  "#E69F00", // orange
  "#009E73", // bluish green
  "#D55E00", // vermillion
  "#CC79A7", // reddish purple
  "#56B4E9", // sky blue
  "#000000", // black
  "#999999", // grey
]);

/** The colour of series number `index` (0-based): `PALETTE[index % PALETTE.length]`. */
export function seriesColor(index: number): string {
  if (!Number.isInteger(index) || index < 0) throw new Error(`seriesColor: index must be a non-negative integer, got ${index}`);
  return PALETTE[index % PALETTE.length];
}

/** A blue–white–red scale for signed data centred on `zmid` (ColorBrewer RdBu, reversed: negative is blue). */
export const DIVERGING: Colorscale = [
  [0, "#2166AC"],
  [0.25, "#92C5DE"],
  [0.5, "#F7F7F7"],
  [0.75, "#F4A582"],
  [1, "#B2182B"],
];

/** A light sequential scale (white → slate) under which coloured paths stay visible; the default of `contour`. */
export const LIGHT: Colorscale = [
  [0, "#FFFFFF"],
  [0.5, "#C9D3E0"],
  [1, "#5B6B80"],
];

/**
 * Formats a number for tables and status lines with `digits` significant
 * digits: integers in full with thousands separators (`1,234,567`), very large
 * or small values in exponent form (`1.235e-5`), others rounded (`2.312`, `123.5`).
 */
export function formatNumber(value: number, digits = 4): string {
  if (!Number.isInteger(digits) || digits < 1 || digits > 15) throw new Error(`formatNumber: digits must be an integer in 1..15, got ${digits}`);
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "∞";
  if (value === -Infinity) return "−∞";
  const abs = Math.abs(value);
  if (Number.isInteger(value) && abs < 1e15) return value.toLocaleString("en-US", { maximumFractionDigits: 0 });
  if (abs >= 1e6 || abs < 1e-3) return value.toExponential(digits - 1);
  if (abs >= 10 ** (digits - 1)) {
    return value.toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  }
  return value.toPrecision(digits);
}

/** `48.20` → `48.2`, `2.000` → `2` (not in exponent forms). */
function trimZeros(s: string): string {
  return /^[^e]*\.\d*$/.test(s) ? s.replace(/\.?0+$/, "") : s;
}

// ---------------------------------------------------------------- validation

function fail(where: string, problem: string): never {
  throw new Error(`${where}: ${problem}`);
}

/** `lines: series "a" is empty (y has no values)`. */
function empty(where: string, detail: string): never {
  throw new Error(`${where} is empty (${detail})`);
}

function describe(v: unknown): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  return typeof v === "string" ? JSON.stringify(v) : `${typeof v} ${String(v)}`;
}

function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return (
    v !== null &&
    typeof v === "object" &&
    typeof (v as { length?: unknown }).length === "number"
  );
}

/** Copies `values` into a plain array, checking each is a finite number. */
function finite(where: string, label: string, values: Numbers | undefined): number[] {
  if (!isArrayLike(values)) fail(where, `${label} must be an array of numbers, got ${describe(values)}`);
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v: unknown = values[i];
    if (typeof v !== "number") fail(where, `${label}[${i}] is ${describe(v)}, not a number`);
    if (!Number.isFinite(v)) {
      fail(where, `${label}[${i}] is ${v}; remove or replace non-finite values (NaN, ±Infinity) before plotting`);
    }
    out[i] = v;
  }
  return out;
}

function positiveForLog(where: string, label: string, values: readonly number[], axis: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] > 0)) {
      fail(where, `${label}[${i}] = ${values[i]} cannot be drawn on the log ${axis} axis (values must be > 0)`);
    }
  }
}

function sameLength(where: string, aLabel: string, a: { length: number }, bLabel: string, b: { length: number }): void {
  if (a.length !== b.length) fail(where, `${aLabel} has ${a.length} values but ${bLabel} has ${b.length}`);
}

function nonEmptyList<T>(where: string, what: string, list: readonly T[] | undefined): readonly T[] {
  if (!Array.isArray(list)) fail(where, `${what} must be an array, got ${describe(list)}`);
  if (list.length === 0) fail(where, `no ${what} given`);
  return list;
}

function seriesWhere(fn: string, kind: string, name: unknown, index: number): string {
  if (typeof name !== "string" || name === "") fail(fn, `${kind} ${index} needs a non-empty string name, got ${describe(name)}`);
  return `${fn}: ${kind} "${name}"`;
}

function matrix(where: string, z: ReadonlyArray<Numbers> | undefined): number[][] {
  if (!Array.isArray(z)) fail(where, `z must be an array of rows, got ${describe(z)}`);
  if (z.length === 0) fail(where, "z is empty (no rows)");
  const rows: number[][] = [];
  for (let i = 0; i < z.length; i++) {
    const row = finite(where, `z[${i}]`, z[i]);
    if (row.length === 0) fail(where, `z row ${i} is empty`);
    if (i > 0 && row.length !== rows[0].length) {
      fail(where, `z row ${i} has ${row.length} values but row 0 has ${rows[0].length} (z must be rectangular)`);
    }
    rows.push(row);
  }
  return rows;
}

function checkHeight(where: string, height: number | undefined): void {
  if (height !== undefined && !(Number.isFinite(height) && height > 0)) fail(where, `height must be a positive number of pixels, got ${height}`);
}

function resolveColor(where: string, color: ColorRef | undefined, index: number): string {
  if (color === undefined) return seriesColor(index);
  if (typeof color === "number") {
    if (!Number.isInteger(color) || color < 0) fail(where, `color index must be a non-negative integer, got ${color}`);
    return seriesColor(color);
  }
  if (typeof color !== "string" || color.trim() === "") fail(where, `color must be a CSS colour or a palette index, got ${describe(color)}`);
  if (/^[0-9a-f]{3}([0-9a-f]{3})?$/i.test(color)) fail(where, `color "${color}" is not a CSS colour; did you mean "#${color}"?`);
  return color;
}

/** `#rrggbb` → `rgba(r,g,b,alpha)`; other colour forms are returned unchanged. */
function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) return color;
  return `rgba(${parseInt(m[1], 16)},${parseInt(m[2], 16)},${parseInt(m[3], 16)},${alpha})`;
}

function colorscaleJson(scale: Colorscale): Json {
  if (typeof scale === "string") return scale;
  return scale.map(([at, color]) => [at, color]);
}

// ------------------------------------------------------------------- look

/** Drops `undefined` entries, giving a JSON object. */
function obj(entries: { [key: string]: Json | undefined }): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) out[k] = v;
  return out;
}

/** A figure without `undefined` entries, so it equals its own JSON round trip. */
function figure(data: Trace[], layout: Layout): Figure {
  const strip = <T extends { [key: string]: Json | undefined }>(o: T): T => {
    for (const key of Object.keys(o)) if (o[key] === undefined) delete o[key];
    return o;
  };
  return { data: data.map((t) => strip({ ...t })), layout: strip({ ...layout }) };
}

/** Freezes a JSON value and everything in it (the shared template is referenced by every figure). */
function deepFreeze<T extends Json>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const v of Object.values(value)) deepFreeze(v as Json);
    Object.freeze(value);
  }
  return value;
}

const FONT = "Inter, 'Helvetica Neue', Helvetica, Arial, sans-serif";

const AXIS_STYLE: JsonObject = {
  gridcolor: "#E6EAF0",
  linecolor: "#9AA3AF",
  showline: true,
  zerolinecolor: "#C5CCD6",
  zerolinewidth: 1,
  ticks: "outside",
  tickcolor: "#9AA3AF",
  ticklen: 4,
  automargin: true,
  title: { standoff: 10 },
};

const SCENE_AXIS_STYLE: JsonObject = {
  backgroundcolor: "#FFFFFF",
  gridcolor: "#DDE2EA",
  zerolinecolor: "#B8C0CC",
  showbackground: true,
};

/**
 * The shared template: white background, light grid, readable font and the
 * palette as colorway. Axis settings apply to every x/y axis, including the
 * extra axes of `subplots`.
 */
export const TEMPLATE: JsonObject = deepFreeze({
  layout: {
    paper_bgcolor: "#FFFFFF",
    plot_bgcolor: "#FFFFFF",
    colorway: [...PALETTE],
    font: { family: FONT, size: 13, color: "#1F2937" },
    xaxis: AXIS_STYLE,
    yaxis: AXIS_STYLE,
    scene: { xaxis: SCENE_AXIS_STYLE, yaxis: SCENE_AXIS_STYLE, zaxis: SCENE_AXIS_STYLE },
    hoverlabel: { font: { family: FONT } },
  },
});

/** Options every builder takes. */
export interface FigureOptions {
  /** Title above the figure. */
  title?: string;
  /** Height in pixels (default 420; the width follows the notebook). */
  height?: number;
  /** Show the legend (default: when there is more than one named series). */
  showLegend?: boolean;
}

/** Options of builders with x/y axes. */
export interface AxesOptions extends FigureOptions {
  xTitle?: string;
  yTitle?: string;
  /** Fixed x range, in data units (also on a log axis). */
  xRange?: readonly [number, number];
  /** Fixed y range, in data units (also on a log axis). */
  yRange?: readonly [number, number];
  /** Reference lines, circles and rectangles drawn in data coordinates. */
  shapes?: readonly Shape[];
}

/** A shape drawn in data coordinates (data values also on a log axis). */
export type Shape =
  | { kind: "circle"; cx: number; cy: number; r: number; color?: string; dash?: Dash; fill?: string }
  | { kind: "line"; x0: number; y0: number; x1: number; y1: number; color?: string; dash?: Dash }
  | { kind: "hline"; y: number; color?: string; dash?: Dash }
  | { kind: "vline"; x: number; color?: string; dash?: Dash }
  | { kind: "rect"; x0: number; y0: number; x1: number; y1: number; color?: string; fill?: string };

const DEFAULT_HEIGHT = 420;

function baseLayout(options: FigureOptions, legend: boolean): Layout {
  const title = options.title;
  return {
    template: TEMPLATE,
    title: title ? { text: title, x: 0.01, xanchor: "left", font: { size: 17 } } : undefined,
    height: options.height ?? DEFAULT_HEIGHT,
    margin: { l: 64, r: 24, t: (title ? 52 : 16) + (legend ? 30 : 0), b: 52 },
    showlegend: legend,
    legend: legend ? { orientation: "h", x: 0, xanchor: "left", y: 1.01, yanchor: "bottom", bgcolor: "rgba(255,255,255,0)" } : undefined,
    hovermode: "closest",
  };
}

function axisRange(where: string, axis: string, range: readonly [number, number] | undefined, log: boolean): Json | undefined {
  if (range === undefined) return undefined;
  const values = finite(where, `${axis}Range`, range);
  if (values.length !== 2) fail(where, `${axis}Range must be [min, max], got ${values.length} values`);
  if (log) {
    positiveForLog(where, `${axis}Range`, values, axis);
    return values.map((v) => Math.log10(v));
  }
  return values;
}

function axis(where: string, name: "x" | "y", title: string | undefined, log: boolean, range: readonly [number, number] | undefined): JsonObject {
  return obj({
    title: title ? { text: title } : undefined,
    type: log ? "log" : undefined,
    range: axisRange(where, name, range, log),
  });
}

function shapesJson(where: string, shapes: readonly Shape[] | undefined, logX: boolean, logY: boolean): Json[] {
  if (shapes === undefined) return [];
  if (!Array.isArray(shapes)) fail(where, `shapes must be an array, got ${describe(shapes)}`);
  const at = (i: number, label: string, v: number, log: boolean, axisName: string): number => {
    const name = `shapes[${i}].${label}`;
    if (typeof v !== "number" || !Number.isFinite(v)) fail(where, `${name} must be a finite number, got ${describe(v)}`);
    // Shapes take data values on log axes too (unlike axis ranges, which take log10).
    if (log && !(v > 0)) fail(where, `${name} = ${v} cannot be drawn on the log ${axisName} axis (values must be > 0)`);
    return v;
  };
  const line = (color: string | undefined, dash: Dash | undefined): JsonObject =>
    obj({ color: color ?? "#6B7280", width: 1.5, dash: dash ?? "dash" });
  return shapes.map((s, i): Json => {
    switch (s.kind) {
      case "circle": {
        if (!(s.r > 0)) fail(where, `shapes[${i}] (circle) needs a positive radius, got ${s.r}`);
        return obj({
          type: "circle", xref: "x", yref: "y", layer: "below",
          x0: at(i, "cx-r", s.cx - s.r, logX, "x"), x1: at(i, "cx+r", s.cx + s.r, logX, "x"),
          y0: at(i, "cy-r", s.cy - s.r, logY, "y"), y1: at(i, "cy+r", s.cy + s.r, logY, "y"),
          line: line(s.color, s.dash), fillcolor: s.fill,
        });
      }
      case "line":
        return {
          type: "line", xref: "x", yref: "y",
          x0: at(i, "x0", s.x0, logX, "x"), x1: at(i, "x1", s.x1, logX, "x"),
          y0: at(i, "y0", s.y0, logY, "y"), y1: at(i, "y1", s.y1, logY, "y"),
          line: line(s.color, s.dash),
        };
      case "hline":
        return {
          type: "line", xref: "x domain", yref: "y", x0: 0, x1: 1,
          y0: at(i, "y", s.y, logY, "y"), y1: at(i, "y", s.y, logY, "y"),
          line: line(s.color, s.dash),
        };
      case "vline":
        return {
          type: "line", xref: "x", yref: "y domain", y0: 0, y1: 1,
          x0: at(i, "x", s.x, logX, "x"), x1: at(i, "x", s.x, logX, "x"),
          line: line(s.color, s.dash),
        };
      case "rect":
        return obj({
          type: "rect", xref: "x", yref: "y", layer: "below",
          x0: at(i, "x0", s.x0, logX, "x"), x1: at(i, "x1", s.x1, logX, "x"),
          y0: at(i, "y0", s.y0, logY, "y"), y1: at(i, "y1", s.y1, logY, "y"),
          line: { color: s.color ?? "#9AA3AF", width: 1 },
          fillcolor: s.fill ?? "rgba(154,163,175,0.15)",
        });
      default:
        return fail(where, `shapes[${i}] has unknown kind ${describe((s as { kind?: unknown }).kind)}`);
    }
  });
}

function cartesianLayout(
  where: string,
  options: AxesOptions,
  legend: boolean,
  log: { x: boolean; y: boolean },
  extraShapes: Json[] = [],
): Layout {
  checkHeight(where, options.height);
  const shapes = [...extraShapes, ...shapesJson(where, options.shapes, log.x, log.y)];
  return {
    ...baseLayout(options, legend),
    xaxis: axis(where, "x", options.xTitle, log.x, options.xRange),
    yaxis: axis(where, "y", options.yTitle, log.y, options.yRange),
    shapes: shapes.length > 0 ? shapes : undefined,
  };
}

// ------------------------------------------------------------------ lines

/** One line of `lines`. */
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

/** Line plot of one or more series (loss curves, schedules), optionally on log axes. */
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
    const mode = s.mode ?? "lines";
    return {
      type: "scatter",
      name: s.name,
      mode,
      x,
      y,
      line: obj({ color, width: s.width ?? 2, dash: s.dash }),
      marker: mode === "lines" ? undefined : { color, size: 6 },
    };
  });
  const layout = cartesianLayout(fn, options, options.showLegend ?? data.length > 1, { x: logX, y: logY });
  layout.hovermode = "x unified";
  return figure(data, layout);
}

// ---------------------------------------------------------------- scatter

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

/** Scatter plot of points (embeddings, eigenvalues with `unitCircle`), with optional equal axes and shapes. */
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
  const layout = cartesianLayout(fn, options, options.showLegend ?? data.length > 1, { x: logX, y: logY }, unit);
  if (options.equalAxes ?? options.unitCircle === true) {
    layout.xaxis = { ...(layout.xaxis as JsonObject), constrain: "domain" };
    layout.yaxis = { ...(layout.yaxis as JsonObject), scaleanchor: "x", scaleratio: 1, constrain: "domain" };
  }
  return figure(data, layout);
}

// ---------------------------------------------------------------- heatmap

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

/** Heatmap of a matrix (weights, attention, confusion counts). */
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
    ...baseLayout(options, options.showLegend ?? false),
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

// -------------------------------------------------------------- histogram

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
  const layout = cartesianLayout(fn, { ...options, yTitle }, options.showLegend ?? overlaid, { x: false, y: options.logY === true });
  layout.bargap = 0;
  return figure(data, layout);
}

// ------------------------------------------------------------------- bars

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

/** Grouped bars: one group per category, one bar per series (perplexity tables). */
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
  const valAxis = obj({ title: options.valueTitle ? { text: options.valueTitle } : undefined, type: log ? "log" : undefined });
  const legend = options.showLegend ?? series.length > 1;
  const layout: Layout = {
    ...baseLayout(options, legend),
    barmode: "group",
    xaxis: horizontal ? valAxis : catAxis,
    yaxis: horizontal ? { ...catAxis, autorange: "reversed" } : valAxis,
  };
  const shapes = shapesJson(fn, options.shapes, horizontal && log, !horizontal && log);
  if (shapes.length > 0) layout.shapes = shapes;
  return figure(data, layout);
}

// ---------------------------------------------------------------- contour

/** A path drawn on top of a contour plot (an optimisation trajectory). */
export interface ContourPath {
  name: string;
  x: Numbers;
  y: Numbers;
  color?: ColorRef;
  dash?: Dash;
  /** Mark each point (default true). */
  markers?: boolean;
}

/** Options of `contour`. */
export interface ContourOptions extends AxesOptions {
  /** Column coordinates (length = columns of z). */
  x: Numbers;
  /** Row coordinates (length = rows of z). */
  y: Numbers;
  /** `z[i][j]` is the value at (x[j], y[i]). */
  z: ReadonlyArray<Numbers>;
  /** Default `LIGHT` (white → slate), so the paths drawn on top stand out. */
  colorscale?: Colorscale;
  /** Approximate number of contour levels (default 20). */
  levels?: number;
  /** Fill between levels (default true) or draw the level lines only. */
  fill?: boolean;
  /** Write the level values on the lines. */
  showLabels?: boolean;
  colorbarTitle?: string;
  /** Paths drawn on top (gradient-descent trajectories). */
  overlays?: readonly ContourPath[];
  equalAxes?: boolean;
}

function gridXYZ(where: string, xIn: Numbers, yIn: Numbers, zIn: ReadonlyArray<Numbers>): { x: number[]; y: number[]; z: number[][] } {
  const x = finite(where, "x", xIn);
  const y = finite(where, "y", yIn);
  const z = matrix(where, zIn);
  if (z.length !== y.length) fail(where, `y has ${y.length} values but z has ${z.length} rows (z[i] is the row at y[i])`);
  if (z[0].length !== x.length) fail(where, `x has ${x.length} values but z has ${z[0].length} columns (z[i][j] is at x[j])`);
  return { x, y, z };
}

/** Contour plot of a function on a grid (a loss surface), with trajectories drawn on top. */
export function contour(options: ContourOptions): Figure {
  const fn = "contour";
  const { x, y, z } = gridXYZ(fn, options.x, options.y, options.z);
  const levels = options.levels ?? 20;
  if (!Number.isInteger(levels) || levels < 1) fail(fn, `levels must be a positive integer, got ${levels}`);
  const fill = options.fill ?? true;
  const data: Trace[] = [
    {
      type: "contour",
      name: "",
      x,
      y,
      z,
      colorscale: colorscaleJson(options.colorscale ?? LIGHT),
      ncontours: levels,
      contours: { coloring: fill ? "fill" : "lines", showlabels: options.showLabels === true },
      line: { width: fill ? 0.5 : 1.5 },
      colorbar: obj({ title: options.colorbarTitle ? { text: options.colorbarTitle } : undefined, thickness: 14 }),
      showlegend: false,
    },
  ];
  const overlays = options.overlays ?? [];
  if (!Array.isArray(overlays)) fail(fn, `overlays must be an array, got ${describe(overlays)}`);
  overlays.forEach((p, i) => {
    const where = seriesWhere(fn, "overlay", p.name, i);
    const px = finite(where, "x", p.x);
    const py = finite(where, "y", p.y);
    sameLength(where, "x", px, "y", py);
    if (px.length === 0) empty(where, "no points");
    const color = resolveColor(where, p.color, i);
    const markers = p.markers ?? true;
    data.push({
      type: "scatter",
      name: p.name,
      mode: markers ? "lines+markers" : "lines",
      x: px,
      y: py,
      line: obj({ color, width: 2.5, dash: p.dash }),
      marker: markers ? { color, size: 6, line: { color: "#FFFFFF", width: 1 } } : undefined,
    });
  });
  const layout = cartesianLayout(fn, options, options.showLegend ?? overlays.length > 0, { x: false, y: false });
  // The view is the grid (paths leaving it are clipped), unless a range is given.
  const extent = (v: number[]): Json => [Math.min(...v), Math.max(...v)];
  layout.xaxis = { range: extent(x), ...(layout.xaxis as JsonObject), showgrid: false, zeroline: false };
  layout.yaxis = { range: extent(y), ...(layout.yaxis as JsonObject), showgrid: false, zeroline: false };
  if (options.equalAxes) {
    layout.xaxis = { ...(layout.xaxis as JsonObject), constrain: "domain" };
    layout.yaxis = { ...(layout.yaxis as JsonObject), scaleanchor: "x", scaleratio: 1, constrain: "domain" };
  }
  return figure(data, layout);
}

// ---------------------------------------------------------------- surface

/** A 3-D path drawn with a surface (a trajectory on the loss surface). */
export interface SurfacePath {
  name: string;
  x: Numbers;
  y: Numbers;
  z: Numbers;
  color?: ColorRef;
}

/** Options of `surface`. */
export interface SurfaceOptions extends FigureOptions {
  x: Numbers;
  y: Numbers;
  /** `z[i][j]` is the height at (x[j], y[i]). */
  z: ReadonlyArray<Numbers>;
  xTitle?: string;
  yTitle?: string;
  zTitle?: string;
  colorscale?: Colorscale;
  /** Surface opacity 0..1 (default 0.9, so paths stay visible). */
  opacity?: number;
  /** 3-D lines drawn with the surface. */
  paths?: readonly SurfacePath[];
}

/** 3-D surface of a function on a grid, with optional 3-D paths (trajectories). */
export function surface(options: SurfaceOptions): Figure {
  const fn = "surface";
  checkHeight(fn, options.height);
  const { x, y, z } = gridXYZ(fn, options.x, options.y, options.z);
  const opacity = options.opacity ?? 0.9;
  if (!(opacity >= 0 && opacity <= 1)) fail(fn, `opacity must be in 0..1, got ${opacity}`);
  const data: Trace[] = [
    {
      type: "surface",
      name: "",
      x,
      y,
      z,
      colorscale: colorscaleJson(options.colorscale ?? "Viridis"),
      opacity,
      colorbar: { thickness: 14, len: 0.75 },
      showlegend: false,
    },
  ];
  const paths = options.paths ?? [];
  if (!Array.isArray(paths)) fail(fn, `paths must be an array, got ${describe(paths)}`);
  paths.forEach((p, i) => {
    const where = seriesWhere(fn, "path", p.name, i);
    const px = finite(where, "x", p.x);
    const py = finite(where, "y", p.y);
    const pz = finite(where, "z", p.z);
    sameLength(where, "x", px, "y", py);
    sameLength(where, "z", pz, "x", px);
    if (px.length === 0) empty(where, "no points");
    const color = resolveColor(where, p.color, i);
    data.push({
      type: "scatter3d",
      name: p.name,
      mode: "lines+markers",
      x: px,
      y: py,
      z: pz,
      line: { color, width: 6 },
      marker: { color, size: 3 },
    });
  });
  const title = (t: string | undefined): JsonObject => obj({ title: t ? { text: t } : undefined });
  const layout: Layout = {
    ...baseLayout({ ...options, height: options.height ?? 560 }, options.showLegend ?? paths.length > 0),
    scene: {
      xaxis: title(options.xTitle),
      yaxis: title(options.yTitle),
      zaxis: title(options.zTitle),
      aspectmode: "cube",
      camera: { eye: { x: 1.7, y: -1.7, z: 1.1 } },
    },
  };
  layout.margin = { l: 10, r: 10, t: layout.title ? 52 + (layout.showlegend ? 30 : 0) : 10, b: 10 };
  return figure(data, layout);
}

// ------------------------------------------------------------------ table

/** Options of `table`. */
export interface TableOptions {
  header: readonly string[];
  rows: ReadonlyArray<ReadonlyArray<string | number>>;
  title?: string;
  /** Significant digits of non-integer numbers (default 4). */
  digits?: number;
  /** Height in pixels (default: fits the rows, at most 600, then it scrolls). */
  height?: number;
}

/** A table (plotly `table` trace); numbers are formatted with `formatNumber` and right-aligned. */
export function table(options: TableOptions): Figure {
  const fn = "table";
  checkHeight(fn, options.height);
  const header = nonEmptyList(fn, "header", options.header);
  header.forEach((h, i) => { if (typeof h !== "string") fail(fn, `header[${i}] is ${describe(h)}, not a string`); });
  if (!Array.isArray(options.rows)) fail(fn, `rows must be an array of rows, got ${describe(options.rows)}`);
  const rows = options.rows;
  const digits = options.digits ?? 4;
  rows.forEach((row, r) => {
    if (!Array.isArray(row)) fail(fn, `row ${r} must be an array, got ${describe(row)}`);
    if (row.length !== header.length) fail(fn, `row ${r} has ${row.length} cells but the header has ${header.length} columns`);
    row.forEach((cell, c) => {
      if (typeof cell !== "string" && typeof cell !== "number") fail(fn, `row ${r}, column "${header[c]}" is ${describe(cell)}, not a string or number`);
    });
  });
  const columns = header.map((_, c) => rows.map((row) => row[c]));
  const numeric = columns.map((col) => col.length > 0 && col.every((cell) => typeof cell === "number"));
  // plotly reads table text as HTML: escape it, so a token like <unk> shows as written.
  const escape = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const cellText = columns.map((col) => col.map((cell) => (typeof cell === "number" ? formatNumber(cell, digits) : escape(cell))));
  const align = numeric.map((n) => (n ? "right" : "left"));
  const stripes = rows.map((_, r) => (r % 2 === 0 ? "#FFFFFF" : "#F5F7FA"));
  const rowHeight = 28;
  const top = options.title ? 52 : 10;
  const height = options.height ?? Math.min(600, top + 10 + 32 + rowHeight * Math.max(1, rows.length) + 10);
  const trace: Trace = {
    type: "table",
    header: {
      values: header.map((h) => `<b>${escape(h)}</b>`),
      align,
      fill: { color: "#E6EAF0" },
      line: { color: "#C5CCD6", width: 1 },
      font: { size: 13, color: "#1F2937" },
      height: 32,
    },
    cells: {
      values: cellText,
      align,
      fill: { color: [stripes] },
      line: { color: "#E6EAF0", width: 1 },
      font: { size: 13, color: "#1F2937" },
      height: rowHeight,
    },
  };
  const layout: Layout = { ...baseLayout({ title: options.title, height }, false), margin: { l: 10, r: 10, t: top, b: 10 } };
  return figure([trace], layout);
}

// --------------------------------------------------------------- subplots

/** Options of `subplots`. */
export interface SubplotsOptions {
  rows: number;
  cols: number;
  /** 2-D figures (lines, scatter, heatmap, contour, bars, histogram), placed row by row. */
  figures: readonly Figure[];
  /** Panel titles (default: each figure's own title). */
  titles?: readonly string[];
  /** Overall title. */
  title?: string;
  /** All panels share the x axis of the first (zoom together). */
  sharedX?: boolean;
  /** All panels share the y axis of the first. */
  sharedY?: boolean;
  /** Height in pixels (default 300 per row). */
  height?: number;
  /** Gap between columns, as a fraction of the width (default 0.08, 0.14 with colour bars). */
  horizontalSpacing?: number;
  /** Gap between rows, as a fraction of the height (default 0.12). */
  verticalSpacing?: number;
}

const CARTESIAN_TRACES = new Set(["scatter", "scattergl", "bar", "histogram", "heatmap", "contour", "box", "violin"]);

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function titleText(layout: Layout): string | undefined {
  const t = layout.title;
  if (typeof t === "string") return t;
  if (isObject(t) && typeof t.text === "string") return t.text;
  return undefined;
}

/** Domains of `n` panels with `gap` between them, from 0 to 1. */
function domains(n: number, gap: number): Array<[number, number]> {
  const size = (1 - gap * (n - 1)) / n;
  return Array.from({ length: n }, (_, i) => {
    const start = i * (size + gap);
    return [i === 0 ? 0 : start, i === n - 1 ? 1 : start + size];
  });
}

/**
 * Combines 2-D figures into a grid: panel k (1-based, row by row) gets axes
 * `x{k}`/`y{k}` (`x`/`y` for the first) with their own domains, keeping each
 * figure's axis settings, shapes and colours; panel titles become annotations.
 */
export function subplots(options: SubplotsOptions): Figure {
  const fn = "subplots";
  const { rows, cols } = options;
  if (!Number.isInteger(rows) || rows < 1) fail(fn, `rows must be a positive integer, got ${rows}`);
  if (!Number.isInteger(cols) || cols < 1) fail(fn, `cols must be a positive integer, got ${cols}`);
  const figures = nonEmptyList(fn, "figures", options.figures);
  if (figures.length > rows * cols) fail(fn, `${figures.length} figures do not fit in ${rows}×${cols} panels`);
  if (options.titles !== undefined && options.titles.length > figures.length) {
    fail(fn, `${options.titles.length} titles for ${figures.length} figures`);
  }
  checkHeight(fn, options.height);
  let hasColorbar = false;
  const names = new Set<string>();
  figures.forEach((f, i) => {
    if (!f || !Array.isArray(f.data) || !isObject(f.layout as Json)) fail(fn, `figure ${i} is not a Figure`);
    for (const t of f.data) {
      if (!CARTESIAN_TRACES.has(t.type)) {
        fail(fn, `figure ${i} has a "${t.type}" trace; only 2-D figures (lines, scatter, heatmap, contour, bars, histogram) can be combined`);
      }
      if ((t.type === "heatmap" || t.type === "contour") && t.showscale !== false) hasColorbar = true;
      if (typeof t.name === "string" && t.name !== "" && t.showlegend !== false) names.add(t.name);
    }
    if (isObject(f.layout.scene)) fail(fn, `figure ${i} has a 3-D scene; only 2-D figures can be combined`);
  });
  // Room, in pixels, for the overall title, the legend, and the panel titles of the top row.
  const legend = names.size > 1;
  const titlePx = options.title ? 48 : 8;
  const top = titlePx + (legend ? 28 : 0) + 26;
  const bottom = 52;
  const rowGapPx = 84; // x ticks and title of one panel, title of the panel below
  const height = options.height ?? rows * 260 + (rows - 1) * rowGapPx + top + bottom;
  const hs = options.horizontalSpacing ?? (hasColorbar ? 0.17 : 0.09);
  const vs = options.verticalSpacing ?? Math.min(0.3, rowGapPx / Math.max(1, height - top - bottom));
  if (!(hs >= 0 && hs * (cols - 1) < 1)) fail(fn, `horizontalSpacing ${hs} leaves no room for ${cols} columns`);
  if (!(vs >= 0 && vs * (rows - 1) < 1)) fail(fn, `verticalSpacing ${vs} leaves no room for ${rows} rows`);
  const xDomains = domains(cols, hs);
  const yDomains = domains(rows, vs).reverse(); // row 0 at the top

  const axisType = (a: Json | undefined): string => (isObject(a) && typeof a.type === "string" ? a.type : "linear");
  for (const [flag, label, key] of [[options.sharedX, "sharedX", "xaxis"], [options.sharedY, "sharedY", "yaxis"]] as const) {
    if (!flag) continue;
    const types = new Set(figures.map((f) => axisType(f.layout[key])));
    if (types.size > 1) fail(fn, `${label} needs the same ${key} type in every figure, got ${[...types].join(" and ")}`);
  }

  const data: Trace[] = [];
  const annotations: Json[] = [];
  const shapes: Json[] = [];
  const legendNames = new Set<string>();
  const layout: Layout = {};
  let barmode: Json | undefined;

  figures.forEach((fig, i) => {
    const k = i + 1;
    const xId = k === 1 ? "x" : `x${k}`;
    const yId = k === 1 ? "y" : `y${k}`;
    const [x0, x1] = xDomains[i % cols];
    const [y0, y1] = yDomains[Math.floor(i / cols)];
    const mapRef = (ref: Json | undefined, axisId: string): Json | undefined => {
      if (ref === "x" || ref === "y") return axisId;
      if (ref === "x domain" || ref === "y domain") return `${axisId} domain`;
      return ref;
    };
    const src = fig.layout;
    const xa: JsonObject = { ...(isObject(src.xaxis) ? src.xaxis : {}), domain: [x0, x1], anchor: yId };
    const ya: JsonObject = { ...(isObject(src.yaxis) ? src.yaxis : {}), domain: [y0, y1], anchor: xId };
    if (ya.scaleanchor === "x") ya.scaleanchor = xId;
    if (xa.scaleanchor === "y") xa.scaleanchor = yId;
    if (options.sharedX && k > 1) xa.matches = "x";
    if (options.sharedY && k > 1) ya.matches = "y";
    layout[k === 1 ? "xaxis" : `xaxis${k}`] = xa;
    layout[k === 1 ? "yaxis" : `yaxis${k}`] = ya;
    if (barmode === undefined && src.barmode !== undefined) barmode = src.barmode;

    for (const t of fig.data) {
      const trace: Trace = { ...t, xaxis: xId, yaxis: yId };
      if (t.type === "heatmap" || t.type === "contour") {
        trace.colorbar = { ...(isObject(t.colorbar) ? t.colorbar : {}), x: x1 + 0.01, xanchor: "left", y: (y0 + y1) / 2, yanchor: "middle", len: y1 - y0 };
      }
      const name = typeof t.name === "string" && t.name !== "" ? t.name : undefined;
      if (name !== undefined && t.showlegend !== false) {
        trace.legendgroup = name;
        if (legendNames.has(name)) trace.showlegend = false;
        legendNames.add(name);
      }
      data.push(trace);
    }

    const mapShape = (s: Json): Json => {
      if (!isObject(s)) return s;
      const out: JsonObject = { ...s };
      if (s.xref === "paper") {
        for (const key of ["x0", "x1"]) if (typeof s[key] === "number") out[key] = x0 + (s[key] as number) * (x1 - x0);
      } else out.xref = mapRef(s.xref ?? "x", xId) ?? xId;
      if (s.yref === "paper") {
        for (const key of ["y0", "y1"]) if (typeof s[key] === "number") out[key] = y0 + (s[key] as number) * (y1 - y0);
      } else out.yref = mapRef(s.yref ?? "y", yId) ?? yId;
      return out;
    };
    if (Array.isArray(src.shapes)) shapes.push(...src.shapes.map(mapShape));
    if (Array.isArray(src.annotations)) {
      annotations.push(
        ...src.annotations.map((a): Json => {
          if (!isObject(a)) return a;
          const out: JsonObject = { ...a };
          if (a.xref === "paper") { if (typeof a.x === "number") out.x = x0 + a.x * (x1 - x0); }
          else out.xref = mapRef(a.xref ?? "x", xId) ?? xId;
          if (a.yref === "paper") { if (typeof a.y === "number") out.y = y0 + a.y * (y1 - y0); }
          else out.yref = mapRef(a.yref ?? "y", yId) ?? yId;
          return out;
        }),
      );
    }
    const panelTitle = options.titles?.[i] ?? titleText(src);
    if (panelTitle) {
      annotations.push({
        text: panelTitle,
        x: (x0 + x1) / 2,
        y: y1,
        xref: "paper",
        yref: "paper",
        xanchor: "center",
        yanchor: "bottom",
        yshift: 6,
        showarrow: false,
        font: { size: 14 },
      });
    }
  });

  const base = baseLayout({ title: options.title, height }, legend);
  return figure(data, {
      ...base,
      ...layout,
      margin: { l: 64, r: 24, t: top, b: bottom },
      legend: legend ? { orientation: "h", x: 0, xanchor: "left", yref: "container", y: 1 - titlePx / height, yanchor: "top" } : undefined,
      barmode,
      shapes: shapes.length > 0 ? shapes : undefined,
      annotations: annotations.length > 0 ? annotations : undefined,
  });
}
