// The course runner collects the claims of an executed notebook
// (test/fixtures/claims/): it names each failed claim with its notebook and
// code cell, records every claim in build/manifest.json and on the index
// page, and exits non-zero once the build is written.
//
// SLOW-ish: one short notebook run through Jupyter and tslab (about 10 s).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "fs";
import os from "os";
import path from "path";

const ROOT = path.join(__dirname, "..");
const FIXTURES = path.join(ROOT, "test", "fixtures", "claims");

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}
interface ManifestClaim {
  statement: string;
  status: string;
  measured: string | number;
  fullSizeOnly: boolean;
  cell: number;
}

function runCourse(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, "tools", "course.mjs"), ...args], { cwd: ROOT });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("npm run course on a notebook with claims", () => {
  let out: string;
  let run: Run;

  beforeAll(async () => {
    out = mkdtempSync(path.join(os.tmpdir(), "rnn-claims-test-"));
    run = await runCourse(["--notebooks", FIXTURES, "--quick", "--out", out]);
  }, 180_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("exits non-zero because a claim failed, after writing the build", () => {
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).not.toContain("stopped");
    for (const f of ["claims-fixture.ipynb", "claims-fixture.html", "manifest.json", "index.html"]) expect(existsSync(path.join(out, f)), f).toBe(true);
  });

  it("prints the counts and names the failed claim with its notebook and code cell (not shifted by the injected parameters)", () => {
    expect(run.stdout).toContain("claims: 1 held, 1 failed, 1 not checked in quick mode");
    expect(run.stdout).toContain("claims-fixture.ipynb, code cell 4: two times three is seven  (measured: 2 × 3 = 6)");
    expect(run.stdout).toContain("0 passed, 1 failed");
    expect(run.stdout).not.toMatch(/FAILED: two plus two|FAILED: a full-size run/);
  });

  it("lists every claim with its status in manifest.json", () => {
    const manifest = JSON.parse(readFileSync(path.join(out, "manifest.json"), "utf8"));
    const claims: ManifestClaim[] = manifest["claims-fixture"].claims;
    expect(claims).toEqual([
      { statement: "two plus two is four", status: "held", measured: 4, fullSizeOnly: false, cell: 3 },
      { statement: "two times three is seven", status: "failed", measured: "2 × 3 = 6", fullSizeOnly: false, cell: 4 },
      { statement: "a full-size run takes a thousand steps", status: "not-checked", measured: 10, fullSizeOnly: true, cell: 5 },
    ]);
  });

  it("shows the counts and the failed claim on the index page", () => {
    const index = readFileSync(path.join(out, "index.html"), "utf8");
    expect(index).toContain('<td class="failed">1 held, 1 failed, 1 not checked in quick mode</td>');
    expect(index).toMatch(/<h2 class="failed">Failed claims<\/h2>[\s\S]*claims-fixture<\/a>, code cell 4: two times three is seven/);
  });

  it("shows each claim as a coloured line in the HTML export", () => {
    const html = readFileSync(path.join(out, "claims-fixture.html"), "utf8");
    for (const status of ["held", "failed", "not-checked"]) expect(html).toContain(`class="rnn-course-claim" data-status="${status}"`);
  });
});
