// HTML export of an executed notebook, from Node (what nbconvert's HTML
// exporter does for the course, kept small): markdown cells rendered with
// markdown-it, code cells with their prompt and source, and each output in
// the richest form a browser shows (nbconvert's order: HTML, markdown, SVG,
// LaTeX, PNG, JPEG, plain text), so figures (HTML with plotly.js inline) draw
// and claims show as coloured lines. The page needs no network.
//
// Math is left as the author wrote it, `$…$` inline and `$$…$$` on its own,
// inside <span class="math inline"> and <div class="math display">: markdown
// never touches it (an underscore in a formula stays an underscore), and
// whatever typesets the page finds the usual delimiters in the text: the
// runner and the course site typeset it with KaTeX (tools/math.mjs).
import MarkdownIt from "markdown-it";
import { tex } from "@mdit/plugin-tex";
import { escapeHtml } from "./cli.mjs";
import { MATH_STYLE } from "./math.mjs";

/**
 * @typedef {import("./notebooks.mjs").Notebook} Notebook
 * @typedef {import("./notebooks.mjs").Cell} Cell
 * @typedef {import("./notebooks.mjs").Output} Output
 */

/** Output media types in the order nbconvert's HTML exporter prefers them (those a static page can show). */
export const MIME_ORDER = ["text/html", "text/markdown", "image/svg+xml", "text/latex", "image/png", "image/jpeg", "text/plain"];

const ANSI = /\x1b\[[0-9;]*[A-Za-z]/g;

/** @param {unknown} v  a notebook string (or list of lines) */
const joined = (v) => (Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "");

/**
 * nbconvert's heading ids: the text with spaces as hyphens.
 * @param {string} text
 */
const headingId = (text) => text.trim().replace(/\s+/g, "-").replace(/["'<>&]/g, "");

/**
 * A markdown renderer like Jupyter's: raw HTML allowed, bare URLs linked,
 * GitHub tables, math kept verbatim, headings with ids.
 * `attachments` resolves `attachment:NAME` image sources of the cell.
 */
function markdownRenderer() {
  const md = new MarkdownIt({ html: true, linkify: true });
  tex(md, {
    delimiters: "dollars",
    render: (content, displayMode) =>
      displayMode ? `<div class="math display">$$${escapeHtml(content)}$$</div>\n` : `<span class="math inline">$${escapeHtml(content)}$</span>`,
  });
  md.core.ruler.push("heading_ids", (state) => {
    state.tokens.forEach((token, i) => {
      if (token.type !== "heading_open") return;
      const text = state.tokens[i + 1]?.children?.map((t) => t.content).join("") ?? "";
      token.attrSet("id", headingId(text));
    });
  });
  return md;
}

const md = markdownRenderer();

/**
 * Renders one markdown text; `attachment:NAME` images take their data from `attachments`.
 * @param {string} text
 * @param {unknown} [attachments]
 */
export function renderMarkdown(text, attachments) {
  const html = md.render(text);
  if (typeof attachments !== "object" || attachments === null) return html;
  const files = /** @type {Record<string, Record<string, unknown>>} */ (attachments);
  return html.replace(/src="attachment:([^"]+)"/g, (whole, name) => {
    const bundle = files[decodeURIComponent(name)];
    const mime = bundle && Object.keys(bundle).find((m) => m.startsWith("image/"));
    return mime ? `src="data:${mime};base64,${joined(bundle[mime]).replace(/\s/g, "")}"` : whole;
  });
}

/**
 * One output as HTML (nothing for an output a static page cannot show).
 * @param {Output} output
 */
export function renderOutput(output) {
  switch (output.output_type) {
    case "stream": {
      const name = output.name === "stderr" ? "stderr" : "stdout";
      return `<div class="output stream ${name}"><pre>${escapeHtml(joined(output.text).replace(ANSI, ""))}</pre></div>`;
    }
    case "error": {
      const trace = Array.isArray(output.traceback) ? output.traceback.map(String).join("\n") : "";
      const text = trace.trim() ? trace : `${joined(output.ename)}: ${joined(output.evalue)}`;
      return `<div class="output error"><pre>${escapeHtml(text.replace(ANSI, ""))}</pre></div>`;
    }
    case "display_data":
    case "execute_result": {
      const data = output.data ?? {};
      const mime = MIME_ORDER.find((m) => data[m] !== undefined);
      if (!mime) return "";
      const value = joined(data[mime]);
      const metadata = /** @type {Record<string, unknown>} */ (output.metadata ?? {});
      const meta = /** @type {Record<string, unknown>} */ (metadata[mime] ?? metadata);
      const size = ["width", "height"].map((k) => (typeof meta[k] === "number" ? ` ${k}="${meta[k]}"` : "")).join("");
      const body =
        mime === "text/html" || mime === "image/svg+xml"
          ? value
          : mime === "text/markdown"
            ? renderMarkdown(value)
            : mime === "image/png" || mime === "image/jpeg"
              ? `<img src="data:${mime};base64,${value.replace(/\s/g, "")}"${size} alt="">`
              : mime === "text/latex"
                ? `<div class="math display">${escapeHtml(value)}</div>`
                : `<pre>${escapeHtml(value.replace(ANSI, ""))}</pre>`;
      const prompt = output.output_type === "execute_result" && typeof output.execution_count === "number" ? `Out[${output.execution_count}]:` : "";
      return `<div class="output" data-mime-type="${mime}"><div class="prompt">${prompt}</div><div class="output-body">${body}</div></div>`;
    }
    default:
      return "";
  }
}

/**
 * One cell as HTML.
 * @param {Cell} cell
 */
export function renderCell(cell) {
  const source = joined(cell.source);
  if (cell.cell_type === "markdown") {
    return `<div class="cell markdown-cell">\n${renderMarkdown(source, /** @type {Record<string, unknown>} */ (cell).attachments)}</div>`;
  }
  if (cell.cell_type === "raw") return `<div class="cell raw-cell"><pre>${escapeHtml(source)}</pre></div>`;
  const count = typeof cell.execution_count === "number" ? String(cell.execution_count) : "&nbsp;";
  const outputs = (cell.outputs ?? []).map(renderOutput).filter(Boolean).join("\n");
  return (
    `<div class="cell code-cell">\n<div class="input"><div class="prompt">In&nbsp;[${count}]:</div>` +
    `<pre class="source"><code class="language-typescript">${escapeHtml(source)}</code></pre></div>\n` +
    (outputs ? `<div class="outputs">\n${outputs}\n</div>\n` : "") +
    `</div>`
  );
}

/** The look of cells and outputs, shared with the course site (tools/site.mjs). */
export const CELL_STYLE = `
.cell{margin:.6rem 0}
.markdown-cell{padding:0 .5rem 0 5.5rem}
.markdown-cell img{max-width:100%}
.markdown-cell table{border-collapse:collapse;margin:.6rem 0}
.markdown-cell th,.markdown-cell td{border:1px solid #d0d7de;padding:.25rem .6rem}
.markdown-cell code{background:#f6f8fa;padding:.1em .3em;border-radius:3px;font-size:90%}
.input,.output{display:flex;align-items:flex-start}
.prompt{flex:0 0 5rem;text-align:right;padding:.45rem .5rem 0 0;color:#6e7781;font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
.output .prompt{color:#bc4c00}
pre{margin:0;white-space:pre-wrap;word-break:break-word;font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace}
pre.source{flex:1;min-width:0;background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;padding:.45rem .6rem}
.outputs{margin-top:.2rem}
.output-body{flex:1;min-width:0;overflow-x:auto;padding:.2rem 0}
.stream,.error{padding-left:5.5rem}
.stream pre{padding:0}
.stderr pre{background:#fff5f5;padding:0 .4rem}
.error pre{background:#ffebe9;color:#82071e;padding:.3rem .5rem}
div.math.display{overflow-x:auto;margin:.6rem 0}
`;

const STYLE = `
body{margin:0;background:#fff;color:#1f2328;font:16px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif}
main.notebook{max-width:64rem;margin:0 auto;padding:1.5rem 1rem 4rem}
${CELL_STYLE}
${MATH_STYLE}`;

/**
 * A whole notebook as one HTML page; `stylesheets` are linked from its head
 * (the runner links KaTeX's, having typeset the math: tools/math.mjs).
 * @param {Notebook} nb
 * @param {{ title: string, stylesheets?: string[] }} options
 */
export function notebookToHtml(nb, { title, stylesheets = [] }) {
  const cells = nb.cells.map(renderCell).join("\n");
  const links = stylesheets.map((href) => `<link rel="stylesheet" href="${escapeHtml(href)}">\n`).join("");
  return (
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<title>${escapeHtml(title)}</title>\n${links}<style>${STYLE}</style>\n</head>\n<body>\n<main class="notebook">\n${cells}\n</main>\n</body>\n</html>\n`
  );
}
