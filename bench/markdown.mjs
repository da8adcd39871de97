// Prints a bench result (the JSON `npm run bench` writes) as the Markdown
// tables of docs/benchmarks.md, so the numbers there are copied, not retyped.
//
//   node bench/markdown.mjs [bench/results/latest.json]
import fs from "node:fs";

const file = process.argv[2] ?? new URL("./results/latest.json", import.meta.url).pathname;
const r = JSON.parse(fs.readFileSync(file, "utf8"));
const fmt = (v, d = 1) => (v === null || v === undefined ? "—" : v.toFixed(d));
const med = (row, impl, key = "ms") => row.results[impl]?.[key]?.median ?? null;
const ratio = (a, b, d = 1) => (a && b ? `${(a / b).toFixed(d)}x` : "—");

const load = (l) => l.map((x) => x.toFixed(1)).join(" ");
console.log(`${r.date.slice(0, 10)}, load ${load(r.machine.loadavgStart)} → ${load(r.machine.loadavgEnd)}, ${r.seconds} s; torch: ${r.torch.libraryPath ? `BLAS from ${r.torch.libraryPath}` : "Debian's default BLAS"}.\n`);
console.log("| model | hidden | engine ms | tf.layers ms | torch ms | engine MB | tf.layers MB | torch MB | vs tf.layers | vs torch | engine CPU ms | tf.layers CPU ms | torch CPU ms | vs tf.layers (CPU) | vs torch (CPU) |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
for (const row of r.rows) {
  const [e, t, p] = ["engine", "tfjs-layers", "torch"].map((i) => med(row, i));
  const [ec, tc, pc] = ["engine", "tfjs-layers", "torch"].map((i) => med(row, i, "cpuMs"));
  const mb = (i) => fmt(row.results[i]?.memory?.peakRssMB, 0);
  console.log(`| ${row.model} | ${row.hidden} | ${fmt(e)} | ${fmt(t, 0)} | ${fmt(p)} | ${mb("engine")} | ${mb("tfjs-layers")} | ${mb("torch")} | ${ratio(t, e)} | ${ratio(e, p, 2)} | ${fmt(ec)} | ${fmt(tc, 0)} | ${fmt(pc)} | ${ratio(tc, ec)} | ${ratio(ec, pc, 2)} |`);
}
if (r.rows.some((row) => row.results.engine?.productsFloor)) {
  console.log("\n| model | hidden | products' floor ms | engine ms | engine's rest ms | element-wise alone ms | ceiling vs tf.layers | budget for 10x ms |");
  console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
  for (const row of r.rows) {
    const floor = row.results.engine?.productsFloor?.ms.median, e = med(row, "engine"), t = med(row, "tfjs-layers");
    if (floor === undefined) continue;
    console.log(`| ${row.model} | ${row.hidden} | ${fmt(floor)} | ${fmt(e)} | ${fmt(e - floor)} | ${fmt(row.results.engine.elementwiseAlone?.ms?.median)} | ${ratio(t, floor)} | ${t ? fmt(t / r.targets.speedupVsTfLayers - floor) : "—"} |`);
  }
}
