// The exercise tools (tools/exercises/, docs/exercises.md): the convention
// checks, `npm run student`, and `npm run grade` against sloppy and hostile
// submissions (test/fixtures/exercises/).
//
// SLOW: the "npm run grade" block starts about a dozen tslab kernels, two at a
// time: allow 2 minutes on a 2-core machine. Everything it grades or could
// damage is a COPY in a temporary folder; the hostile submissions only ever
// see the paths of those copies.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, spawnSync } from "child_process";
import { createHash } from "crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import os from "os";
import path from "path";
import { pathToFileURL } from "url";

const ROOT = path.join(__dirname, "..");
const FIXTURES = path.join(ROOT, "test", "fixtures", "exercises");
const SOURCE = path.join(FIXTURES, "source", "fixture-exercises.ipynb");
const NOTEBOOK = "fixture-exercises.ipynb";

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata: { tags?: string[]; nbgrader?: { grade_id?: string; solution?: boolean; grade?: boolean; points?: number } };
  outputs?: { output_type: string; text?: string | string[] }[];
  execution_count?: number | null;
}
interface Notebook {
  cells: Cell[];
}
const text = (c: Cell) => ([] as string[]).concat(c.source).join("");
const readNb = (file: string): Notebook => JSON.parse(readFileSync(file, "utf8"));
const byId = (nb: Notebook, id: string) => nb.cells.find((c) => c.metadata.nbgrader?.grade_id === id)!;
const outputText = (c: Cell) => (c.outputs ?? []).map((o) => ([] as string[]).concat(o.text ?? "").join("")).join("");

/** sha1 of every file under dir, by relative path: equal trees are byte-identical. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
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
  seconds: number;
}
/** Runs a tool asynchronously (vitest's timeouts keep working while it runs). */
function tool(script: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [path.join(ROOT, "tools", "exercises", script), ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr, seconds: (performance.now() - t0) / 1000 }));
  });
}

// ESM helpers of the tools, loaded at run time (the TypeScript config is CommonJS).
const load = (rel: string) => import(pathToFileURL(path.join(ROOT, rel)).href);

describe("npm run student", () => {
  let tmp: string;
  let student: Notebook;
  let source: Notebook;
  let sourceTree: Record<string, string>;
  let run: Run;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "rnn-student-test-"));
    mkdirSync(path.join(tmp, "source"));
    cpSync(SOURCE, path.join(tmp, "source", NOTEBOOK));
    sourceTree = tree(path.join(tmp, "source"));
    run = await tool("student.mjs", ["--source", path.join(tmp, "source"), "--out", path.join(tmp, "student")]);
    student = readNb(path.join(tmp, "student", NOTEBOOK));
    source = readNb(SOURCE);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("builds the student edition and says what it holds", () => {
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("fixture-exercises.ipynb: 3 exercise(s) (fx-softmax: 2 pt, fx-bigrams: 3 pt, fx-perplexity: 2 pt), 1 open question(s)");
  });

  it("replaces each solution region by a stub that throws 'not implemented yet', keeping the signature", () => {
    for (const [id, signature, secret] of [
      ["fx-softmax", "function softmax(scores: number[]): number[] {", "Math.exp(s - top)"],
      ["fx-bigrams", "function countBigrams(tokens: string[]): Map<string, number> {", "counts.set(key"],
      ["fx-perplexity", "function perplexity(probs: number[]): number {", "Math.log(p)"],
    ]) {
      const cell = text(byId(student, id));
      expect(cell).toContain(signature);
      expect(cell).toContain(`  throw new Error("not implemented yet: ${id}");`);
      expect(cell).not.toContain(secret);
      expect(text(byId(source, id))).toContain(secret);
    }
  });

  it("removes the hidden tests and keeps the visible ones", () => {
    const all = student.cells.map(text).join("\n");
    expect(all).not.toMatch(/HIDDEN TESTS|BEGIN SOLUTION|END SOLUTION/);
    expect(all).not.toContain("softmax([1000, 1000])");
    expect(all).not.toContain('countBigrams(["ishmael"])');
    expect(text(byId(student, "fx-softmax-tests"))).toContain('check(p.length === 3, "softmax([1, 2, 3]) should have 3 entries");');
    expect(text(byId(student, "fx-bigrams-tests-edges"))).toContain("no tokens, no bigrams");
  });

  it("hides the model answer of the open question", () => {
    expect(text(byId(student, "fx-q-shift"))).toBe("YOUR ANSWER HERE");
    expect(text(byId(source, "fx-q-shift"))).toContain("Multiplying every");
  });

  it("clears outputs and keeps every cell's nbgrader metadata (nbgrader can take the notebook as it is)", () => {
    expect(student.cells).toHaveLength(source.cells.length);
    student.cells.forEach((c, i) => {
      expect(c.metadata.nbgrader).toEqual(source.cells[i].metadata.nbgrader);
      if (c.cell_type === "code") {
        expect(c.outputs).toEqual([]);
        expect(c.execution_count).toBeNull();
      }
    });
  });

  it("never touches the source notebooks", () => {
    expect(tree(path.join(tmp, "source"))).toEqual(sourceTree);
  });

  it("refuses to write into notebooks/ or into the source folder", async () => {
    const before = tree(path.join(ROOT, "notebooks"));
    const intoNotebooks = await tool("student.mjs", ["--out", path.join(ROOT, "notebooks", "student")]);
    expect(intoNotebooks.status).toBe(2);
    expect(intoNotebooks.stderr).toMatch(/must not be written into notebooks/);
    expect(existsSync(path.join(ROOT, "notebooks", "student"))).toBe(false);
    expect(tree(path.join(ROOT, "notebooks"))).toEqual(before);
    const intoSource = await tool("student.mjs", ["--source", path.join(tmp, "source"), "--out", path.join(tmp, "source")]);
    expect(intoSource.status).toBe(2);
    expect(tree(path.join(tmp, "source"))).toEqual(sourceTree);
  });

  it("rejects a source that breaks the convention, naming the cell and the problem, and builds nothing from it", async () => {
    const bad = path.join(tmp, "bad");
    mkdirSync(bad);
    const variants: Record<string, (nb: Notebook) => void> = {
      "unclosed.ipynb": (nb) => (byId(nb, "fx-softmax").source = text(byId(nb, "fx-softmax")).replace("  // END SOLUTION\n", "")),
      "no-points.ipynb": (nb) => delete byId(nb, "fx-bigrams-tests").metadata.nbgrader!.points,
      "orphan-test.ipynb": (nb) => (byId(nb, "fx-perplexity-tests").metadata.nbgrader!.grade_id = "perplexity-check"),
      "hidden-in-solution.ipynb": (nb) => (byId(nb, "fx-softmax").source = text(byId(nb, "fx-softmax")) + "\n// BEGIN HIDDEN TESTS\n// END HIDDEN TESTS"),
    };
    for (const [name, change] of Object.entries(variants)) {
      const nb = readNb(SOURCE);
      change(nb);
      writeFileSync(path.join(bad, name), JSON.stringify(nb));
    }
    const r = await tool("student.mjs", ["--source", bad, "--out", path.join(tmp, "bad-out")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unclosed\.ipynb, cell 5: 'BEGIN SOLUTION' on line 3 is never closed by 'END SOLUTION'/);
    expect(r.stderr).toMatch(/no-points\.ipynb, cell 9: the test cell 'fx-bigrams-tests' needs positive points/);
    expect(r.stderr).toMatch(/orphan-test\.ipynb: the test cell 'perplexity-check' belongs to no exercise/);
    expect(r.stderr).toMatch(/orphan-test\.ipynb: the solution cell 'fx-perplexity' has no test cell/);
    expect(r.stderr).toMatch(/hidden-in-solution\.ipynb, cell 5: 'BEGIN HIDDEN TESTS' markers are only allowed in test cells/);
    expect(existsSync(path.join(tmp, "bad-out")) ? readdirSync(path.join(tmp, "bad-out")) : []).toEqual([]);
  });

  it("builds the student edition of the course's own lessons (every lesson follows the convention)", async () => {
    const r = await tool("student.mjs", ["--out", path.join(tmp, "course")]);
    expect(r.status, r.stderr).toBe(0);
    const lessons = readdirSync(path.join(ROOT, "notebooks")).filter((f) => f.endsWith(".ipynb"));
    expect(readdirSync(path.join(tmp, "course")).sort()).toEqual(lessons.sort());
  });

  it("the committed fixture submissions are what submissions.mjs derives from the current source", async () => {
    const { writeSubmissions } = await load("test/fixtures/exercises/submissions.mjs");
    writeSubmissions(path.join(tmp, "derived"));
    expect(tree(path.join(tmp, "derived"))).toEqual(tree(path.join(FIXTURES, "submissions")));
    // The untouched one is exactly the student edition.
    expect(readFileSync(path.join(tmp, "derived", "untouched", NOTEBOOK), "utf8")).toBe(readFileSync(path.join(tmp, "student", NOTEBOOK), "utf8"));
  });
});

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

describe("npm run grade (slow: executes a dozen notebooks)", () => {
  let tmp: string;
  let instructor: string;
  let grades: string;
  let before: Record<string, string>;
  let run: Run;
  let unisolated: Run;
  let report: { grader: { isolation: string }; submissions: SubmissionResult[] };
  let sandboxed = false;
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

    const { detectIsolation } = await load("tools/exercises/isolation.mjs");
    // Without a sandbox the grader refuses to grade unless told --isolation none (test/grader-attacks.test.ts).
    sandboxed = await detectIsolation().then((i: { mode: string }) => i.mode !== "none", () => false);
    const args = [
      ...(sandboxed ? [] : ["--isolation", "none"]),
      "--source", path.join(instructor, "source"), "--out", grades, "--jobs", "2",
      "--cell-timeout", String(LIMITS.cellTimeout), "--time-limit", String(LIMITS.timeLimit), "--memory", String(LIMITS.memoryMb),
    ];
    // Without a sandbox the two file-system attacks would succeed (on the copies): leave them out.
    const students = readdirSync(submissions).filter((s) => sandboxed || !["read-hidden-tests", "delete-files"].includes(s));
    // Meanwhile, the instructor's solutions once more without any isolation (how the grader degrades).
    [run, unisolated] = await Promise.all([
      tool("grade.mjs", [...args, ...students.map((s) => path.join(submissions, s))]),
      tool("grade.mjs", ["--isolation", "none", "--source", path.join(instructor, "source"), "--out", path.join(tmp, "grades-none"), path.join(submissions, "zz-solutions")]),
    ]);
    report = JSON.parse(readFileSync(path.join(grades, "grades.json"), "utf8"));
  }, 600_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("finishes, and grades every submission", () => {
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(report.submissions.length).toBe(sandboxed ? 9 : 7);
    console.log(`npm run grade: ${report.submissions.length} submissions in ${run.seconds.toFixed(1)} s (isolation: ${report.grader.isolation})`);
  });

  it("isolates the kernels in the sandbox when running as root", () => {
    if (process.getuid?.() === 0) expect(report.grader.isolation).toBe("sandbox");
    expect(run.stdout).toMatch(/^Isolation: /m);
  });

  it("also has a sandbox for graders who are not root, in a user namespace, where the machine allows them", async () => {
    if (!sandboxed) return;
    const { detectIsolation } = await load("tools/exercises/isolation.mjs");
    expect((await detectIsolation("userns")).mode).toBe("sandbox-userns");
  });

  it("without isolation (asked for) still grades, and says loudly that student code can reach the instructor's files", () => {
    expect(unisolated.status, unisolated.stdout + unisolated.stderr).toBe(0);
    expect(unisolated.stdout).toMatch(/^Isolation: NONE \(--isolation none\): student code runs with your user's rights/m);
    expect(unisolated.stderr).toMatch(/^!!! WARNING: --isolation none: THE SUBMISSIONS RUN WITHOUT ANY SANDBOX\./m);
    expect(unisolated.stdout).toMatch(/fixture-exercises\.ipynb \(fixture-exercises\.ipynb\): 7\/7/);
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
    if (!sandboxed) return; // left out above: there is no sandbox on this machine
    expect(points("read-hidden-tests")).toEqual({ "fx-softmax": 2, "fx-bigrams": 0, "fx-perplexity": 2 });
    expect(exercise("read-hidden-tests", "fx-bigrams").message).toMatch(/ENOENT: no such file or directory, open '.*fixture-exercises\.ipynb'/);
    const executed = readNb(path.join(grades, "executed", "read-hidden-tests", NOTEBOOK));
    expect(executed.cells.map(outputText).join("")).not.toContain("LEAKED");
  });

  it("keeps the instructor's files out of reach: deleting and overwriting them fails, the folder stays byte-identical", () => {
    if (sandboxed) {
      expect(points("delete-files")).toEqual({ "fx-softmax": 2, "fx-bigrams": 3, "fx-perplexity": 0 });
      expect(exercise("delete-files", "fx-perplexity").message).toMatch(/ENOENT|EACCES|EROFS|EPERM/);
    }
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
