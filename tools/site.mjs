// `npm run site`: the course as a static site: an index with the lessons in
// order, and each lesson's executed page with links to the previous and next
// one. Cells are rendered as the runner's HTML export renders them
// (tools/html.mjs); math is typeset with KaTeX when the site is built (its
// fonts and stylesheet are copied into the site), and figures are drawn by one
// copy of plotly.js per site, so the pages work opened from disk and served
// over http without any request leaving the machine.
//
// By default the site is the student edition (`npm run student`: solutions
// become stubs, hidden tests are removed), executed by the course runner
// lesson by lesson; a lesson's run ends at its first exercise, whose stub
// throws "not implemented yet" as it does for a student. That is the build to
// publish. The runner's own build/ holds the solutions and hidden tests.
//
//   npm run site                        every lesson, full size, into build/site/
//   npm run site -- --quick 00 01       lessons 00 and 01, in quick mode
//   npm run site -- --out DIR           another folder
//   npm run site -- --from DIR          pages from the executed notebooks already in DIR
//                                       (a runner's --out folder), running nothing
//   npm run site -- --serve [--port N]  then serve the site on http://127.0.0.1:N/ (default 8000)
import { spawn } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { ROOT } from "./jupyter.mjs";
import { courseLessons, LessonListError } from "./lessons.mjs";
import { readNotebook, sourceText, tagsOf, isObject } from "./notebooks.mjs";
import { renderCell, CELL_STYLE } from "./html.mjs";
import { typesetMath, copyKatexAssets, MATH_STYLE } from "./math.mjs";
import { escapeHtml as esc, helpText, isParseArgsError } from "./cli.mjs";

/**
 * @typedef {import("./notebooks.mjs").Notebook} Notebook
 * @typedef {import("./notebooks.mjs").Cell} Cell
 * @typedef {import("./notebooks.mjs").Output} Output
 * @typedef {{ file: string, title: string }} Lesson
 * @typedef {import("./math.mjs").MathError} MathError
 */

const require = createRequire(import.meta.url);

export class SiteError extends Error {}

// The constants the library shares with the tools (lib/src/constants.ts,
// lib/src/plot/display.ts), repeated so that rendering a page needs no build
// of the library; test/site.test.ts checks they agree.
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";
export const LIBRARY_MARKER = 'data-rnn-course="plotly-library"';
export const FIGURE_CLASS = "rnn-course-figure";

// ---------------------------------------------------------------- pages

/**
 * A figure's or any HTML output without the copy of plotly.js an executed
 * notebook carries inline: the site loads one copy for every page.
 * @param {string} html
 */
export function withoutLibrary(html) {
  for (let at = html.indexOf(LIBRARY_MARKER); at >= 0; at = html.indexOf(LIBRARY_MARKER)) {
    const start = html.lastIndexOf("<script", at);
    const end = html.indexOf("</script>", at);
    if (start < 0 || end < 0) throw new SiteError("an output carries plotly.js in a script that does not close");
    html = html.slice(0, start) + html.slice(end + "</script>".length).replace(/^\n/, "");
  }
  return html;
}

/**
 * @param {Notebook} nb
 * @param {string} file
 */
export function lessonTitle(nb, file) {
  const first = nb.cells.find((c) => c.cell_type === "markdown");
  const heading = first && sourceText(first).match(/^#\s+(.+)$/m);
  return heading ? heading[1].trim() : path.basename(file, ".ipynb");
}

const pageName = (/** @type {string} */ file) => `${path.basename(file, ".ipynb")}.html`;

/**
 * @param {string} title
 * @param {string} body
 */
const page = (title, body) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<link rel="stylesheet" href="assets/katex/katex.min.css">
<link rel="stylesheet" href="assets/site.css">
<script src="assets/plotly.min.js"></script>
</head><body>
${body}
</body></html>
`;

/**
 * The page of one executed lesson, with links to its neighbours: its cells as
 * the runner's HTML export renders them (tools/html.mjs), less the cell of
 * injected parameters and the inline copies of plotly.js, math typeset.
 * @param {Notebook} nb
 * @param {{ title: string, previous: Lesson | null, next: Lesson | null, edition: string }} o
 * @returns {{ html: string, errors: MathError[], figures: number }}
 */
export function lessonPage(nb, { title, previous, next, edition }) {
  /** @type {MathError[]} */
  const errors = [];
  const cells = nb.cells.filter((c) => !tagsOf(c).includes("injected-parameters"));
  const figures = cells.flatMap((c) => c.outputs ?? []).filter((o) => o.data?.[PLOTLY_MIME] !== undefined).length;
  const body = cells.map((c) => typesetMath(withoutLibrary(renderCell(c)), errors)).join("\n");
  const nav = `<nav>${previous ? `<a rel="prev" href="${esc(pageName(previous.file))}">← ${esc(previous.title)}</a>` : "<span></span>"}` +
    `<a href="index.html">All lessons</a>` +
    `${next ? `<a rel="next" href="${esc(pageName(next.file))}">${esc(next.title)} →</a>` : "<span></span>"}</nav>`;
  const html = page(title, `${nav}\n<main class="notebook">\n<p class="edition">${esc(edition)}</p>\n${body}\n</main>\n${nav}`);
  return { html, errors, figures };
}

/**
 * @param {Lesson[]} lessons
 * @param {string} edition
 */
export function indexPage(lessons, edition) {
  const items = lessons.map((l) => `<li><a href="${esc(pageName(l.file))}">${esc(l.title)}</a></li>`).join("\n");
  return page(
    "Recurrent neural networks: the course",
    `<main>\n<h1>Recurrent neural networks: the course</h1>\n<p>A course on recurrent neural networks in executable TypeScript notebooks: each lesson explains the math, runs the experiment and draws the figures.</p>\n<p class="edition">${esc(edition)}</p>\n<ol class="lessons">\n${items}\n</ol>\n</main>`,
  );
}

const CSS = `body{margin:0;color:#1f2328;font:16px/1.55 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:64rem;margin:0 auto;padding:0 1rem 3rem}
nav{display:flex;justify-content:space-between;gap:1rem;max-width:64rem;margin:0 auto;padding:.6rem 1rem;border-bottom:1px solid #d0d7de}
nav:last-of-type{border-top:1px solid #d0d7de;border-bottom:0}
a{color:#0969da}
.edition{color:#57606a;font-size:.9rem}
ol.lessons li{margin:.4rem 0;font-size:1.1rem}
${CELL_STYLE}
${MATH_STYLE}
@media (max-width:40rem){.markdown-cell,.stream,.error{padding-left:0}.prompt{display:none}}
`;

/**
 * Copies what every page loads: plotly.js, KaTeX's stylesheet and fonts, the site's stylesheet.
 * @param {string} out
 */
function writeAssets(out) {
  const assets = path.join(out, "assets");
  mkdirSync(path.join(assets, "katex"), { recursive: true });
  const plotly = require.resolve("plotly.js-dist-min/plotly.min.js", { paths: [path.join(ROOT, "lib")] });
  copyFileSync(plotly, path.join(assets, "plotly.min.js"));
  copyKatexAssets(path.join(assets, "katex"));
  writeFileSync(path.join(assets, "site.css"), CSS);
}

/**
 * Whether an executed notebook still holds what the student edition removes.
 * @param {Notebook} nb
 */
const hasSolutions = (nb) => nb.cells.some((c) => /BEGIN (SOLUTION|HIDDEN TESTS)/.test(sourceText(c)));

/**
 * Writes the site from executed notebooks.
 * @param {{ executed: string, files: string[], out: string, edition: string }} o
 */
export function writeSite({ executed, files, out, edition }) {
  /** @type {Lesson[]} */
  const lessons = files.map((file) => ({ file, title: lessonTitle(readNotebook(path.join(executed, file)), file) }));
  mkdirSync(out, { recursive: true });
  writeAssets(out);
  /** @type {{ file: string, figures: number, errors: MathError[], solutions: boolean }[]} */
  const report = [];
  lessons.forEach((lesson, i) => {
    const nb = readNotebook(path.join(executed, lesson.file));
    const { html, errors, figures } = lessonPage(nb, { title: lesson.title, previous: lessons[i - 1] ?? null, next: lessons[i + 1] ?? null, edition });
    writeFileSync(path.join(out, pageName(lesson.file)), html);
    report.push({ file: lesson.file, figures, errors, solutions: hasSolutions(nb) });
  });
  writeFileSync(path.join(out, "index.html"), indexPage(lessons, edition));
  return report;
}

// ---------------------------------------------------------------- building

/**
 * Runs a Node tool of this project, its output shown; resolves to its exit status.
 * @param {string} tool
 * @param {string[]} args
 * @returns {Promise<number>}
 */
function run(tool, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, "tools", tool), ...args], { stdio: "inherit", cwd: ROOT });
    child.on("close", (code) => resolve(code ?? 1));
  });
}

/**
 * Whether an executed student notebook stopped where a student's run stops:
 * at an exercise's stub, which throws "not implemented yet: <grade id>". A
 * stub that defines a function throws only when a later cell (usually the
 * exercise's visible test) calls it, so the failing cell may be either; the
 * id the error names must be an exercise of this notebook.
 * @param {Notebook} nb
 */
export function stoppedAtExercise(nb) {
  // tslab reports a cell's error on stderr, so the runner's record of the run
  // (the notebook's "rnn-course-run" metadata) names it; an error output counts too.
  const run = nb.metadata?.["rnn-course-run"];
  const recorded = isObject(run) && run.status === "failed" ? String(run.message ?? "") : "";
  const failed = nb.cells.find((c) => (c.outputs ?? []).some((o) => o.output_type === "error"));
  const error = (failed?.outputs ?? []).find((o) => o.output_type === "error");
  const named = /not implemented yet: (\S+)\s*$/.exec(recorded) ?? /^not implemented yet: (\S+)$/.exec(String(error?.evalue ?? "").trim());
  if (!named) return false;
  return nb.cells.some((c) => {
    const grader = c.metadata?.nbgrader;
    return isObject(grader) && grader.solution === true && grader.grade_id === named[1];
  });
}

/**
 * Whether every code cell of an executed notebook ran without error (a
 * non-zero exit of the runner is then failed claims, which the page shows).
 * @param {Notebook} nb
 */
export function ranToTheEnd(nb) {
  return nb.cells.every(
    (c) => c.cell_type !== "code" || !sourceText(c).trim() || (typeof c.execution_count === "number" && !(c.outputs ?? []).some((o) => o.output_type === "error")),
  );
}

/**
 * Builds the student edition of the chosen lessons and runs each through the
 * course runner; returns the folder of executed notebooks and their files.
 * @param {{ names: string[], quick: boolean, work: string }} o
 */
async function executeStudentEdition({ names, quick, work }) {
  const student = path.join(work, "student");
  const executed = path.join(work, "executed");
  mkdirSync(executed, { recursive: true });
  if ((await run("exercises/student.mjs", ["--out", student, ...names])) !== 0) throw new SiteError("building the student edition failed (above)");
  const files = courseLessons(student).lessons;
  for (const file of files) {
    const status = await run("course.mjs", ["--notebooks", student, "--out", executed, ...(quick ? ["--quick"] : []), file]);
    const result = path.join(executed, file);
    if (status === 0) continue;
    if (!existsSync(result)) throw new SiteError(`${file}: the runner wrote no executed notebook (above)`);
    const nb = readNotebook(result);
    if (stoppedAtExercise(nb)) console.log(`${file}: ran up to its first exercise, whose stub throws as it does for a student`);
    else if (ranToTheEnd(nb)) console.log(`${file}: some claims failed (above); the page shows them as measured`);
    else throw new SiteError(`${file}: the run stopped before the end of the lesson (above)`);
  }
  return { executed, files };
}

/**
 * Serves a folder over http on 127.0.0.1 (port 0: any free port).
 * @param {string} dir
 * @param {number} port
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export function serveFolder(dir, port) {
  /** @type {Record<string, string>} */
  const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".json": "application/json", ".png": "image/png" };
  const root = path.resolve(dir);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const file = path.join(root, decodeURIComponent(url.pathname).replace(/\/$/, "/index.html"));
    if (!file.startsWith(root + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "application/octet-stream" });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const actual = typeof address === "object" && address ? address.port : port;
      resolve({ url: `http://127.0.0.1:${actual}/`, close: () => new Promise((done) => server.close(() => done())) });
    }),
  );
}

/** @param {string[]} argv */
async function main(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quick: { type: "boolean", default: false },
      out: { type: "string", default: path.join(ROOT, "build", "site") },
      from: { type: "string" },
      serve: { type: "boolean", default: false },
      port: { type: "string", default: "8000" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(helpText(import.meta.url));
    return 0;
  }
  const out = path.resolve(values.out);
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SiteError(`--port ${values.port}: expected a port number`);
  let executed;
  let files;
  let edition;
  let cleanup = () => {};
  if (values.from) {
    if (values.quick) throw new SiteError("--quick chooses how lessons run; with --from nothing runs");
    executed = path.resolve(values.from);
    const all = courseLessons(executed).lessons;
    files = positionals.length ? all.filter((f) => positionals.some((p) => f.startsWith(p))) : all;
    edition = `Executed notebooks of ${path.basename(executed)}/.`;
  } else {
    // Inside the project, wherever the site goes: the kernel finds @rnn-course/lib from the notebook's folder up.
    mkdirSync(path.join(ROOT, "build"), { recursive: true });
    const work = mkdtempSync(path.join(ROOT, "build", "site-work-"));
    ({ executed, files } = await executeStudentEdition({ names: positionals, quick: values.quick, work }));
    cleanup = () => rmSync(work, { recursive: true, force: true });
    edition = `Student edition${values.quick ? ", run in quick mode (every experiment small)" : ""}; built ${new Date().toISOString().slice(0, 10)}.`;
  }
  if (files.length === 0) throw new SiteError(`no lessons to build in ${executed}`);
  rmSync(out, { recursive: true, force: true });
  const report = writeSite({ executed, files, out, edition });
  cleanup();
  let bad = 0;
  for (const r of report) {
    console.log(`${pageName(r.file)}: ${r.figures} figure(s)${r.errors.length ? `, ${r.errors.length} formula(s) KaTeX could not typeset` : ""}`);
    for (const e of r.errors) console.log(`    ${e.display ? "$$" : "$"}${e.tex}${e.display ? "$$" : "$"}: ${e.error}`);
    if (r.solutions) console.log(`    ${r.file} holds solutions or hidden tests: do not publish this site`);
    bad += r.errors.length;
  }
  console.log(`Site of ${report.length} lesson(s) in ${path.relative(process.cwd(), out) || "."}/ (open index.html, or serve the folder)`);
  if (values.serve) {
    const server = await serveFolder(out, port);
    console.log(`Serving it on ${server.url} (Ctrl-C stops)`);
    await new Promise(() => {});
  }
  return bad ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e) => {
      if (e instanceof SiteError || isParseArgsError(e) || e instanceof LessonListError) {
        console.error(`npm run site: ${e.message}`);
        process.exitCode = 2;
      } else {
        throw e;
      }
    },
  );
}
