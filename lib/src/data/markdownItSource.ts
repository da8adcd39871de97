/**
 * Source code with nested brackets, for character models: the JavaScript
 * sources of markdown-it (Vitaly Puzrin, Alex Kocharin; MIT licence), which
 * the course installs anyway (its HTML export renders markdown with it).
 * Nothing is downloaded.
 *
 * What is read: every `.mjs` file under the package's `lib/` folder, in
 * sorted path order, kept only when its brackets ( ) [ ] { } pair up
 * character by character, counted everywhere (strings, regular expressions
 * and comments too). A few files open a bracket inside a regular
 * expression or a comment that they never close there (`/\[/`, a markdown
 * example in a comment); leaving them out makes the bracket depth of every
 * kept character exact, with no parser of JavaScript in between.
 *
 * Split: every fifth kept file (the 5th, 10th, … in sorted order) is
 * held out, so held-out code is whole files the model never read.
 */
import * as fs from "fs";
import * as path from "path";

/** One source file of the corpus. Used in lesson 10. */
export interface SourceFile {
  /** Path inside the package, with forward slashes, e.g. `lib/rules_block/code.mjs`. */
  path: string;
  /** The file's text as it ships (newlines `\n`). */
  text: string;
  /** Which side of the split it is on. */
  split: "train" | "heldout";
}

/** Every fifth kept file is held out. */
export const MARKDOWN_IT_HELD_OUT_EVERY = 5;

/** The folder of the installed markdown-it package. */
export function markdownItDir(): string {
  let manifest: string;
  try {
    manifest = require.resolve("markdown-it/package.json");
  } catch {
    throw new Error("markdownItSources: the npm package markdown-it is not installed (it is a dependency of the course: run npm install at the top of the repository)");
  }
  return path.dirname(manifest);
}

/** True when every closing bracket closes the innermost open one of its kind and none is left open. */
export function bracketsPairUp(text: string): boolean {
  const opener: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  const stack: string[] = [];
  for (const c of text) {
    if (c === "(" || c === "[" || c === "{") stack.push(c);
    else if (c in opener && stack.pop() !== opener[c]) return false;
  }
  return stack.length === 0;
}

let cache: SourceFile[] | null = null;

/**
 * The kept source files of markdown-it's `lib/` (see the module comment),
 * in sorted path order, each with its side of the split.
 * Used in lesson 10.
 */
export function markdownItSources(): SourceFile[] {
  if (cache !== null) return cache.map((f) => ({ ...f }));
  const root = markdownItDir();
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      if (fs.statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".mjs")) files.push(full);
    }
  };
  const lib = path.join(root, "lib");
  if (!fs.existsSync(lib)) throw new Error(`markdownItSources: ${lib} does not exist; this version of markdown-it ships no lib/ sources`);
  walk(lib);
  const kept = files
    .map((full) => ({ path: path.relative(root, full).split(path.sep).join("/"), text: fs.readFileSync(full, "utf8").replace(/\r\n/g, "\n") }))
    .filter((f) => bracketsPairUp(f.text));
  if (kept.length < MARKDOWN_IT_HELD_OUT_EVERY) throw new Error(`markdownItSources: only ${kept.length} source files of ${lib} have brackets that pair up; expected dozens`);
  cache = kept.map((f, i) => ({ ...f, split: (i + 1) % MARKDOWN_IT_HELD_OUT_EVERY === 0 ? "heldout" : "train" }));
  return cache.map((f) => ({ ...f }));
}

/**
 * The files of one side of the split (or `"all"`), joined in order with a
 * blank line between files. Each file's brackets pair up, so the joined
 * text's do too.
 * Used in lesson 10.
 */
export function markdownItText(split: "train" | "heldout" | "all"): string {
  if (split !== "train" && split !== "heldout" && split !== "all") {
    throw new Error(`markdownItText: split must be "train", "heldout" or "all", got ${JSON.stringify(split)}`);
  }
  return markdownItSources()
    .filter((f) => split === "all" || f.split === split)
    .map((f) => f.text.replace(/\n+$/, ""))
    .join("\n\n");
}
