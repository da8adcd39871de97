// `npm run grade` against determined students (issue 12), the part that
// needs no kernel: the trusted replay (tools/exercises/replay.mjs) against
// records from a simulated student realm (a vm context the test controls,
// where "student code" patches what it likes). The same attacks as hostile
// submissions run by the grader in its sandbox, with the instructor's files
// byte-identical afterwards, are in test/grader.full.test.ts.
import { describe, it, expect } from "vitest";
import { spawnSync } from "child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import os from "os";
import path from "path";
import vm from "vm";
import { pathToFileURL } from "url";
import ts from "typescript";
import { type GradedCell as Cell, type GradedNotebook as Notebook, text, byId, readNb } from "./notebook-helpers";

const ROOT = path.join(__dirname, "..");
const SOURCE = path.join(ROOT, "test", "fixtures", "exercises", "source", "fixture-exercises.ipynb");
const load = (rel: string) => import(pathToFileURL(path.join(ROOT, rel)).href);

const source: Notebook = readNb(SOURCE);
const testOf = (id: string) => text(byId(source, `${id}`));

interface ReplayResult {
  status: "ok" | "failed";
  message: string;
  unanswered: boolean;
}
interface ReplayModule {
  replayAll(job: { tests: { index: number; source: string; names: string[]; records: string[] }[] }): Promise<Record<string, ReplayResult>>;
  decode(e: unknown): unknown;
}
interface NotebookModule {
  recordingTestCell(text: string, names: string[], marker: string): string;
  declaredNames(text: string): string[];
}

const js = (tsSource: string) => ts.transpileModule(tsSource, { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;

/**
 * A student's realm, simulated: a fresh vm context where `studentCode` runs
 * (it may patch whatever it likes), then the test cell as the kernel runs it
 * (with the recorder). Returns the record lines and whether the test cell,
 * judged inside the student's realm, passed.
 */
async function studentRealm(studentCode: string, testCell: string, names: string[]) {
  const { recordingTestCell }: NotebookModule = await load("tools/exercises/notebook.mjs");
  const lines: string[] = [];
  const context = vm.createContext({ console: { log: (...a: unknown[]) => lines.push(a.map(String).join(" ")) } });
  vm.runInContext(js(studentCode), context);
  let passedInRealm = true;
  try {
    vm.runInContext(js(recordingTestCell(testCell, names, "MK")), context);
  } catch {
    passedInRealm = false;
  }
  return { records: lines.filter((l) => l.startsWith("MK ")).map((l) => l.slice(3)), passedInRealm };
}

async function replay(test: string, names: string[], records: string[]) {
  const { replayAll }: ReplayModule = await load("tools/exercises/replay.mjs");
  return (await replayAll({ tests: [{ index: 0, source: test, names, records }] }))[0];
}

const SOFTMAX = text(byId(source, "fx-softmax"));
const SOFTMAX_TESTS = testOf("fx-softmax-tests");
const WRONG_SOFTMAX = "function softmax(scores: number[]): number[] { return scores.map(() => 1 / scores.length); }";

describe("the trusted replay: the verdict is not the student's realm's (no kernel)", () => {
  it("passes a correct solution from its records, and fails a wrong one with the instructor's message", async () => {
    const good = await studentRealm(SOFTMAX, SOFTMAX_TESTS, ["softmax"]);
    expect(good.records).toHaveLength(3); // softmax([1,2,3]), softmax([1000,1000]), softmax([0, ln 3])
    expect(await replay(SOFTMAX_TESTS, ["softmax"], good.records)).toEqual({ status: "ok", message: "", unanswered: false });
    const bad = await studentRealm(WRONG_SOFTMAX, SOFTMAX_TESTS, ["softmax"]);
    expect(await replay(SOFTMAX_TESTS, ["softmax"], bad.records)).toEqual({
      status: "failed", message: "Error: a larger score should get a larger probability", unanswered: false,
    });
  });

  it("a student who redefines Math (the checks' Math.abs) passes in their own realm but not in the replay", async () => {
    // The identity is no softmax, but with Math.abs = 0 every closeness check of the test holds.
    const realm = await studentRealm("Math.abs = () => 0; function softmax(s: number[]): number[] { return s.slice(); }", SOFTMAX_TESTS, ["softmax"]);
    expect(realm.passedInRealm).toBe(true); // the verdict of a grader that tests in the student's kernel: full marks
    expect(await replay(SOFTMAX_TESTS, ["softmax"], realm.records)).toEqual({ status: "failed", message: "Error: the probabilities should sum to 1", unanswered: false });
  });

  it("a student whose realm computes other inputs (patched intrinsics) answers no question the replay asks", async () => {
    // Math.log changed: the test's own input softmax([0, Math.log(3)]) is another number in the student's realm.
    const realm = await studentRealm(`Math.log = (x: number) => x; ${SOFTMAX}`, SOFTMAX_TESTS, ["softmax"]);
    const r = await replay(SOFTMAX_TESTS, ["softmax"], realm.records);
    expect(r.status).toBe("failed");
    expect(r.unanswered).toBe(true);
    expect(r.message).toBe(`the student's kernel answered another call than softmax([0,${Math.log(3)}]): it recorded softmax([0,3])`);
  });

  it("a realm that prints success, or no records at all, fails; unreadable record lines are counted", async () => {
    const none = await replay(SOFTMAX_TESTS, ["softmax"], []);
    expect(none).toEqual({ status: "failed", message: "the student's kernel recorded no answer to softmax([1,2,3])", unanswered: true });
    const junk = await replay(SOFTMAX_TESTS, ["softmax"], ["all tests passed", '{"name": 3}', "{"]);
    expect(junk.message).toBe("the student's kernel recorded no answer to softmax([1,2,3]) (3 record line(s) were not readable)");
  });

  it("a forged answer is only an answer: wrong data fails the check, data that is not data fails with a message", async () => {
    const args = JSON.stringify([[1, 2, 3]]);
    const forged = (result: unknown) => JSON.stringify({ name: "softmax", args: JSON.parse(args), result, after: JSON.parse(args) });
    const wrong = await replay(SOFTMAX_TESTS, ["softmax"], [forged([0.5, 0.5])]);
    expect(wrong.message).toBe("Error: softmax([1, 2, 3]) should have 3 entries");
    const fn = await replay(SOFTMAX_TESTS, ["softmax"], [forged({ $f: 1 })]);
    expect(fn.message).toBe("Error: softmax([1,2,3]) gave an answer the grader cannot use: the value is a function (the grader compares data only)");
    const odd = await replay(SOFTMAX_TESTS, ["softmax"], [forged({ $x: "Proxy" })]);
    expect(odd.message).toMatch(/an object of class Proxy, which the grader cannot compare/);
  });

  it("decodes untrusted data without polluting prototypes, and keeps what JSON loses (NaN, -0, Infinity, Map)", async () => {
    const { decode }: ReplayModule = await load("tools/exercises/replay.mjs");
    const o = decode(JSON.parse('{"$o": {"__proto__": {"$o": {"polluted": true}}, "constructor": 1}}')) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(Object.keys(o)).toEqual(["__proto__", "constructor"]);
    const v = decode([{ $n: "NaN" }, { $n: "-0" }, { $n: "-Infinity" }, { $m: [["a b", 2]] }, { $u: 1 }]) as unknown[];
    expect(Number.isNaN(v[0])).toBe(true);
    expect(Object.is(v[1], -0)).toBe(true);
    expect(v[2]).toBe(-Infinity);
    expect(v[3]).toEqual(new Map([["a b", 2]]));
    expect(v[4]).toBeUndefined();
    expect(() => decode({ $n: "1e999" })).toThrow(/unknown number/);
    expect(() => decode({ $t: "SharedArrayBuffer", v: [] })).toThrow(/unknown typed array/);
  });

  it("answers Maps and in-place changes of the arguments (a function that clips its argument)", async () => {
    const bigrams = await studentRealm(text(byId(source, "fx-bigrams")), testOf("fx-bigrams-tests"), ["countBigrams"]);
    expect(await replay(testOf("fx-bigrams-tests"), ["countBigrams"], bigrams.records)).toMatchObject({ status: "ok" });
    const clip = "function clip(g: number[], c: number): number { let n = 0; for (let i = 0; i < g.length; i++) if (Math.abs(g[i]) > c) { g[i] = Math.sign(g[i]) * c; n++; } return n; }";
    const test = `{ const g = [3, -7, 1]; const n = clip(g, 2); if (n !== 2 || JSON.stringify(g) !== "[2,-2,1]") throw new Error("clip: got " + n + " " + JSON.stringify(g)); }`;
    const realm = await studentRealm(clip, test, ["clip"]);
    expect(await replay(test, ["clip"], realm.records)).toEqual({ status: "ok", message: "", unanswered: false });
  });

  it("a swallowed replay error still fails the test (a test that expects a throw cannot be fooled by a missing record)", async () => {
    const test = `{ let threw = false; try { perplexity([]); } catch { threw = true; } if (!threw) throw new Error("perplexity([]) should throw"); }`;
    const r = await replay(test, ["perplexity"], []);
    expect(r).toEqual({ status: "failed", message: "the student's kernel recorded no answer to perplexity([])", unanswered: true });
  });

  it("every lesson's tests can be replayed: full marks for the solutions, 'not implemented yet' for the student edition", async () => {
    // The lessons' solution and recording test cells run in one plain Node.js process standing in for the
    // kernel (same library, after initBackend as the lessons do); the replay then judges its records.
    const { describeExercises, gradingNotebook, studentEdition } = await load("tools/exercises/notebook.mjs");
    const { replayAll }: ReplayModule = await load("tools/exercises/replay.mjs");
    const tmp = mkdtempSync(path.join(os.tmpdir(), "rnn-replay-lessons-"));
    try {
      const lessons = readdirSync(path.join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort();
      let tests = 0;
      for (const lesson of lessons) {
        const nb = JSON.parse(readFileSync(path.join(ROOT, "notebooks", lesson), "utf8"));
        const info = describeExercises(nb, lesson);
        for (const edition of ["solutions", "student"]) {
          const submitted = edition === "student" ? studentEdition(nb, lesson).nb : nb;
          const plan = gradingNotebook(nb, info, submitted, { marker: "MK" });
          let program = `const { initBackend } = require("@rnn-course/lib");\n(async () => { await initBackend();\n`;
          for (const [i, c] of (plan.nb.cells as Cell[]).entries()) {
            if (c.cell_type !== "code" || !c.metadata.nbgrader) continue;
            const code = ts.transpileModule(text(c), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } })
              .outputText.replace(/^"use strict";$/m, "").replace(/^Object\.defineProperty\(exports.*$/m, "");
            // Solution cells at one level (their functions are seen by later cells); each test cell in its own scope.
            program += `console.log("CELL ${i}");\n` + (text(c).includes("__rnnGraderRecord") ? `try { await (async () => {\n${code}\n})(); } catch {}\n` : `${code}\n`);
          }
          const file = path.join(tmp, `${lesson}-${edition}.cjs`);
          writeFileSync(file, program + "})();\n");
          const r = spawnSync(process.execPath, [file], { encoding: "utf8", env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules") } });
          expect(r.status, r.stderr).toBe(0);
          const records = new Map<number, string[]>();
          let cell = -1;
          for (const line of r.stdout.split("\n")) {
            const m = /^CELL (\d+)$/.exec(line);
            if (m) cell = Number(m[1]);
            else if (line.startsWith("MK ")) records.set(cell, [...(records.get(cell) ?? []), line.slice(3)]);
          }
          const planned = plan.tests as { index: number; source: string; names: string[]; gradeId: string; exercise: string }[];
          const results = await replayAll({ tests: planned.map((t) => ({ index: t.index, source: t.source, names: t.names, records: records.get(t.index) ?? [] })) });
          for (const t of planned) {
            const want = edition === "student" ? { status: "failed", message: `Error: not implemented yet: ${t.exercise}` } : { status: "ok", message: "" };
            expect({ test: t.gradeId, ...results[t.index] }).toEqual({ test: t.gradeId, ...want, unanswered: false });
            tests++;
          }
        }
      }
      expect(tests).toBeGreaterThanOrEqual(40); // 21 test cells in lessons 01-05, twice
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("finds the names a solution cell gives the tests", async () => {
    const { declaredNames }: NotebookModule = await load("tools/exercises/notebook.mjs");
    expect(declaredNames("function sigmoid(x: number) { return x; }\ninterface T { a: number }\nconst [a, { b }] = [1, { b: 2 }];\nlet c = 3, d = 4;\nclass E {}\ndeclare const f: number;")).toEqual(["sigmoid", "a", "b", "c", "d", "E"]);
  });
});

