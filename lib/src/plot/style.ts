/**
 * The look every figure builder shares: one colour sequence (series `i` has
 * the same colour in every figure), colour scales, the plotly template (white
 * background, light grid, legend above the plot), the base layout, number
 * formatting, and the small JSON helpers that keep a figure plain JSON.
 */
import { Figure, Json, Trace } from "./figure";

/** A JSON object (a layout entry, an axis, a trace attribute). */
export type JsonObject = { [key: string]: Json };
/** A figure's layout. */
export type Layout = Figure["layout"];

/** A colour: a CSS colour string (`"#0072B2"`, `"rgb(0,114,178)"`, `"black"`), or an index into `PALETTE`. */
export type ColorRef = string | number;

/** Line dash styles. */
export type Dash = "solid" | "dot" | "dash" | "longdash" | "dashdot" | "longdashdot";

/**
 * A named plotly colour scale, or a custom one as `[position in 0..1, colour]` stops.
 * Used in lesson 04.
 */
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

/**
 * The dash of a line drawn in palette colour number `index` (its own number
 * in the figure, or the index it chose) when it sets no dash: solid through
 * the palette once, then dotted, then dash-dotted. Past
 * the palette's length the colours repeat (lesson 06 draws nine cells), and a
 * line that repeats another's colour must not look the same as that line.
 * Not dashed: the grey reference lines of `shapes` are dashed by default.
 */
export function seriesDash(index: number): Dash | undefined {
  if (!Number.isInteger(index) || index < 0) throw new Error(`seriesDash: index must be a non-negative integer, got ${index}`);
  const cycle = Math.floor(index / PALETTE.length);
  return cycle === 0 ? undefined : (["dot", "dashdot", "longdashdot"] as const)[(cycle - 1) % 3];
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

export function colorscaleJson(scale: Colorscale): Json {
  if (typeof scale === "string") return scale;
  return scale.map(([at, color]) => [at, color]);
}

/** `#rrggbb` → `rgba(r,g,b,alpha)`; other colour forms are returned unchanged. */
export function withAlpha(color: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(color);
  if (!m) return color;
  return `rgba(${parseInt(m[1], 16)},${parseInt(m[2], 16)},${parseInt(m[3], 16)},${alpha})`;
}

/**
 * Formats a number for tables and status lines with `digits` significant
 * digits: integers in full with thousands separators (`1,234,567`), very large
 * or small values in exponent form (`1.235e-5`), others rounded (`2.312`, `123.5`).
 * Used in lessons 01 (perplexities checked by hand) and 04 (the clipping
 * runs' step lengths, losses and thresholds).
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
export function trimZeros(s: string): string {
  return /^[^e]*\.\d*$/.test(s) ? s.replace(/\.?0+$/, "") : s;
}

/** Drops `undefined` entries, giving a JSON object. */
export function obj(entries: { [key: string]: Json | undefined }): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(entries)) if (v !== undefined) out[k] = v;
  return out;
}

/** A figure without `undefined` entries, so it equals its own JSON round trip. */
export function figure(data: Trace[], layout: Layout): Figure {
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

/** Colour of axis lines and tick marks. */
export const TICK_COLOR = "#9AA3AF";

const AXIS_STYLE: JsonObject = {
  gridcolor: "#E6EAF0",
  linecolor: TICK_COLOR,
  showline: true,
  zerolinecolor: "#C5CCD6",
  zerolinewidth: 1,
  ticks: "outside",
  tickcolor: TICK_COLOR,
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

const DEFAULT_HEIGHT = 420;

/** Pixels above the plot area taken by a figure title. */
export const TITLE_MARGIN = 52;
/** Pixels above the plot area taken by a one-row legend. */
export const LEGEND_MARGIN = 30;
/** Pixels each further legend row adds: plotly's entry is one 1.3 × 13 px line of text plus 3. */
export const LEGEND_ROW = 20;
/**
 * The width PNGs are drawn at (tools/browser.mjs) and about that of a
 * notebook cell; the layout sets none, so the legend's rows are counted
 * against it.
 */
export const FIGURE_WIDTH = 900;
const MARGIN_SIDES = { l: 64, r: 24 };
/** The plot area's width at FIGURE_WIDTH: as wide as plotly lets a horizontal legend grow before it wraps. */
export const LEGEND_WIDTH = FIGURE_WIDTH - MARGIN_SIDES.l - MARGIN_SIDES.r;

// A legend entry is plotly's 30 px symbol with 5 px either side, then the
// text; entries are 5 px apart. The text is not measured (no browser here):
// 0.6 × the 13 px font per character is wider than most text, so the
// estimate errs towards a spare row rather than a legend over the title.
const LEGEND_SYMBOL = 40;
const LEGEND_GAP = 5;
const LEGEND_CHAR = 0.6 * 13;

/**
 * How many rows plotly's horizontal legend takes for entries `names` in
 * `width` pixels. An ungrouped legend that does not fit on one row gives
 * every entry the width of the widest, so a row holds as many of those as
 * fit; a grouped one (legendgroup set, as in `subplots`) packs entries
 * left to right at their own widths.
 */
export function legendRows(names: readonly string[], width = LEGEND_WIDTH, grouped = false): number {
  const widths = names.map((name) => LEGEND_SYMBOL + [...name].length * LEGEND_CHAR);
  if (widths.length === 0) return 1;
  if (grouped) {
    let rows = 1;
    let x = 0;
    for (const w of widths) {
      if (x > 0 && x + w + LEGEND_GAP > width) { rows++; x = 0; }
      x += w + LEGEND_GAP;
    }
    return rows;
  }
  const total = widths.reduce((a, b) => a + b, 0) + LEGEND_GAP * (widths.length + 1);
  if (total < width) return 1;
  const widest = Math.max(...widths);
  const perRow = Math.max(1, Math.ceil((width - widest) / (widest + LEGEND_GAP)));
  return Math.ceil(widths.length / perRow);
}

/** Pixels above the plot area taken by a legend of entries `names` (0 for no legend). */
export function legendMargin(names: false | readonly string[], width = LEGEND_WIDTH): number {
  return names === false ? 0 : LEGEND_MARGIN + (legendRows(names, width) - 1) * LEGEND_ROW;
}

/** The names plotly lists in the legend of `traces` (every trace not hidden from it), or false when `show` is false. */
export function legendNames(show: boolean, traces: readonly Trace[]): false | string[] {
  return show && traces.filter((t) => t.showlegend !== false).map((t) => (typeof t.name === "string" ? t.name : ""));
}

/**
 * The layout every builder starts from. `legend` is false, or the names the
 * legend will list: they set how many rows the top margin keeps for it.
 */
export function baseLayout(options: FigureOptions, legend: false | readonly string[]): Layout {
  const title = options.title;
  const show = legend !== false;
  return {
    template: TEMPLATE,
    // Pinned to the top of the figure: plotly otherwise centres the title in
    // the top margin, and a margin grown for a legend of several rows would
    // bring it down into the legend. 14 px down is where it sat centred in
    // the 52 px of a figure without a legend.
    title: title ? { text: title, x: 0.01, xanchor: "left", yref: "container", y: 1, yanchor: "top", pad: { t: 14 }, font: { size: 17 } } : undefined,
    height: options.height ?? DEFAULT_HEIGHT,
    margin: { ...MARGIN_SIDES, t: (title ? TITLE_MARGIN : 16) + legendMargin(legend), b: 52 },
    showlegend: show,
    legend: show ? { orientation: "h", x: 0, xanchor: "left", y: 1.01, yanchor: "bottom", bgcolor: "rgba(255,255,255,0)" } : undefined,
    hovermode: "closest",
  };
}
