// Math typeset with KaTeX when a page is written, so the page needs no
// script and no network to show it: the course site (tools/site.mjs) and the
// runner's HTML exports (tools/course.mjs) both typeset what tools/html.mjs
// leaves as the author wrote it, and ship KaTeX's stylesheet and fonts
// beside the pages.
import { copyFileSync, cpSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import katex from "katex";
import { escapeHtml as esc } from "./cli.mjs";

const require = createRequire(import.meta.url);

/** @typedef {{ tex: string, display: boolean, error: string }} MathError a formula KaTeX could not typeset */

/** The rules a typeset page needs besides KaTeX's stylesheet. */
export const MATH_STYLE = `.math-display{overflow-x:auto;overflow-y:hidden;margin:.6rem 0}
.math-error{color:#cf222e}`;

/** @param {string} s  text as escapeHtml wrote it */
const unescapeHtml = (s) => s.replace(/&(lt|gt|quot|amp);/g, (_, e) => ({ lt: "<", gt: ">", quot: '"', amp: "&" })[/** @type {"lt"} */ (e)]);

/**
 * KaTeX's HTML for one formula; a formula KaTeX cannot typeset is shown as
 * its source in red and reported in `errors`.
 * @param {string} tex
 * @param {boolean} display
 * @param {MathError[]} errors
 */
export function typeset(tex, display, errors) {
  try {
    return katex.renderToString(tex, { displayMode: display, throwOnError: true, output: "htmlAndMathml", strict: "ignore" });
  } catch (e) {
    errors.push({ tex, display, error: e instanceof Error ? e.message : String(e) });
    return `<code class="math-error" title="${esc(e instanceof Error ? e.message : e)}">${esc(tex)}</code>`;
  }
}

/**
 * Typesets the math of a page that tools/html.mjs rendered, which leaves it
 * as the author wrote it: `<span class="math inline">$…$</span>` and
 * `<div class="math display">$$…$$</div>` (a text/latex output: the LaTeX,
 * with or without its dollars), HTML-escaped.
 * @param {string} html
 * @param {MathError[]} errors
 */
export function typesetMath(html, errors) {
  return html
    .replace(/<span class="math inline">\$([\s\S]*?)\$<\/span>/g, (_, tex) => typeset(unescapeHtml(tex), false, errors))
    .replace(/<div class="math display">([\s\S]*?)<\/div>/g, (_, body) => {
      const tex = unescapeHtml(body).trim().replace(/^\$\$([\s\S]*)\$\$$/, "$1").replace(/^\$([\s\S]*)\$$/, "$1").trim();
      return `<div class="math-display">${typeset(tex, true, errors)}</div>`;
    });
}

/**
 * Copies KaTeX's stylesheet (katex.min.css) and its fonts into `dir`.
 * @param {string} dir
 */
export function copyKatexAssets(dir) {
  mkdirSync(dir, { recursive: true });
  const dist = path.dirname(require.resolve("katex/dist/katex.min.css"));
  copyFileSync(path.join(dist, "katex.min.css"), path.join(dir, "katex.min.css"));
  cpSync(path.join(dist, "fonts"), path.join(dir, "fonts"), { recursive: true });
}
