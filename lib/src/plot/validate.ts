/**
 * Input checks shared by the figure builders. A bad length, a ragged matrix,
 * a NaN, or a value a log axis cannot show throws an Error that names the
 * builder, the series and the problem, instead of drawing a silently wrong plot.
 */
import { ColorRef, seriesColor } from "./style";

/** Numbers as the builders accept them: an array, or a typed array (`tensor.dataSync()`). */
export type Numbers = ArrayLike<number>;

export function fail(where: string, problem: string): never {
  throw new Error(`${where}: ${problem}`);
}

/** `lines: series "a" is empty (y has no values)`. */
export function empty(where: string, detail: string): never {
  throw new Error(`${where} is empty (${detail})`);
}

/** A value as an error message shows it: `undefined`, `null`, `"text"`, `object [object Object]`. */
export function describe(v: unknown): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  return typeof v === "string" ? JSON.stringify(v) : `${typeof v} ${String(v)}`;
}

function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return (
    v !== null &&
    typeof v === "object" &&
    typeof (v as { length?: unknown }).length === "number"
  );
}

/** Copies `values` into a plain array, checking each is a finite number. */
export function finite(where: string, label: string, values: Numbers | undefined): number[] {
  if (!isArrayLike(values)) fail(where, `${label} must be an array of numbers, got ${describe(values)}`);
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v: unknown = values[i];
    if (typeof v !== "number") fail(where, `${label}[${i}] is ${describe(v)}, not a number`);
    if (!Number.isFinite(v)) {
      fail(where, `${label}[${i}] is ${v}; remove or replace non-finite values (NaN, ±Infinity) before plotting`);
    }
    out[i] = v;
  }
  return out;
}

export function positiveForLog(where: string, label: string, values: readonly number[], axis: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!(values[i] > 0)) {
      fail(where, `${label}[${i}] = ${values[i]} cannot be drawn on the log ${axis} axis (values must be > 0)`);
    }
  }
}

export function sameLength(where: string, aLabel: string, a: { length: number }, bLabel: string, b: { length: number }): void {
  if (a.length !== b.length) fail(where, `${aLabel} has ${a.length} values but ${bLabel} has ${b.length}`);
}

export function nonEmptyList<T>(where: string, what: string, list: readonly T[] | undefined): readonly T[] {
  if (!Array.isArray(list)) fail(where, `${what} must be an array, got ${describe(list)}`);
  if (list.length === 0) fail(where, `no ${what} given`);
  return list;
}

/** Where a series' errors are reported (`lines: series "train"`); checks that it has a name. */
export function seriesWhere(fn: string, kind: string, name: unknown, index: number): string {
  if (typeof name !== "string" || name === "") fail(fn, `${kind} ${index} needs a non-empty string name, got ${describe(name)}`);
  return `${fn}: ${kind} "${name}"`;
}

/** Copies a rectangular matrix of finite numbers, row by row. */
export function matrix(where: string, z: ReadonlyArray<Numbers> | undefined): number[][] {
  if (!Array.isArray(z)) fail(where, `z must be an array of rows, got ${describe(z)}`);
  if (z.length === 0) fail(where, "z is empty (no rows)");
  const rows: number[][] = [];
  for (let i = 0; i < z.length; i++) {
    const row = finite(where, `z[${i}]`, z[i]);
    if (row.length === 0) fail(where, `z row ${i} is empty`);
    if (i > 0 && row.length !== rows[0].length) {
      fail(where, `z row ${i} has ${row.length} values but row 0 has ${rows[0].length} (z must be rectangular)`);
    }
    rows.push(row);
  }
  return rows;
}

export function checkHeight(where: string, height: number | undefined): void {
  if (height !== undefined && !(Number.isFinite(height) && height > 0)) fail(where, `height must be a positive number of pixels, got ${height}`);
}

/** The CSS colour of series `index`: its own `color` (checked), else the palette's. */
export function resolveColor(where: string, color: ColorRef | undefined, index: number): string {
  if (color === undefined) return seriesColor(index);
  if (typeof color === "number") {
    if (!Number.isInteger(color) || color < 0) fail(where, `color index must be a non-negative integer, got ${color}`);
    return seriesColor(color);
  }
  if (typeof color !== "string" || color.trim() === "") fail(where, `color must be a CSS colour or a palette index, got ${describe(color)}`);
  if (/^[0-9a-f]{3}([0-9a-f]{3})?$/i.test(color)) fail(where, `color "${color}" is not a CSS colour; did you mean "#${color}"?`);
  return color;
}
