// The environment that makes the course's own kernelspec visible to Jupyter
// clients (tools/kernel/, and Jupyter itself; never the user's global
// Jupyter configuration), and finding the Python that has Jupyter.
import { spawnSync } from "node:child_process";
import { existsSync, statSync, readdirSync, realpathSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * A path with symbolic links resolved, or just made absolute when it does not exist (yet).
 * @param {string} p
 */
export function realPath(p) {
  try {
    return realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * Whether path p is dir itself or lies below it (both absolute and resolved).
 * @param {string} p
 * @param {string} dir
 */
export const isInside = (p, dir) => p === dir || p.startsWith(dir + path.sep);

/**
 * The environment for Jupyter processes: our kernelspec first on JUPYTER_PATH.
 * @param {NodeJS.ProcessEnv} [extra]
 * @returns {NodeJS.ProcessEnv}
 */
export function jupyterEnv(extra = {}) {
  const own = path.join(ROOT, "jupyter");
  const inherited = process.env.JUPYTER_PATH;
  return {
    ...process.env,
    JUPYTER_PATH: inherited ? `${own}${path.delimiter}${inherited}` : own,
    ...extra,
  };
}

/**
 * The first Python that can import all `modules`. The `python3` first on PATH
 * is often a pyenv or venv without Jupyter while Debian's /usr/bin/python3 has
 * it, so several candidates are tried. RNN_COURSE_PYTHON names the one to
 * use: then only that one, and an error if it lacks a module (a Python the
 * user chose is never silently replaced by another).
 * Only Jupyter itself needs Python (`npm run lab`); the runner, the grader
 * and the tests speak to the kernel from Node (tools/kernel/).
 * @param {string[]} modules
 */
export function findPython(modules) {
  const chosen = process.env.RNN_COURSE_PYTHON;
  const candidates = chosen ? [chosen] : ["python3", "/usr/bin/python3", "python"];
  /** @type {string[]} */
  const tried = [];
  for (const python of [...new Set(candidates)]) {
    const probe = spawnSync(python, ["-c", `import ${modules.join(", ")}`], { encoding: "utf8" });
    if (probe.status === 0) return python;
    tried.push(`${python}: ${probe.error ? "not found" : (probe.stderr.trim().split("\n").pop() || "failed")}`);
  }
  if (chosen) {
    throw new Error(
      `RNN_COURSE_PYTHON=${chosen} cannot be used: it needs ${modules.join(", ")} (${tried[0]}).\n` +
        "Install them into that Python (`" + chosen + " -m pip install " + modules.join(" ") + "`), point RNN_COURSE_PYTHON at another Python, or unset it to let the tools search.",
    );
  }
  throw new Error(
    `no Python with ${modules.join(", ")} was found (tried ${tried.join("; ")}).\n` +
      "Install Jupyter: on Debian/Ubuntu `sudo apt-get install jupyter-notebook`, " +
      "elsewhere `pip install jupyterlab`; or point RNN_COURSE_PYTHON at a Python that has them.",
  );
}

/**
 * @param {string} dir
 * @returns {number}
 */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Rebuilds lib/dist when a source file is newer than the build (notebooks import the build). */
export function ensureLibraryBuilt() {
  const built = path.join(ROOT, "lib", "dist", "index.js");
  const stale = !existsSync(built) || newestMtime(path.join(ROOT, "lib", "src")) > statSync(built).mtimeMs;
  if (!stale) return;
  console.log("Building lib (its sources changed since the last build)...");
  const tsc = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(ROOT, "lib")], {
    stdio: "inherit",
  });
  if (tsc.status !== 0) throw new Error("building lib failed: fix the TypeScript errors above");
}

/**
 * Calls `onEvent` with each JSON object a child prints, one per line (other
 * lines are skipped). T is the shape of the events the child documents
 * (tools/exercises/run_submission.mjs, tools/kernel/execute.mjs --json): both sides are this
 * project's, so the objects are taken as T without further checks.
 * @template T
 * @param {import("node:stream").Readable} stream
 * @param {(event: T) => void} onEvent
 */
export function onJsonLines(stream, onEvent) {
  let buffered = "";
  stream.on("data", (/** @type {Buffer | string} */ chunk) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      /** @type {unknown} */
      let event;
      try {
        event = JSON.parse(line);
      } catch {
        continue;
      }
      if (typeof event === "object" && event !== null && !Array.isArray(event)) onEvent(/** @type {T} */ (event));
    }
  });
}
