/** A function of two variables on a grid: contour plots and 3-D surfaces, with paths (trajectories) drawn on them. */
import { AxesOptions, cartesianLayout } from "./axes";
import { Figure, Json, Trace } from "./figure";
import { baseLayout, ColorRef, Colorscale, colorscaleJson, Dash, FIGURE_WIDTH, FigureOptions, figure, JsonObject, Layout, legendMargin, legendNames, LIGHT, obj, TITLE_MARGIN } from "./style";
import { checkHeight, describe, empty, fail, finite, matrix, Numbers, resolveColor, sameLength, seriesWhere } from "./validate";

/** Checks a grid: z has one row per y and one column per x. */
function gridXYZ(where: string, xIn: Numbers, yIn: Numbers, zIn: ReadonlyArray<Numbers>): { x: number[]; y: number[]; z: number[][] } {
  const x = finite(where, "x", xIn);
  const y = finite(where, "y", yIn);
  const z = matrix(where, zIn);
  if (z.length !== y.length) fail(where, `y has ${y.length} values but z has ${z.length} rows (z[i] is the row at y[i])`);
  if (z[0].length !== x.length) fail(where, `x has ${x.length} values but z has ${z[0].length} columns (z[i][j] is at x[j])`);
  return { x, y, z };
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

/**
 * Contour plot of a function on a grid (a loss surface), with trajectories drawn on top.
 * Used in lesson 00 (Himmelblau's function with a gradient-descent path) and
 * 04 (the one-unit RNN's loss over (w, b), its wall, and gradient descent
 * with and without clipping).
 */
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
  const layout = cartesianLayout(fn, options, legendNames(options.showLegend ?? overlays.length > 0, data), {});
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

/**
 * 3-D surface of a function on a grid, with optional 3-D paths (trajectories).
 * Used in lesson 00 (Himmelblau's function) and 04 (the one-unit RNN's loss
 * over (w, b), with the paths of gradient descent with and without clipping).
 */
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
  const legend = legendNames(options.showLegend ?? paths.length > 0, data);
  const layout: Layout = {
    ...baseLayout({ ...options, height: options.height ?? 560 }, legend),
    scene: {
      xaxis: title(options.xTitle),
      yaxis: title(options.yTitle),
      zaxis: title(options.zTitle),
      aspectmode: "cube",
      camera: { eye: { x: 1.7, y: -1.7, z: 1.1 } },
    },
  };
  const sides = 10;
  layout.margin = { l: sides, r: sides, t: layout.title ? TITLE_MARGIN + legendMargin(legend, FIGURE_WIDTH - 2 * sides) : 10, b: 10 };
  return figure(data, layout);
}
