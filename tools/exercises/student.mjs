// `npm run student`: builds the student edition of the course into a separate
// folder. Solution regions become a stub that throws "not implemented yet",
// hidden tests are removed, visible tests stay, outputs are cleared. The
// source notebooks are only read. docs/exercises.md explains the convention.
//
//   npm run student                         every lesson of notebooks/ into build/student/
//   npm run student -- 01 02                the lessons whose file name starts with 01, 02
//   npm run student -- --out DIR            another output folder (never notebooks/)
//   npm run student -- --source DIR         take the source notebooks from DIR
//   npm run student -- path/to/x.ipynb      one notebook given by its path
import { mkdirSync, readdirSync, writeFileSync, existsSync, statSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { ROOT, realPath, isInside } from "../jupyter.mjs";
import { readNotebook, formatNotebook, NotebookError } from "../notebooks.mjs";
import { studentEdition } from "./notebook.mjs";
import { courseLessons, LessonListError } from "../lessons.mjs";
import { helpText, isParseArgsError } from "../cli.mjs";

class UsageError extends Error {}

const NOTEBOOKS = path.join(ROOT, "notebooks");

/**
 * The source notebooks selected by the positionals: paths, or lesson name prefixes in the source folder.
 * @param {string[]} names
 * @param {string} sourceDir
 */
export function selectSources(names, sourceDir) {
  // In the course's own folder only its lessons (never a scratch notebook saved beside them).
  const listed = () =>
    realPath(sourceDir) === realPath(NOTEBOOKS) ? courseLessons(sourceDir).lessons : readdirSync(sourceDir).filter((f) => f.endsWith(".ipynb")).sort();
  if (names.length === 0) {
    if (!existsSync(sourceDir)) throw new UsageError(`no folder ${sourceDir}`);
    return listed().map((f) => path.join(sourceDir, f));
  }
  return names.map((name) => {
    if (name.endsWith(".ipynb") && existsSync(name) && statSync(name).isFile()) return path.resolve(name);
    const all = listed();
    const hits = all.filter((f) => f === name || f.startsWith(name));
    if (hits.length !== 1) {
      throw new UsageError(
        `'${name}' ${hits.length ? `matches several notebooks: ${hits.join(", ")}` : "matches no notebook"} in ${sourceDir}; there are: ${all.join(", ")}`,
      );
    }
    return path.join(sourceDir, hits[0]);
  });
}

/** @param {string[]} argv */
function main(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: "string", default: path.join(ROOT, "build", "student") },
      source: { type: "string", default: NOTEBOOKS },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(helpText(import.meta.url));
    return 0;
  }
  const sourceDir = path.resolve(values.source);
  const sources = selectSources(positionals, sourceDir);
  const out = path.resolve(values.out);
  const outReal = realPath(out);
  for (const forbidden of new Set([realPath(NOTEBOOKS), ...sources.map((s) => realPath(path.dirname(s)))])) {
    if (isInside(outReal, forbidden)) {
      throw new UsageError(`--out ${values.out}: the student edition must not be written into ${path.relative(process.cwd(), forbidden) || "."} (the source notebooks are never overwritten)`);
    }
  }
  mkdirSync(out, { recursive: true });
  let exercises = 0;
  let failed = 0;
  for (const file of sources) {
    const name = path.basename(file);
    try {
      const { nb, info } = studentEdition(readNotebook(file), name);
      writeFileSync(path.join(out, name), formatNotebook(nb));
      exercises += info.exercises.length;
      const what = info.exercises.length
        ? `${info.exercises.length} exercise(s) (${info.exercises.map((e) => `${e.name}: ${e.points} pt`).join(", ")})` +
          (info.answers.length ? `, ${info.answers.length} open question(s)` : "")
        : "no exercises";
      console.log(`${name}: ${what}`);
    } catch (e) {
      if (!(e instanceof NotebookError)) throw e;
      failed++;
      console.error(`${name}: not built:\n${e.message.split("\n").map((l) => `  ${l}`).join("\n")}`);
    }
  }
  const rel = path.relative(process.cwd(), out) || ".";
  console.log(`Student edition of ${sources.length - failed} notebook(s), ${exercises} exercise(s), in ${rel}/`);
  return failed ? 1 : 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError || e instanceof NotebookError || e instanceof LessonListError || isParseArgsError(e)) {
    console.error(`npm run student: ${e.message}`);
    process.exitCode = 2;
  } else {
    throw e;
  }
}
