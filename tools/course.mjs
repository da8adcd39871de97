// `npm run course`: executes the course notebooks headless through Jupyter
// (nbclient) with the course's tslab kernel, then writes to the build folder
// the executed notebooks with static images of their figures, an HTML export
// per lesson and an index page. Source notebooks are only read.
//
//   npm run course                      every lesson, full size (as authored)
//   npm run course -- --quick 01        lesson(s) whose file name starts with 01, CI size
//   npm run course -- --param seed=7    override a parameter (JSON value, else a string)
//   npm run course -- --check           also open each HTML page in Chromium and
//                                       fail unless every figure is drawn
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, mkdirSync, readdirSync, existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT, findPython, jupyterEnv, ensureLibraryBuilt, onJsonLines } from "./jupyter.mjs";
import { findChromium, launchBrowser, figureRenderer, checkHtml } from "./browser.mjs";

const require = createRequire(import.meta.url);
const NOTEBOOKS = path.join(ROOT, "notebooks");

class CourseError extends Error {}

function parseCommandLine(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quick: { type: "boolean", default: false },
      full: { type: "boolean", default: false },
      check: { type: "boolean", default: false },
      param: { type: "string", multiple: true, default: [] },
      out: { type: "string", default: path.join(ROOT, "build") },
      timeout: { type: "string", default: "1800" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.quick && values.full) throw new CourseError("--quick and --full exclude each other");
  const params = {};
  if (values.quick) params.quick = true;
  if (values.full) params.quick = false;
  for (const p of values.param) {
    const eq = p.indexOf("=");
    if (eq <= 0) throw new CourseError(`--param ${p}: expected name=value`);
    const raw = p.slice(eq + 1);
    let value;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    params[p.slice(0, eq)] = value;
  }
  const out = path.resolve(values.out);
  if (out === NOTEBOOKS || out.startsWith(NOTEBOOKS + path.sep)) {
    throw new CourseError(`--out ${values.out}: the build folder must not be inside notebooks/ (sources are never overwritten)`);
  }
  return { ...values, out, params, names: positionals, timeout: Number(values.timeout) };
}

function selectNotebooks(names) {
  const all = readdirSync(NOTEBOOKS).filter((f) => f.endsWith(".ipynb")).sort();
  if (names.length === 0) return all;
  return names.map((name) => {
    const base = path.basename(name);
    const hits = all.filter((f) => f === base || f.startsWith(base));
    if (hits.length !== 1) {
      throw new CourseError(
        `'${name}' ${hits.length ? `matches several notebooks: ${hits.join(", ")}` : "matches no notebook"}; the lessons are: ${all.join(", ")}`,
      );
    }
    return hits[0];
  });
}

const formatSeconds = (s) => (s < 60 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);

/** Runs tools/execute.py on one notebook, printing progress; resolves to its result. */
function execute(python, file, output, params, timeout, label) {
  return new Promise((resolve) => {
    const child = spawn(
      python,
      [path.join(ROOT, "tools", "execute.py"), path.join(NOTEBOOKS, file), output, "--params", JSON.stringify(params), "--timeout", String(timeout)],
      { env: jupyterEnv(), stdio: ["ignore", "pipe", "pipe"] },
    );
    const tty = process.stdout.isTTY;
    let failure = null;
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    onJsonLines(child.stdout, (ev) => {
      if (ev.event === "cell-start" && tty) process.stdout.write(`\r${label}  cell ${ev.number}/${ev.of} ...   `);
      if (ev.event === "cell-done" && ev.seconds >= 10) {
        process.stdout.write(`${tty ? "\r" : ""}${label}  a slow cell (#${ev.index}) took ${formatSeconds(ev.seconds)}\n`);
      }
      if (ev.event === "cell-error" || ev.event === "bad-input") failure = ev;
    });
    child.on("close", (code) => {
      if (tty) process.stdout.write("\r\x1b[K");
      resolve({ code, failure, stderr });
    });
  });
}

/**
 * Rewrites every figure output of an executed notebook: adds a PNG, puts it
 * in the HTML as the picture shown where no script runs, and makes the first
 * figure carry plotly.js (live sessions may have loaded it elsewhere).
 */
async function finishFigures(file, renderer) {
  const { plot } = require("@rnn-course/lib");
  const nb = JSON.parse(readFileSync(file, "utf8"));
  let figures = 0;
  for (const cell of nb.cells) {
    if (!cell.outputs) continue;
    const kept = [];
    for (const output of cell.outputs) {
      const data = output.data;
      const html = data && [].concat(data["text/html"] ?? []).join("");
      if (data && !data[plot.PLOTLY_MIME] && html.includes(plot.LIBRARY_MARKER)) continue; // re-added below
      if (data && data[plot.PLOTLY_MIME]) {
        const spec = data[plot.PLOTLY_MIME];
        const png = renderer ? await renderer.png(spec) : undefined;
        output.data = plot.figureBundle(spec, { includeLibrary: figures === 0, staticPng: png });
        figures++;
      }
      kept.push(output);
    }
    cell.outputs = kept;
  }
  writeFileSync(file, JSON.stringify(nb, null, 1) + "\n");
  return figures;
}

function lessonTitle(file) {
  const nb = JSON.parse(readFileSync(file, "utf8"));
  const md = nb.cells.find((c) => c.cell_type === "markdown");
  const heading = md && [].concat(md.source).join("").match(/^#\s+(.+)$/m);
  return heading ? heading[1].trim() : path.basename(file, ".ipynb");
}

/**
 * The index page lists every lesson built into the folder so far: each run
 * updates its own lessons in manifest.json and keeps the others.
 */
function writeIndex(out, results, params) {
  const manifestFile = path.join(out, "manifest.json");
  const manifest = existsSync(manifestFile) ? JSON.parse(readFileSync(manifestFile, "utf8")) : {};
  const mode = params.quick ? "quick" : "full";
  const when = new Date().toISOString();
  for (const r of results) manifest[r.name] = { ...r, mode, params, when };
  for (const name of Object.keys(manifest)) if (!existsSync(path.join(out, `${name}.html`))) delete manifest[name];
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + "\n");
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);
  const rows = Object.values(manifest)
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(
      (r) =>
        `<tr><td><a href="${esc(r.name)}.html">${esc(r.title)}</a></td><td><a href="${esc(r.name)}.ipynb">notebook</a></td>` +
        `<td>${r.figures}</td><td>${esc(r.mode)}</td><td>${formatSeconds(r.seconds)}</td><td>${esc(r.when.slice(0, 16).replace("T", " "))}</td></tr>`,
    )
    .join("\n");
  writeFileSync(
    path.join(out, "index.html"),
    `<!doctype html><html><head><meta charset="utf-8"><title>Recurrent neural networks: the course</title>
<style>body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{padding:.4rem .6rem;border-bottom:1px solid #ddd;text-align:left}</style>
</head><body><h1>Recurrent neural networks: the course</h1>
<p>Executed notebooks and their HTML export. Quick mode is the small size CI runs; full mode reproduces each figure at the scale its lesson promises.</p>
<table><tr><th>Lesson</th><th>Executed notebook</th><th>Figures</th><th>Mode</th><th>Run time</th><th>Built (UTC)</th></tr>
${rows}
</table></body></html>
`,
  );
}

async function main() {
  const args = parseCommandLine(process.argv.slice(2));
  if (args.help) {
    console.log(readFileSync(new URL(import.meta.url), "utf8").split("\n").filter((l) => l.startsWith("//")).map((l) => l.slice(3)).join("\n"));
    return 0;
  }
  const files = selectNotebooks(args.names);
  ensureLibraryBuilt();
  const python = findPython(["nbclient", "nbformat", "nbconvert", "jupyter_client"]);
  mkdirSync(args.out, { recursive: true });

  const chromium = findChromium();
  if (!chromium) {
    const hint = "install Chromium (Debian: `apt-get install chromium`) or set CHROMIUM_PATH";
    if (args.check) throw new CourseError(`--check needs headless Chromium: ${hint}`);
    console.warn(`No Chromium found: figures get no static PNG (${hint}).`);
  }
  const browser = chromium ? await launchBrowser(chromium) : null;
  const renderer = browser ? await figureRenderer(browser) : null;

  const mode = args.params.quick ? "quick" : "full";
  console.log(`Running ${files.length} notebook(s) in ${mode} mode with ${python}; output in ${path.relative(process.cwd(), args.out) || "."}/`);
  const results = [];
  try {
    for (const [i, file] of files.entries()) {
      const name = path.basename(file, ".ipynb");
      const label = `[${i + 1}/${files.length}] ${file}`;
      const executed = path.join(args.out, `${name}.ipynb`);
      const t0 = performance.now();
      const { code, failure, stderr } = await execute(python, file, executed, args.params, args.timeout, label);
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) {
        if (failure?.event === "cell-error") {
          const source = failure.source.split("\n").slice(0, 6).map((l) => `    | ${l}`).join("\n");
          const detail = [failure.evalue && `${failure.ename}: ${failure.evalue}`, failure.stderr]
            .filter(Boolean)
            .join("\n")
            .split("\n")
            .map((l) => `  ${l}`)
            .join("\n");
          throw new CourseError(
            `${file}: code cell ${failure.number} failed after ${formatSeconds(seconds)}\n${source}\n${detail || `  ${failure.fallback}`}\n` +
              `  (the partly executed notebook is at ${path.relative(process.cwd(), executed)})`,
          );
        }
        throw new CourseError(`${file}: ${failure?.message ?? `the executor exited with status ${code}\n${stderr.trim()}`}`);
      }
      const figures = await finishFigures(executed, renderer);
      const html = spawnSync(python, ["-m", "nbconvert", "--to", "html", "--output-dir", args.out, executed], {
        env: jupyterEnv(),
        encoding: "utf8",
      });
      if (html.status !== 0) throw new CourseError(`${file}: the HTML export failed:\n${html.stderr.trim()}`);
      let checked = "";
      if (args.check) {
        const { figures: found, drawn, errors } = await checkHtml(browser, path.join(args.out, `${name}.html`));
        if (errors.length || drawn !== figures || found !== figures) {
          throw new CourseError(
            `${file}: the HTML export shows ${drawn} of ${figures} figures drawn (${found} figure areas found)` +
              (errors.length ? `; page errors: ${errors.join(" | ")}` : ""),
          );
        }
        checked = ", all drawn in Chromium";
      }
      results.push({ name, title: lessonTitle(executed), seconds, figures });
      console.log(`${label}  ok in ${formatSeconds(seconds)}, ${figures} figure(s)${checked}`);
    }
  } finally {
    await browser?.close();
  }
  writeIndex(args.out, results, args.params);
  console.log(`${results.length} passed, 0 failed`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof CourseError ? `\nnpm run course: ${e.message}` : e);
    console.log(`\nnpm run course: stopped.`);
    process.exit(1);
  },
);
