// `npm run site` (tools/site.mjs) in headless Chromium (`npm run test:full`):
// plotly.js reading the packed arrays of a figure, and, on lessons 00 and 01
// of the student edition in quick mode, the built site served over http and
// from disk: every formula typeset (no `$…$` left in the text), every figure
// drawn, KaTeX's fonts loaded, and no request for anything outside the site.
//
// The page callbacks run in Chromium, hence the DOM types.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
//
// SLOW: builds the student edition of two lessons and runs them (about a minute).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { serveFolder, PLOTLY_MIME, FIGURE_CLASS } from "../tools/site.mjs";
import { findChromium, launchBrowser } from "../tools/browser.mjs";
import type { Browser, Page } from "playwright-core";
import { figureBundle } from "../lib/src/plot/display";
import { lines } from "../lib/src/plot/lines";
import { createRequire } from "node:module";

const require = createRequire(__filename);

const ROOT = path.join(__dirname, "..");

describe("plotly.js in Chromium", () => {
  it("reads the packed arrays of a figure as the numbers they hold", async () => {
    const chromium = findChromium();
    if (!chromium) throw new Error("this test needs headless Chromium: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH");
    const browser = await launchBrowser(chromium);
    try {
      const page = await browser.newPage();
      await page.setContent('<!doctype html><div id="g" style="width:600px;height:300px"></div>');
      await page.addScriptTag({ path: require.resolve("plotly.js-dist-min/plotly.min.js", { paths: [path.join(ROOT, "lib")] }) });
      const x = Array.from({ length: 50 }, (_, i) => i);
      const fig = lines({ title: "t", series: [{ name: "a", x, y: x.map((i) => Math.sin(i / 7)) }, { name: "tiny", x, y: x.map((i) => 1e-41 * (i + 1)), }] });
      const spec = figureBundle(fig, { includeLibrary: false })[PLOTLY_MIME];
      const read = await page.evaluate(async (json) => {
        const f = JSON.parse(json);
        const gd = document.getElementById("g") as HTMLElement & { _fullData: { x: ArrayLike<number>; y: ArrayLike<number> }[] };
        await (window as unknown as { Plotly: { newPlot: (...a: unknown[]) => Promise<unknown> } }).Plotly.newPlot(gd, f.data, f.layout);
        return { drawn: !!gd.querySelector(".main-svg"), x: Array.from(gd._fullData[0].x), y: Array.from(gd._fullData[0].y), tiny: Array.from(gd._fullData[1].y) };
      }, JSON.stringify(spec));
      expect(read.drawn).toBe(true);
      expect(read.x).toEqual(x);
      expect(read.y).toEqual(x.map((i) => Math.fround(Math.sin(i / 7))));
      expect(read.tiny).toEqual(x.map((i) => 1e-41 * (i + 1)));
    } finally {
      await browser.close();
    }
  }, 60_000);
});

describe("the site of lessons 00 and 01 (student edition, quick mode) in Chromium", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "rnn-site-test-"));
  const out = path.join(tmp, "site");
  let build: { status: number | null; output: string };
  let browser: Browser;
  let server: { url: string; close: () => Promise<void> };

  beforeAll(async () => {
    const chromium = findChromium();
    if (!chromium) throw new Error("this test needs headless Chromium: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH");
    build = await new Promise((resolve) => {
      const child = spawn(process.execPath, [path.join(ROOT, "tools", "site.mjs"), "--quick", "--out", out, "00", "01"], { cwd: ROOT });
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      child.on("close", (status) => resolve({ status, output }));
    });
    browser = await launchBrowser(chromium);
    server = await serveFolder(out, 0);
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  /** Opens a page and waits until every figure is drawn (or 60 s passed); records every request and page error. */
  async function open(url: string) {
    const page: Page = await browser.newPage();
    const requests: string[] = [];
    const errors: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url, { waitUntil: "load" });
    const state = () =>
      page.evaluate((figureClass) => {
        const figures = [...document.querySelectorAll(`.${figureClass}`)];
        const markdown = [...document.querySelectorAll(".markdown-cell")].map((el) => {
          const copy = el.cloneNode(true) as HTMLElement;
          copy.querySelectorAll(".katex").forEach((k) => k.remove());
          return copy.textContent ?? "";
        });
        return {
          figures: figures.length,
          drawn: figures.filter((el) => el.querySelector(".main-svg")).length,
          katex: document.querySelectorAll(".katex").length,
          mathErrors: document.querySelectorAll(".math-error").length,
          rawMath: markdown.flatMap((t) => t.match(/\$[^$\s][^$]*\$|\$\$/g) ?? []),
          fontLoaded: document.fonts.check("16px KaTeX_Main"),
          links: [...document.querySelectorAll("nav a")].map((a) => a.getAttribute("href")),
          text: document.body.innerText,
        };
      }, FIGURE_CLASS);
    let s = await state();
    for (const deadline = Date.now() + 60_000; s.drawn < s.figures && Date.now() < deadline && errors.length === 0; s = await state()) {
      await page.waitForTimeout(250);
    }
    await page.evaluate(() => document.fonts.ready);
    s = await state();
    await page.close();
    return { ...s, requests, errors };
  }

  it("is built from the student edition without a KaTeX error", () => {
    expect(build.status, build.output).toBe(0);
    expect(readdirSync(out).filter((f) => f.endsWith(".html")).sort()).toEqual(["00-tour.html", "01-ngram-language-models.html", "index.html"]);
    expect(build.output).not.toMatch(/could not typeset|do not publish/);
  });

  it("has an index with the lessons in order", async () => {
    const index = readFileSync(path.join(out, "index.html"), "utf8");
    const links = [...index.matchAll(/<li><a href="([^"]+)">/g)].map((m) => m[1]);
    expect(links).toEqual(["00-tour.html", "01-ngram-language-models.html"]);
    const page = await open(server.url);
    expect(page.errors).toEqual([]);
    expect(page.text).toMatch(/Student edition, run in quick mode/);
  });

  it.each([
    ["00-tour.html", [null, "index.html", "01-ngram-language-models.html"]],
    ["01-ngram-language-models.html", ["00-tour.html", "index.html", null]],
  ])("%s over http: math typeset, every figure drawn, nothing fetched from elsewhere", async (file, neighbours) => {
    const page = await open(server.url + file);
    expect(page.errors).toEqual([]);
    expect(page.figures, build.output).toBeGreaterThan(0);
    expect(page.drawn).toBe(page.figures);
    expect(page.katex).toBeGreaterThan(5);
    expect(page.mathErrors).toBe(0);
    expect(page.rawMath).toEqual([]);
    expect(page.fontLoaded).toBe(true);
    expect(page.requests.filter((u) => !u.startsWith(server.url) && !u.startsWith("data:"))).toEqual([]);
    // Top and bottom navigation: previous, the index, next.
    const [prev, index, next] = neighbours;
    expect(page.links).toEqual([prev, index, next, prev, index, next].filter((l) => l !== null));
  });

  it("shows the student edition: stubs instead of solutions, no hidden tests", async () => {
    const html = readFileSync(path.join(out, "01-ngram-language-models.html"), "utf8");
    expect(html).toContain("not implemented yet");
    expect(html).not.toMatch(/BEGIN SOLUTION|BEGIN HIDDEN TESTS/);
  });

  it("works opened from disk (file://) too", async () => {
    const page = await open(pathToFileURL(path.join(out, "01-ngram-language-models.html")).href);
    expect(page.errors).toEqual([]);
    expect(page.drawn).toBe(page.figures);
    expect(page.rawMath).toEqual([]);
    expect(page.fontLoaded).toBe(true);
    expect(page.requests.filter((u) => !u.startsWith("file://") && !u.startsWith("data:"))).toEqual([]);
  });
});
