/**
 * Axes of the 2-D builders: titles, ranges, log scales and their ticks, and
 * reference shapes drawn in data coordinates.
 *
 * Every log axis is labelled at powers of ten written as 10⁻⁴, 10⁻³, ...
 * (`logTicks`), never with plotly's defaults, which write SI prefixes (`100µ`)
 * and label the 2…9 ticks between the powers.
 */
import { Json, Trace } from "./figure";
import { baseLayout, Dash, FigureOptions, JsonObject, Layout, obj, TICK_COLOR } from "./style";
import { checkHeight, describe, fail, finite, positiveForLog } from "./validate";

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

/**
 * A shape drawn in data coordinates (data values also on a log axis).
 * Used in lesson 05.
 */
export type Shape =
  | { kind: "circle"; cx: number; cy: number; r: number; color?: string; dash?: Dash; fill?: string }
  | { kind: "line"; x0: number; y0: number; x1: number; y1: number; color?: string; dash?: Dash }
  | { kind: "hline"; y: number; color?: string; dash?: Dash }
  | { kind: "vline"; x: number; color?: string; dash?: Dash }
  | { kind: "rect"; x0: number; y0: number; x1: number; y1: number; color?: string; fill?: string };

// ------------------------------------------------------------- log ticks

/** The values drawn along a log axis (one array per series); they set its ticks. */
export type LogData = ReadonlyArray<ArrayLike<number>>;

/** Most powers of ten labelled on one axis: wider ranges label every 2nd, 3rd, ... power so labels do not collide. */
const MAX_DECADE_LABELS = 12;
/** Up to this many decades, minor ticks mark 2…9 × each power of ten; over more they would blur into a band. */
const MAX_DIGIT_MINOR_DECADES = 6;
/** Minor ticks carry no label (plotly never labels them); a faint grid helps read values between the powers. */
const MINOR_STYLE: JsonObject = { ticks: "outside", ticklen: 2, tickcolor: TICK_COLOR, showgrid: true, gridcolor: "#F3F5F8" };
/** Tick values tried, in turn, when fewer than two powers of ten are in view (so powers alone would label one or none). */
const MANTISSA_LADDERS: readonly (readonly number[])[] = [[1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]];
/** The attributes `logTicks` sets, replaced as a whole when an axis gets new ticks. */
const LOG_TICK_KEYS = ["exponentformat", "dtick", "tickvals", "minor"];

/** Smallest and largest positive value of `data`, or undefined when it has none (log axes skip values ≤ 0). */
export function positiveExtent(data: LogData): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const values of data) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v > 0 && v < Infinity) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
  }
  return lo <= hi ? [lo, hi] : undefined;
}

/**
 * Tick settings of a log axis showing `lo..hi` (data units): labels at powers
 * of ten in power notation (`exponentformat: "power"`), one per decade
 * (`dtick: 1`, or every 2nd/3rd power beyond 12 decades), with unlabelled
 * minor ticks between them. When fewer than two powers of ten lie in the
 * range, powers alone would leave one label or none, so the labels go at
 * 1, 2, 5 × 10^k (or every digit for less than about a decade), written out
 * in full; below about a factor of two plotly's own ticks are kept.
 */
export function logTicks(lo: number, hi: number): JsonObject {
  if (!(lo > 0 && hi >= lo && hi < Infinity)) throw new Error(`logTicks: needs 0 < lo ≤ hi < ∞, got ${lo} and ${hi}`);
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  // log10 of an exact power of ten can be off by an ulp (log10(1e-15) = -14.999999999999998).
  const eps = 1e-9;
  const powers = Math.floor(b + eps) - Math.ceil(a - eps) + 1;
  if (powers >= 2) {
    const decades = b - a;
    const dtick = Math.max(1, Math.ceil(decades / MAX_DECADE_LABELS - eps));
    const minorDtick = dtick > 1 ? 1 : decades <= MAX_DIGIT_MINOR_DECADES ? "D1" : undefined;
    return obj({ exponentformat: "power", dtick, minor: minorDtick === undefined ? undefined : { ...MINOR_STYLE, dtick: minorDtick } });
  }
  const first = Math.floor(a + eps);
  const last = Math.floor(b + eps) + 1;
  for (const mantissas of MANTISSA_LADDERS) {
    const tickvals: number[] = [];
    // Number("2e-5") is the double nearest 2·10⁻⁵, unlike 2 * 10 ** -5.
    for (let e = first; e <= last; e++) for (const m of mantissas) tickvals.push(Number(`${m}e${e}`));
    // Ticks just outside lo..hi are kept: markers' autorange pads the axis a little.
    const inView = tickvals.filter((v) => v >= lo * (1 - eps) && v <= hi * (1 + eps)).length;
    if (inView >= 3) return { exponentformat: "power", tickvals, minor: { ...MINOR_STYLE, dtick: "D1" } };
  }
  return { exponentformat: "power" };
}

/** `axis` with its tick settings replaced by `logTicks(lo, hi)`. */
export function withLogTicks(axis: JsonObject, lo: number, hi: number): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(axis)) if (!LOG_TICK_KEYS.includes(key)) out[key] = value;
  return { ...out, ...logTicks(lo, hi) };
}

// ------------------------------------------------------------------ axes

/** A checked `[min, max]` range: the data values, and what plotly wants (log10 of them on a log axis). */
function axisRange(where: string, axis: string, range: readonly [number, number], log: boolean): { values: number[]; json: Json } {
  const values = finite(where, `${axis}Range`, range);
  if (values.length !== 2) fail(where, `${axis}Range must be [min, max], got ${values.length} values`);
  if (!log) return { values, json: values };
  positiveForLog(where, `${axis}Range`, values, axis);
  return { values, json: values.map((v) => Math.log10(v)) };
}

/**
 * One x or y axis: its title, its range, and, when `log` gives the values
 * drawn along it, a log scale with `logTicks` over the range (or the data).
 */
export function axis(
  where: string,
  name: "x" | "y",
  title: string | undefined,
  log: LogData | undefined,
  range: readonly [number, number] | undefined,
): JsonObject {
  const checked = range === undefined ? undefined : axisRange(where, name, range, log !== undefined);
  const base = obj({ title: title ? { text: title } : undefined, type: log ? "log" : undefined, range: checked?.json });
  if (log === undefined) return base;
  const extent = checked ? [Math.min(...checked.values), Math.max(...checked.values)] : positiveExtent(log);
  return extent ? withLogTicks(base, extent[0], extent[1]) : base;
}

export function shapesJson(where: string, shapes: readonly Shape[] | undefined, logX: boolean, logY: boolean): Json[] {
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

/** Which axes are logarithmic, each with the values drawn along it. */
export interface LogAxes {
  x?: LogData;
  y?: LogData;
}

/** The numbers each trace draws along `key` (plain arrays; category labels are left out). */
export function valuesAlong(traces: readonly Trace[], key: "x" | "y"): LogData {
  const out: number[][] = [];
  for (const t of traces) {
    const v = t[key];
    if (Array.isArray(v)) out.push(v.filter((e): e is number => typeof e === "number"));
  }
  return out;
}

/** The `LogAxes` of traces drawn on a log x and/or y axis. */
export function logAxes(traces: readonly Trace[], logX: boolean, logY: boolean): LogAxes {
  return { x: logX ? valuesAlong(traces, "x") : undefined, y: logY ? valuesAlong(traces, "y") : undefined };
}

/** The layout of a figure with one x and one y axis: base look, axes, and shapes (`extraShapes` first); `legend` as for `baseLayout`. */
export function cartesianLayout(
  where: string,
  options: AxesOptions,
  legend: false | readonly string[],
  log: LogAxes,
  extraShapes: Json[] = [],
): Layout {
  checkHeight(where, options.height);
  const shapes = [...extraShapes, ...shapesJson(where, options.shapes, log.x !== undefined, log.y !== undefined)];
  return {
    ...baseLayout(options, legend),
    xaxis: axis(where, "x", options.xTitle, log.x, options.xRange),
    yaxis: axis(where, "y", options.yTitle, log.y, options.yRange),
    shapes: shapes.length > 0 ? shapes : undefined,
  };
}
