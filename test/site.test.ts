// `npm run site` (tools/site.mjs), what needs no browser: math left by the
// HTML export typeset by KaTeX, the inline copy of plotly.js taken out of
// outputs, which student runs a site accepts. The built site in headless
// Chromium is test/site.full.test.ts (`npm run test:full`).
import { describe, it, expect } from "vitest";
import { withoutLibrary, stoppedAtExercise, ranToTheEnd, PLOTLY_MIME, LIBRARY_MARKER, FIGURE_CLASS } from "../tools/site.mjs";
import { typesetMath } from "../tools/math.mjs";
import { renderMarkdown } from "../tools/html.mjs";
import { PLOTLY_MIME as LIB_PLOTLY_MIME } from "../lib/src/plot/figure";
import { LIBRARY_MARKER as LIB_MARKER, figureBundle } from "../lib/src/plot/display";
import { FIGURE_CLASS as LIB_FIGURE_CLASS } from "../lib/src/constants";
import { lines } from "../lib/src/plot/lines";

describe("math on a page", () => {
  it("is typeset by KaTeX from what the HTML export leaves, underscores and escapes intact", () => {
    const errors: Parameters<typeof typesetMath>[1] = [];
    const html = typesetMath(
      renderMarkdown("A *word*, $h_t = \\tanh(W_h h_{t-1})$, $a < b$, money ($5 and $6) and\n$$\n\\frac{a_1}{b_2}\n$$\n"),
      errors,
    );
    expect(errors).toEqual([]);
    expect(html).toContain("<em>word</em>");
    expect(html).toContain('<annotation encoding="application/x-tex">h_t = \\tanh(W_h h_{t-1})</annotation>');
    expect(html).toContain('<annotation encoding="application/x-tex">a &lt; b</annotation>');
    expect(html).toContain('<div class="math-display"><span class="katex-display">');
    expect(html).toContain('<annotation encoding="application/x-tex">\\frac{a_1}{b_2}</annotation>');
    expect(html).toContain("($5 and $6)");
    expect(html.match(/class="katex"/g)).toHaveLength(3); // two inline, one display
  });

  it("reports a formula KaTeX refuses and shows it as its source", () => {
    const errors: Parameters<typeof typesetMath>[1] = [];
    const html = typesetMath(renderMarkdown("Fine $x$, broken $\\notacommand{x}$."), errors);
    expect(errors.map((e) => [e.tex, e.display])).toEqual([["\\notacommand{x}", false]]);
    expect(html).toContain('<code class="math-error"');
    expect(html.match(/class="katex"/g)).toHaveLength(1);
  });
});

describe("outputs on the site", () => {
  it("share the library's names for figures", () => {
    expect([PLOTLY_MIME, LIBRARY_MARKER, FIGURE_CLASS]).toEqual([LIB_PLOTLY_MIME, LIB_MARKER, LIB_FIGURE_CLASS]);
  });

  it("lose the inline copy of plotly.js and keep the figure", () => {
    const fig = lines({ title: "t", series: [{ name: "a", x: [0, 1], y: [1, 2] }] });
    const withLib = String(figureBundle(fig, { includeLibrary: true })["text/html"]);
    const without = String(figureBundle(fig, { includeLibrary: false })["text/html"]);
    expect(withLib.length).toBeGreaterThan(4_000_000);
    const stripped = withoutLibrary(withLib);
    expect(stripped).not.toContain(LIBRARY_MARKER);
    // The same figure without the library, up to the figure's own id.
    expect(stripped.replace(/rnn-course-fig-\d+-\d+/g, "ID")).toBe(without.replace(/rnn-course-fig-\d+-\d+/g, "ID"));
  });

  it("of a student run that stopped at an exercise's stub are accepted, other failures not", () => {
    const stub = {
      cell_type: "code" as const, source: "", metadata: { nbgrader: { solution: true, grade_id: "01-x" } },
      outputs: [{ output_type: "error", ename: "Error", evalue: "not implemented yet: 01-x", traceback: [] }],
    };
    const other = { ...stub, outputs: [{ output_type: "error", ename: "TypeError", evalue: "x is undefined", traceback: [] }] };
    expect(stoppedAtExercise({ cells: [{ cell_type: "markdown", source: "# T" }, stub] })).toBe(true);
    expect(stoppedAtExercise({ cells: [other] })).toBe(false);
    expect(stoppedAtExercise({ cells: [{ ...stub, metadata: {} }] })).toBe(false);
    expect(stoppedAtExercise({ cells: [{ cell_type: "code", source: "1", outputs: [] }] })).toBe(false);
    // A stub that defines a function throws in the cell that calls it: accepted when the id is this notebook's exercise.
    const defined = { ...stub, outputs: [] };
    const caller = { cell_type: "code" as const, source: "f()", metadata: {}, outputs: stub.outputs };
    expect(stoppedAtExercise({ cells: [defined, caller] })).toBe(true);
    expect(stoppedAtExercise({ cells: [{ ...defined, metadata: { nbgrader: { solution: true, grade_id: "01-y" } } }, caller] })).toBe(false);
    // As tslab reports it: the error on stderr, the runner's record in the notebook's metadata.
    const quiet = { cell_type: "code" as const, source: "f()", metadata: {}, outputs: [] };
    const record = (message: string) => ({ "rnn-course-run": { status: "failed", cell: 2, message } });
    expect(stoppedAtExercise({ metadata: record("01.ipynb: code cell 2 failed: Error: not implemented yet: 01-x"), cells: [defined, quiet] })).toBe(true);
    expect(stoppedAtExercise({ metadata: record("01.ipynb: code cell 2 failed: Error: not implemented yet: 01-z"), cells: [defined, quiet] })).toBe(false);
    expect(stoppedAtExercise({ metadata: record("01.ipynb: code cell 2 failed: TypeError: x is undefined"), cells: [defined, quiet] })).toBe(false);
  });

  it("of a run that failed only claims are accepted when every cell ran; a run cut short is not", () => {
    const ran = (n: number | null) => ({ cell_type: "code" as const, source: "f()", execution_count: n, outputs: [] });
    expect(ranToTheEnd({ cells: [{ cell_type: "markdown", source: "# T" }, ran(1), ran(2), { cell_type: "code", source: "  ", outputs: [] }] })).toBe(true);
    expect(ranToTheEnd({ cells: [ran(1), ran(null)] })).toBe(false);
    expect(ranToTheEnd({ cells: [ran(1), { ...ran(2), outputs: [{ output_type: "error", ename: "E", evalue: "x", traceback: [] }] }] })).toBe(false);
  });
});
