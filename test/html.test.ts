// The HTML export of executed notebooks (tools/html.mjs), which replaced
// nbconvert's: markdown rendered with the math left verbatim for whatever
// typesets the page, each output in the richest form a page shows, text
// escaped, nothing fetched from the network.
import { describe, it, expect } from "vitest";
import { renderMarkdown, renderOutput, renderCell, notebookToHtml } from "../tools/html.mjs";
import type { Notebook } from "../tools/notebooks.mjs";

describe("renderMarkdown", () => {
  it("keeps math verbatim: underscores, asterisks and backslashes inside $…$ are not markdown", () => {
    expect(renderMarkdown("The sum $a_1 * b_2 + c_3 * d$ is *small*.")).toBe(
      '<p>The sum <span class="math inline">$a_1 * b_2 + c_3 * d$</span> is <em>small</em>.</p>\n',
    );
    expect(renderMarkdown("$$\n\\begin{aligned}\nx &= 1 \\\\\ny &< 2\n\\end{aligned}\n$$")).toBe(
      '<div class="math display">$$\\begin{aligned}\nx &amp;= 1 \\\\\ny &amp;&lt; 2\n\\end{aligned}\n$$</div>\n',
    );
  });

  it("renders tables, code, headings with nbconvert's ids, and escapes what is not HTML", () => {
    const html = renderMarkdown("## Two words\n\n| a | b |\n|---|---|\n| `<unk>` | $x_t$ |");
    expect(html).toContain('<h2 id="Two-words">Two words</h2>');
    expect(html).toContain("<td><code>&lt;unk&gt;</code></td>");
    expect(html).toContain('<td><span class="math inline">$x_t$</span></td>');
  });

  it("puts a cell's attachments inline", () => {
    const html = renderMarkdown("![a figure](attachment:f.png)", { "f.png": { "image/png": "iVBOR\nw0=" } });
    expect(html).toContain('src="data:image/png;base64,iVBORw0="');
  });
});

describe("renderOutput", () => {
  it("prefers HTML over plain text, as nbconvert does, and keeps it as it is", () => {
    const claim = '<div class="rnn-course-claim" data-status="held">✔ held</div>';
    const html = renderOutput({ output_type: "display_data", metadata: {}, data: { "text/plain": "✔ held", "text/html": claim, "application/vnd.rnn-course.claim+json": {} } });
    expect(html).toContain(claim);
    expect(html).toContain('data-mime-type="text/html"');
    expect(html).not.toContain("<pre>");
  });

  it("shows a PNG as an image and plain text escaped", () => {
    expect(renderOutput({ output_type: "display_data", metadata: {}, data: { "image/png": "AAAA\n", "text/plain": "<Figure>" } })).toContain(
      '<img src="data:image/png;base64,AAAA" alt="">',
    );
    expect(renderOutput({ output_type: "execute_result", execution_count: 3, metadata: {}, data: { "text/plain": "a < b" } })).toBe(
      '<div class="output" data-mime-type="text/plain"><div class="prompt">Out[3]:</div><div class="output-body"><pre>a &lt; b</pre></div></div>',
    );
  });

  it("shows streams and errors without terminal colour codes", () => {
    expect(renderOutput({ output_type: "stream", name: "stderr", text: ["\x1b[31mred\x1b[0m <b>\n"] })).toBe(
      '<div class="output stream stderr"><pre>red &lt;b&gt;\n</pre></div>',
    );
    expect(renderOutput({ output_type: "error", ename: "Error", evalue: "boom", traceback: [] })).toBe('<div class="output error"><pre>Error: boom</pre></div>');
  });
});

describe("notebookToHtml", () => {
  it("gives every code cell its prompt and source, and the page needs no network", () => {
    const nb: Notebook = {
      nbformat: 4,
      metadata: {},
      cells: [
        { cell_type: "markdown", source: ["# Title\n", "Some $x$."] },
        { cell_type: "code", execution_count: 2, source: "const a = 1 < 2;", outputs: [{ output_type: "stream", name: "stdout", text: "true\n" }] },
        { cell_type: "code", execution_count: null, source: "", outputs: [] },
      ],
    };
    expect(renderCell(nb.cells[1])).toContain('<div class="prompt">In&nbsp;[2]:</div><pre class="source"><code class="language-typescript">const a = 1 &lt; 2;</code></pre>');
    expect(renderCell(nb.cells[2])).toContain("In&nbsp;[&nbsp;]:");
    const page = notebookToHtml(nb, { title: "00-x & y" });
    expect(page).toContain("<title>00-x &amp; y</title>");
    expect(page).toContain('<h1 id="Title">Title</h1>');
    expect(page).not.toMatch(/(src|href)="(https?:|file:|\/\/)/);
  });
});
