/**
 * Showing figures in a tslab notebook.
 *
 * A figure is sent as one MIME bundle:
 *   - `application/vnd.plotly.v1+json`: the figure itself (read by plotly's
 *     JupyterLab extension where installed, and by the course runner, which
 *     renders it to PNG);
 *   - `text/html`: a div and a script that draws it with plotly.js;
 *   - `text/plain`: a one-line description.
 * Long numeric arrays of the traces (x, y, z) travel as plotly's typed-array
 * specs (`{dtype, bdata, shape}`: float32 in base64, about 5 bytes a number,
 * one string however the notebook is indented); other numbers are kept to 6
 * significant digits. Both are far finer than a plot can show.
 *
 * In a session `npm run lab` started (RNN_COURSE_LIVE=1 in the kernel's
 * environment) the figure's data is sent once, in the HTML: the JSON part
 * is left out, as nothing in the page reads it, and a saved notebook holds
 * each figure once. Elsewhere (the course runner, which renders the JSON
 * part to PNG) the bundle has all three parts.
 *
 * In a live session no figure carries plotly.js (4.8 MB): the script of each
 * figure loads it once per page from the Jupyter server, where `npm run lab`
 * puts it (PLOTLY_ASSETS), so a saved notebook holds only its figures. Where
 * the server does not have it, the figure says so and `plot.reloadLibrary()`
 * puts plotly.js inline into the next figure instead. The course runner
 * rebuilds the bundles of executed notebooks: it adds `image/png` (rendered in
 * headless Chromium) and puts the same image inside the div, so viewers that
 * run no script (GitHub, an untrusted notebook) show a picture, and it makes
 * the first figure of each notebook carry plotly.js inline, so an HTML export
 * works offline on its own.
 */
import * as fs from "fs";
import { Figure, Json, PLOTLY_MIME } from "./figure";
import { FIGURE_CLASS } from "../constants";

export type MimeBundle = { [mime: string]: string | Json };

/** Marks an output whose only job is to load plotly.js into the page. */
export const LIBRARY_MARKER = 'data-rnn-course="plotly-library"';

/**
 * Where the course's Jupyter serves plotly.js: `file` below the project's
 * Jupyter data folder (`jupyter/`, on JUPYTER_PATH), where `npm run lab`
 * copies it; `url` below the server's base URL. The first is classic
 * Notebook's nbextensions route, the second JupyterLab's (and Notebook 7's)
 * route for extension files; a figure tries them in this order.
 */
export const PLOTLY_ASSETS: ReadonlyArray<{ file: string; url: string }> = [
  { file: "nbextensions/rnn-course/plotly.min.js", url: "nbextensions/rnn-course/plotly.min.js" },
  { file: "labextensions/rnn-course/static/plotly.min.js", url: "lab/extensions/rnn-course/static/plotly.min.js" },
];

/** Significant digits kept of every number in a figure. */
export const FIGURE_DIGITS = 6;

/** Arrays shorter than this stay plain JSON (a typed-array spec saves nothing on them). */
export const PACK_MIN_LENGTH = 16;

/** Set by `npm run lab` in the environment of the Jupyter server, hence of its kernels. */
export const LIVE_ENV = "RNN_COURSE_LIVE";

type TypedArraySpec = { dtype: "i4" | "f4" | "f8"; bdata: string; shape?: string };

/**
 * A long array of finite numbers (or a rectangular array of such rows) as
 * plotly's typed-array spec: int32 when every value is an integer that fits,
 * float32 when every non-zero magnitude lies within 1e-30..1e30 (float32
 * keeps 7 significant digits there), else float64 (a gradient of 1e-41 on a
 * log axis must not become 0). Anything else is returned as it is.
 */
export function packArray(values: Json): Json {
  if (!Array.isArray(values) || values.length === 0) return values;
  const rows = Array.isArray(values[0]) ? (values as Json[][]) : null;
  if (rows && !rows.every((r) => Array.isArray(r) && r.length === rows[0].length)) return values;
  const flat = rows ? rows.flat() : values;
  if (flat.length < PACK_MIN_LENGTH || !flat.every((v) => typeof v === "number" && Number.isFinite(v))) return values;
  const numbers = flat as number[];
  let spec: TypedArraySpec;
  if (numbers.every((v) => Number.isInteger(v) && Math.abs(v) < 2 ** 31)) {
    spec = { dtype: "i4", bdata: base64(Int32Array.from(numbers)) };
  } else if (numbers.every((v) => v === 0 || (Math.abs(v) > 1e-30 && Math.abs(v) < 1e30))) {
    spec = { dtype: "f4", bdata: base64(Float32Array.from(numbers)) };
  } else {
    spec = { dtype: "f8", bdata: base64(Float64Array.from(numbers)) };
  }
  if (rows) spec.shape = `${rows.length},${rows[0].length}`;
  return spec;
}

/** The bytes of a typed array in base64 (little-endian, as every browser that runs plotly.js). */
function base64(a: Int32Array | Float32Array | Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
}

/** The traces with their x, y and z arrays packed (packArray). */
function packTraces(data: Json[]): Json[] {
  return data.map((trace) => {
    if (trace === null || typeof trace !== "object" || Array.isArray(trace)) return trace;
    const out: { [key: string]: Json } = { ...trace };
    for (const key of ["x", "y", "z"]) if (key in out) out[key] = packArray(out[key]);
    return out;
  });
}

/** Set by reloadLibrary(): the next figure carries plotly.js inline. */
let inlineNext = false;
let figureCounter = 0;

/** The path of plotly.js in this installation (what `npm run lab` copies to PLOTLY_ASSETS). */
export function plotlyLibraryFile(): string {
  return require.resolve("plotly.js-dist-min/plotly.min.js");
}

function plotlyLibrarySource(): string {
  const file = plotlyLibraryFile();
  // Hide AMD/CommonJS loaders (classic Notebook ships require.js) so the
  // bundle always defines window.Plotly, and keep "</script" out of the page.
  return (
    "(function(define, module, exports){\n" +
    fs.readFileSync(file, "utf8").replace(/<\/script/gi, "<\\/script") +
    "\n}).call(window);"
  );
}

function figureTitle(fig: Figure): string {
  const title = fig.layout.title;
  if (typeof title === "string") return title;
  if (title && typeof title === "object" && !Array.isArray(title) && typeof title.text === "string") {
    return title.text;
  }
  return "untitled";
}

/** Serialises JSON for a `<script>` body: no `</script>` or `<!--` can close it early. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

/**
 * A copy of a JSON value with every non-integer number rounded to `digits`
 * significant digits (integers, strings and the structure stay as they are).
 */
export function roundNumbers(value: Json, digits = FIGURE_DIGITS): Json {
  if (typeof value === "number") return Number.isInteger(value) ? value : Number(value.toPrecision(digits));
  if (Array.isArray(value)) return value.map((v) => roundNumbers(v, digits));
  if (value !== null && typeof value === "object") {
    const out: { [key: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = roundNumbers(v, digits);
    return out;
  }
  return value;
}

/**
 * The script, shared by every figure, that gives a callback plotly.js: the
 * page's own when one was loaded (inline by an earlier figure, or by the page
 * itself: an HTML export, the course site), else fetched once per page from the
 * Jupyter server (PLOTLY_ASSETS, below the base URL that classic Notebook puts
 * on <body> and JupyterLab in its page config). The library is evaluated with
 * `define`, `module` and `exports` hidden, so it defines window.Plotly even in
 * classic Notebook, which has require.js.
 */
const LOADER = `function withPlotly(done, fail) {
  if (window.Plotly) { done(window.Plotly); return; }
  if (!window.rnnCoursePlotly) {
    window.rnnCoursePlotly = new Promise(function (resolve, reject) {
      var base = document.body.getAttribute("data-base-url");
      var config = document.getElementById("jupyter-config-data");
      if (!base && config) { try { base = JSON.parse(config.textContent).baseUrl; } catch (e) {} }
      base = (base || "/").replace(/\\/?$/, "/");
      var urls = ${JSON.stringify(PLOTLY_ASSETS.map((a) => a.url))};
      (function next(i) {
        if (i === urls.length) { reject(new Error("not served at " + base + urls.join(" or " + base))); return; }
        fetch(base + urls[i], { credentials: "same-origin" })
          .then(function (r) { if (!r.ok) throw new Error(r.status); return r.text(); })
          .then(function (code) {
            if (!window.Plotly) new Function("define", "module", "exports", code).call(window);
            if (!window.Plotly) throw new Error("no window.Plotly");
            resolve(window.Plotly);
          })
          .catch(function () { next(i + 1); });
      })(0);
    });
  }
  window.rnnCoursePlotly.then(done, fail);
}`;

export interface BundleOptions {
  /** Put plotly.js inline (default: only after reloadLibrary(), in the next figure). */
  includeLibrary?: boolean;
  /** Height of the plot area in pixels (default: layout.height, else 450). */
  height?: number;
  /** A PNG of the figure (base64), shown until a script draws the live plot. */
  staticPng?: string;
  /**
   * Include the figure as plotly's JSON (default: yes, except in a session
   * `npm run lab` started, where the HTML carries the figure's only copy).
   */
  plotlyJson?: boolean;
}

function libraryScript(): string {
  return `<script type="text/javascript" ${LIBRARY_MARKER}>${plotlyLibrarySource()}</script>\n`;
}

/** Builds the MIME bundle for a figure (exported for the runner's tests). */
export function figureBundle(fig: Figure, options: BundleOptions = {}): MimeBundle {
  const includeLibrary = options.includeLibrary ?? inlineNext;
  if (includeLibrary) inlineNext = false;
  const id = `rnn-course-fig-${process.pid}-${++figureCounter}`;
  const layoutHeight = typeof fig.layout.height === "number" ? fig.layout.height : undefined;
  const height = options.height ?? layoutHeight ?? 450;
  const config = { responsive: true, displaylogo: false, ...fig.config };
  const spec = roundNumbers({ data: packTraces(fig.data as unknown as Json[]), layout: fig.layout, config } as unknown as Json);
  const plotlyJson = options.plotlyJson ?? process.env[LIVE_ENV] !== "1";
  const draw = `(function () {
  var el = document.getElementById(${scriptJson(id)});
  var fig = ${scriptJson(spec)};
  ${LOADER}
  withPlotly(function (Plotly) { el.innerHTML = ""; Plotly.newPlot(el, fig.data, fig.layout, fig.config); }, function (e) {
    el.insertAdjacentHTML("beforeend", "<p>plotly.js could not be loaded (" + String(e && e.message).replace(/</g, "&lt;") +
      "): start Jupyter with <code>npm run lab</code>, or run <code>plot.reloadLibrary()</code> and this cell again to put plotly.js into the notebook.</p>");
  });
})();`;
  const image = options.staticPng
    ? `<img alt="${figureTitle(fig).replace(/"/g, "&quot;")}" style="max-width:100%" src="data:image/png;base64,${options.staticPng}">`
    : "";
  const html =
    `<div id="${id}" class="${FIGURE_CLASS}" style="width:100%;min-height:${height}px">${image}</div>\n` +
    (includeLibrary ? libraryScript() : "") +
    `<script type="text/javascript">${draw}</script>`;
  const bundle: MimeBundle = {
    ...(plotlyJson ? { [PLOTLY_MIME]: spec } : {}),
    "text/html": html,
    "text/plain": `<Figure: ${figureTitle(fig)}>`,
  };
  if (options.staticPng) bundle["image/png"] = options.staticPng;
  return bundle;
}

/**
 * Loads plotly.js into the page as its own small output when reloadLibrary()
 * asked for it inline (used before a live figure, whose output is replaced on
 * update); otherwise the live figure's own script loads it from the server.
 */
export function ensureLibrary(): void {
  if (!inlineNext || !inNotebook()) return;
  inlineNext = false;
  displayBundle({ "text/html": libraryScript(), "text/plain": "" });
}

/**
 * Makes the next figure carry plotly.js inline: for a page that cannot load
 * it from the Jupyter server (a Jupyter started without the course's
 * JUPYTER_PATH), as the message under such a figure says.
 */
export function reloadLibrary(): void {
  inlineNext = true;
}

type WriteDisplayData = (
  content: { data: MimeBundle; metadata: Record<string, Json>; transient: { display_id?: string } },
  update: boolean,
) => void;

/** tslab's channel to the notebook, or null outside a kernel (tests, scripts). */
function kernelChannel(): WriteDisplayData | null {
  try {
    // tslab's public `display` sends one MIME type per message; a figure needs
    // a bundle, so use the function it is built on (a private member: see
    // lib/src/privateApis.ts, which pins tslab's version and tests it).
    const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: WriteDisplayData | null };
    return jupyter.lastWriteDisplayData;
  } catch {
    return null;
  }
}

/** True when running inside a tslab kernel, where figures can be displayed. */
export function inNotebook(): boolean {
  return kernelChannel() !== null;
}

let displayCounter = 0;

/**
 * An output area that can be replaced in place (a live loss curve, a progress
 * bar). Outside a notebook, updates are dropped and `close()` prints the
 * final text form once.
 */
export class LiveOutput {
  private readonly id = `rnn-course-live-${process.pid}-${++displayCounter}`;
  private shown = false;
  private last: MimeBundle | null = null;

  /** Replaces the output with `bundle`. */
  update(bundle: MimeBundle): void {
    this.last = bundle;
    const write = kernelChannel();
    if (!write) return;
    write({ data: bundle, metadata: {}, transient: { display_id: this.id } }, this.shown);
    this.shown = true;
  }

  /** Outside a notebook, prints the last state as text; inside, does nothing. */
  close(): void {
    if (!inNotebook() && this.last && typeof this.last["text/plain"] === "string") {
      console.log(this.last["text/plain"]);
    }
  }
}

/**
 * Displays a MIME bundle in the notebook, or prints its text form elsewhere.
 * Used in lesson 10.
 */
export function displayBundle(bundle: MimeBundle): void {
  const write = kernelChannel();
  if (write) write({ data: bundle, metadata: {}, transient: {} }, false);
  else if (typeof bundle["text/plain"] === "string") console.log(bundle["text/plain"]);
}

/**
 * Displays a figure in the notebook (prints `<Figure: title>` elsewhere).
 * Used in lessons 00, 01, 02, 03, 04, 05, 06, 07, 08, 09, 10 and 11.
 */
export function show(fig: Figure): void {
  if (!inNotebook()) {
    console.log(`<Figure: ${figureTitle(fig)}>`);
    return;
  }
  displayBundle(figureBundle(fig));
}
