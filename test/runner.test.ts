// The course runner (tools/course.mjs) as a command, on small notebooks
// written here: SIGINT and SIGTERM stop its kernel and mark the partial
// notebook, a cell that runs too long is reported as a timeout, an
// unwritable --out is refused before anything runs, two runs cannot share an
// --out, failing cells are numbered as the author sees them, parameters
// reach the notebook, and none of it needs anything but Node (PATH holds
// only `node`).
//
// SLOW-ish: four short kernels (about 5 s each on a loaded machine).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from "fs";
import os from "os";
import path from "path";
import { findPython } from "../tools/jupyter.mjs";
import type { Cell } from "../tools/notebooks.mjs";
import { code, markdown, notebook } from "./notebook-helpers";

const ROOT = path.join(__dirname, "..");
const COURSE = path.join(ROOT, "tools", "course.mjs");
const LOCK = ".course-run.lock";

let tmp: string;
let nodeOnlyPath: string;

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** A folder with one notebook `NAME.ipynb` of these cells; returns the folder. */
function notebookFolder(name: string, cells: Cell[]): string {
  const dir = mkdtempSync(path.join(tmp, "nbs-"));
  writeFileSync(path.join(dir, `${name}.ipynb`), JSON.stringify(notebook(cells), null, 1));
  return dir;
}

function start(args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; done: Promise<Run> } {
  const t0 = Date.now();
  const child = spawn(process.execPath, [COURSE, ...args], { cwd: ROOT, env });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => (stdout += d));
  child.stderr?.on("data", (d) => (stderr += d));
  const done = new Promise<Run>((resolve) =>
    child.on("close", (status, signal) => resolve({ status, signal, stdout, stderr, seconds: (Date.now() - t0) / 1000 })),
  );
  return { child, done };
}
const course = (args: string[], env?: NodeJS.ProcessEnv) => start(args, env).done;

/** Processes whose working folder is `dir`: the kernels the runner started there. */
function processesIn(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === dir) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

async function waitFor(what: string, test: () => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const readJson = (file: string) => JSON.parse(readFileSync(file, "utf8"));

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "rnn-runner-test-"));
  // A PATH with Node and nothing else: no python3, no jupyter.
  nodeOnlyPath = path.join(tmp, "bin");
  mkdirSync(nodeOnlyPath);
  symlinkSync(process.execPath, path.join(nodeOnlyPath, "node"));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("npm run course: the command line", () => {
  it("documents --timeout in --help", () => {
    const help = spawnSync(process.execPath, [COURSE, "--help"], { encoding: "utf8" });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--timeout S\s+seconds a cell may run/);
  });

  it("refuses an --out it cannot create before running anything", async () => {
    const nbs = notebookFolder("00-x", [code("console.log(1)")]);
    const file = path.join(tmp, "a-file");
    writeFileSync(file, "not a folder");
    const run = await course(["--notebooks", nbs, "--out", path.join(file, "build")]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`npm run course: --out ${path.relative(ROOT, path.join(file, "build"))}: cannot create the build folder (ENOTDIR`);
    expect(run.stdout).not.toContain("Running");
    expect(processesIn(nbs)).toEqual([]);
  });

  it("refuses a --timeout that is not a positive number of seconds", async () => {
    const run = await course(["--timeout", "0", "--out", path.join(tmp, "t0")]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("--timeout 0: expected a positive number of seconds a cell may run (-1: no limit)");
  });

  it("refuses an --out that a running run holds, naming it", async () => {
    const out = path.join(tmp, "held");
    mkdirSync(out);
    // This test's own process stands for the other run: it is alive.
    writeFileSync(path.join(out, LOCK), JSON.stringify({ pid: process.pid, started: "2026-01-02T03:04:05.000Z" }));
    const run = await course(["--notebooks", notebookFolder("00-x", [code("1")]), "--out", out]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`another \`npm run course\` (process ${process.pid}, started 2026-01-02 03:04:05 UTC) is writing into this build folder`);
    expect(run.stdout).not.toContain("Running");
    expect(readJson(path.join(out, LOCK)).pid).toBe(process.pid); // not taken from its holder
  });
});

describe("RNN_COURSE_PYTHON", () => {
  it("is used as it is or refused, never replaced by another Python", () => {
    const saved = process.env.RNN_COURSE_PYTHON;
    try {
      // Every other candidate can import json; the chosen one cannot run at all.
      process.env.RNN_COURSE_PYTHON = "/bin/false";
      expect(() => findPython(["json"])).toThrow("RNN_COURSE_PYTHON=/bin/false cannot be used: it needs json (/bin/false: failed)");
      process.env.RNN_COURSE_PYTHON = path.join(tmp, "no-such-python");
      expect(() => findPython(["json"])).toThrow(`RNN_COURSE_PYTHON=${path.join(tmp, "no-such-python")} cannot be used: it needs json (${path.join(tmp, "no-such-python")}: not found)`);
    } finally {
      if (saved === undefined) delete process.env.RNN_COURSE_PYTHON;
      else process.env.RNN_COURSE_PYTHON = saved;
    }
  });
});

describe("npm run course: running notebooks", () => {
  it("numbers a failing cell as the author does, injects parameters, takes over a stale lock, with Node alone", async () => {
    const nbs = notebookFolder("00-params", [
      markdown("# Parameters"),
      code("let k = 1;\nlet word = 'a';", ["parameters"]),
      code("console.log(`k is ${k}, word is ${word}`);"),
      code('if (k === 4) throw new Error(`k was ${k}`);'),
      code('console.log("not reached");'),
    ]);
    const out = path.join(tmp, "params");
    mkdirSync(out);
    // A lock left by a run that no longer exists.
    const gone = spawnSync(process.execPath, ["-e", "process.pid"]).pid ?? 0;
    writeFileSync(path.join(out, LOCK), JSON.stringify({ pid: gone, started: "2026-01-01T00:00:00.000Z" }));
    const run = await course(["--notebooks", nbs, "--out", out, "--param", "k=4", "--param", "word=zz"], { ...process.env, PATH: nodeOnlyPath });
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toContain("00-params.ipynb: code cell 3 failed after");
    expect(run.stderr).toContain("    | if (k === 4) throw new Error(`k was ${k}`);");
    expect(run.stderr).toContain("Error: k was 4");
    const nb = readJson(path.join(out, "00-params.ipynb"));
    expect(nb.cells[2].metadata.tags).toEqual(["injected-parameters"]);
    expect(nb.cells[2].source.join("")).toContain('k = 4;\nword = "zz";');
    expect(nb.cells[3].outputs[0].text).toEqual(["k is 4, word is zz\n"]);
    expect(nb.metadata["rnn-course-run"]).toMatchObject({ status: "failed", cell: 3 });
    expect(nb.cells[5].outputs).toEqual([]);
    expect(existsSync(path.join(out, LOCK))).toBe(false);
    expect(processesIn(nbs)).toEqual([]);
  }, 120_000);

  it("typesets the HTML export's math with KaTeX, ships its stylesheet and fonts, and names a formula it cannot typeset", async () => {
    const nbs = notebookFolder("00-math", [
      markdown("# Math\n\nInline $h_t = \\tanh(a_t)$ and on its own\n\n$$\\frac{\\partial L}{\\partial h_t}$$\n\nand a broken one: $\\frac{1}{$."),
      code("console.log(1 + 1);"),
    ]);
    const out = path.join(tmp, "math");
    const run = await course(["--notebooks", nbs, "--out", out], { ...process.env, PATH: nodeOnlyPath });
    expect(run.status, run.stdout + run.stderr).toBe(0);
    const html = readFileSync(path.join(out, "00-math.html"), "utf8");
    expect(html).toContain('<link rel="stylesheet" href="assets/katex/katex.min.css">');
    expect(html.match(/class="katex"/g)).toHaveLength(2);
    expect(html).toContain('<annotation encoding="application/x-tex">h_t = \\tanh(a_t)</annotation>');
    expect(html).not.toContain("$h_t");
    expect(html).toContain('<code class="math-error"');
    expect(run.stdout).toContain("00-math.ipynb: KaTeX could not typeset $\\frac{1}{$");
    expect(existsSync(path.join(out, "assets", "katex", "katex.min.css"))).toBe(true);
    expect(readdirSync(path.join(out, "assets", "katex", "fonts")).some((f) => f.endsWith(".woff2"))).toBe(true);
  }, 120_000);

  it("reports a cell that runs longer than --timeout as a timeout, naming the cell", async () => {
    const nbs = notebookFolder("00-slow", [code("let quick = false;", ["parameters"]), code("await new Promise((r) => setTimeout(r, 60000));")]);
    const run = await course(["--notebooks", nbs, "--out", path.join(tmp, "slow"), "--timeout", "2", "--quick"]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("00-slow.ipynb: code cell 2 timed out: it ran longer than --timeout 2 s and was interrupted");
    expect(run.seconds).toBeLessThan(40);
    expect(readJson(path.join(tmp, "slow", "00-slow.ipynb")).metadata["rnn-course-run"]).toMatchObject({ status: "timeout", cell: 2 });
    expect(processesIn(nbs)).toEqual([]);
  }, 120_000);

  for (const [signal, exitStatus] of [
    ["SIGTERM", 143],
    ["SIGINT", 130],
  ] as const) {
    it(`on ${signal} stops its kernel, marks the partial notebook interrupted, exits ${exitStatus}, and a second run into the same --out is refused meanwhile`, async () => {
      const nbs = notebookFolder("00-long", [
        code('console.log("first cell done");'),
        code("await new Promise((r) => setTimeout(r, 120000));"),
        code('console.log("never");'),
      ]);
      const out = path.join(tmp, `long-${signal}`);
      const executed = path.join(out, "00-long.ipynb");
      const { child, done } = start(["--notebooks", nbs, "--out", out]);
      // The notebook is saved after each cell: once the first cell's output is there, the second is running.
      await waitFor("the first cell's output", () => existsSync(executed) && readFileSync(executed, "utf8").includes("first cell done"));
      expect(processesIn(nbs).length).toBeGreaterThan(0);

      const second = await course(["--notebooks", nbs, "--out", out]);
      expect(second.status).toBe(1);
      expect(second.stderr).toContain(`another \`npm run course\` (process ${child.pid}`);

      child.kill(signal);
      const run = await done;
      expect(run.status, run.stdout + run.stderr).toBe(exitStatus);
      expect(run.seconds).toBeLessThan(90);
      expect(run.stdout).toContain(`npm run course: ${signal} received`);
      expect(run.stdout).toContain("interrupted in code cell 2");
      expect(processesIn(nbs)).toEqual([]);
      const nb = readJson(executed);
      expect(nb.metadata["rnn-course-run"]).toEqual({ status: "interrupted", cell: 2, message: `stopped by ${signal} while code cell 2 ran` });
      expect(nb.cells[1].outputs.at(-1)).toMatchObject({ output_type: "error", ename: "Interrupted" });
      expect(existsSync(path.join(out, LOCK))).toBe(false);
      // Nothing writes into --out after the runner has gone.
      const mtime = statSync(executed).mtimeMs;
      await new Promise((r) => setTimeout(r, 1500));
      expect(statSync(executed).mtimeMs).toBe(mtime);
      expect(readdirSync(out).sort()).toEqual(["00-long.ipynb"]);
    }, 120_000);
  }
});
