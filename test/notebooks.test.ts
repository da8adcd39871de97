// The conventions every lesson notebook follows, checked on the committed
// sources (the runner and the student tools rely on them).
import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync } from "fs";
import path from "path";

const dir = path.join(__dirname, "..", "notebooks");
const files = readdirSync(dir).filter((f) => f.endsWith(".ipynb")).sort();

interface Cell {
  cell_type: string;
  source: string | string[];
  metadata: { tags?: string[] };
  outputs?: unknown[];
  execution_count?: number | null;
}
const text = (c: Cell) => ([] as string[]).concat(c.source).join("");

describe("lesson notebooks", () => {
  it("are numbered lessons 00, 01, ... with no gaps", () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
    files.forEach((f, i) => expect(f.slice(0, 2)).toBe(String(i).padStart(2, "0")));
  });

  describe.each(files)("%s", (file) => {
    const nb = JSON.parse(readFileSync(path.join(dir, file), "utf8"));
    const cells: Cell[] = nb.cells;

    it("is nbformat 4 with the course kernel", () => {
      expect(nb.nbformat).toBe(4);
      expect(nb.metadata.kernelspec.name).toBe("tslab-rnn-course");
    });

    it("is committed without outputs (executed copies are build products)", () => {
      for (const c of cells.filter((c) => c.cell_type === "code")) {
        expect(c.outputs, text(c).slice(0, 60)).toEqual([]);
        expect(c.execution_count ?? null).toBeNull();
      }
    });

    it("opens with a markdown title", () => {
      expect(cells[0].cell_type).toBe("markdown");
      expect(text(cells[0])).toMatch(/^# \S/);
    });

    it("has one parameters cell declaring `let quick` and `let seed`", () => {
      const params = cells.filter((c) => c.metadata.tags?.includes("parameters"));
      expect(params).toHaveLength(1);
      expect(params[0].cell_type).toBe("code");
      expect(text(params[0])).toMatch(/\blet quick\s*=\s*false\b/);
      expect(text(params[0])).toMatch(/\blet seed\s*=\s*\d+/);
    });
  });
});
