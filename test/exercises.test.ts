// The exercise tools (tools/exercises/, docs/exercises.md): the convention
// checks, `npm run student`, and `npm run grade` with Node alone: no Python,
// no sandbox (--isolation none, as on a machine without Linux namespaces or
// iproute2), on three submissions. The grader in its sandbox, against sloppy
// and hostile submissions, is test/grader.full.test.ts (`npm run test:full`).
//
// SLOW-ish: the "npm run grade" block starts four tslab kernels, two at a time
// (about a minute on a 2-core machine). Everything it grades is a COPY in a
// temporary folder.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn } from "child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "fs";
import os from "os";
import path from "path";
import { pathToFileURL } from "url";
import { type GradedNotebook as Notebook, text, byId, outputText, readNb, tree } from "./notebook-helpers";

const ROOT = path.join(__dirname, "..");
const FIXTURES = path.join(ROOT, "test", "fixtures", "exercises");
const SOURCE = path.join(FIXTURES, "source", "fixture-exercises.ipynb");
const NOTEBOOK = "fixture-exercises.ipynb";

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
}
/** Runs a tool asynchronously (vitest's timeouts keep working while it runs). */
function tool(script: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [path.join(ROOT, "tools", "exercises", script), ...args], { cwd: ROOT, env });
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


interface SubmissionResult {
  submission: string;
  status: string;
  points: number;
  max_points: number;
  restarts?: number;
  exercises: { exercise: string; points: number; status: string; message: string }[];
  executed?: string;
}

describe("npm run grade with Node alone, without a sandbox (--isolation none)", () => {
  let tmp: string;
  let grades: string;
  let run: Run;
  let report: { grader: { isolation: string }; submissions: SubmissionResult[] };
  const result = (student: string) => report.submissions.find((s) => s.submission === `${student}/${NOTEBOOK}`)!;
  const points = (student: string) => Object.fromEntries(result(student).exercises.map((e) => [e.exercise, e.points]));

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), "rnn-grade-node-test-"));
    // A PATH with Node and nothing else: no python3, no jupyter, no unshare or ip on it.
    const bin = path.join(tmp, "bin");
    mkdirSync(bin);
    symlinkSync(process.execPath, path.join(bin, "node"));
    mkdirSync(path.join(tmp, "source"));
    cpSync(SOURCE, path.join(tmp, "source", NOTEBOOK));
    const submissions = path.join(tmp, "submissions");
    for (const student of ["untouched", "process-exit"]) {
      mkdirSync(path.join(submissions, student), { recursive: true });
      cpSync(path.join(FIXTURES, "submissions", student, NOTEBOOK), path.join(submissions, student, NOTEBOOK));
    }
    mkdirSync(path.join(submissions, "solutions"));
    cpSync(SOURCE, path.join(submissions, "solutions", NOTEBOOK));
    grades = path.join(tmp, "grades");
    run = await tool(
      "grade.mjs",
      ["--isolation", "none", "--source", path.join(tmp, "source"), "--out", grades, "--jobs", "2", "--cell-timeout", "30", "--time-limit", "120", submissions],
      { PATH: bin, HOME: tmp },
    );
    report = JSON.parse(readFileSync(path.join(grades, "grades.json"), "utf8"));
  }, 300_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("grades every submission and exits 0, after saying loudly that student code can reach the instructor's files", () => {
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(report.grader.isolation).toBe("none");
    expect(report.submissions.map((s) => [s.submission, s.status])).toEqual([
      [`process-exit/${NOTEBOOK}`, "graded"],
      [`solutions/${NOTEBOOK}`, "graded"],
      [`untouched/${NOTEBOOK}`, "graded"],
    ]);
    expect(run.stdout).toMatch(/^Isolation: NONE \(--isolation none\): student code runs with your user's rights/m);
    expect(run.stderr).toMatch(/^!!! WARNING: --isolation none: THE SUBMISSIONS RUN WITHOUT ANY SANDBOX\./m);
  });

  it("gives the instructor's own solutions full marks, and the untouched student edition zero with 'not implemented yet'", () => {
    expect(points("solutions")).toEqual({ "fx-softmax": 2, "fx-bigrams": 3, "fx-perplexity": 2 });
    expect(run.stdout).toMatch(/solutions\/fixture-exercises\.ipynb \(fixture-exercises\.ipynb\): 7\/7/);
    for (const e of result("untouched").exercises) expect([e.points, e.status, e.message]).toEqual([0, "failed", `Error: not implemented yet: ${e.exercise}`]);
  });

  it("survives process.exit() in a solution cell: the kernel is restarted once, that exercise scores zero, the others full", () => {
    expect(points("process-exit")).toEqual({ "fx-softmax": 2, "fx-bigrams": 0, "fx-perplexity": 2 });
    expect(result("process-exit").restarts).toBe(1);
    const bigrams = result("process-exit").exercises.find((e) => e.exercise === "fx-bigrams")!;
    expect(bigrams).toMatchObject({ status: "died", message: expect.stringMatching(/kernel died .*process\.exit/) });
    // The executed notebook says the cell that killed the kernel was not run again.
    const executed = readNb(path.join(grades, result("process-exit").executed!));
    expect(outputText(byId(executed, "fx-bigrams"))).toContain("; not run again]");
  });
});
