// `npm run course`: executes the course notebooks headless with the course's
// tslab kernel (Jupyter's messaging protocol spoken from Node, tools/kernel/:
// no Python needed), then writes to the build folder the executed notebooks
// with static images of their figures, an HTML export per lesson and an
// index page. Source notebooks are only read.
//
//   npm run course                      every lesson, full size (as authored)
//   npm run course -- --quick 01        lesson(s) whose file name starts with 01, CI size
//   npm run course -- --param seed=7    override a parameter (JSON value, else a string)
//   npm run course -- --check           also open each HTML page in Chromium and
//                                       fail unless every figure is drawn (without
//                                       Chromium: says what it could not check)
//   npm run course -- --require-chromium  fail at once when there is no Chromium
//                                       (`npm run test:full`: figures must be checked)
//   npm run course -- --out DIR         another build folder (default build/)
//   npm run course -- --notebooks DIR   run the notebooks of another folder
//   npm run course -- --timeout S       seconds a cell may run (default 1800; -1: no limit);
//                                       a cell that runs longer is reported as timed out
//
// Every claim a lesson checks (lib/src/claims.ts) is collected from its
// executed outputs: the runner prints the counts per notebook, lists each
// failed claim with its notebook and code cell, records them in
// manifest.json and on the index page, and exits non-zero when any failed,
// after running every requested notebook and writing the build.
import { readFileSync, mkdirSync, readdirSync, existsSync, statSync, openSync, closeSync, writeSync, unlinkSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT, jupyterEnv } from "./jupyter.mjs";
import { KERNEL_NAME, KERNEL_DISPLAY_NAME, CLAIM_MIME, plot, claimText, describeClaimCounts } from "./library.mjs";
import { findChromium, launchBrowser, figureRenderer, checkHtml, BrowserError, CHROMIUM_HINT } from "./browser.mjs";
import { readNotebook, formatNotebook, sourceText, hasTag, isObject } from "./notebooks.mjs";
import { formatSeconds, escapeHtml, helpText, isParseArgsError } from "./cli.mjs";
import { executeNotebook, formatExecuted, writeFileAtomic, throttledSaver, ExecuteInputError, RUN_METADATA_KEY } from "./kernel/execute.mjs";
import { KernelError } from "./kernel/client.mjs";
import { notebookToHtml } from "./html.mjs";
import { typesetMath, copyKatexAssets } from "./math.mjs";

/** Where the build folder keeps KaTeX's stylesheet and fonts, and the link the pages use. */
const KATEX_DIR = path.join("assets", "katex");
const KATEX_CSS = "assets/katex/katex.min.css";

/**
 * @typedef {import("./notebooks.mjs").Notebook} Notebook
 * @typedef {import("@rnn-course/lib").ClaimRecord} ClaimRecord
 * @typedef {import("@rnn-course/lib").ClaimCounts} ClaimCounts
 * @typedef {import("@rnn-course/lib").plot.Figure} Figure
 * @typedef {import("./browser.mjs").Browser} Browser
 * @typedef {Awaited<ReturnType<typeof figureRenderer>>} Renderer
 *
 * @typedef {ClaimRecord & { cell: number }} LessonClaim  a claim and the code cell that checked it
 * @typedef {{ name: string, title: string, seconds: number, figures: number, claims: LessonClaim[] }} LessonResult
 * @typedef {LessonResult & { mode: "quick" | "full", params: Record<string, unknown>, when: string }} ManifestEntry
 *
 * @typedef {import("./kernel/execute.mjs").ExecuteResult} ExecuteResult
 */

class CourseError extends Error {}

/** The run was stopped by a signal: the kernel and Chromium are shut down, the exit status says which signal. */
class Interrupted extends Error {
  /** @param {NodeJS.Signals} signal */
  constructor(signal) {
    super(`stopped by ${signal}`);
    this.signal = signal;
  }
}

/** Exit statuses of a process ended by a signal, as shells report them (128 + the signal's number). */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 };

/** @param {string[]} argv */
function parseCommandLine(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      quick: { type: "boolean", default: false },
      full: { type: "boolean", default: false },
      check: { type: "boolean", default: false },
      "require-chromium": { type: "boolean", default: false },
      param: { type: "string", multiple: true, default: [] },
      out: { type: "string", default: path.join(ROOT, "build") },
      notebooks: { type: "string", default: path.join(ROOT, "notebooks") },
      timeout: { type: "string", default: "1800" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.quick && values.full) throw new CourseError("--quick and --full exclude each other");
  /** @type {Record<string, unknown>} */
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
  const notebooks = path.resolve(values.notebooks);
  if (!existsSync(notebooks) || !statSync(notebooks).isDirectory()) throw new CourseError(`--notebooks ${values.notebooks}: no such folder`);
  const out = path.resolve(values.out);
  if (out === notebooks || out.startsWith(notebooks + path.sep)) {
    throw new CourseError(`--out ${values.out}: the build folder must not be inside the notebooks' folder (sources are never overwritten)`);
  }
  const timeout = Number(values.timeout);
  if (!Number.isFinite(timeout) || (timeout <= 0 && timeout !== -1)) {
    throw new CourseError(`--timeout ${values.timeout}: expected a positive number of seconds a cell may run (-1: no limit)`);
  }
  return { ...values, out, notebooks, params, names: positionals, timeout };
}

/**
 * The notebooks of `dir` the command line names (by file-name prefix), or all of them.
 * @param {string} dir
 * @param {string[]} names
 */
function selectNotebooks(dir, names) {
  const all = readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort();
  if (all.length === 0) throw new CourseError(`no notebooks (.ipynb) in ${dir}`);
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

/**
 * Executes one notebook with the course kernel in the notebook's folder,
 * printing progress; the executed notebook is written to `output` after
 * every cell (at most once a second), so a crash or a kill leaves what ran.
 * @param {string} source
 * @param {string} output
 * @param {Record<string, unknown>} params
 * @param {number} timeout  seconds per cell, -1 for none
 * @param {string} label
 * @param {AbortSignal} signal  stops the run (a SIGINT or SIGTERM to the runner)
 * @returns {Promise<ExecuteResult>}
 */
async function execute(source, output, params, timeout, label, signal) {
  const tty = process.stdout.isTTY;
  const file = path.basename(source);
  const saver = throttledSaver((nb) => writeFileAtomic(output, formatExecuted(nb)));
  try {
    return await executeNotebook(readNotebook(source), {
      kernelName: KERNEL_NAME,
      kernelDisplayName: KERNEL_DISPLAY_NAME,
      cwd: path.dirname(source),
      env: jupyterEnv(),
      params,
      label: file,
      timeoutSeconds: timeout,
      signal,
      onSave: saver.save,
      onEvent: (ev) => {
        if (ev.event === "cell-start" && tty) process.stdout.write(`\r${label}  ${ev.number === null ? "parameters" : `cell ${ev.number}/${ev.of}`} ...   `);
        if (ev.event === "cell-done" && ev.seconds >= 10) {
          const cell = ev.number === null ? "the injected parameters" : `code cell ${ev.number}`;
          process.stdout.write(`${tty ? "\r" : ""}${label}  a slow cell (${cell}) took ${formatSeconds(ev.seconds)}\n`);
        }
      },
    });
  } catch (e) {
    if (e instanceof ExecuteInputError || e instanceof KernelError) throw new CourseError(`${file}: ${e.message}`);
    throw e;
  } finally {
    saver.flush();
    if (tty) process.stdout.write("\r\x1b[K");
  }
}

/**
 * Rewrites every figure output of an executed notebook: adds a PNG, puts it
 * in the HTML as the picture shown where no script runs, and makes the first
 * figure carry plotly.js (live sessions may have loaded it elsewhere).
 * `renderer()` gives the PNG renderer, or null without Chromium; it is only
 * asked for when the notebook has a figure. Returns the number of figures.
 * @param {Notebook} nb
 * @param {() => Promise<Renderer | null>} renderer
 * @param {string} file
 */
async function finishFigures(nb, renderer, file) {
  let figures = 0;
  for (const cell of nb.cells) {
    if (!cell.outputs) continue;
    const kept = [];
    for (const output of cell.outputs) {
      const data = output.data;
      const html = data ? [data["text/html"] ?? []].flat().join("") : "";
      if (data && !data[plot.PLOTLY_MIME] && html.includes(plot.LIBRARY_MARKER)) continue; // re-added below
      if (data && data[plot.PLOTLY_MIME]) {
        const spec = data[plot.PLOTLY_MIME];
        if (!isFigure(spec)) throw new CourseError(`${file}: a ${plot.PLOTLY_MIME} output is not a figure (no list of traces and layout)`);
        const png = await (await renderer())?.png(spec);
        output.data = plot.figureBundle(spec, { includeLibrary: figures === 0, staticPng: png });
        figures++;
      }
      kept.push(output);
    }
    cell.outputs = kept;
  }
  return figures;
}

/**
 * Whether a notebook's plotly output has the shape figureBundle wrote (the
 * values inside are plotly's JSON, as the kernel serialised them).
 * @param {unknown} spec
 * @returns {spec is Figure}
 */
const isFigure = (spec) =>
  isObject(spec) && Array.isArray(spec.data) && spec.data.every((t) => isObject(t) && typeof t.type === "string") && isObject(spec.layout) &&
  (spec.config === undefined || isObject(spec.config));

/**
 * The claims an executed notebook displayed, in order, each with `cell`: the
 * number of its code cell as the author counts them (the `[n]` of Run All),
 * not counting the cell of injected parameters.
 * @param {Notebook} nb
 * @param {string} file
 * @returns {LessonClaim[]}
 */
function collectClaims(nb, file) {
  /** @type {LessonClaim[]} */
  const claims = [];
  let number = 0;
  for (const cell of nb.cells) {
    if (cell.cell_type !== "code" || hasTag(cell, "injected-parameters")) continue;
    number++;
    for (const output of cell.outputs ?? []) {
      const claim = output.data?.[CLAIM_MIME];
      if (claim === undefined) continue;
      if (!isObject(claim)) throw new CourseError(`${file}, code cell ${number}: a ${CLAIM_MIME} output is not an object`);
      const { statement, status, measured, fullSizeOnly } = claim;
      if (
        typeof statement !== "string" || (status !== "held" && status !== "failed" && status !== "not-checked") ||
        (typeof measured !== "string" && typeof measured !== "number") || typeof fullSizeOnly !== "boolean"
      ) {
        throw new CourseError(`${file}, code cell ${number}: a ${CLAIM_MIME} output is malformed: ${JSON.stringify(claim).slice(0, 300)}`);
      }
      claims.push({ statement, status, measured, fullSizeOnly, cell: number });
    }
  }
  return claims;
}

/**
 * @param {ClaimRecord[]} claims
 * @returns {ClaimCounts}
 */
const countClaims = (claims) => ({
  held: claims.filter((c) => c.status === "held").length,
  failed: claims.filter((c) => c.status === "failed").length,
  notChecked: claims.filter((c) => c.status === "not-checked").length,
});

/**
 * The lesson's title: the first markdown heading, else the file name.
 * @param {Notebook} nb
 * @param {string} file
 */
function lessonTitle(nb, file) {
  const md = nb.cells.find((c) => c.cell_type === "markdown");
  const heading = md && sourceText(md).match(/^#\s+(.+)$/m);
  return heading ? heading[1].trim() : path.basename(file, ".ipynb");
}

const esc = escapeHtml;

/**
 * The index page lists every lesson built into the folder so far: each run
 * updates its own lessons in manifest.json and keeps the others.
 * @param {string} out
 * @param {LessonResult[]} results
 * @param {Record<string, unknown>} params
 */
function writeIndex(out, results, params) {
  const manifestFile = path.join(out, "manifest.json");
  // This runner's own file; entries written before claims were collected have none.
  /** @type {Record<string, Omit<ManifestEntry, "claims"> & { claims?: LessonClaim[] }>} */
  const manifest = existsSync(manifestFile) ? JSON.parse(readFileSync(manifestFile, "utf8")) : {};
  const mode = params.quick ? "quick" : "full";
  const when = new Date().toISOString();
  for (const r of results) manifest[r.name] = { ...r, mode, params, when };
  for (const name of Object.keys(manifest)) if (!existsSync(path.join(out, `${name}.html`))) delete manifest[name];
  writeFileAtomic(manifestFile, JSON.stringify(manifest, null, 2) + "\n");
  const lessons = Object.values(manifest).sort((a, b) => a.name.localeCompare(b.name));
  /** @param {{ claims?: LessonClaim[] }} r */
  const claimCell = (r) => {
    if (!r.claims) return "<td>not collected</td>";
    if (!r.claims.length) return "<td>none stated</td>";
    const n = countClaims(r.claims);
    return `<td class="${n.failed ? "failed" : "held"}">${esc(describeClaimCounts(n))}</td>`;
  };
  const rows = lessons
    .map(
      (r) =>
        `<tr><td><a href="${esc(r.name)}.html">${esc(r.title)}</a></td><td><a href="${esc(r.name)}.ipynb">notebook</a></td>` +
        `<td>${r.figures}</td>${claimCell(r)}<td>${esc(r.mode)}</td><td>${formatSeconds(r.seconds)}</td><td>${esc(r.when.slice(0, 16).replace("T", " "))}</td></tr>`,
    )
    .join("\n");
  const failed = lessons.flatMap((r) => (r.claims ?? []).filter((c) => c.status === "failed").map((c) => ({ r, c })));
  const failedList = failed.length
    ? `<h2 class="failed">Failed claims</h2>\n<p>Results the lessons' text states that their last run did not give.</p>\n<ul>\n` +
      failed
        .map(({ r, c }) => `<li><a href="${esc(r.name)}.html">${esc(r.name)}</a>, code cell ${c.cell}: ${esc(c.statement)} <span class="measured">(measured: ${esc(c.measured)})</span></li>`)
        .join("\n") +
      "\n</ul>\n"
    : "";
  writeFileAtomic(
    path.join(out, "index.html"),
    `<!doctype html><html><head><meta charset="utf-8"><title>Recurrent neural networks: the course</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{padding:.4rem .6rem;border-bottom:1px solid #ddd;text-align:left}.failed{color:#cf222e}.held{color:#1a7f37}.measured{color:#57606a}</style>
</head><body><h1>Recurrent neural networks: the course</h1>
<p>Executed notebooks and their HTML export. Quick mode is the small size CI runs; full mode reproduces each figure at the scale its lesson promises. A claim is a result a lesson's text states, checked by the lesson's own run.</p>
<table><tr><th>Lesson</th><th>Executed notebook</th><th>Figures</th><th>Claims</th><th>Mode</th><th>Run time</th><th>Built (UTC)</th></tr>
${rows}
</table>
${failedList}</body></html>
`,
  );
}

/**
 * Makes the build folder and takes it for this run: a lock file that a
 * second run into the same folder finds, so two runs never interleave their
 * notebooks, manifest and index. A lock left by a run that no longer exists
 * (killed with SIGKILL, a crash) is taken over. Creating the lock is also
 * the check that the folder can be written, before anything runs.
 * Returns a function that releases the lock.
 * @param {string} out
 */
function lockBuildFolder(out) {
  const shown = path.relative(process.cwd(), out) || ".";
  try {
    mkdirSync(out, { recursive: true });
  } catch (e) {
    throw new CourseError(`--out ${shown}: cannot create the build folder (${e instanceof Error ? e.message : e})`);
  }
  const lock = path.join(out, ".course-run.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd;
    try {
      fd = openSync(lock, "wx");
    } catch (e) {
      const code = /** @type {NodeJS.ErrnoException} */ (e).code;
      if (code !== "EEXIST") throw new CourseError(`--out ${shown}: cannot write into the build folder (${e instanceof Error ? e.message : e})`);
      /** @type {{ pid?: unknown, started?: unknown }} */
      let holder = {};
      try {
        holder = JSON.parse(readFileSync(lock, "utf8"));
      } catch {
        // being written this very moment, or damaged: treated as held below unless it is old
      }
      const pid = typeof holder.pid === "number" ? holder.pid : null;
      if (pid !== null && pid !== process.pid && isRunning(pid)) {
        throw new CourseError(
          `--out ${shown}: another \`npm run course\` (process ${pid}, started ${String(holder.started).slice(0, 19).replace("T", " ")} UTC) ` +
            `is writing into this build folder. Wait for it to finish, or build into another folder with --out.`,
        );
      }
      if (pid === null && Date.now() - statSync(lock).mtimeMs < 5000) {
        throw new CourseError(`--out ${shown}: another run is just starting in this build folder; wait for it, or use another --out`);
      }
      unlinkSync(lock); // its run is gone
      continue;
    }
    writeSync(fd, JSON.stringify({ pid: process.pid, started: new Date().toISOString() }) + "\n");
    closeSync(fd);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      try {
        unlinkSync(lock);
      } catch {
        // already gone
      }
    };
    process.on("exit", release);
    return release;
  }
  throw new CourseError(`--out ${shown}: could not take the build folder's lock (${lock})`);
}

/** @param {number} pid */
function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return /** @type {NodeJS.ErrnoException} */ (e).code === "EPERM";
  }
}

async function main() {
  const args = parseCommandLine(process.argv.slice(2));
  if (args.help) {
    console.log(helpText(import.meta.url));
    return 0;
  }
  const files = selectNotebooks(args.notebooks, args.names);
  const chromium = findChromium();
  if (!chromium && args["require-chromium"]) throw new CourseError(`--require-chromium: no Chromium found: ${CHROMIUM_HINT}`);
  if (!chromium) {
    // The course runs without a browser; what needs one is said at once, and again at the end.
    console.warn(`No Chromium found: figures get no static PNG${args.check ? ", and --check cannot check that they are drawn" : ""} (${CHROMIUM_HINT}).`);
  }
  const release = lockBuildFolder(args.out);
  let katexCopied = false; // KaTeX's stylesheet and fonts, copied with the first page that needs them
  // Started at the first figure or check: a run without either never waits for Chromium.
  /** @type {{ browser: Browser | null, renderer: Renderer | null }} */
  const started = { browser: null, renderer: null };

  // SIGINT (Ctrl-C) or SIGTERM: the kernel is interrupted and shut down,
  // Chromium closed, the notebook being run is saved marked as interrupted,
  // and the runner exits with 128 + the signal's number. A second signal
  // exits at once (the exit handlers still kill the kernel and Chromium).
  const stop = new AbortController();
  /** @type {NodeJS.Signals | null} */
  let stoppedBy = null;
  /** @param {"SIGINT" | "SIGTERM"} signal */
  const onSignal = (signal) => {
    if (stoppedBy) process.exit(SIGNAL_EXIT[signal]);
    stoppedBy = signal;
    process.stdout.write(`${process.stdout.isTTY ? "\r\x1b[K" : "\n"}npm run course: ${signal} received: stopping the kernel and Chromium...\n`);
    stop.abort(signal);
    started.browser?.close().catch(() => {});
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const checkStop = () => {
    if (stoppedBy) throw new Interrupted(stoppedBy);
  };

  const getBrowser = async () => {
    if (!chromium) throw new CourseError("headless Chromium is needed but none was found");
    checkStop();
    return (started.browser ??= await launchBrowser(chromium));
  };
  const renderer = async () => (chromium ? (started.renderer ??= await figureRenderer(await getBrowser())) : null);

  const mode = args.params.quick ? "quick" : "full";
  console.log(`Running ${files.length} notebook(s) in ${mode} mode; output in ${path.relative(process.cwd(), args.out) || "."}/`);
  /** @type {LessonResult[]} */
  const results = [];
  /** The notebook between its execution and its build: marked as interrupted if a signal stops the run there. */
  /** @type {{ executed: string, nb: Notebook } | null} */
  let building = null;
  try {
    for (const [i, file] of files.entries()) {
      checkStop();
      const name = path.basename(file, ".ipynb");
      const label = `[${i + 1}/${files.length}] ${file}`;
      const executed = path.join(args.out, `${name}.ipynb`);
      const t0 = performance.now();
      const { status, failure, notebook } = await execute(path.join(args.notebooks, file), executed, args.params, args.timeout, label, stop.signal);
      const seconds = (performance.now() - t0) / 1000;
      if (status === "interrupted") {
        const where = failure?.number ? ` in code cell ${failure.number}` : "";
        console.log(`${label}  interrupted${where} after ${formatSeconds(seconds)}; what ran is in ${path.relative(process.cwd(), executed)}, marked as interrupted`);
        throw new Interrupted(stoppedBy ?? "SIGINT");
      }
      if (status !== "ok" && failure) {
        const source = failure.source.split("\n").slice(0, 6).map((l) => `    | ${l}`).join("\n");
        const detail = [failure.evalue && `${failure.ename}: ${failure.evalue}`, failure.stderr]
          .filter(Boolean)
          .join("\n")
          .split("\n")
          .map((l) => `  ${l}`)
          .join("\n");
        const where = failure.number === null ? "the cell of injected parameters" : `code cell ${failure.number}`;
        const headline =
          failure.kind === "timeout"
            ? `${where} timed out: it ran longer than --timeout ${args.timeout} s and was interrupted`
            : failure.kind === "died"
              ? `the kernel died (at ${where}) after ${formatSeconds(seconds)}`
              : `${where} failed after ${formatSeconds(seconds)}`;
        throw new CourseError(
          `${file}: ${headline}\n${source}\n${(failure.kind === "error" && detail) || `  ${failure.message}`}\n` +
            `  (the partly executed notebook is at ${path.relative(process.cwd(), executed)})`,
        );
      }
      // As read back from the file the executor wrote (nbformat's form): the build is the same whatever ran it.
      const nb = /** @type {Notebook} */ (JSON.parse(formatExecuted(notebook)));
      building = { executed, nb };
      const claims = collectClaims(nb, file);
      const figures = await finishFigures(nb, renderer, file);
      checkStop();
      writeFileAtomic(executed, formatNotebook(nb));
      /** @type {import("./math.mjs").MathError[]} */
      const mathErrors = [];
      const page = typesetMath(notebookToHtml(nb, { title: name, stylesheets: [KATEX_CSS] }), mathErrors);
      if (!katexCopied) copyKatexAssets(path.join(args.out, KATEX_DIR));
      katexCopied = true;
      writeFileAtomic(path.join(args.out, `${name}.html`), page);
      for (const e of mathErrors) console.log(`  ${file}: KaTeX could not typeset ${e.display ? "$$" : "$"}${e.tex}${e.display ? "$$" : "$"} (${e.error}); it shows as its source`);
      let checked = "";
      if (args.check && !chromium) checked = ", not checked in a browser (no Chromium)";
      else if (args.check) {
        const { figures: found, drawn, errors } = await checkHtml(await getBrowser(), path.join(args.out, `${name}.html`));
        checkStop();
        if (errors.length || drawn !== figures || found !== figures) {
          throw new CourseError(
            `${file}: the HTML export shows ${drawn} of ${figures} figures drawn (${found} figure areas found)` +
              (errors.length ? `; page errors: ${errors.join(" | ")}` : ""),
          );
        }
        checked = ", all drawn in Chromium";
      }
      building = null;
      results.push({ name, title: lessonTitle(nb, file), seconds, figures, claims });
      const counts = countClaims(claims);
      console.log(`${label}  ${counts.failed ? "ran" : "ok"} in ${formatSeconds(seconds)}, ${figures} figure(s)${checked}`);
      console.log(`    claims: ${claims.length ? describeClaimCounts(counts) : "none stated"}`);
      for (const c of claims.filter((c) => c.status === "failed")) console.log(`    code cell ${c.cell}: ${claimText(c)}`);
    }
  } catch (e) {
    // A signal during Chromium's work makes its calls fail: the signal is the reason.
    if (stoppedBy && !(e instanceof Interrupted)) throw new Interrupted(stoppedBy);
    throw e;
  } finally {
    await started.browser?.close().catch(() => {});
    if (stoppedBy && building) {
      // It ran to the end, but its figures or pages were not finished.
      const { executed, nb } = building;
      /** @type {Record<string, unknown>} */ (nb.metadata ??= {})[RUN_METADATA_KEY] = { status: "interrupted", message: `stopped by ${stoppedBy} while its figures and HTML page were being made` };
      writeFileAtomic(executed, formatNotebook(nb));
    }
    // What ran is in the build even when a later notebook stopped the run.
    if (results.length) writeIndex(args.out, results, args.params);
    release();
  }
  const failed = results.flatMap((r) => r.claims.filter((c) => c.status === "failed").map((c) => ({ file: `${r.name}.ipynb`, ...c })));
  const failedNotebooks = new Set(failed.map((f) => f.file)).size;
  if (failed.length) {
    console.log(`\n${failed.length} claim(s) failed: the text states results the run did not give.`);
    for (const f of failed) console.log(`  ${f.file}, code cell ${f.cell}: ${f.statement}  (measured: ${f.measured})`);
    console.log(`(also listed on ${path.relative(process.cwd(), path.join(args.out, "index.html"))})`);
  }
  console.log(`${results.length - failedNotebooks} passed, ${failedNotebooks} failed`);
  const figures = results.reduce((a, r) => a + r.figures, 0);
  if (!chromium && (figures || args.check)) {
    const pages = results.filter((r) => r.figures).length;
    console.log(
      `Not checked, for want of Chromium: ${figures} figure(s) have no static PNG` +
        (args.check ? `, and whether the ${figures} figure(s) of ${pages} HTML page(s) are drawn` : "") +
        ` (${CHROMIUM_HINT}; \`npm run test:full\` requires it).`,
    );
  }
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof Interrupted) {
      console.log(`\nnpm run course: ${e.message}; the kernel and Chromium are stopped.`);
      process.exit(SIGNAL_EXIT[/** @type {"SIGINT" | "SIGTERM"} */ (e.signal)] ?? 130);
    }
    console.error(e instanceof CourseError || e instanceof BrowserError || isParseArgsError(e) ? `\nnpm run course: ${e.message}` : e);
    console.log(`\nnpm run course: stopped.`);
    process.exit(1);
  },
);
