// The trusted half of `npm run grade`: decides whether each test cell passes,
// in a process that no student code ever ran in.
//
// The student's kernel runs each test cell with the student's functions
// wrapped by a recorder (recorderSource below): every call prints one line
// `<marker> <json>` holding the arguments as the test passed them, the result
// (or the error thrown) and the arguments afterwards (for functions that work
// in place). Those lines are untrusted data: student code can print anything.
//
// This module runs the instructor's test cell again, here, with each student
// function replaced by a stub that answers from those records: the stub
// checks that the call it receives, computed here with this process's own
// intrinsics and library, is exactly the call the record names (same function,
// same arguments, encoded), and returns the recorded result, decoded into
// this process's objects. So the kernel only supplies answers to inputs this
// process chose; every check runs here. A record that is missing, malformed
// or names other arguments fails the test (the student's kernel did not
// answer the question asked).
//
//   node tools/exercises/replay.mjs < job.json     prints {"results": {...}}
// where job = { tests: [{ index, source, names, records }] } (ReplayJob).
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * @typedef {{ index: number, source: string, names: string[], records: string[] }} ReplayTest
 * @typedef {{ tests: ReplayTest[] }} ReplayJob
 * @typedef {{ status: "ok" | "failed", message: string, unanswered: boolean }} ReplayResult
 * @typedef {{ name: string, value?: unknown, args?: unknown, result?: unknown, threw?: unknown, after?: unknown }} RecordEntry
 */

const HERE = path.dirname(fileURLToPath(import.meta.url));

/**
 * The encoding of values shared by the recorder (in the kernel) and the
 * replay (here), as the source of one function `encode(value) -> JSON value`.
 * Tagged, so that what JSON cannot say survives: NaN, ±Infinity, -0,
 * undefined, Map, Set, typed arrays; objects of other classes and functions
 * are encoded by their kind only (the replay cannot use them as answers).
 */
export const ENCODE_SOURCE = `function encode(value) {
  const seen = new Set();
  const walk = (v, depth) => {
    if (depth > 64) throw new Error("nested more than 64 levels deep");
    if (typeof v === "number") {
      if (Number.isNaN(v)) return { $n: "NaN" };
      if (v === Infinity) return { $n: "Infinity" };
      if (v === -Infinity) return { $n: "-Infinity" };
      if (Object.is(v, -0)) return { $n: "-0" };
      return v;
    }
    if (typeof v === "string" || typeof v === "boolean" || v === null) return v;
    if (v === undefined) return { $u: 1 };
    if (typeof v === "bigint") return { $b: String(v) };
    if (typeof v === "function") return { $f: 1 };
    if (typeof v !== "object") return { $x: typeof v };
    if (seen.has(v)) return { $x: "cycle" };
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return { $t: Object.prototype.toString.call(v).slice(8, -1), v: Array.from(v, (x) => walk(Number(x), depth + 1)) };
      if (v instanceof Map) return { $m: Array.from(v, ([k, x]) => [walk(k, depth + 1), walk(x, depth + 1)]) };
      if (v instanceof Set) return { $s: Array.from(v, (x) => walk(x, depth + 1)) };
      if (v instanceof Error) return { $e: [String(v.name), String(v.message)] };
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return { $x: String(proto && proto.constructor && proto.constructor.name) };
      const o = {};
      for (const k of Object.keys(v)) o[k] = walk(v[k], depth + 1);
      return { $o: o };
    } finally {
      seen.delete(v);
    }
  };
  return walk(value, 0);
}`;

/** @type {(value: unknown) => unknown} */
const encode = new Function(`return (${ENCODE_SOURCE});`)();

/**
 * The recorder the grader puts in front of a test cell in the student's
 * kernel (TypeScript: tslab compiles it). `marker` starts each record line.
 * @param {string} marker
 */
export function recorderSource(marker) {
  return [
    `const __rnnGraderRecord = <T,>(name: string, f: T): T => {`,
    `  const encode = new Function(${JSON.stringify(`return (${ENCODE_SOURCE});`)})() as (v: unknown) => unknown;`,
    `  const emit = (entry: object) => console.log(${JSON.stringify(marker)} + " " + JSON.stringify(entry));`,
    `  if (typeof f !== "function") { emit({ name, value: encode(f) }); return f; }`,
    `  const g = (...args: unknown[]) => {`,
    `    const before = encode(args);`,
    `    let result: unknown;`,
    `    try { result = (f as unknown as (...a: unknown[]) => unknown)(...args); }`,
    `    catch (e) { emit({ name, args: before, threw: encode(e instanceof Error ? e : new Error(String(e))), after: encode(args) }); throw e; }`,
    `    emit({ name, args: before, result: encode(result), after: encode(args) });`,
    `    return result;`,
    `  };`,
    `  return g as unknown as T;`,
    `};`,
  ].join("\n");
}

/** @param {unknown} x @returns {x is Record<string, unknown>} */
const isRecord = (x) => typeof x === "object" && x !== null && !Array.isArray(x);

/** Thrown when an encoded value cannot be rebuilt here. */
class DecodeError extends Error {}

const TYPED = /** @type {const} */ ({
  Float64Array, Float32Array, Int32Array, Int16Array, Int8Array, Uint32Array, Uint16Array, Uint8Array, Uint8ClampedArray,
});

/**
 * Rebuilds an encoded value as objects of this process (untrusted input: checked as it goes).
 * @param {unknown} e
 * @param {number} [depth]
 * @returns {unknown}
 */
export function decode(e, depth = 0) {
  if (depth > 70) throw new DecodeError("nested too deeply");
  if (typeof e === "number" || typeof e === "string" || typeof e === "boolean" || e === null) return e;
  if (Array.isArray(e)) return e.map((x) => decode(x, depth + 1));
  if (!isRecord(e)) throw new DecodeError(`unexpected ${typeof e}`);
  const keys = Object.keys(e);
  const tag = keys[0];
  if (tag === "$n" && keys.length === 1) {
    const n = { NaN: NaN, Infinity: Infinity, "-Infinity": -Infinity, "-0": -0 }[String(e.$n)];
    if (n === undefined) throw new DecodeError(`unknown number ${JSON.stringify(e.$n)}`);
    return n;
  }
  if (tag === "$u" && keys.length === 1) return undefined;
  if (tag === "$b" && keys.length === 1 && typeof e.$b === "string" && /^-?\d{1,400}$/.test(e.$b)) return BigInt(e.$b);
  if (tag === "$o" && keys.length === 1 && isRecord(e.$o)) {
    /** @type {Record<string, unknown>} */
    const o = {};
    // defineProperty: a key "__proto__" is a plain property, never the prototype.
    for (const [k, v] of Object.entries(e.$o)) Object.defineProperty(o, k, { value: decode(v, depth + 1), enumerable: true, writable: true, configurable: true });
    return o;
  }
  if (tag === "$m" && keys.length === 1 && Array.isArray(e.$m)) {
    return new Map(e.$m.map((pair) => {
      if (!Array.isArray(pair) || pair.length !== 2) throw new DecodeError("a Map entry is not a pair");
      return [decode(pair[0], depth + 1), decode(pair[1], depth + 1)];
    }));
  }
  if (tag === "$s" && keys.length === 1 && Array.isArray(e.$s)) return new Set(e.$s.map((x) => decode(x, depth + 1)));
  if (tag === "$t" && keys.length === 2 && typeof e.$t === "string" && Array.isArray(e.v)) {
    const Ctor = Object.hasOwn(TYPED, e.$t) ? TYPED[/** @type {keyof typeof TYPED} */ (e.$t)] : undefined;
    if (!Ctor) throw new DecodeError(`unknown typed array ${JSON.stringify(e.$t)}`);
    return Ctor.from(e.v.map((x) => { const n = decode(x, depth + 1); if (typeof n !== "number") throw new DecodeError("a typed array entry is not a number"); return n; }));
  }
  if (tag === "$e" && keys.length === 1 && Array.isArray(e.$e) && e.$e.length === 2) {
    const err = new Error(String(e.$e[1]).slice(0, 2000));
    const name = String(e.$e[0]);
    if (/^[A-Za-z_$][\w$]{0,40}$/.test(name)) err.name = name;
    return err;
  }
  if (tag === "$f" && keys.length === 1) throw new DecodeError("the value is a function (the grader compares data only)");
  if (tag === "$x" && keys.length === 1) throw new DecodeError(`the value is ${e.$x === "cycle" ? "a cyclic structure" : `an object of class ${String(e.$x).slice(0, 60)}`}, which the grader cannot compare`);
  throw new DecodeError(`unknown encoding ${JSON.stringify(e).slice(0, 80)}`);
}

/**
 * Makes `target` (an argument of the test, in this process) look like
 * `state` (its recorded state after the call), in place where the kinds agree:
 * a function that fills or clips its argument is seen to do so.
 * @param {unknown} target
 * @param {unknown} state
 * @param {number} [depth]
 */
function restore(target, state, depth = 0) {
  if (depth > 70 || typeof target !== "object" || target === null || typeof state !== "object" || state === null) return;
  if (Array.isArray(target) && Array.isArray(state)) {
    for (let i = 0; i < state.length; i++) {
      const t = target[i], s = state[i];
      if (typeof t === "object" && t !== null && typeof s === "object" && s !== null && Object.getPrototypeOf(t) === Object.getPrototypeOf(s)) restore(t, s, depth + 1);
      else target[i] = s;
    }
    target.length = state.length;
  } else if (ArrayBuffer.isView(target) && ArrayBuffer.isView(state) && !(target instanceof DataView) && !(state instanceof DataView)) {
    const t = /** @type {Float64Array} */ (/** @type {unknown} */ (target)), s = /** @type {Float64Array} */ (/** @type {unknown} */ (state));
    if (t.length === s.length) t.set(s);
  } else if (target instanceof Map && state instanceof Map) {
    target.clear();
    for (const [k, v] of state) target.set(k, v);
  } else if (target instanceof Set && state instanceof Set) {
    target.clear();
    for (const v of state) target.add(v);
  } else if (Object.getPrototypeOf(target) === Object.prototype && isRecord(state)) {
    const t = /** @type {Record<string, unknown>} */ (target);
    for (const k of Object.keys(t)) if (!Object.hasOwn(state, k)) delete t[k];
    for (const [k, s] of Object.entries(state)) {
      const v = t[k];
      if (typeof v === "object" && v !== null && typeof s === "object" && s !== null && Object.getPrototypeOf(v) === Object.getPrototypeOf(s)) restore(v, s, depth + 1);
      else Object.defineProperty(t, k, { value: s, enumerable: true, writable: true, configurable: true });
    }
  }
}

/** A short, printable form of encoded arguments for messages. */
const preview = (/** @type {unknown} */ e) => {
  const s = JSON.stringify(e) ?? "";
  return s.length > 120 ? `${s.slice(0, 119)}…` : s;
};

/**
 * One record line's entry, or null when it is not a well-formed record.
 * @param {string} line
 * @returns {RecordEntry | null}
 */
function parseRecord(line) {
  /** @type {unknown} */
  let r;
  try {
    r = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isRecord(r) || typeof r.name !== "string") return null;
  return /** @type {RecordEntry} */ (r);
}

/** TypeScript's compiler (only its transpiler is used: the test cells type-checked in the kernel already). */
const requireHere = createRequire(path.join(HERE, "replay.mjs"));

/**
 * Transpiles a test cell to the body of an async function (imports become requires).
 * @param {string} source
 */
function transpile(source) {
  /** @type {typeof import("typescript")} */
  const ts = requireHere("typescript");
  const out = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, isolatedModules: true },
    reportDiagnostics: false,
  });
  return out.outputText;
}

const AsyncFunction = /** @type {FunctionConstructor} */ (Object.getPrototypeOf(async () => {}).constructor);

/**
 * Runs one test cell here against its records.
 * @param {ReplayTest} test
 * @returns {Promise<ReplayResult>}
 */
export async function replayTest(test) {
  const entries = test.records.map(parseRecord);
  /** @type {Map<string, unknown>} */
  const values = new Map();
  /** @type {NonNullable<ReturnType<typeof parseRecord>>[]} */
  const calls = [];
  let malformed = 0;
  for (const e of entries) {
    if (e === null) malformed++;
    else if ("value" in e) {
      if (!values.has(e.name)) values.set(e.name, e.value);
    } else calls.push(e);
  }
  let next = 0;
  /** @type {string | null} */
  let unanswered = null;
  /** @param {string} why */
  const fail = (why) => {
    unanswered ??= why;
    return new Error(`[grader] ${why}`);
  };
  /** @param {string} name */
  const stub = (name) => (/** @type {unknown[]} */ ...args) => {
    if (unanswered !== null) throw new Error(`[grader] ${unanswered}`);
    const asked = encode(args);
    const r = calls[next];
    if (!r) throw fail(`the student's kernel recorded no answer to ${name}(${preview(asked).slice(1, -1)})${malformed ? ` (${malformed} record line(s) were not readable)` : ""}`);
    if (r.name !== name || JSON.stringify(r.args) !== JSON.stringify(asked)) {
      throw fail(`the student's kernel answered another call than ${name}(${preview(asked).slice(1, -1)}): it recorded ${r.name}(${preview(r.args).slice(1, -1)})`);
    }
    next++;
    let result, after, threw;
    try {
      after = decode(r.after);
      threw = r.threw === undefined ? undefined : decode(r.threw);
      result = threw === undefined ? decode(r.result) : undefined;
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      // Not a grader problem: the answer is not data the test can check.
      throw new Error(`${name}(${preview(asked).slice(1, -1)}) gave an answer the grader cannot use: ${e.message}`);
    }
    restore(args, after);
    if (threw !== undefined) throw threw;
    return result;
  };
  /** @type {unknown[]} */
  const bound = [];
  for (const name of test.names) {
    if (values.has(name)) {
      try {
        bound.push(decode(values.get(name)));
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        return { status: "failed", message: `'${name}' is not data the grader can use: ${e.message}`, unanswered: false };
      }
    } else bound.push(stub(name));
  }
  /** @type {unknown} */
  let error = null;
  try {
    const body = transpile(test.source);
    const run = new AsyncFunction("exports", "require", "console", ...test.names, body);
    const quiet = { log() {}, error() {}, warn() {}, info() {} };
    await run({}, requireHere, quiet, ...bound);
  } catch (e) {
    error = e ?? new Error("threw a nullish value");
  }
  if (unanswered !== null) return { status: "failed", message: unanswered, unanswered: true };
  if (error !== null) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { status: "failed", message: message.split("\n")[0].slice(0, 300), unanswered: false };
  }
  return { status: "ok", message: "", unanswered: false };
}

/**
 * @param {ReplayJob} job
 * @returns {Promise<Record<string, ReplayResult>>}
 */
export async function replayAll(job) {
  /** @type {Record<string, ReplayResult>} */
  const results = {};
  if (job.tests.some((t) => t.source.includes("@rnn-course/lib"))) {
    // The same compute backend as the kernel (lessons start it in a cell before the exercises):
    // a test's inputs computed here must be the numbers the kernel computed.
    const lib = requireHere("@rnn-course/lib");
    if (typeof lib.initBackend === "function") await lib.initBackend();
  }
  for (const t of job.tests) results[t.index] = await replayTest(t);
  return results;
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  /** @type {ReplayJob} */
  const job = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const results = await replayAll(job);
  process.stdout.write(JSON.stringify({ results }) + "\n");
}
