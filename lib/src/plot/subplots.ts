/** Several 2-D figures in one grid of panels. */
import { positiveExtent, valuesAlong, withLogTicks } from "./axes";
import { Figure, Json, Trace } from "./figure";
import { baseLayout, figure, JsonObject, Layout, LEGEND_ROW, legendRows } from "./style";
import { checkHeight, fail, nonEmptyList } from "./validate";

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
 * Used in lesson 00 (a contour plot beside a heatmap), 01 (what follows a
 * context, one panel per context; perplexity against n on training and
 * held-out text), 03 (fig. 1, Jacobian products with and without tanh) and
 * 04 (the two gradient-descent runs step by step; how far clipping turns the
 * gradient; the character RNN's loss and ‖g‖ with and without clipping).
 * Used in lessons 09 and 10.
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
  const legend = names.size > 1 ? [...names] : false;
  const titlePx = options.title ? 48 : 8;
  // Every entry has a legendgroup here, and plotly puts its 10 px tracegroupgap between rows of groups.
  const legendPx = legend ? 28 + (legendRows(legend, undefined, true) - 1) * (LEGEND_ROW + 10) : 0;
  const top = titlePx + legendPx + 26;
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
  // Panels that share a log axis show one range, so they get the same ticks:
  // those of all their data (and fixed ranges) together.
  const sharedLogExtent = (flag: boolean | undefined, key: "xaxis" | "yaxis", along: "x" | "y"): [number, number] | undefined => {
    if (!flag || axisType(figures[0].layout[key]) !== "log") return undefined;
    const ranges = figures.map((f) => {
      const a = f.layout[key];
      const range = isObject(a) && Array.isArray(a.range) ? a.range : [];
      return range.filter((v): v is number => typeof v === "number").map((v) => 10 ** v);
    });
    return positiveExtent([...figures.flatMap((f) => valuesAlong(f.data, along)), ...ranges]);
  };
  const sharedXTicks = sharedLogExtent(options.sharedX, "xaxis", "x");
  const sharedYTicks = sharedLogExtent(options.sharedY, "yaxis", "y");

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
    let xa: JsonObject = { ...(isObject(src.xaxis) ? src.xaxis : {}), domain: [x0, x1], anchor: yId };
    let ya: JsonObject = { ...(isObject(src.yaxis) ? src.yaxis : {}), domain: [y0, y1], anchor: xId };
    if (sharedXTicks) xa = withLogTicks(xa, ...sharedXTicks);
    if (sharedYTicks) ya = withLogTicks(ya, ...sharedYTicks);
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
