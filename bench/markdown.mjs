// Prints a bench result (the JSON `npm run bench` writes) as the Markdown
// tables of docs/benchmarks.md, so the numbers there are copied, not retyped.
//
//   node bench/markdown.mjs [bench/results/latest.json]
import fs from "node:fs";
import { measuredResult } from "./common.mjs";

/**
 * @typedef {import("./common.mjs").BenchReport} BenchReport
 * @typedef {import("./common.mjs").Row} Row
 */

const file = process.argv[2] ?? new URL("./results/latest.json", import.meta.url).pathname;
/** @type {BenchReport} what bench/run.mjs wrote */
const r = JSON.parse(fs.readFileSync(file, "utf8"));
/**
 * @param {number | null | undefined} v
 * @param {number} [d]
 */
const fmt = (v, d = 1) => (v === null || v === undefined ? "—" : v.toFixed(d));
/**
 * @param {Row} row
 * @param {string} impl
 * @param {"ms" | "cpuMs"} [key]
 */
const med = (row, impl, key = "ms") => measuredResult(row.results[impl])?.[key].median ?? null;
/**
 * @param {number | null} a
 * @param {number | null} b
 * @param {number} [d]
 */
const ratio = (a, b, d = 1) => (a && b ? `${(a / b).toFixed(d)}x` : "—");

/** @param {number[]} l */
const load = (l) => l.map((x) => x.toFixed(1)).join(" ");
const torchLibrary = "libraryPath" in r.torch ? r.torch.libraryPath : null;
console.log(`${r.date.slice(0, 10)}, load ${load(r.machine.loadavgStart)} → ${load(r.machine.loadavgEnd)}, ${r.seconds} s; torch: ${torchLibrary ? `BLAS from ${torchLibrary}` : "Debian's default BLAS"}.\n`);
console.log("| model | hidden | engine ms | tf.layers ms | torch ms | engine MB | tf.layers MB | torch MB | vs tf.layers | vs torch | engine CPU ms | tf.layers CPU ms | torch CPU ms | vs tf.layers (CPU) | vs torch (CPU) |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const row of r.rows) {
  const [e, t, p] = ["engine", "tfjs-layers", "torch"].map((i) => med(row, i));
  const [ec, tc, pc] = ["engine", "tfjs-layers", "torch"].map((i) => med(row, i, "cpuMs"));
  /** @param {string} i */
  const mb = (i) => fmt(measuredResult(row.results[i])?.memory.peakRssMB, 0);
  console.log(`| ${row.model} | ${row.hidden} | ${fmt(e)} | ${fmt(t, 0)} | ${fmt(p)} | ${mb("engine")} | ${mb("tfjs-layers")} | ${mb("torch")} | ${ratio(t, e)} | ${ratio(e, p, 2)} | ${fmt(ec)} | ${fmt(tc, 0)} | ${fmt(pc)} | ${ratio(tc, ec)} | ${ratio(ec, pc, 2)} |`);
}
if (r.rows.some((row) => measuredResult(row.results.engine)?.productsFloor)) {
  console.log("\n| model | hidden | products' floor ms | engine ms | engine's rest ms | outside the floor | element-wise alone ms | ceiling vs tf.layers |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const row of r.rows) {
    const engine = measuredResult(row.results.engine);
    const floor = engine?.productsFloor?.ms.median, t = med(row, "tfjs-layers");
    if (!engine || floor === undefined) continue;
    const e = engine.ms.median;
    console.log(`| ${row.model} | ${row.hidden} | ${fmt(floor)} | ${fmt(e)} | ${fmt(e - floor)} | ${fmt((100 * (e - floor)) / e, 0)}% | ${fmt(engine.elementwiseAlone?.ms.median)} | ${ratio(t, floor)} |`);
  }
}
