/**
 * Showing figures in a tslab notebook.
 *
 * A figure is sent as one MIME bundle:
 *   - `application/vnd.plotly.v1+json`: the figure itself (read by plotly's
 *     JupyterLab extension where installed, and by the course runner, which
 *     renders it to PNG);
 *   - `text/html`: a div and a script that draws it with plotly.js. The first
 *     figure of a kernel session carries the plotly.js library inline, so the
 *     notebook needs no network and its HTML export works offline;
 *   - `text/plain`: a one-line description.
 * The course runner rebuilds these bundles in executed notebooks: it adds
 * `image/png` (rendered in headless Chromium) and puts the same image inside
 * the div, so viewers that run no script (GitHub, an untrusted notebook) show
 * a picture, and it makes the first figure of each notebook carry plotly.js.
 */
import * as fs from "fs";
import { Figure, Json, PLOTLY_MIME } from "./figure";
import { FIGURE_CLASS } from "../constants";

export type MimeBundle = { [mime: string]: string | Json };

/** Marks an output whose only job is to load plotly.js into the page. */
export const LIBRARY_MARKER = 'data-rnn-course="plotly-library"';

let libraryEmbedded = false;
let figureCounter = 0;

function plotlyLibrarySource(): string {
  const file = require.resolve("plotly.js-dist-min/plotly.min.js");
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

export interface BundleOptions {
  /** Put plotly.js inline (default: only in the first figure of the session). */
  includeLibrary?: boolean;
  /** Height of the plot area in pixels (default: layout.height, else 450). */
  height?: number;
  /** A PNG of the figure (base64), shown until a script draws the live plot. */
  staticPng?: string;
}

function libraryScript(): string {
  return `<script type="text/javascript" ${LIBRARY_MARKER}>${plotlyLibrarySource()}</script>\n`;
}

/** Builds the MIME bundle for a figure (exported for the runner's tests). */
export function figureBundle(fig: Figure, options: BundleOptions = {}): MimeBundle {
  const includeLibrary = options.includeLibrary ?? !libraryEmbedded;
  if (includeLibrary) libraryEmbedded = true;
  const id = `rnn-course-fig-${process.pid}-${++figureCounter}`;
  const layoutHeight = typeof fig.layout.height === "number" ? fig.layout.height : undefined;
  const height = options.height ?? layoutHeight ?? 450;
  const config = { responsive: true, displaylogo: false, ...fig.config };
  const spec = { data: fig.data, layout: fig.layout, config };
  const draw = `(function () {
  var el = document.getElementById(${scriptJson(id)});
  var fig = ${scriptJson(spec)};
  function draw() { el.innerHTML = ""; window.Plotly.newPlot(el, fig.data, fig.layout, fig.config); }
  if (window.Plotly) { draw(); return; }
  var tries = 0;
  var timer = setInterval(function () {
    if (window.Plotly) { clearInterval(timer); draw(); }
    else if (++tries > 100) {
      clearInterval(timer);
      el.insertAdjacentHTML("beforeend", "<p>plotly.js is not loaded in this page (was it reloaded?). Run <code>plot.reloadLibrary()</code> and this cell again.</p>");
    }
  }, 100);
})();`;
  const image = options.staticPng
    ? `<img alt="${figureTitle(fig).replace(/"/g, "&quot;")}" style="max-width:100%" src="data:image/png;base64,${options.staticPng}">`
    : "";
  const html =
    `<div id="${id}" class="${FIGURE_CLASS}" style="width:100%;min-height:${height}px">${image}</div>\n` +
    (includeLibrary ? libraryScript() : "") +
    `<script type="text/javascript">${draw}</script>`;
  const bundle: MimeBundle = {
    [PLOTLY_MIME]: spec as unknown as Json,
    "text/html": html,
    "text/plain": `<Figure: ${figureTitle(fig)}>`,
  };
  if (options.staticPng) bundle["image/png"] = options.staticPng;
  return bundle;
}

/**
 * Loads plotly.js into the page once per kernel session, as its own small
 * output (used before a live figure, whose output is replaced on update).
 */
export function ensureLibrary(): void {
  if (libraryEmbedded || !inNotebook()) return;
  libraryEmbedded = true;
  displayBundle({ "text/html": libraryScript(), "text/plain": "" });
}

/** Makes the next figure carry plotly.js again (after a browser reload). */
export function reloadLibrary(): void {
  libraryEmbedded = false;
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

/** Displays a MIME bundle in the notebook, or prints its text form elsewhere. */
export function displayBundle(bundle: MimeBundle): void {
  const write = kernelChannel();
  if (write) write({ data: bundle, metadata: {}, transient: {} }, false);
  else if (typeof bundle["text/plain"] === "string") console.log(bundle["text/plain"]);
}

/**
 * Displays a figure in the notebook (prints `<Figure: title>` elsewhere).
 * Used in lessons 00, 01, 02, 03, 04, 05 and 08.
 */
export function show(fig: Figure): void {
  if (!inNotebook()) {
    console.log(`<Figure: ${figureTitle(fig)}>`);
    return;
  }
  displayBundle(figureBundle(fig));
}
