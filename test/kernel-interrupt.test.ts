// Interrupting a notebook cell that trains in worker threads
// (lm.trainInWorkers, lesson 10) stops the training, in a real tslab kernel:
// Jupyter's interrupt is SIGINT to the kernel, tslab turns it into an
// "Interrupted" error of the cell, and the runs must not go on in the
// background on every core. SLOW-ish: one kernel, about 10 s.
import { describe, it, expect } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "fs";
import os from "os";
import path from "path";
import { startKernel } from "../tools/kernel/client.mjs";
import { jupyterEnv } from "../tools/jupyter.mjs";
import { KERNEL_NAME } from "../lib/src/constants";

type Message = { channel: string; header: { msg_type: string }; content: Record<string, unknown> };
const text = (m: Message) => (m.header.msg_type === "stream" ? String(m.content.text) : m.header.msg_type === "error" ? `${m.content.ename}: ${m.content.evalue}` : "");

// Two runs that would train for hours; each report is counted in a global the next cells read. The text is
// pseudo-random, so the loss stays near ln 4 (on a text it could learn by heart, a loss near 0 can set off
// nn.train's check for geometric growth, which would end the runs by itself).
const TRAIN = `
import { lm, Random } from "@rnn-course/lib";
const rng = new Random(3);
const cycle = Int32Array.from({ length: 2000 }, () => 1 + rng.int(4));
const endless = (name: string, seed: number): lm.StreamTrainingJob => ({
  name, model: { vocabSize: 5, hidden: 6, layers: 1, seed }, ids: cycle,
  training: { batch: 4, steps: 10, updates: 10_000_000, learningRate: 0.05, start: 0 },
});
(globalThis as any).reports = 0;
await lm.trainInWorkers([endless("a", 1), endless("b", 2)], { onReport: () => { (globalThis as any).reports++; } });
`;
// The count goes to a file, which the test reads.
const count = (file: string) => `await new Promise((r) => setTimeout(r, 1000)); require("fs").writeFileSync(${JSON.stringify(file)}, String((globalThis as any).reports));`;

describe("interrupting a cell that trains in workers", () => {
  it("stops the workers: the cell ends with the interrupt, and no report arrives after it", async () => {
    // In notebooks/, as a lesson runs, so that `@rnn-course/lib` resolves; the cells write no file.
    const kernel = await startKernel({ kernelName: KERNEL_NAME, cwd: path.join(__dirname, "..", "notebooks"), env: jupyterEnv() });
    try {
      const execute = (code: string) => {
        const out: string[] = [];
        const done = kernel.request("shell", "execute_request", { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true }, {
          timeoutMs: 60_000,
          onIopub: (m: Message) => out.push(text(m)),
        });
        return { out, done };
      };
      const training = execute(TRAIN);
      // The kernel runs one cell at a time, so nothing can ask it how far the training is: interrupt after a few
      // seconds (compiling the cell and starting the workers take about one), and check below that reports had come.
      await new Promise((r) => setTimeout(r, 6_000));
      kernel.interrupt();
      const reply = (await training.done) as Message;
      expect(reply.content.status).toBe("error");
      expect(training.out.join("")).toMatch(/Interrupted/);
      await new Promise((r) => setTimeout(r, 500)); // tslab aborts the cells that arrive within 200 ms of an error
      const dir = mkdtempSync(path.join(os.tmpdir(), "rnn-interrupt-"));
      try {
        const [first, second] = [path.join(dir, "first"), path.join(dir, "second")];
        await execute(count(first)).done;
        await execute(count(second)).done;
        const reports = (file: string) => Number(readFileSync(file, "utf8"));
        expect(reports(first)).toBeGreaterThan(0); // the workers had trained before the interrupt
        expect(reports(second)).toBe(reports(first)); // a second later, still no new report: the workers are gone
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      await kernel.shutdown();
    }
  }, 120_000);
});
