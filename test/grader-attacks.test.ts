// `npm run grade` against determined students (issue 12): each class of attack
// that once gave marks without the work, leaked other submissions, or broke
// the grader, as a hostile submission that must now score zero or be refused,
// with the instructor's files byte-identical afterwards.
//
// The first block needs no kernel: the trusted replay (tools/exercises/replay.mjs)
// against records from a simulated student realm (a vm context the test
// controls, where "student code" patches what it likes). The second runs the
// grader itself on hostile files and notebooks (SLOW: about ten kernels, two
// at a time; run it under the heavy-job lock).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, spawnSync } from "child_process";
import { createHash } from "crypto";
import {
  cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync,
} from "fs";
import net from "net";
import os from "os";
import path from "path";
import vm from "vm";
import { pathToFileURL } from "url";
import ts from "typescript";

const ROOT = path.join(__dirname, "..");
const SOURCE = path.join(ROOT, "test", "fixtures", "exercises", "source", "fixture-exercises.ipynb");
const NOTEBOOK = "fixture-exercises.ipynb";
const load = (rel: string) => import(pathToFileURL(path.join(ROOT, rel)).href);

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata: { nbgrader?: { grade_id?: string } };
  outputs?: { output_type: string; text?: string | string[] }[];
}
interface Notebook {
  cells: Cell[];
}
const text = (c: Cell) => ([] as string[]).concat(c.source).join("");
const byId = (nb: Notebook, id: string) => nb.cells.find((c) => c.metadata.nbgrader?.grade_id === id)!;
const outputText = (c: Cell) => (c.outputs ?? []).map((o) => ([] as string[]).concat(o.text ?? "").join("")).join("");
const source: Notebook = JSON.parse(readFileSync(SOURCE, "utf8"));
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

// ---------------------------------------------------------------------------

/** sha1 of every file under dir (links as their target path), by relative path. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isSymbolicLink()) out[path.relative(dir, p)] = `link`;
      else if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash("sha1").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir);
  return out;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}
function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}
const grade = (args: string[], env?: NodeJS.ProcessEnv) => run([process.execPath, path.join(ROOT, "tools", "exercises", "grade.mjs"), ...args], env);

interface ExerciseResult {
  exercise: string;
  points: number;
  status: string;
  message: string;
}
interface SubmissionResult {
  submission: string;
  status: string;
  points: number;
  max_points: number;
  message?: string;
  exercises: ExerciseResult[];
  executed?: string;
}

/** The student edition with some solution cells replaced. */
async function submission(cells: Record<string, string>): Promise<string> {
  const { studentEdition } = await load("tools/exercises/notebook.mjs");
  const { nb } = studentEdition(JSON.parse(readFileSync(SOURCE, "utf8")), NOTEBOOK);
  for (const [id, code] of Object.entries(cells)) byId(nb, id).source = code;
  return JSON.stringify(nb, null, 1);
}
const solution = (id: string) => text(byId(source, id));

describe("npm run grade against hostile submissions (slow: kernels)", () => {
  let tmp: string;
  let instructor: string;
  let before: Record<string, string>;
  let result: Run;
  let report: { grader: { isolation: string }; submissions: SubmissionResult[] };
  let scratchBefore: string[];
  let listener: net.Server;
  let connections = 0;
  const sub = (student: string) => report.submissions.find((s) => s.submission.startsWith(`${student}/`))!;
  const points = (student: string) => Object.fromEntries(sub(student).exercises.map((e) => [e.exercise, e.points]));
  const ex = (student: string, name: string) => sub(student).exercises.find((e) => e.exercise === name)!;
  const scratchDirs = () => readdirSync(os.tmpdir()).filter((f) => f.startsWith("rnn-grade-"));

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "rnn-attacks-test-"));
    instructor = path.join(tmp, "instructor");
    const src = path.join(instructor, "source");
    const subs = path.join(instructor, "submissions");
    mkdirSync(src, { recursive: true });
    cpSync(SOURCE, path.join(src, NOTEBOOK));
    // A second lesson, so that a file named like neither is not matched by elimination.
    const other = JSON.parse(readFileSync(SOURCE, "utf8"));
    writeFileSync(path.join(src, "other-lesson.ipynb"), JSON.stringify(other));
    // A service on the grader's loopback: no submission may reach it.
    listener = net.createServer((s) => {
      connections++;
      s.destroy();
    });
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", () => r()));
    const port = (listener.address() as net.AddressInfo).port;
    const solved = { "fx-softmax": solution("fx-softmax"), "fx-bigrams": solution("fx-bigrams"), "fx-perplexity": solution("fx-perplexity") };
    const hand = async (student: string, cells: Record<string, string>) => {
      mkdirSync(path.join(subs, student), { recursive: true });
      writeFileSync(path.join(subs, student, NOTEBOOK), await submission({ ...solved, ...cells }));
    };
    // 1. Runtime patch: the cells' code is rewritten so that no check can throw, and Math.abs
    //    makes every comparison pass; fx-softmax is wrong. Full marks under nbgrader's model.
    await hand("runtime-patch", {
      "fx-softmax": `const vm = require("vm");
const run = vm.runInThisContext;
(vm as { runInThisContext: typeof run }).runInThisContext = (code: string, ...rest: unknown[]) =>
  (run as (c: string, ...r: unknown[]) => unknown)(code.replace(/throw new Error\\(what\\)/g, "void 0"), ...rest);
Math.abs = () => 0;
${WRONG_SOFTMAX}`,
    });
    // 2. JSON.stringify patched: the kernel's replies become garbage (once a grader error).
    await hand("json-stringify", {
      "fx-bigrams": `${solution("fx-bigrams")}\nJSON.stringify = () => "not json {";`,
    });
    // 3. The network: the grader's loopback service and the outside world.
    await hand("network", {
      "fx-perplexity": `${solution("fx-perplexity")}
{
  const net = require("net");
  const names = Object.keys(require("os").networkInterfaces()).join(",");
  const reach = (host: string, port: number) => new Promise<string>((resolve) => {
    const s = net.connect(port, host);
    s.setTimeout(3000, () => { s.destroy(); resolve("timeout"); });
    s.on("connect", () => { s.destroy(); resolve("CONNECTED"); });
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
  });
  console.log("network:", names, await reach("127.0.0.1", ${port}), await reach("1.1.1.1", 53));
}`,
    });
    // 4. Processes: hold as many as possible while another submission runs (--jobs 2).
    await hand("process-hog", {
      "fx-softmax": `${solution("fx-softmax")}
{
  const cp = require("child_process");
  let started = 0;
  for (let i = 0; i < 400; i++) {
    try { const c = cp.spawn("sleep", ["60"], { stdio: "ignore" }); c.on("error", () => {}); if (c.pid) started++; } catch { break; }
  }
  await new Promise((r) => setTimeout(r, 1500));
  console.log("hog started", started);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 16000); // hold them while other kernels start
}`,
    });
    await hand("solutions", {}); // starts while the hog holds its processes
    // 5. Files that are not regular files, or too large, or not JSON.
    const link = (student: string, target: string) => {
      mkdirSync(path.join(subs, student), { recursive: true });
      symlinkSync(target, path.join(subs, student, NOTEBOOK));
    };
    link("link-to-source", path.join(src, NOTEBOOK));
    link("link-to-dev-zero", "/dev/zero");
    link("link-to-shadow", "/etc/shadow");
    mkdirSync(path.join(subs, "broken-json"));
    writeFileSync(path.join(subs, "broken-json", "my-homework.ipynb"), '{"cells": [\n  {"cell_type": "code",\n   oops}\n]}\n');
    mkdirSync(path.join(subs, "too-large"));
    writeFileSync(path.join(subs, "too-large", NOTEBOOK), Buffer.alloc(33 * 2 ** 20, 32));
    before = tree(instructor);
    scratchBefore = scratchDirs();
    // Two at a time: the hog first; beside it "network", then "solutions", whose kernel starts while the hog holds its processes.
    const order = ["process-hog", "network", "solutions", "runtime-patch", "json-stringify", "link-to-source", "link-to-dev-zero", "link-to-shadow", "broken-json", "too-large"];
    result = await grade(["--source", src, "--out", path.join(tmp, "grades"), "--jobs", "2", "--cell-timeout", "20", "--time-limit", "120", ...order.map((s) => path.join(subs, s))]);
    report = JSON.parse(readFileSync(path.join(tmp, "grades", "grades.json"), "utf8"));
  }, 900_000);
  afterAll(() => {
    listener?.close();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("grades everything, with a sandbox, and exits 0 (no grader error)", () => {
    expect(result.status, result.stdout + result.stderr).toBe(0);
    expect(report.grader.isolation).toMatch(/^sandbox/);
    expect(report.submissions).toHaveLength(10);
    expect(report.submissions.filter((s) => s.status === "grader-error")).toEqual([]);
  });

  it("1. a runtime that makes every check pass in the kernel gets no marks for the wrong exercise", () => {
    expect(points("runtime-patch")).toEqual({ "fx-softmax": 0, "fx-bigrams": 3, "fx-perplexity": 2 });
    expect(ex("runtime-patch", "fx-softmax").message).toBe("Error: a larger score should get a larger probability");
  });

  it("6. JSON.stringify patched in the kernel costs that exercise, as the student's failure with a clear message", () => {
    expect(sub("json-stringify").status).toBe("graded");
    expect(points("json-stringify")).toEqual({ "fx-softmax": 2, "fx-bigrams": 0, "fx-perplexity": 2 });
    expect(ex("json-stringify", "fx-bigrams").message).toMatch(/the kernel sent a reply the grader cannot read/);
  });

  it("3. no submission reaches the grader's loopback or the outside: its network namespace has only its own loopback", () => {
    expect(connections).toBe(0);
    expect(points("network")).toEqual({ "fx-softmax": 2, "fx-bigrams": 3, "fx-perplexity": 2 });
    const executed: Notebook = JSON.parse(readFileSync(path.join(tmp, "grades", sub("network").executed!), "utf8"));
    const line = outputText(byId(executed, "fx-perplexity")).split("\n").find((l) => l.startsWith("network:"));
    expect(line).toMatch(/^network: lo ECONNREFUSED (ENETUNREACH|EHOSTUNREACH|timeout)$/);
  });

  it("5. one submission's processes neither exceed its own limit nor cost another submission anything", () => {
    expect(points("solutions")).toEqual({ "fx-softmax": 2, "fx-bigrams": 3, "fx-perplexity": 2 });
    const executed: Notebook = JSON.parse(readFileSync(path.join(tmp, "grades", sub("process-hog").executed!), "utf8"));
    const started = Number(/hog started (\d+)/.exec(outputText(byId(executed, "fx-softmax")))?.[1]);
    expect(started).toBeGreaterThan(100);
    expect(started).toBeLessThan(256); // MAX_PROCESSES, threads of the kernel included
  });

  it("2. refuses links (to the instructor's notebook, /dev/zero, /etc/shadow) and files over the size cap, naming each", () => {
    for (const s of ["link-to-source", "link-to-dev-zero", "link-to-shadow"]) {
      expect(sub(s)).toMatchObject({ status: "refused", points: 0, message: `${s}/${NOTEBOOK}: not graded: ${NOTEBOOK} is a symbolic link: only regular files are graded (hand in the notebook itself)` });
    }
    expect(sub("too-large")).toMatchObject({ status: "refused", points: 0 });
    expect(sub("too-large").message).toBe(`too-large/${NOTEBOOK}: not graded: ${NOTEBOOK} is 33.0 MB, more than the 32 MB a submission may have`);
    const grades = readFileSync(path.join(tmp, "grades", "grades.csv"), "utf8") + readFileSync(path.join(tmp, "grades", "grades.json"), "utf8");
    expect(grades).not.toMatch(/root:|BEGIN SOLUTION/);
  });

  it("7. a broken-JSON submission is named with the file and where the JSON breaks, whatever its name", () => {
    expect(sub("broken-json")).toMatchObject({ status: "malformed", points: 0 });
    expect(sub("broken-json").message).toMatch(/^broken-json\/my-homework\.ipynb: the notebook cannot be read: my-homework\.ipynb is not valid JSON \(.*line 3 column 4\)$/);
  });

  it("leaves the instructor's files byte-identical and no scratch folder behind", () => {
    expect(tree(instructor)).toEqual(before);
    expect(scratchDirs().filter((d) => !scratchBefore.includes(d))).toEqual([]);
  });
});

describe("npm run grade fails closed", () => {
  // As user 65534, optionally inside a user namespace of its own (where the test can switch user namespaces off).
  const nobody = (args: string[], sh: string, ownUserns = true) =>
    run(["/usr/bin/setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", ...(ownUserns ? ["/usr/bin/unshare", "--user", "--map-root-user"] : []), "/bin/sh", "-c", sh, "sh", ...args], {
      PATH: "/usr/bin:/bin", // a user's PATH on Debian: no /usr/sbin
      HOME: "/tmp",
    });
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "rnn-closed-test-"));
    mkdirSync(path.join(tmp, "src"));
    cpSync(SOURCE, path.join(tmp, "src", NOTEBOOK));
    mkdirSync(path.join(tmp, "subs"));
    writeFileSync(path.join(tmp, "subs", NOTEBOOK), "{");
    spawnSync("chmod", ["-R", "a+rwX", tmp]);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const gradeCmd = `"${process.execPath}" "${path.join(ROOT, "tools", "exercises", "grade.mjs")}" --source "$0/src" --out "$0/out-$1" "$0/subs" $2`;

  it("without any sandbox it refuses to grade, and says how to go on", async () => {
    // A machine whose user namespaces are disabled: max_user_namespaces = 0 below this one.
    const r = await nobody([tmp, "refused", ""], `echo 0 > /proc/sys/user/max_user_namespaces && exec sh -c '${gradeCmd}' "$@"`);
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/no sandbox for the submissions on this machine .*refusing to grade untrusted code without isolation.*--isolation none/);
    expect(existsSync(path.join(tmp, "out-refused"))).toBe(false);
  });

  it("with --isolation none it grades, after a loud warning", async () => {
    const r = await nobody([tmp, "none", "--isolation none"], `echo 0 > /proc/sys/user/max_user_namespaces && exec sh -c '${gradeCmd}' "$@"`);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^!!! WARNING: --isolation none: THE SUBMISSIONS RUN WITHOUT ANY SANDBOX\./m);
    expect(r.stdout).toMatch(/^Isolation: NONE/m);
  });

  it("finds the sandbox's tools by absolute path, not on a PATH without /usr/sbin", async () => {
    const r = await nobody([tmp, "userns", ""], `exec sh -c '${gradeCmd}' "$@"`, false);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Isolation: sandbox \(user namespace\)/m);
  });
});
