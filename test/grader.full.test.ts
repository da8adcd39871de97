// `npm run grade` with its sandbox (tools/exercises/grade.mjs, isolation.mjs,
// sandbox.sh, run_submission.mjs): sloppy and hostile submissions executed in
// their kernels, each in its own network, mount, PID and IPC namespaces, and
// the grader refusing to grade without a sandbox. Part of `npm run test:full`:
// the sandbox needs Linux namespaces (root, or unprivileged user
// namespaces), util-linux and iproute2 (test/full-setup.ts checks them first).
// The grader with Node alone and no sandbox (--isolation none) is tested in
// test/exercises.test.ts; the trusted replay in test/grader-attacks.test.ts.
//
// SLOW: about twenty tslab kernels, two at a time: allow 5 minutes on a
// 2-core machine, under the heavy-job lock. Everything it grades or could
// damage is a COPY in a temporary folder; the hostile submissions only ever
// see the paths of those copies.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, spawnSync } from "child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "fs";
import net from "net";
import os from "os";
import path from "path";
import { pathToFileURL } from "url";
import { type GradedNotebook as Notebook, text, byId, outputText, readNb, tree } from "./notebook-helpers";

const ROOT = path.join(__dirname, "..");
const FIXTURES = path.join(ROOT, "test", "fixtures", "exercises");
const SOURCE = path.join(FIXTURES, "source", "fixture-exercises.ipynb");
const NOTEBOOK = "fixture-exercises.ipynb";
const load = (rel: string) => import(pathToFileURL(path.join(ROOT, rel)).href);
const source: Notebook = readNb(SOURCE);
const WRONG_SOFTMAX = "function softmax(scores: number[]): number[] { return scores.map(() => 1 / scores.length); }";

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


interface TestResult {
  grade_id: string;
  points: number;
  status: string;
  message: string;
  restored: boolean;
}
interface ExerciseResult {
  exercise: string;
  points: number;
  max_points: number;
  status: string;
  message: string;
  tests: TestResult[];
}
interface SubmissionResult {
  submission: string;
  status: string;
  points: number;
  max_points: number;
  message?: string;
  seconds: number;
  restarts?: number;
  exercises: ExerciseResult[];
  manual: { grade_id: string; status: string; answer: string | null }[];
  notes: string[];
  executed?: string;
}

const LIMITS = { cellTimeout: 10, timeLimit: 90, memoryMb: 1024 };
/** Processes `sleep 987`, which the endless-loop submission starts and detaches. */
const sleepers = () =>
  spawnSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
    .stdout.split("\n")
    .filter((l) => /^\s*\d+ sleep 987$/.test(l))
    .map((l) => l.trim().split(" ")[0]);

describe("npm run grade in its sandbox (slow: executes a dozen notebooks)", () => {
  let tmp: string;
  let instructor: string;
  let grades: string;
  let before: Record<string, string>;
  let run: Run;
  let seconds: number;
  let report: { grader: { isolation: string }; submissions: SubmissionResult[] };
  let sleepersBefore: string[] = [];
  const result = (student: string) => report.submissions.find((s) => s.submission === `${student}/${NOTEBOOK}`)!;
  const exercise = (student: string, name: string) => result(student).exercises.find((e) => e.exercise === name)!;
  const points = (student: string) => Object.fromEntries(result(student).exercises.map((e) => [e.exercise, e.points]));

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "rnn-grade-test-"));
    // The instructor's folder: a copy of the source, and the submissions, one folder per student.
    instructor = path.join(tmp, "instructor");
    grades = path.join(tmp, "grades");
    mkdirSync(path.join(instructor, "source"), { recursive: true });
    const sourceCopy = path.join(instructor, "source", NOTEBOOK);
    cpSync(SOURCE, sourceCopy);
    const submissions = path.join(instructor, "submissions");
    const { writeSubmissions } = await load("test/fixtures/exercises/submissions.mjs");
    writeSubmissions(submissions, { source: sourceCopy, other: path.join(submissions, "untouched", NOTEBOOK), instructor });
    // The instructor's own solutions, handed in like a submission; graded last, after every hostile one.
    mkdirSync(path.join(submissions, "zz-solutions"));
    cpSync(SOURCE, path.join(submissions, "zz-solutions", NOTEBOOK));
    before = tree(instructor);
    sleepersBefore = sleepers();

    const args = [
      "--source", path.join(instructor, "source"), "--out", grades, "--jobs", "2",
      "--cell-timeout", String(LIMITS.cellTimeout), "--time-limit", String(LIMITS.timeLimit), "--memory", String(LIMITS.memoryMb),
    ];
    const t0 = performance.now();
    run = await grade([...args, ...readdirSync(submissions).map((s) => path.join(submissions, s))]);
    seconds = (performance.now() - t0) / 1000;
    report = JSON.parse(readFileSync(path.join(grades, "grades.json"), "utf8"));
  }, 600_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("finishes, and grades every submission", () => {
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(report.submissions.length).toBe(9);
    console.log(`npm run grade: ${report.submissions.length} submissions in ${seconds.toFixed(1)} s (isolation: ${report.grader.isolation})`);
  });

  it("isolates the kernels in the sandbox: as root with a user id of their own, else in a user namespace", () => {
    expect(report.grader.isolation).toBe(process.getuid?.() === 0 ? "sandbox" : "sandbox-userns");
    expect(run.stdout).toMatch(/^Isolation: sandbox/m);
  });

  it("also has a sandbox for graders who are not root, in a user namespace", async () => {
    const { detectIsolation } = await load("tools/exercises/isolation.mjs");
    expect((await detectIsolation("userns")).mode).toBe("sandbox-userns");
  });

  it("gives the instructor's own solutions (the source notebook) full marks", () => {
    const s = result("zz-solutions");
    expect(s.status).toBe("graded");
    expect(points("zz-solutions")).toEqual({ "fx-softmax": 2, "fx-bigrams": 3, "fx-perplexity": 2 });
    expect([s.points, s.max_points]).toEqual([7, 7]);
    expect(s.manual).toEqual([expect.objectContaining({ grade_id: "fx-q-shift", status: "answered" })]);
  });

  it("runs the notebooks on the wasm backend inside the limits (RLIMIT_DATA, not RLIMIT_AS, which would break it)", () => {
    const executed = readNb(path.join(grades, "executed", "zz-solutions", NOTEBOOK));
    expect(executed.cells.map(outputText).join("")).toMatch(/on the 'wasm' backend/);
  });

  it("gives the untouched student edition zero, every exercise failing with 'not implemented yet'", () => {
    for (const e of result("untouched").exercises) {
      expect(e.points).toBe(0);
      expect(e.status).toBe("failed");
      expect(e.message).toBe(`Error: not implemented yet: ${e.exercise}`);
    }
    expect(result("untouched").manual[0].status).toBe("not answered");
  });

  it("puts back a deleted test cell, and reports a renamed function and a missing solution cell per exercise", () => {
    expect(points("mixed")).toEqual({ "fx-softmax": 2, "fx-bigrams": 0, "fx-perplexity": 0 });
    expect(result("mixed").notes).toContain("the test cell 'fx-softmax-tests' was missing; it was put back after its exercise's cells");
    expect(exercise("mixed", "fx-bigrams")).toMatchObject({ status: "failed", message: expect.stringMatching(/Cannot find name 'countBigrams'/) });
    expect(exercise("mixed", "fx-perplexity")).toMatchObject({ status: "missing", message: expect.stringMatching(/the solution cell 'fx-perplexity' is missing/) });
  });

  it("ignores a test cell the student rewrote to print success: the instructor's test runs instead", () => {
    const executed = readNb(path.join(grades, "executed", "mixed", NOTEBOOK));
    const tests = text(byId(executed, "fx-perplexity-tests"));
    expect(tests).not.toContain("all tests passed");
    expect(tests).toContain("BEGIN HIDDEN TESTS");
    expect(exercise("mixed", "fx-perplexity").points).toBe(0);
  });

  it("gives a notebook that is not JSON zero with a clear status naming the file, and goes on", () => {
    const s = result("broken-json");
    expect(s.status).toBe("malformed");
    expect(s.message).toMatch(/^broken-json\/fixture-exercises\.ipynb: the notebook cannot be read: fixture-exercises\.ipynb is not valid JSON \(.*line \d+ column \d+\)$/);
    expect(s.exercises.map((e) => [e.points, e.status])).toEqual([[0, "malformed"], [0, "malformed"], [0, "malformed"]]);
  });

  it("stops an endless loop at the cell time limit; the other exercises still score", () => {
    expect(points("infinite-loop")).toEqual({ "fx-softmax": 0, "fx-bigrams": 3, "fx-perplexity": 2 });
    expect(exercise("infinite-loop", "fx-softmax")).toMatchObject({ status: "timeout", message: expect.stringMatching(/still running after 10 s/) });
    expect(result("infinite-loop").restarts).toBe(1);
  });

  it("leaves no process of a submission behind (the loop's detached `sleep 987` is gone)", () => {
    expect(sleepers().filter((pid) => !sleepersBefore.includes(pid))).toEqual([]);
  });

  it("survives process.exit() in a solution cell: that exercise scores zero, the others full", () => {
    expect(points("process-exit")).toEqual({ "fx-softmax": 2, "fx-bigrams": 0, "fx-perplexity": 2 });
    expect(exercise("process-exit", "fx-bigrams")).toMatchObject({ status: "died", message: expect.stringMatching(/kernel died .*process\.exit/) });
  });

  it("contains huge allocations within the memory limit: the JavaScript heap, Buffers, and memory spread over processes", () => {
    expect(points("huge-allocation")).toEqual({ "fx-softmax": 0, "fx-bigrams": 3, "fx-perplexity": 0 });
    // V8's heap limit (--max-old-space-size in the grader's kernelspec)
    expect(exercise("huge-allocation", "fx-softmax")).toMatchObject({ status: "memory", message: expect.stringMatching(/JavaScript heap limit/) });
    // RLIMIT_DATA stops the Buffers with an error the code can catch; then the watchdog
    // on the resident memory of the whole process tree stops the 300 MB processes.
    expect(exercise("huge-allocation", "fx-perplexity")).toMatchObject({ status: "memory", message: expect.stringMatching(/used more than 1024 MB of memory/) });
    const executed = readNb(path.join(grades, "executed", "huge-allocation", NOTEBOOK));
    expect(outputText(byId(executed, "fx-perplexity-tests"))).toMatch(/Buffers stopped at \d+ MB: RangeError: Array buffer allocation failed/);
  });

  it("keeps the hidden tests and the other submissions unreadable", () => {
    expect(points("read-hidden-tests")).toEqual({ "fx-softmax": 2, "fx-bigrams": 0, "fx-perplexity": 2 });
    expect(exercise("read-hidden-tests", "fx-bigrams").message).toMatch(/ENOENT: no such file or directory, open '.*fixture-exercises\.ipynb'/);
    const executed = readNb(path.join(grades, "executed", "read-hidden-tests", NOTEBOOK));
    expect(executed.cells.map(outputText).join("")).not.toContain("LEAKED");
  });

  it("keeps the instructor's files out of reach: deleting and overwriting them fails, the folder stays byte-identical", () => {
    expect(points("delete-files")).toEqual({ "fx-softmax": 2, "fx-bigrams": 3, "fx-perplexity": 0 });
    expect(exercise("delete-files", "fx-perplexity").message).toMatch(/ENOENT|EACCES|EROFS|EPERM/);
    expect(tree(instructor)).toEqual(before);
  });

  it("gives every submission its result within the time limit", () => {
    for (const s of report.submissions) expect(s.seconds, s.submission).toBeLessThan(LIMITS.timeLimit + 30);
  });

  it("writes grades.csv: one row per submission and exercise, manual questions, and a total", () => {
    const rows = readFileSync(path.join(grades, "grades.csv"), "utf8").trim().split("\n");
    expect(rows[0]).toBe("submission,notebook,exercise,points,max_points,status,message");
    expect(rows.length).toBe(1 + report.submissions.length * 5);
    expect(rows).toContain(`zz-solutions/${NOTEBOOK},${NOTEBOOK},TOTAL,7,7,graded,`);
    expect(rows).toContain(`untouched/${NOTEBOOK},${NOTEBOOK},fx-softmax,0,2,failed,Error: not implemented yet: fx-softmax`);
    expect(rows).toContain(`infinite-loop/${NOTEBOOK},${NOTEBOOK},TOTAL,5,7,graded,`);
  });

  it("prints a table with each failure's first message line", () => {
    expect(run.stdout).toMatch(/untouched\/fixture-exercises\.ipynb \(fixture-exercises\.ipynb\): 0\/7/);
    expect(run.stdout).toMatch(/fx-bigrams\s+0\/3\s+failed\s+Error: not implemented yet: fx-bigrams/);
    expect(run.stdout).toMatch(/fx-softmax\s+0\/2\s+timeout\s+still running after 10 s/);
  });

  it("writes each executed notebook (with the hidden tests: for the instructor only)", () => {
    const executed = report.submissions.filter((s) => s.executed).map((s) => s.submission.split("/")[0]);
    expect(readdirSync(path.join(grades, "executed")).sort()).toEqual(executed.sort());
    expect(executed).not.toContain("broken-json");
  });
});


// ---------------------------------------------------------------------------

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
