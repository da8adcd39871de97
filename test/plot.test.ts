import { describe, expect, it, vi, afterEach } from "vitest";
import {
  bars,
  binCounts,
  contour,
  DIVERGING,
  formatNumber,
  heatmap,
  histogram,
  lines,
  PALETTE,
  scatter,
  seriesColor,
  subplots,
  surface,
  table,
} from "../lib/src/plot";
import { formatDuration, LiveLossCurve, LiveTarget, ProgressBar } from "../lib/src/plot/live";
import { logTicks } from "../lib/src/plot/axes";
import { legendRows } from "../lib/src/plot/style";
import { figureBundle, LIBRARY_MARKER, LIVE_ENV, MimeBundle, packArray, PLOTLY_ASSETS, reloadLibrary, roundNumbers } from "../lib/src/plot/display";
import { Figure, Json, PLOTLY_MIME, Trace } from "../lib/src/plot/figure";

type Obj = { [key: string]: Json };

/** A JSON object attribute of a trace or layout (fails the test if it is not one). */
function o(v: Json | undefined): Obj {
  expect(v !== null && typeof v === "object" && !Array.isArray(v)).toBe(true);
  return v as Obj;
}

function lineColor(t: Trace): Json {
  return o(t.line).color;
}

const twoSeries = () =>
  lines({
    title: "loss",
    series: [
      { name: "train", y: [3, 2, 1.5] },
      { name: "held-out", y: [3.2, 2.4, 2.1] },
    ],
  });

describe("colours", () => {
  it("gives series i the palette colour i, the same in every figure", () => {
    const a = twoSeries();
    const b = scatter({ series: [{ name: "train", x: [1], y: [2] }, { name: "held-out", x: [1], y: [3] }] });
    expect(a.data.map(lineColor)).toEqual([PALETTE[0], PALETTE[1]]);
    expect(b.data.map((t) => o(t.marker).color)).toEqual(a.data.map(lineColor));
    expect(seriesColor(PALETTE.length + 1)).toBe(PALETTE[1]);
  });

  it("dots a line whose colour repeats an earlier line's: solid for the first 8, dotted for the next 8, then dash-dotted", () => {
    const many = lines({ series: Array.from({ length: 17 }, (_, i) => ({ name: `s${i}`, y: [i, i + 1] })) });
    const dash = (t: Trace) => o(t.line).dash;
    expect(PALETTE.length).toBe(8);
    expect(many.data.slice(0, 8).map(dash)).toEqual(Array(8).fill(undefined));
    expect(many.data.slice(8, 16).map(dash)).toEqual(Array(8).fill("dot"));
    expect(dash(many.data[16])).toBe("dashdot");
    expect(lineColor(many.data[8])).toBe(lineColor(many.data[0])); // the same colour, told apart by the dots
    // A palette index chosen by the line counts as its number (lesson 06 picks them); a CSS colour or a dash is kept as set.
    const set = lines({ series: [{ name: "ninth", y: [1], color: 8 }, { name: "first", y: [1], color: 0 }, { name: "red", y: [1], color: "red" }, { name: "dashed", y: [1], color: 9, dash: "dash" as const }] });
    expect(set.data.map(dash)).toEqual(["dot", undefined, undefined, "dash"]);
  });

  it("lets a series pick its colour by palette index or CSS colour", () => {
    const fig = lines({ series: [{ name: "held-out", y: [1, 2], color: 1 }, { name: "ref", y: [1, 1], color: "black" }] });
    expect(fig.data.map(lineColor)).toEqual([PALETTE[1], "black"]);
    expect(() => lines({ series: [{ name: "a", y: [1], color: "0072B2" }] })).toThrow(/series "a": color "0072B2" is not a CSS colour; did you mean "#0072B2"/);
  });
});

describe("lines", () => {
  it("builds one scatter trace per series, x defaulting to 0..n-1", () => {
    const fig = twoSeries();
    expect(fig.data).toHaveLength(2);
    expect(fig.data.map((t) => t.type)).toEqual(["scatter", "scatter"]);
    expect(fig.data.map((t) => t.name)).toEqual(["train", "held-out"]);
    expect(fig.data[0].mode).toBe("lines");
    expect(fig.data[0].x).toEqual([0, 1, 2]);
    expect(o(fig.layout.title).text).toBe("loss");
    expect(fig.layout.showlegend).toBe(true);
  });

  it("sets log axes when asked, and converts ranges to log10 as plotly wants", () => {
    const fig = lines({ logX: true, logY: true, yRange: [1, 100], series: [{ name: "a", x: [1, 10], y: [1, 0.1] }] });
    expect(o(fig.layout.xaxis).type).toBe("log");
    expect(o(fig.layout.yaxis).type).toBe("log");
    expect(o(fig.layout.yaxis).range).toEqual([0, 2]);
    const linear = lines({ series: [{ name: "a", y: [1, 2] }] });
    expect(o(linear.layout.yaxis).type).toBeUndefined();
    expect(linear.layout.showlegend).toBe(false);
  });

  it("accepts typed arrays and returns plain JSON", () => {
    const fig = lines({ series: [{ name: "a", x: new Float64Array([1, 2]), y: new Float32Array([0.5, 0.25]) }] });
    expect(Array.isArray(fig.data[0].y)).toBe(true);
    expect(fig.data[0].y).toEqual([0.5, 0.25]);
  });

  it("draws reference lines as shapes in data units, also on log axes", () => {
    const fig = lines({ logY: true, series: [{ name: "a", y: [5, 3] }], shapes: [{ kind: "hline", y: 2 }, { kind: "vline", x: 1, dash: "dot" }] });
    const shapes = fig.layout.shapes as Obj[];
    expect(shapes).toHaveLength(2);
    expect(shapes[0]).toMatchObject({ type: "line", xref: "x domain", yref: "y", y0: 2, y1: 2, x0: 0, x1: 1 });
    expect(shapes[1]).toMatchObject({ xref: "x", yref: "y domain", x0: 1, x1: 1 });
    expect(() => lines({ logY: true, series: [{ name: "a", y: [5] }], shapes: [{ kind: "hline", y: 0 }] })).toThrow(/shapes\[0\]\.y = 0 cannot be drawn on the log y axis/);
  });

  it("rejects bad input with messages naming the series and the problem", () => {
    expect(() => lines({ series: [] })).toThrow(/^lines: no series given$/);
    expect(() => lines({ series: [{ name: "train", x: [1, 2, 3], y: [1, 2] }] })).toThrow(/lines: series "train": x has 3 values but y has 2/);
    expect(() => lines({ series: [{ name: "train", y: [] }] })).toThrow(/series "train" is empty/);
    expect(() => lines({ series: [{ name: "train", y: [1, NaN] }] })).toThrow(/series "train": y\[1\] is NaN; remove or replace non-finite values/);
    expect(() => lines({ series: [{ name: "train", y: [1, Infinity] }] })).toThrow(/y\[1\] is Infinity/);
    expect(() => lines({ logY: true, series: [{ name: "ok", y: [1] }, { name: "val", y: [3, 2, 0] }] })).toThrow(
      /lines: series "val": y\[2\] = 0 cannot be drawn on the log y axis \(values must be > 0\)/,
    );
    expect(() => lines({ logX: true, series: [{ name: "a", y: [1, 2] }] })).toThrow(/series "a": x \(default 0\.\.n-1\)\[0\] = 0 cannot be drawn on the log x axis/);
    expect(() => lines({ series: [{ name: "", y: [1] }] })).toThrow(/lines: series 0 needs a non-empty string name/);
    expect(() => lines({ height: -5, series: [{ name: "a", y: [1] }] })).toThrow(/height must be a positive number/);
  });
});

describe("legend room above the plot", () => {
  // An entry is estimated at 40 px (symbol) + 7.8 px a character (0.6 × 13 px),
  // entries 5 px apart, against 900 − 64 − 24 = 812 px of plot width.
  const MODELS = [
    "LSTM, 2 layers of 128 units (seed 1)", // 36 characters: 40 + 280.8 = 320.8 px
    "LSTM, 2 layers of 128 units (seed 2)", // 36: 320.8 px
    "LSTM, 1 layer of 64 units", // 25: 235 px
    "Kneser-Ney 5-gram baseline", // 26: 242.8 px
    "uniform over the vocabulary", // 27: 250.6 px
  ];
  const withNames = (names: string[], title?: string): Figure =>
    lines({ title, series: names.map((name, k) => ({ name, y: [k, k + 1] })) });

  it("keeps the one-row margin for short names", () => {
    // "train" 40 + 39 = 79 px, "held-out" 40 + 62.4 = 102.4 px: 79 + 102.4 + 3 × 5 = 196.4 < 812.
    expect(legendRows(["train", "held-out"])).toBe(1);
    expect(twoSeries().layout.margin).toEqual({ l: 64, r: 24, t: 52 + 30, b: 52 });
    // No legend, no room for one.
    expect(lines({ title: "loss", series: [{ name: "a", y: [1, 2] }] }).layout.margin).toMatchObject({ t: 52 });
  });

  it("reserves a row for each further row the names wrap onto", () => {
    // Eight names of 10 characters, 118 px each: 8 × 118 + 9 × 5 = 989 > 812, so
    // plotly wraps, giving each entry a 118 + 5 px column; after the first at 0,
    // one more fits while 123k < 812 − 118 = 694, k ≤ 5: 6 a row, 2 rows.
    const ngrams = Array.from({ length: 8 }, (_, k) => `n-gram n=${k + 1}`);
    expect(legendRows(ngrams)).toBe(2);
    expect(withNames(ngrams, "perplexity").layout.margin).toMatchObject({ t: 52 + 30 + 20 });
    // The models' entries sum to 1370 px; the widest is 320.8 px, and
    // (812 − 320.8) / (320.8 + 5) = 1.51 more fit beside the first: 2 a row, 3 rows.
    expect(legendRows(MODELS)).toBe(3);
    expect(withNames(MODELS, "held-out loss").layout.margin).toMatchObject({ t: 52 + 30 + 2 * 20 });
    expect(withNames(MODELS).layout.margin).toMatchObject({ t: 16 + 30 + 2 * 20 });
    // Bars and surfaces count their series' names too (a surface's plot is 900 − 2 × 10 = 880 px
    // wide: (880 − 320.8) / 325.8 = 1.72, still 2 a row).
    const b = bars({ categories: ["a"], series: MODELS.map((name) => ({ name, values: [1] })) });
    expect(b.layout.margin).toMatchObject({ t: 16 + 30 + 2 * 20 });
    const x = [0, 1];
    const paths = MODELS.map((name) => ({ name, x: [0], y: [0], z: [0] }));
    expect(surface({ title: "loss", x, y: x, z: [[0, 1], [1, 2]], paths }).layout.margin).toMatchObject({ t: 52 + 30 + 2 * 20 });
  });

  it("packs a grouped legend (subplots) at each entry's own width", () => {
    // Entries 5 px apart: 320.8 + 5 + 320.8 + 5 = 651.6, and the third (235 + 5) would end at 891.6 > 812;
    // the second row holds 240 + 247.8 + 255.6 = 743.4 ≤ 812: 2 rows, not the 3 of an ungrouped legend.
    expect(legendRows(MODELS, undefined, true)).toBe(2);
    const fig = subplots({ rows: 1, cols: 2, title: "two panels", figures: [withNames(MODELS), withNames(MODELS)] });
    // 48 (title) + 28 (first legend row) + 20 + 10 (a row and plotly's tracegroupgap) + 26 (panel titles).
    expect(fig.layout.margin).toMatchObject({ t: 48 + 28 + 30 + 26 });
    const short = subplots({ rows: 1, cols: 2, title: "two panels", figures: [twoSeries(), twoSeries()] });
    expect(short.layout.margin).toMatchObject({ t: 48 + 28 + 26 });
  });

  it("pins the title to the top of the figure, where a taller margin cannot move it", () => {
    for (const fig of [twoSeries(), withNames(MODELS, "held-out loss"), subplots({ rows: 1, cols: 1, title: "one", figures: [twoSeries()] })]) {
      expect(o(fig.layout.title)).toMatchObject({ yref: "container", y: 1, yanchor: "top", pad: { t: 14 } });
    }
  });
});

describe("scatter", () => {
  it("draws markers, and the unit circle with locked aspect ratio", () => {
    const fig = scatter({ unitCircle: true, series: [{ name: "λ", x: [0.5, -0.2], y: [0.1, 0.9], text: ["a", "b"], size: [4, 8] }] });
    expect(fig.data[0]).toMatchObject({ type: "scatter", mode: "markers", text: ["a", "b"] });
    expect(o(fig.data[0].marker).size).toEqual([4, 8]);
    const [circle] = fig.layout.shapes as Obj[];
    expect(circle).toMatchObject({ type: "circle", xref: "x", yref: "y", x0: -1, x1: 1, y0: -1, y1: 1 });
    expect(o(fig.layout.yaxis)).toMatchObject({ scaleanchor: "x", scaleratio: 1 });
  });

  it("keeps free axes unless asked, and circles from `shapes`", () => {
    const free = scatter({ series: [{ name: "p", x: [1], y: [1] }] });
    expect(o(free.layout.yaxis).scaleanchor).toBeUndefined();
    const noLock = scatter({ unitCircle: true, equalAxes: false, series: [{ name: "p", x: [1], y: [1] }] });
    expect(o(noLock.layout.yaxis).scaleanchor).toBeUndefined();
    const c = scatter({ equalAxes: true, shapes: [{ kind: "circle", cx: 1, cy: 2, r: 0.5 }], series: [{ name: "p", x: [1], y: [1] }] });
    expect((c.layout.shapes as Obj[])[0]).toMatchObject({ type: "circle", x0: 0.5, x1: 1.5, y0: 1.5, y1: 2.5 });
    expect(o(c.layout.yaxis).scaleanchor).toBe("x");
  });

  it("checks lengths of x, y, text and sizes", () => {
    expect(() => scatter({ series: [{ name: "eig", x: [1, 2], y: [1] }] })).toThrow(/scatter: series "eig": x has 2 values but y has 1/);
    expect(() => scatter({ series: [{ name: "eig", x: [1, 2], y: [1, 2], text: ["a"] }] })).toThrow(/series "eig": text has 1 values but x has 2/);
    expect(() => scatter({ series: [{ name: "eig", x: [1, 2], y: [1, 2], size: [3] }] })).toThrow(/series "eig": size has 1 values but x has 2/);
    expect(() => scatter({ unitCircle: true, logX: true, series: [{ name: "eig", x: [1], y: [1] }] })).toThrow(/unitCircle cannot be drawn on log axes/);
  });
});

describe("heatmap", () => {
  it("builds a heatmap trace; string labels go through tick text so repeated tokens stay apart", () => {
    const fig = heatmap({ z: [[1, 2, 3], [4, 5, 6]], x: ["the", "cat", "the"], y: [10, 20], reverseY: true, showValues: true });
    expect(fig.data).toHaveLength(1);
    const t = fig.data[0];
    expect(t.type).toBe("heatmap");
    expect(t.z).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(t.x).toEqual([0, 1, 2]);
    expect(o(fig.layout.xaxis)).toMatchObject({ tickvals: [0, 1, 2], ticktext: ["the", "cat", "the"] });
    expect(t.y).toEqual([10, 20]);
    expect(o(fig.layout.yaxis).autorange).toBe("reversed");
    expect(t.texttemplate).toBe("%{z:.2f}");
    expect((t.text as string[][])[1][2]).toBe("20 · the");
  });

  it("uses a diverging scale centred on zmid", () => {
    const fig = heatmap({ z: [[-1, 1]], zmid: 0 });
    expect(fig.data[0].zmid).toBe(0);
    expect(fig.data[0].colorscale).toEqual(DIVERGING);
    expect(heatmap({ z: [[1]] }).data[0].colorscale).toBe("Viridis");
  });

  it("rejects ragged rows, wrong label counts and NaN", () => {
    expect(() => heatmap({ z: [[1, 2, 3], [4, 5]] })).toThrow(/heatmap: z row 1 has 2 values but row 0 has 3 \(z must be rectangular\)/);
    expect(() => heatmap({ z: [] })).toThrow(/heatmap: z is empty/);
    expect(() => heatmap({ z: [[1, 2]], x: ["a"] })).toThrow(/heatmap: x has 1 labels but z has 2 columns/);
    expect(() => heatmap({ z: [[1, 2]], y: ["a", "b"] })).toThrow(/heatmap: y has 2 labels but z has 1 rows/);
    expect(() => heatmap({ z: [[1, NaN]] })).toThrow(/heatmap: z\[0\]\[1\] is NaN/);
  });
});

describe("histogram", () => {
  it("counts values into shared bins and overlays the series as bars", () => {
    const a = [0, 0.1, 0.2, 0.9, 1];
    const b = [0.5, 0.5, 2];
    const fig = histogram({ bins: 4, series: [{ name: "a", values: a }, { name: "b", values: b }] });
    expect(fig.data.map((t) => t.type)).toEqual(["bar", "bar"]);
    // Shared bins over 0..2: width 0.5.
    expect(fig.data[0].x).toEqual([0.25, 0.75, 1.25, 1.75]);
    expect(fig.data[1].x).toEqual(fig.data[0].x);
    expect(fig.data[0].y).toEqual([3, 1, 1, 0]);
    expect(fig.data[1].y).toEqual([0, 2, 0, 1]);
    // An explicit offset overlays the series whatever the barmode.
    expect(fig.data[0]).toMatchObject({ width: 0.5, offset: -0.25 });
    expect(fig.layout.showlegend).toBe(true);
  });

  it("normalizes to probability or density", () => {
    const values = [1, 2, 2, 3, 3, 3, 4, 4, 4, 4];
    const p = histogram({ bins: 5, normalize: "probability", series: [{ name: "v", values }] });
    expect((p.data[0].y as number[]).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
    const d = histogram({ bins: 5, normalize: "density", series: [{ name: "v", values }] });
    const width = d.data[0].width as number;
    expect((d.data[0].y as number[]).reduce((s, v) => s + v * width, 0)).toBeCloseTo(1, 12);
    expect(o(o(d.layout.yaxis).title).text).toBe("density");
  });

  it("puts the maximum in the last bin and leaves out-of-range values out", () => {
    expect(binCounts([0, 1, 2, 3, 4], 4, 0, 4)).toEqual([1, 1, 1, 2]);
    expect(binCounts([-1, 0.5, 9], 2, 0, 2)).toEqual([1, 0]);
    expect(histogram({ bins: 3, series: [{ name: "c", values: [5, 5] }] }).data[0].y).toEqual([0, 2, 0]);
  });

  it("rejects empty series and non-finite values", () => {
    expect(() => histogram({ series: [{ name: "grad norm", values: [] }] })).toThrow(/histogram: series "grad norm" is empty/);
    expect(() => histogram({ series: [{ name: "grad norm", values: [1, NaN] }] })).toThrow(/series "grad norm": values\[1\] is NaN/);
    expect(() => histogram({ bins: 0, series: [{ name: "g", values: [1] }] })).toThrow(/bins must be a positive integer/);
  });
});

describe("bars", () => {
  it("groups one bar trace per series over the categories", () => {
    const fig = bars({
      categories: ["unigram", "bigram", "RNN"],
      series: [{ name: "train", values: [600, 95.1, 48.2] }, { name: "held-out", values: [640, 180.7, 70.9] }],
      logValues: true,
    });
    expect(fig.data.map((t) => t.type)).toEqual(["bar", "bar"]);
    expect(fig.layout.barmode).toBe("group");
    expect(fig.data[0].x).toEqual(["unigram", "bigram", "RNN"]);
    expect(fig.data[1].y).toEqual([640, 180.7, 70.9]);
    expect(fig.data[1].text).toEqual(["640", "180.7", "70.9"]);
    expect(o(fig.layout.yaxis).type).toBe("log");
    const h = bars({ horizontal: true, categories: ["a"], series: [{ name: "s", values: [1] }] });
    expect(h.data[0]).toMatchObject({ orientation: "h", x: [1], y: ["a"] });
  });

  it("rejects mismatched values, repeated categories and non-positive log values", () => {
    expect(() => bars({ categories: ["a", "b"], series: [{ name: "ppl", values: [1] }] })).toThrow(/bars: series "ppl": values has 1 values but there are 2 categories/);
    expect(() => bars({ categories: ["a", "a"], series: [{ name: "ppl", values: [1, 2] }] })).toThrow(/bars: category "a" appears twice/);
    expect(() => bars({ categories: ["a"], logValues: true, series: [{ name: "ppl", values: [0] }] })).toThrow(/series "ppl": values\[0\] = 0 cannot be drawn on the log y axis/);
  });
});

describe("contour and surface", () => {
  const x = [-1, 0, 1];
  const y = [-2, 0, 2, 4];
  const z = y.map((b) => x.map((a) => a * a + b * b));

  it("draws a contour with trajectories on top, framed by the grid", () => {
    const fig = contour({
      x, y, z,
      overlays: [
        { name: "no clipping", x: [1, -1, 0.5], y: [4, -2, 1] },
        { name: "clipping", x: [1, 0.5], y: [4, 2], dash: "dash" },
      ],
    });
    expect(fig.data.map((t) => t.type)).toEqual(["contour", "scatter", "scatter"]);
    expect(fig.data[0].z).toEqual(z);
    expect(fig.data.slice(1).map((t) => t.name)).toEqual(["no clipping", "clipping"]);
    expect(fig.data.slice(1).map(lineColor)).toEqual([PALETTE[0], PALETTE[1]]);
    expect(o(fig.layout.xaxis).range).toEqual([-1, 1]);
    expect(o(fig.layout.yaxis).range).toEqual([-2, 4]);
  });

  it("checks the grid against x and y, and each overlay", () => {
    expect(() => contour({ x: [0, 1], y, z })).toThrow(/contour: x has 2 values but z has 3 columns/);
    expect(() => contour({ x, y: [0, 1], z })).toThrow(/contour: y has 2 values but z has 4 rows/);
    expect(() => contour({ x, y, z, overlays: [{ name: "sgd", x: [1, 2], y: [1] }] })).toThrow(/contour: overlay "sgd": x has 2 values but y has 1/);
  });

  it("draws a surface with 3-D paths", () => {
    const fig = surface({ x, y, z, zTitle: "loss", paths: [{ name: "sgd", x: [1, 0], y: [4, 0], z: [17, 0] }] });
    expect(fig.data.map((t) => t.type)).toEqual(["surface", "scatter3d"]);
    expect(fig.data[1]).toMatchObject({ x: [1, 0], y: [4, 0], z: [17, 0] });
    expect(o(o(o(fig.layout.scene).zaxis).title).text).toBe("loss");
    expect(() => surface({ x, y, z, paths: [{ name: "sgd", x: [1], y: [1], z: [1, 2] }] })).toThrow(/surface: path "sgd": z has 2 values but x has 1/);
  });
});

describe("table", () => {
  it("escapes cell and header text, which plotly would read as HTML", () => {
    const fig = table({ header: ["token <id>"], rows: [["<unk>"], ["a & b"]] });
    const trace = fig.data[0] as unknown as { header: { values: string[] }; cells: { values: string[][] } };
    expect(trace.header.values).toEqual(["<b>token &lt;id&gt;</b>"]);
    expect(trace.cells.values).toEqual([["&lt;unk&gt;", "a &amp; b"]]);
  });
  it("builds a column-major table with formatted, right-aligned numbers", () => {
    const fig = table({ title: "perplexity", header: ["model", "params", "ppl"], rows: [["bigram", 1234567, 95.1234], ["RNN", 5000, 48.2]] });
    expect(fig.data).toHaveLength(1);
    const t = fig.data[0];
    expect(t.type).toBe("table");
    expect(o(t.cells).values).toEqual([["bigram", "RNN"], ["1,234,567", "5,000"], ["95.12", "48.20"]]);
    expect(o(t.cells).align).toEqual(["left", "right", "right"]);
    expect(o(t.header).values).toEqual(["<b>model</b>", "<b>params</b>", "<b>ppl</b>"]);
  });

  it("fits its default height to the rows: 32 px header, 28 px a row, plus title and margins", () => {
    // No title: 10 (top margin) + 32 + 3·28 + 10 (room under the last row) + 10 (bottom margin) = 146.
    const small = table({ header: ["model", "training", "held-out"], rows: [["unigram", 700, 720], ["bigram", 90, 230], ["trigram", 20, 310]] });
    expect(small.layout.height).toBe(146);
    expect(small.layout.margin).toEqual({ l: 10, r: 10, t: 10, b: 10 });
    // A title takes 52 px instead of the 10 px top margin: 52 + 32 + 28 + 20 = 132.
    expect(table({ title: "t", header: ["a"], rows: [["x"]] }).layout.height).toBe(132);
    // 30 rows would need 10 + 32 + 840 + 20 = 902 px: capped at 600 (the table scrolls); an explicit height wins.
    const rows = Array.from({ length: 30 }, (_, i) => [i]);
    expect(table({ header: ["i"], rows }).layout.height).toBe(600);
    expect(table({ header: ["i"], rows, height: 250 }).layout.height).toBe(250);
  });

  it("wraps a header too long for its column and makes room for its lines, so the last row is not cut off", () => {
    // Lesson 04's table: 5 columns share 900 − 2·10 px, 176 px each, 160 px of text after plotly's 8 px padding;
    // bold 13 px text is planned at 0.66·13 = 8.58 px a character: 18 characters a line.
    const fig = table({
      title: "6 starts above the wall",
      header: ["", "runs kicked (a step > 1)", "runs thrown out of the square", "longest step", "median final loss"],
      rows: Array.from({ length: 6 }, () => ["plain GD", "12 (40%)", "3 (10%)", 1234.5, 0.00123]),
    });
    const header = o(fig.data[0].header).values as string[];
    expect(header).toEqual([
      "<b></b>",
      "<b>runs kicked (a</b><br><b>step &gt; 1)</b>", // wrapped before escaping: "&gt;" counts as one character
      "<b>runs thrown out of</b><br><b>the square</b>",
      "<b>longest step</b>",
      "<b>median final loss</b>",
    ]);
    // Two header lines: 2·8 (padding) + 2·1.3·13 (line spacing) = 49.8 → 50 px; rows stay 28 px.
    // 52 (title) + 50 + 6·28 + 10 + 10 = 290 (the old fixed 32 px header gave 272, cutting the last row).
    expect(fig.layout.height).toBe(290);
  });

  it("wraps long cell text at spaces, each row as tall as its most wrapped cell", () => {
    // 2 columns: (880 / 2) − 16 = 424 px of text, 424 / (0.6·13) → 54 characters a line of regular text.
    const long = "a rather long description of what this model does, which will not fit on one line of its column";
    const fig = table({ header: ["model", "description"], rows: [["a", long], ["b", "short"], ["c", "averyveryverylongwordthatcannotbebrokenanywhereinsideit" + "x".repeat(10)]] });
    const cells = o(fig.data[0].cells).values as string[][];
    expect(cells[1][0]).toBe("a rather long description of what this model does,<br>which will not fit on one line of its column");
    expect(cells[1][0].split("<br>").every((line) => line.length <= 54)).toBe(true);
    expect(cells[1][2]).not.toContain("<br>"); // a word longer than a line is left whole
    // Rows: 2 lines → 2·8 + 2·16.9 = 49.8 → 50; then 28 and 28. 10 + 32 + 50 + 28 + 28 + 20 = 168.
    expect(fig.layout.height).toBe(168);
    const four = table({ header: ["a", "b", "c", "d", "e", "f", "g", "h"], rows: [["one two three four five six seven", "x", "x", "x", "x", "x", "x", "x"]] });
    // 8 columns: 880 / 8 − 16 = 94 px, 94 / 7.8 → 12 characters: "one two" / "three four" / "five six" / "seven" is 4 lines.
    expect((o(four.data[0].cells).values as string[][])[0][0]).toBe("one two<br>three four<br>five six<br>seven");
    // 4 lines: 16 + 4·16.9 = 83.6 → 84 px; 10 + 32 + 84 + 20 = 146.
    expect(four.layout.height).toBe(146);
  });

  it("rejects rows that do not match the header", () => {
    expect(() => table({ header: ["a", "b"], rows: [["x", 1], ["y"]] })).toThrow(/table: row 1 has 1 cells but the header has 2 columns/);
  });

  it("formats numbers sensibly", () => {
    expect(formatNumber(2.31234)).toBe("2.312");
    expect(formatNumber(1234567)).toBe("1,234,567");
    expect(formatNumber(0.000012346)).toBe("1.235e-5");
    expect(formatNumber(12345.678)).toBe("12,345.7");
    expect(formatNumber(2.5, 3)).toBe("2.50");
    expect(formatNumber(NaN)).toBe("NaN");
    expect(formatNumber(-Infinity)).toBe("−∞");
  });
});

describe("subplots", () => {
  const panels = (): Figure[] => [
    lines({ title: "loss", logY: true, series: [{ name: "train", y: [3, 2] }, { name: "held-out", y: [4, 3] }], shapes: [{ kind: "hline", y: 2.5 }] }),
    scatter({ title: "eigenvalues", unitCircle: true, series: [{ name: "λ", x: [0.5], y: [0.5] }] }),
    heatmap({ title: "W", z: [[1, 2], [3, 4]] }),
    lines({ series: [{ name: "train", y: [1, 2] }] }),
  ];

  it("remaps panel k to axes x{k}/y{k} with domains that tile [0, 1]", () => {
    const figs = panels();
    const fig = subplots({ rows: 2, cols: 2, figures: figs, title: "overview" });
    expect(fig.data).toHaveLength(5);
    const ids = ["", "2", "3", "4"];
    let i = 0;
    figs.forEach((f, k) => {
      for (let j = 0; j < f.data.length; j++, i++) {
        expect(fig.data[i].type).toBe(f.data[j].type);
        expect(fig.data[i].xaxis).toBe(`x${ids[k]}`);
        expect(fig.data[i].yaxis).toBe(`y${ids[k]}`);
      }
    });
    const dom = (key: string): number[] => o(fig.layout[key]).domain as number[];
    // Left/right columns and bottom/top rows: ordered, disjoint, from 0 to 1.
    for (const [first, second] of [["xaxis", "xaxis2"], ["yaxis3", "yaxis"]]) {
      const [lo, hi] = [dom(first), dom(second)];
      expect(lo[0]).toBe(0);
      expect(hi[1]).toBe(1);
      expect(lo[0] < lo[1] && lo[1] < hi[0] && hi[0] < hi[1]).toBe(true);
    }
    // Panels of one column share the x domain, panels of one row the y domain.
    expect(dom("xaxis3")).toEqual(dom("xaxis"));
    expect(dom("yaxis2")).toEqual(dom("yaxis"));
    expect(o(fig.layout.xaxis4).anchor).toBe("y4");
    expect(o(fig.layout.yaxis4).anchor).toBe("x4");
    // Axis settings, shapes and the aspect lock follow their panel.
    expect(o(fig.layout.yaxis).type).toBe("log");
    expect(o(fig.layout.yaxis2).scaleanchor).toBe("x2");
    const shapes = fig.layout.shapes as Obj[];
    expect(shapes.find((s) => s.type === "line")).toMatchObject({ xref: "x domain", yref: "y" });
    expect(shapes.find((s) => s.type === "circle")).toMatchObject({ xref: "x2", yref: "y2" });
  });

  it("titles each panel with an annotation, and shows each legend name once", () => {
    const fig = subplots({ rows: 2, cols: 2, figures: panels(), titles: ["A", "B", "C", "D"] });
    const notes = fig.layout.annotations as Obj[];
    expect(notes.map((a) => a.text)).toEqual(["A", "B", "C", "D"]);
    expect(notes.every((a) => a.xref === "paper" && a.yref === "paper")).toBe(true);
    expect(notes[1].x as number).toBeCloseTo(((o(fig.layout.xaxis2).domain as number[])[0] + 1) / 2, 12);
    const trains = fig.data.filter((t) => t.name === "train");
    expect(trains.map((t) => t.showlegend)).toEqual([undefined, false]);
    expect(trains.every((t) => t.legendgroup === "train")).toBe(true);
    // Default panel titles are the figures' own titles.
    const auto = subplots({ rows: 1, cols: 2, figures: panels().slice(0, 2) });
    expect((auto.layout.annotations as Obj[]).map((a) => a.text)).toEqual(["loss", "eigenvalues"]);
  });

  it("shares axes when asked", () => {
    const a = lines({ series: [{ name: "a", y: [1, 2] }] });
    const fig = subplots({ rows: 1, cols: 3, figures: [a, a, a], sharedX: true });
    expect(fig.layout.xaxis2).toMatchObject({ matches: "x" });
    expect(fig.layout.xaxis3).toMatchObject({ matches: "x" });
    expect(o(fig.layout.xaxis).matches).toBeUndefined();
    const log = lines({ logY: true, series: [{ name: "a", y: [1, 2] }] });
    expect(() => subplots({ rows: 1, cols: 2, figures: [a, log], sharedY: true })).toThrow(/subplots: sharedY needs the same yaxis type in every figure, got linear and log/);
  });

  it("rejects 3-D and table figures, and grids that are too small", () => {
    const x = [0, 1];
    const s = surface({ x, y: x, z: [[0, 1], [1, 2]] });
    const t = table({ header: ["a"], rows: [[1]] });
    const l = lines({ series: [{ name: "a", y: [1] }] });
    expect(() => subplots({ rows: 1, cols: 2, figures: [l, s] })).toThrow(/subplots: figure 1 has a "surface" trace; only 2-D figures/);
    expect(() => subplots({ rows: 1, cols: 2, figures: [t] })).toThrow(/figure 0 has a "table" trace/);
    expect(() => subplots({ rows: 1, cols: 1, figures: [l, l] })).toThrow(/subplots: 2 figures do not fit in 1×1 panels/);
    expect(() => subplots({ rows: 0, cols: 1, figures: [l] })).toThrow(/rows must be a positive integer/);
  });
});

describe("log axes", () => {
  /** A log axis over a few decades, as every builder must set it: a label at each power of ten, written 10⁻³, minor ticks unlabelled. */
  const expectDecades = (axis: Json | undefined) => {
    expect(o(axis)).toMatchObject({ type: "log", exponentformat: "power", dtick: 1 });
    // Minor ticks at 2…9 × 10^k; plotly draws no labels for minor ticks (the old "D1"/"D2" major ticks labelled them).
    expect(o(o(axis).minor)).toMatchObject({ dtick: "D1", ticks: "outside" });
    expect(o(axis).tickvals).toBeUndefined();
  };
  const expectLinear = (axis: Json | undefined) => {
    for (const key of ["exponentformat", "dtick", "minor", "tickvals"]) expect(o(axis)[key]).toBeUndefined();
    expect(o(axis).type).not.toBe("log");
  };
  const fourDecades = [1e-4, 1e-3, 0.01, 0.1, 1];

  it("labels each power of ten in every builder with a log scale, and leaves linear axes alone", () => {
    const both = lines({ logX: true, logY: true, series: [{ name: "a", x: [1, 10, 100, 1000, 1e4], y: fourDecades }] });
    expectDecades(both.layout.xaxis);
    expectDecades(both.layout.yaxis);
    const logY = lines({ logY: true, series: [{ name: "a", y: fourDecades }] });
    expectLinear(logY.layout.xaxis);
    expectDecades(logY.layout.yaxis);
    expectLinear(lines({ series: [{ name: "a", y: fourDecades }] }).layout.yaxis);

    const points = scatter({ logX: true, series: [{ name: "a", x: fourDecades, y: [1, 2, 3, 4, 5] }] });
    expectDecades(points.layout.xaxis);
    expectLinear(points.layout.yaxis);
    expectDecades(scatter({ logY: true, series: [{ name: "a", x: [1, 2, 3, 4, 5], y: fourDecades }] }).layout.yaxis);

    // Bin counts 1000, 100, 10, 1: three decades.
    const values = [...Array<number>(1000).fill(0.5), ...Array<number>(100).fill(1.5), ...Array<number>(10).fill(2.5), 3.5];
    const hist = histogram({ logY: true, bins: 4, series: [{ name: "a", values }] });
    expect(hist.data[0].y).toEqual([1000, 100, 10, 1]);
    expectDecades(hist.layout.yaxis);
    expectLinear(hist.layout.xaxis);
    expectLinear(histogram({ bins: 4, series: [{ name: "a", values }] }).layout.yaxis);

    const barSeries = [{ name: "s", values: [1e-3, 1, 10] }];
    expectDecades(bars({ categories: ["a", "b", "c"], series: barSeries, logValues: true }).layout.yaxis);
    expectDecades(bars({ categories: ["a", "b", "c"], series: barSeries, logValues: true, horizontal: true }).layout.xaxis);
    expectLinear(bars({ categories: ["a", "b", "c"], series: barSeries }).layout.yaxis);

    const output = spyOutput();
    const live = new LiveLossCurve({ series: ["train"], logY: true, output, clock: () => 0 });
    fourDecades.forEach((v, i) => live.push("train", i + 1, v));
    live.done();
    const drawn = o(output.bundles[output.bundles.length - 1][PLOTLY_MIME] as Json);
    expectDecades(o(drawn.layout).yaxis);
    expectLinear(o(drawn.layout).xaxis);

    const grid = subplots({ rows: 1, cols: 2, figures: [logY, lines({ series: [{ name: "b", y: [1, 2] }] })] });
    expectDecades(grid.layout.yaxis);
    expectLinear(grid.layout.yaxis2);
  });

  it("labels every 2nd, 3rd, ... power beyond 12 decades, with a minor tick at each power", () => {
    // 18 decades: ceil(18 / 12) = 2.
    const wide = lines({ logY: true, series: [{ name: "a", y: [1e-16, 1e-4, 100] }] });
    expect(o(wide.layout.yaxis)).toMatchObject({ exponentformat: "power", dtick: 2, minor: { dtick: 1 } });
    expect(logTicks(1e-36, 1)).toMatchObject({ dtick: 3, minor: { dtick: 1 } }); // exactly 36 decades: 3
    expect(logTicks(1e-37, 1)).toMatchObject({ dtick: 4 });
    // 12 decades still get one label each, but no 2…9 minor ticks (over more than 6 decades they would blur).
    const twelve = logTicks(1e-4, 1e8);
    expect(twelve).toEqual({ exponentformat: "power", dtick: 1 });
    // log10(1e-15) is −14.999999999999998: still counted as the power it is.
    expect(logTicks(1e-15, 1e-3)).toMatchObject({ dtick: 1 });
  });

  it("takes the decades from a fixed range when there is one", () => {
    // The data alone (0.1..0.5) hold one power of ten; the range shows eight decades.
    const fig = lines({ logY: true, yRange: [1e-8, 1], series: [{ name: "a", y: [0.1, 0.5] }] });
    expect(o(fig.layout.yaxis)).toMatchObject({ range: [-8, 0], exponentformat: "power", dtick: 1 });
  });

  it("labels 1, 2, 5 × 10^k, or every digit, when fewer than two powers of ten are in view", () => {
    // 3..40 holds only 10: labels at 5, 10, 20 (and the neighbours plotly shows when autorange pads the axis).
    const short = lines({ logY: true, series: [{ name: "ppl", y: [3, 10, 40] }] });
    expect(o(short.layout.yaxis)).toMatchObject({ type: "log", exponentformat: "power", tickvals: [1, 2, 5, 10, 20, 50, 100, 200, 500], minor: { dtick: "D1" } });
    expect(o(short.layout.yaxis).dtick).toBeUndefined();
    // 2e-5..9e-5: 1-2-5 gives only 2e-5 and 5e-5, so every digit; the values are the doubles nearest m·10^k.
    const digits = logTicks(2e-5, 9e-5);
    expect(digits.tickvals).toHaveLength(18);
    expect(digits.tickvals).toContain(3e-5);
    expect((digits.tickvals as number[]).filter((v) => v >= 2e-5 && v <= 9e-5)).toEqual([2e-5, 3e-5, 4e-5, 5e-5, 6e-5, 7e-5, 8e-5, 9e-5]);
    // Under a factor of two even digits give fewer than three labels: plotly's own ticks, in power notation.
    expect(logTicks(3.1, 3.4)).toEqual({ exponentformat: "power" });
    expect(() => logTicks(0, 1)).toThrow(/logTicks: needs 0 < lo ≤ hi < ∞, got 0 and 1/);
  });

  it("gives panels that share a log axis the ticks of all their data together", () => {
    const a = lines({ logY: true, series: [{ name: "a", y: [1e-10, 1, 1e8] }] }); // 18 decades: dtick 2
    const b = lines({ logY: true, series: [{ name: "b", y: [1e-2, 1] }] }); // alone: 2 decades, dtick 1
    expect(o(b.layout.yaxis).dtick).toBe(1);
    const shared = subplots({ rows: 1, cols: 2, sharedY: true, figures: [a, b] });
    expect(o(shared.layout.yaxis)).toMatchObject({ dtick: 2, minor: { dtick: 1 } });
    expect(o(shared.layout.yaxis2)).toMatchObject({ dtick: 2, minor: { dtick: 1 }, matches: "y" });
    expect(o(subplots({ rows: 1, cols: 2, figures: [a, b] }).layout.yaxis2).dtick).toBe(1);
  });
});

describe("figures are plain JSON", () => {
  it("equals its own JSON round trip (no undefined, no typed arrays) for every builder", () => {
    const grid = [0, 1];
    const figs: Figure[] = [
      twoSeries(),
      scatter({ unitCircle: true, series: [{ name: "p", x: new Float32Array([0.5]), y: [0] }] }),
      heatmap({ z: [[1, 2]], x: ["a", "b"] }),
      histogram({ series: [{ name: "h", values: [1, 2, 3] }] }),
      bars({ categories: ["a"], series: [{ name: "b", values: [1] }] }),
      contour({ x: grid, y: grid, z: [[0, 1], [1, 2]], overlays: [{ name: "o", x: [0], y: [0] }] }),
      surface({ x: grid, y: grid, z: [[0, 1], [1, 2]] }),
      table({ header: ["a"], rows: [[1]] }),
    ];
    figs.push(subplots({ rows: 1, cols: 2, figures: [figs[0], figs[1]] }));
    for (const fig of figs) expect(JSON.parse(JSON.stringify(fig))).toStrictEqual(fig);
  });

  it("are shown through figureBundle with the same data in the plotly MIME part", () => {
    const fig = twoSeries();
    const bundle = figureBundle(fig, { includeLibrary: false });
    const spec = o(bundle[PLOTLY_MIME] as Json);
    expect(spec.data).toEqual(fig.data);
    expect(spec.layout).toEqual(fig.layout);
    expect(bundle["text/plain"]).toBe("<Figure: loss>");
    expect(String(bundle["text/html"])).not.toContain(LIBRARY_MARKER);
    expect(String(bundle["text/html"])).toContain('"held-out"');
  });
});

describe("figures saved in a notebook", () => {
  it("keep numbers to 6 significant digits, integers and strings as they are", () => {
    expect(roundNumbers([0.123456789, 123456.789, 1.23456789e-40, -2.5, 7, 1e21, "0.123456789", null, true])).toEqual([
      0.123457, 123457, 1.23457e-40, -2.5, 7, 1e21, "0.123456789", null, true,
    ]);
    expect(roundNumbers({ a: { b: [Math.PI] } })).toEqual({ a: { b: [3.14159] } });
  });

  it("pack long arrays of numbers as plotly's typed arrays: int32, float32, float64 where float32 would lose the value", () => {
    const decode = (spec: Json, type: typeof Int32Array | typeof Float32Array | typeof Float64Array) => {
      const bytes = Buffer.from(String(o(spec).bdata), "base64");
      return Array.from(new type(bytes.buffer, bytes.byteOffset, bytes.byteLength / type.BYTES_PER_ELEMENT));
    };
    const steps = Array.from({ length: 16 }, (_, i) => i * 1000);
    expect(o(packArray(steps)).dtype).toBe("i4");
    expect(decode(packArray(steps), Int32Array)).toEqual(steps);
    const halves = steps.map((s) => s / 1024 + 0.5); // exact in float32
    expect(o(packArray(halves)).dtype).toBe("f4");
    expect(decode(packArray(halves), Float32Array)).toEqual(halves);
    // 4 bytes a number, in base64: 16 numbers are 64 bytes, 88 characters.
    expect(String(o(packArray(halves)).bdata)).toHaveLength(88);
    const tiny = [...halves.slice(1), 3e-41];
    expect(o(packArray(tiny)).dtype).toBe("f8");
    expect(decode(packArray(tiny), Float64Array)).toEqual(tiny);
    const grid = [halves, halves.map((v) => -v)];
    expect(o(packArray(grid))).toMatchObject({ dtype: "f4", shape: "2,16" });
    expect(decode(packArray(grid), Float32Array)).toEqual(grid.flat());
    // Left as they are: short arrays, gaps (null, NaN), ragged rows, strings.
    for (const keep of [steps.slice(0, 15), [...steps.slice(1), null], [...halves.slice(1), NaN], [halves, halves.slice(1)], steps.map(String)]) {
      expect(packArray(keep as Json)).toBe(keep);
    }
  });

  it("carry no plotly.js, and about 5 bytes a number in each copy of the figure", () => {
    const x = Array.from({ length: 1000 }, (_, i) => i);
    const fig = lines({ title: "sines", series: [{ name: "a", x, y: x.map(Math.sin) }, { name: "b", x, y: x.map(Math.cos) }] });
    const bundle = figureBundle(fig);
    const html = String(bundle["text/html"]);
    expect(html).not.toContain(LIBRARY_MARKER);
    const traces = o(bundle[PLOTLY_MIME] as Json).data as Json[];
    // 1000 float32 (4000 bytes) in base64: 4 * ceil(4000 / 3) = 5336 characters.
    expect(traces.map((t) => String(o(o(t).y).bdata).length)).toEqual([5336, 5336]);
    expect(html).toContain(String(o(traces[0]).y && o(o(traces[0]).y).bdata));
    // Four arrays of 1000 numbers (x as int32, y as float32) in each of the two copies, plus layout and the loader.
    expect(JSON.stringify(bundle).length).toBeLessThan(2 * 4 * 5336 + 12_000);
  });

  it("in a session npm run lab started, send the figure once: in the HTML, without the JSON part", () => {
    const before = process.env[LIVE_ENV];
    process.env[LIVE_ENV] = "1";
    try {
      const live = figureBundle(twoSeries());
      expect(Object.keys(live).sort()).toEqual(["text/html", "text/plain"]);
      expect(String(live["text/html"])).toContain('"held-out"');
    } finally {
      if (before === undefined) delete process.env[LIVE_ENV];
      else process.env[LIVE_ENV] = before;
    }
    expect(Object.keys(figureBundle(twoSeries())).sort()).toEqual([PLOTLY_MIME, "text/html", "text/plain"]);
  });

  it("carry plotly.js inline in the one figure after reloadLibrary()", () => {
    reloadLibrary();
    expect(String(figureBundle(twoSeries())["text/html"])).toContain(LIBRARY_MARKER);
    expect(String(figureBundle(twoSeries())["text/html"])).not.toContain(LIBRARY_MARKER);
  });
});

/**
 * Runs the script of a figure's HTML in a stand-in page: classic Notebook's
 * <body data-base-url>, a `fetch` that serves only `served` (with a plotly.js
 * stand-in that records what it draws), and the figure's element.
 */
async function drawInPage(bundles: MimeBundle[], served: string[], win: { Plotly?: unknown } = {}) {
  const fetched: string[] = [];
  const elements: { [id: string]: { innerHTML: string; drawn?: number; insertAdjacentHTML: (where: string, html: string) => void } } = {};
  const doc = {
    body: { getAttribute: (name: string) => (name === "data-base-url" ? "/base/" : null) },
    getElementById: (id: string) =>
      id.startsWith("rnn-course-fig-") ? (elements[id] ??= { innerHTML: "", insertAdjacentHTML(_w: string, html: string) { this.innerHTML += html; } }) : null,
  };
  const fetch = async (url: string) => {
    fetched.push(url);
    const ok = served.some((s) => url === "/base/" + s);
    return { ok, status: ok ? 200 : 404, text: async () => "this.Plotly = { newPlot: function (el, data) { el.drawn = data.length; } };" };
  };
  for (const b of bundles) {
    const script = [...String(b["text/html"]).matchAll(/<script type="text\/javascript">([\s\S]*?)<\/script>/g)].map((m) => m[1]).join("\n");
    new Function("window", "document", "fetch", script)(win, doc, fetch);
  }
  for (let i = 0; i < 20; i++) await Promise.resolve(); // let the fetches settle
  await new Promise((r) => setTimeout(r, 10));
  return { fetched, elements: Object.values(elements) };
}

describe("a figure in a live Jupyter page", () => {
  it("loads plotly.js once per page from the first route the server has, then draws every figure", async () => {
    const { fetched, elements } = await drawInPage([figureBundle(twoSeries()), figureBundle(twoSeries())], [PLOTLY_ASSETS[1].url]);
    expect(fetched).toEqual(["/base/nbextensions/rnn-course/plotly.min.js", "/base/lab/extensions/rnn-course/static/plotly.min.js"]);
    expect(elements.map((e) => e.drawn)).toEqual([2, 2]);
  });

  it("uses the page's plotly.js when it has one, fetching nothing", async () => {
    let drawn = 0;
    const { fetched } = await drawInPage([figureBundle(twoSeries())], [], { Plotly: { newPlot: () => void drawn++ } });
    expect(fetched).toEqual([]);
    expect(drawn).toBe(1);
  });

  it("says what to do when the server has no plotly.js", async () => {
    const { fetched, elements } = await drawInPage([figureBundle(twoSeries())], []);
    expect(fetched).toHaveLength(2);
    expect(elements[0].drawn).toBeUndefined();
    expect(elements[0].innerHTML).toMatch(/plotly\.js could not be loaded .*npm run lab.*plot\.reloadLibrary\(\)/);
  });
});

/** An output that records what it is sent. */
function spyOutput(): LiveTarget & { bundles: MimeBundle[] } {
  const bundles: MimeBundle[] = [];
  return { bundles, update: vi.fn((b: MimeBundle) => void bundles.push(b)), close: vi.fn() };
}

describe("LiveLossCurve", () => {
  afterEach(() => vi.restoreAllMocks());

  it("draws at most once per interval and always on done()", () => {
    let now = 1000;
    const output = spyOutput();
    const live = new LiveLossCurve({ title: "training", series: ["train", "held-out"], totalSteps: 500, clock: () => now, output });
    expect(output.update).toHaveBeenCalledTimes(0);
    live.push("train", 1, 2.5); // first push draws at once
    expect(output.update).toHaveBeenCalledTimes(1);
    for (let step = 2; step <= 10; step++) {
      now += 20; // 9 pushes within 180 ms < 300 ms
      live.push("train", step, 2.5 - step / 100);
    }
    expect(output.update).toHaveBeenCalledTimes(1);
    now += 150; // 330 ms after the first drawing
    live.push("held-out", 10, 2.7);
    expect(output.update).toHaveBeenCalledTimes(2);
    now += 10;
    live.push("train", 11, 2.3);
    expect(output.update).toHaveBeenCalledTimes(2);
    live.done(); // flushes the pending push
    expect(output.update).toHaveBeenCalledTimes(3);
    expect(output.close).toHaveBeenCalledTimes(1);
    live.done(); // idempotent
    expect(output.update).toHaveBeenCalledTimes(3);
    expect(output.close).toHaveBeenCalledTimes(1);

    const last = output.bundles[2];
    expect(last["text/plain"]).toMatch(/^step 11\/500 {2}train 2\.300 {2}held-out 2\.700 {2}\(340 ms\)$/);
    const spec = o(last[PLOTLY_MIME] as Json);
    const data = spec.data as Trace[];
    expect(data.map((t) => t.name)).toEqual(["train", "held-out"]);
    expect((data[0].x as number[]).length).toBe(11);
    expect(data.map(lineColor)).toEqual([PALETTE[0], PALETTE[1]]);
    expect(o(spec.layout).xaxis).toMatchObject({ range: [0, 500] });
    expect(String(last["text/html"])).toContain("step 11/500");
    expect(String(last["text/html"])).not.toContain(LIBRARY_MARKER);
  });

  it("does not redraw on done() when nothing changed since the last drawing", () => {
    let now = 0;
    const output = spyOutput();
    const live = new LiveLossCurve({ series: ["train"], clock: () => now, output, intervalMs: 100 });
    live.push("train", 1, 1);
    now += 500;
    live.push("train", 2, 0.9);
    expect(output.update).toHaveBeenCalledTimes(2);
    live.done();
    expect(output.update).toHaveBeenCalledTimes(2);
    expect(output.close).toHaveBeenCalledTimes(1);
  });

  it("keeps colours by declared order and leaves undrawable values out of the curve", () => {
    const output = spyOutput();
    const live = new LiveLossCurve({ series: ["train", "held-out"], logY: true, output, clock: () => 0 });
    live.push("held-out", 1, 3);
    live.push("held-out", 2, NaN);
    live.push("held-out", 3, 0);
    live.push("held-out", 4, 2);
    const fig = live.figure();
    expect(fig.data).toHaveLength(1);
    expect(lineColor(fig.data[0])).toBe(PALETTE[1]);
    expect(fig.data[0].x).toEqual([1, 4]);
    expect(o(fig.layout.yaxis).type).toBe("log");
    live.push("held-out", 5, NaN);
    expect(live.text()).toMatch(/held-out NaN/);
  });

  it("thins long curves to maxPoints, keeping the last point", () => {
    const live = new LiveLossCurve({ series: ["train"], output: spyOutput(), clock: () => 0, maxPoints: 10 });
    for (let s = 1; s <= 1000; s++) live.push("train", s, 1 / s);
    const x = live.figure().data[0].x as number[];
    expect(x.length).toBeLessThanOrEqual(11);
    expect(x[0]).toBe(1);
    expect(x[x.length - 1]).toBe(1000);
    expect(live.history("train").steps).toHaveLength(1000);
  });

  it("rejects unknown series, bad steps and pushes after done()", () => {
    const live = new LiveLossCurve({ series: ["train", "held-out"], output: spyOutput() });
    expect(() => live.push("valid", 1, 1)).toThrow(/unknown series "valid"; declared series: "train", "held-out"/);
    expect(() => live.push("train", NaN, 1)).toThrow(/step of "train" must be a finite number/);
    live.done();
    expect(() => live.push("train", 1, 1)).toThrow(/called after done\(\)/);
    expect(() => new LiveLossCurve({ series: [] })).toThrow(/at least one series/);
    expect(() => new LiveLossCurve({ series: ["a", "a"] })).toThrow(/series "a" is listed twice/);
  });

  it("outside a notebook prints nothing while training and one line at the end", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    let now = 0;
    const live = new LiveLossCurve({ series: ["train"], totalSteps: 3, clock: () => now });
    for (let s = 1; s <= 3; s++) {
      now += 1000;
      live.push("train", s, 1 / s);
    }
    expect(log).not.toHaveBeenCalled();
    live.done();
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0][0]).toMatch(/^step 3\/3 {2}train 0\.3333/);
  });
});

describe("ProgressBar", () => {
  afterEach(() => vi.restoreAllMocks());

  it("shows the empty bar at once, then updates at most once per interval", () => {
    let now = 0;
    const output = spyOutput();
    const bar = new ProgressBar({ total: 10, label: "epoch 1", clock: () => now, output });
    expect(output.update).toHaveBeenCalledTimes(1);
    expect(output.bundles[0]["text/plain"]).toBe("epoch 1  0/10  0%  elapsed 0 ms");
    now += 100;
    bar.tick();
    now += 100;
    bar.tick();
    expect(output.update).toHaveBeenCalledTimes(1);
    now += 200; // 400 ms since the first drawing
    bar.tick(2, "loss <2.5>");
    expect(output.update).toHaveBeenCalledTimes(2);
    const b = output.bundles[1];
    expect(b["text/plain"]).toBe("epoch 1  4/10  40%  elapsed 400 ms  eta 600 ms  loss <2.5>");
    expect(String(b["text/html"])).toContain("width:40.0%");
    expect(String(b["text/html"])).toContain("loss &lt;2.5&gt;");
    now += 10;
    bar.update(10);
    expect(output.update).toHaveBeenCalledTimes(2);
    bar.done("finished");
    expect(output.update).toHaveBeenCalledTimes(3);
    expect(output.bundles[2]["text/plain"]).toBe("epoch 1  10/10  100%  elapsed 410 ms  finished");
    expect(output.close).toHaveBeenCalledTimes(1);
    expect(bar.fraction).toBe(1);
    expect(() => bar.tick()).toThrow(/update after done\(\)/);
  });

  it("rejects a non-positive total and negative progress", () => {
    expect(() => new ProgressBar({ total: 0, output: spyOutput() })).toThrow(/total must be a positive number, got 0/);
    const bar = new ProgressBar({ total: 5, output: spyOutput() });
    expect(() => bar.tick(-1)).toThrow(/n must be a non-negative number/);
  });

  it("formats durations", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(12_340)).toBe("12.3 s");
    expect(formatDuration(245_000)).toBe("4 min 05 s");
    expect(formatDuration(3_720_000)).toBe("1 h 02 min");
  });
});
