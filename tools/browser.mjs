// Headless Chromium for the runner: static PNGs of figures, and the check
// that every figure of an exported HTML page is drawn.
import { accessSync, constants, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { FIGURE_CLASS } from "./library.mjs";

/**
 * @typedef {import("playwright-core").Browser} Browser
 * @typedef {import("@rnn-course/lib").plot.Figure} Figure
 */

const require = createRequire(import.meta.url);

/** A browser named by CHROMIUM_PATH that is not there. */
export class BrowserError extends Error {}

/** What to do when there is no browser: said wherever one is missing. */
export const CHROMIUM_HINT = "install Chromium (Debian: `apt-get install chromium`) or set CHROMIUM_PATH to a Chrome or Chromium binary";

/** The names a Chromium binary goes by, searched for on PATH in this order. */
const NAMES = ["chromium", "chromium-browser", "google-chrome"];

/** @param {string} file */
const isExecutable = (file) => {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
};

/**
 * Path of a Chromium/Chrome binary, or null when there is none. CHROMIUM_PATH
 * names one (an error when it is not an executable file); else the first of
 * NAMES in a folder of PATH, so a PATH without it means no browser.
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {string | null}
 */
export function findChromium(env = process.env) {
  if (env.CHROMIUM_PATH) {
    if (!isExecutable(env.CHROMIUM_PATH)) throw new BrowserError(`CHROMIUM_PATH=${env.CHROMIUM_PATH} is not an executable file`);
    return env.CHROMIUM_PATH;
  }
  const dirs = (env.PATH ?? "").split(path.delimiter).filter(Boolean);
  for (const name of NAMES) {
    for (const dir of dirs) if (isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}

// Flags for a closed network and a root user, as this project's machines need.
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--use-angle=swiftshader",
  "--enable-unsafe-swiftshader",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-quic",
  "--no-first-run",
];

/**
 * @param {string} executablePath
 * @returns {Promise<Browser>}
 */
export async function launchBrowser(executablePath) {
  const { chromium } = await import("playwright-core");
  // The runner handles SIGINT and SIGTERM itself (it stops the kernel too, then closes the browser).
  return chromium.launch({ executablePath, headless: true, args: ARGS, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
}

/**
 * A page with plotly.js loaded, that turns figure specs into PNG (base64).
 * @param {Browser} browser
 */
export async function figureRenderer(browser) {
  const page = await browser.newPage();
  await page.setContent("<!doctype html><html><body></body></html>");
  await page.addScriptTag({ path: require.resolve("plotly.js-dist-min/plotly.min.js", { paths: [require.resolve("@rnn-course/lib")] }) });
  return {
    /**
     * @param {Figure} spec
     * @returns {Promise<string>}
     */
    async png(spec) {
      const width = typeof spec.layout?.width === "number" ? spec.layout.width : 900;
      const height = typeof spec.layout?.height === "number" ? spec.layout.height : 450;
      // The figure crosses into the page as JSON text: playwright's types for a
      // structured argument recurse without end on the recursive Json type.
      const url = await page.evaluate(
        ({ json, width, height }) => {
          const fig = JSON.parse(json);
          return window.Plotly.toImage(
            { data: fig.data, layout: { ...fig.layout, width, height }, config: fig.config ?? {} },
            { format: "png", width, height, scale: 1.5 },
          );
        },
        { json: JSON.stringify(spec), width, height },
      );
      return url.replace(/^data:image\/png;base64,/, "");
    },
    close: () => page.close(),
  };
}

/**
 * Opens an exported HTML page and waits until each of its course figures has
 * been drawn by plotly.js. Returns { figures, drawn, errors }.
 * @param {Browser} browser
 * @param {string} file
 */
export async function checkHtml(browser, file, timeoutMs = 60000) {
  const page = await browser.newPage();
  /** @type {string[]} */
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href, { waitUntil: "load", timeout: timeoutMs });
  const count = () =>
    page.evaluate((figureClass) => {
      const figures = [...document.querySelectorAll(`.${figureClass}`)];
      return { figures: figures.length, drawn: figures.filter((el) => el.querySelector(".main-svg")).length };
    }, FIGURE_CLASS);
  const deadline = Date.now() + timeoutMs;
  let result = await count();
  while (result.drawn < result.figures && Date.now() < deadline && errors.length === 0) {
    await page.waitForTimeout(250);
    result = await count();
  }
  await page.close();
  return { ...result, errors };
}
