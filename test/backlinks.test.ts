// Every library export a lesson uses names that lesson in its doc comment
// ("Used in lessons 02 and 03."), the way d2l's library names the section
// that defined each function: a reader of the library finds where it is taught,
// and an author who starts using an export in a new lesson is told to say so.
import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { readNotebook, sourceText } from "../tools/notebooks.mjs";

const ROOT = path.join(__dirname, "..");
const LIB = path.join(ROOT, "lib", "src");
const NAMESPACES = ["nn", "lm", "analysis", "ngram", "text", "data", "plot"] as const;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** The doc comment right above the first `export … name` in `files`, or null when the name is not declared there. */
function docComment(files: string[], name: string): { file: string; comment: string } | null {
  const declaration = new RegExp(`^export (?:declare )?(?:abstract )?(?:async )?(?:function|class|const|let|interface|type|enum) ${name}\\b`, "m");
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const m = declaration.exec(text);
    if (!m) continue;
    const before = text.slice(0, m.index).trimEnd();
    const comment = before.endsWith("*/") ? before.slice(before.lastIndexOf("/**")) : "";
    return { file: path.relative(ROOT, file), comment };
  }
  return null;
}

/** (namespace or "" for top level, export name) → the lessons whose code cells use it. */
function libraryUses(): Map<string, Set<string>> {
  const uses = new Map<string, Set<string>>();
  const add = (key: string, lesson: string) => (uses.get(key) ?? uses.set(key, new Set()).get(key)!).add(lesson);
  for (const file of readdirSync(path.join(ROOT, "notebooks")).filter((f) => /^\d\d-.*\.ipynb$/.test(f)).sort()) {
    const lesson = file.slice(0, 2);
    for (const cell of readNotebook(path.join(ROOT, "notebooks", file)).cells) {
      if (cell.cell_type !== "code") continue;
      const src = sourceText(cell);
      for (const m of src.matchAll(/\b(nn|lm|analysis|ngram|text|data|plot)\.([A-Za-z_]\w*)/g)) add(`${m[1]}.${m[2]}`, lesson);
      for (const m of src.matchAll(/import\s*\{([^}]*)\}\s*from\s*"@rnn-course\/lib"/g)) {
        for (const n of m[1].split(",").map((s) => s.trim()).filter((s) => s && !(NAMESPACES as readonly string[]).includes(s))) add(`.${n}`, lesson);
      }
    }
  }
  return uses;
}

describe("library exports name the lessons that use them", () => {
  const files = {
    "": sources(LIB).filter((f) => path.dirname(f) === LIB || f.includes(`${path.sep}compute${path.sep}backend.ts`)),
    ...Object.fromEntries(NAMESPACES.map((ns) => [ns, sources(path.join(LIB, ns))])),
  } as Record<string, string[]>;

  it("finds the doc comment above a declaration, and none for a name not declared", () => {
    expect(docComment(files[""], "Random")?.comment).toMatch(/^\/\*\*/);
    expect(docComment(files.nn, "NoSuchExport")).toBeNull();
  });

  it("every export a lesson uses names each of those lessons", () => {
    const missing: string[] = [];
    for (const [key, lessons] of libraryUses()) {
      const [ns, name] = key.split(".");
      const found = docComment(files[ns], name);
      if (!found) continue; // `matrix.data.set(…)` and the like: not a library export
      const from = found.comment.search(/\blessons?\b/);
      const absent = [...lessons].filter((l) => from < 0 || !new RegExp(`\\b${l}\\b`).test(found.comment.slice(from)));
      if (absent.length) missing.push(`${ns ? ns + "." : ""}${name} (${found.file}): lesson ${absent.join(", ")}`);
    }
    expect(missing, `add "Used in lesson NN." to these doc comments`).toEqual([]);
  });
});
