// The notebook executor of tools/kernel/ (Jupyter's messaging protocol from
// Node, no Python): parameters injected after the `parameters` cell, outputs
// collected, cells numbered as the author sees them, the first failing cell
// named, timeouts, a dying kernel, a stop from outside, and the nbformat form
// of the executed notebook. Each test runs a small notebook written here.
//
// SLOW-ish: six short kernels (about 5 s each on a loaded machine).
import { describe, it, expect } from "vitest";
import { mkdtempSync } from "fs";
import os from "os";
import path from "path";
import {
  executeNotebook,
  injectParameters,
  formatExecuted,
  throttledSaver,
  ExecuteInputError,
  INJECTED_TAG,
  RUN_METADATA_KEY,
  type ExecuteEvent,
} from "../tools/kernel/execute.mjs";
import { jupyterEnv } from "../tools/jupyter.mjs";
import type { Notebook } from "../tools/notebooks.mjs";
import { KERNEL_NAME } from "../lib/src/constants";
import { code, markdown, notebook } from "./notebook-helpers";

const dir = mkdtempSync(path.join(os.tmpdir(), "rnn-executor-test-"));
const text = (v: unknown) => (Array.isArray(v) ? v.join("") : String(v ?? ""));
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const run = (nb: Notebook, options: Partial<Parameters<typeof executeNotebook>[1]> = {}) =>
  executeNotebook(nb, { kernelName: KERNEL_NAME, cwd: dir, env: jupyterEnv(), label: "test.ipynb", ...options });

describe("executeNotebook", () => {
  it("injects parameters, collects outputs and stops at the first failing cell, numbered as in the source", async () => {
    const source = notebook([
      markdown("# A notebook"),
      code("let n = 2;\nlet name = 'a';", ["parameters"]),
      code("console.log(n * 3);\nconsole.error(`${name}!`);"),
      markdown("text between"),
      code('import * as tslab from "tslab";\ntslab.display.html("<b>bold</b>");'),
      code('throw new Error("boom in cell 4");'),
      code('console.log("never");'),
    ]);
    const saved: string[] = [];
    const events: ExecuteEvent[] = [];
    let pid = -1;
    const result = await run(source, {
      params: { n: 5, name: "zz" },
      onSave: (nb) => saved.push(formatExecuted(nb)),
      onEvent: (e) => events.push(e),
      onKernel: (k) => (pid = k.pid),
    });
    const cells = result.notebook.cells;
    // The source is untouched; the copy has the injected cell right after the parameters.
    expect(source.cells).toHaveLength(7);
    expect(cells).toHaveLength(8);
    expect(cells[2].metadata?.tags).toEqual([INJECTED_TAG]);
    expect(text(cells[2].source)).toContain('n = 5;\nname = "zz";');
    // 5 × 3 = 15, and the overridden name.
    expect(cells[3].outputs).toEqual([
      { output_type: "stream", name: "stdout", text: "15\n" },
      { output_type: "stream", name: "stderr", text: "zz!\n" },
    ]);
    expect(cells[3].execution_count).toBe(3); // parameters 1, injected 2
    expect(cells[5].outputs?.[0]).toMatchObject({ output_type: "display_data", data: { "text/html": "<b>bold</b>" } });
    expect(result.status).toBe("failed");
    expect(result.failure).toMatchObject({ kind: "error", index: 6, number: 4, source: 'throw new Error("boom in cell 4");' });
    expect(result.failure?.message).toMatch(/^test\.ipynb: code cell 4 failed: .*boom in cell 4/);
    expect(result.cells.map((c) => [c.number, c.status])).toEqual([
      [1, "ok"],
      [null, "ok"],
      [2, "ok"],
      [3, "ok"],
      [4, "error"],
      [5, "not-run"],
    ]);
    expect(cells[7].outputs).toEqual([]);
    expect(result.notebook.metadata?.[RUN_METADATA_KEY]).toMatchObject({ status: "failed", cell: 4 });
    expect(result.notebook.metadata?.kernelspec).toMatchObject({ name: KERNEL_NAME });
    // Saved once the kernel is up, then after every cell that ran: the save after code cell 2
    // (the 4th: start, parameters, injected, cell 2) has its output and nothing of cell 3.
    expect(saved.length).toBeGreaterThanOrEqual(6);
    expect(JSON.parse(saved[0]).metadata[RUN_METADATA_KEY]).toEqual({ status: "running" });
    const afterCell2 = JSON.parse(saved[3]) as Notebook;
    expect(text(afterCell2.cells[3].outputs?.[0]?.text)).toBe("15\n");
    expect(afterCell2.cells[5].outputs).toEqual([]);
    expect(events.filter((e) => e.event === "cell-start").map((e) => (e.event === "cell-start" ? e.number : 0))).toEqual([1, null, 2, 3, 4]);
    expect(alive(pid)).toBe(false);
  }, 60_000);

  it("reports a cell that runs too long as a timeout, with its number, and stops the kernel", async () => {
    let pid = -1;
    const t0 = Date.now();
    const result = await run(notebook([code("let x = 1;"), code("while (true) {}")]), {
      timeoutSeconds: 1,
      interruptGraceSeconds: 1,
      onKernel: (k) => (pid = k.pid),
    });
    // A busy loop cannot be interrupted: the kernel is killed after the grace period.
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(result.status).toBe("failed");
    expect(result.failure).toMatchObject({ kind: "timeout", number: 2 });
    expect(result.failure?.message).toBe("test.ipynb: code cell 2 timed out after 1 s");
    expect(result.notebook.cells[1].outputs?.at(-1)).toMatchObject({ output_type: "error", ename: "CellTimeoutError" });
    expect(result.notebook.metadata?.[RUN_METADATA_KEY]).toMatchObject({ status: "timeout", cell: 2 });
    expect(alive(pid)).toBe(false);
  }, 60_000);

  it("stops when its signal aborts, marks the notebook interrupted and shuts the kernel down", async () => {
    const controller = new AbortController();
    let pid = -1;
    const t0 = Date.now();
    const result = await run(notebook([code('console.log("first");'), code("await new Promise((r) => setTimeout(r, 60000));"), code("1")]), {
      signal: controller.signal,
      onKernel: (k) => (pid = k.pid),
      onEvent: (e) => {
        if (e.event === "cell-start" && e.number === 2) setTimeout(() => controller.abort("SIGTERM"), 300);
      },
    });
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(result.status).toBe("interrupted");
    expect(result.cells.map((c) => c.status)).toEqual(["ok", "interrupted", "not-run"]);
    expect(result.notebook.metadata?.[RUN_METADATA_KEY]).toEqual({ status: "interrupted", cell: 2, message: "stopped by SIGTERM while code cell 2 ran" });
    expect(text(result.notebook.cells[0].outputs?.[0]?.text)).toBe("first\n");
    expect(alive(pid)).toBe(false);
  }, 60_000);

  it("says so when the kernel dies in a cell", async () => {
    const result = await run(notebook([code("process.exit(7);")]));
    expect(result.failure).toMatchObject({ kind: "died", number: 1 });
    expect(result.failure?.message).toContain("test.ipynb: code cell 1 stopped: the kernel exited with status 7");
  }, 60_000);

  it("keeps every output of a cell that prints thousands of lines at once, and the kernel answers after it", async () => {
    // Without the queued sends of tools/kernel/tslab-kernel.cjs, zeromq refuses tslab's 513th
    // send in a row (EBUSY): the rest of the cell's output and its idle status were lost.
    const result = await run(notebook([code("for (let i = 0; i < 3000; i++) console.log(i);"), code('console.log("after");')]), { timeoutSeconds: 60 });
    expect(result.status).toBe("ok");
    const lines = (result.notebook.cells[0].outputs ?? []).map((o) => text(o.text)).join("").split("\n").filter((l) => l !== "");
    expect(lines).toHaveLength(3000);
    expect(lines[2999]).toBe("2999");
    expect(result.notebook.cells[1].outputs).toEqual([{ output_type: "stream", name: "stdout", text: "after\n" }]);
  }, 90_000);

  it("runs on after a failing cell when errors are allowed", async () => {
    const result = await run(notebook([code('throw new Error("first");'), code("console.log(6 * 7);")]), { allowErrors: true });
    expect(result.status).toBe("failed");
    expect(result.failure).toMatchObject({ kind: "error", number: 1 });
    expect(result.cells.map((c) => c.status)).toEqual(["error", "ok"]);
    expect(result.notebook.cells[1].outputs).toEqual([{ output_type: "stream", name: "stdout", text: "42\n" }]);
  }, 60_000);
});

describe("injectParameters", () => {
  const nb = notebook([code("let quick = false;\nlet seed = 1;", ["parameters"]), code("quick")]);

  it("refuses a parameter the parameters cell does not declare, naming those it does", () => {
    expect(() => injectParameters(nb, { steps: 3 }, "x.ipynb")).toThrow(ExecuteInputError);
    expect(() => injectParameters(nb, { steps: 3 }, "x.ipynb")).toThrow("x.ipynb: the parameters cell declares no `let steps`; it declares: quick, seed");
    expect(() => injectParameters(nb, { "a-b": 1 })).toThrow('parameter name "a-b" is not an identifier');
    expect(() => injectParameters(notebook([code("1")]), { quick: true }, "y.ipynb")).toThrow("y.ipynb has no cell tagged 'parameters'");
  });

  it("leaves the notebook as it is without parameters", () => {
    expect(injectParameters(nb, {})).toEqual(nb);
  });
});

describe("formatExecuted", () => {
  it("writes as nbformat does: lines as lists, sorted keys, JSON media types as objects", () => {
    const nb = notebook([
      {
        ...code("a\nb"),
        outputs: [
          { output_type: "stream", name: "stdout", text: "x\ny\n" },
          { output_type: "display_data", metadata: {}, data: { "text/plain": "p\nq", "application/vnd.x+json": { b: 1, a: "s\nt" } } },
        ],
      },
    ]);
    const parsed = JSON.parse(formatExecuted(nb));
    expect(parsed.cells[0].source).toEqual(["a\n", "b"]);
    expect(parsed.cells[0].outputs[0].text).toEqual(["x\n", "y\n"]);
    expect(parsed.cells[0].outputs[1].data["text/plain"]).toEqual(["p\n", "q"]);
    expect(parsed.cells[0].outputs[1].data["application/vnd.x+json"]).toEqual({ a: "s\nt", b: 1 });
    expect(Object.keys(parsed.cells[0])).toEqual(["cell_type", "execution_count", "id", "metadata", "outputs", "source"]);
    expect(formatExecuted(nb).startsWith('{\n "cells": [\n  {\n   "cell_type": "code",')).toBe(true);
  });
});

describe("throttledSaver", () => {
  it("writes the first save at once, puts off those that come too soon into one, and flushes what is pending", async () => {
    const written: number[] = [];
    const saver = throttledSaver((nb) => written.push(nb.cells.length), { minIntervalMs: 200 });
    const nbOf = (n: number) => notebook(Array.from({ length: n }, () => code("1")));
    saver.save(nbOf(1));
    saver.save(nbOf(2));
    saver.save(nbOf(3));
    expect(written).toEqual([1]);
    const t0 = Date.now();
    while (written.length < 2 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 5));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(written).toEqual([1, 3]); // the timer wrote the latest
    saver.save(nbOf(4)); // right after a write: put off
    expect(written).toEqual([1, 3]);
    saver.flush();
    expect(written).toEqual([1, 3, 4]);
    saver.flush();
    expect(written).toEqual([1, 3, 4]); // nothing pending
  });
});
