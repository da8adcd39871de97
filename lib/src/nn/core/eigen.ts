/**
 * The eigenvalues of a real square matrix, and its spectral radius
 * ρ(W) = max |λᵢ|, which decides whether a recurrent network's gradients
 * vanish or explode (lessons 03 and 04).
 */
import { Operand, valueOf } from "./parameter";

/** A complex number (an eigenvalue of a real matrix may be complex). */
export interface Eigenvalue {
  re: number;
  im: number;
}

/**
 * All eigenvalues of a square matrix, complex ones in conjugate pairs, in no
 * particular order. Computed in float64 by balancing, reduction to Hessenberg
 * form and the Francis double-shift QR algorithm (the EISPACK `hqr` method).
 * (mathjs `eigs` uses single shifts, which cannot converge to a complex pair;
 * it fails on most random non-symmetric matrices larger than about 20×20.)
 * Used in lessons 00 and 03.
 */
export function eigenvalues(target: Operand): Eigenvalue[] {
  const m = valueOf(target);
  if (m.rows !== m.cols) throw new Error(`eigenvalues: the matrix must be square, got [${m.rows}, ${m.cols}]`);
  const n = m.rows;
  const a = Array.from({ length: n }, (_, i) => Float64Array.from(m.data.subarray(i * n, (i + 1) * n)));
  for (const row of a) {
    for (const x of row) if (!Number.isFinite(x)) throw new Error(`eigenvalues: the matrix holds ${x}`);
  }
  balance(a);
  toHessenberg(a);
  return hessenbergEigenvalues(a);
}

/**
 * ρ(W) = max |λᵢ| of a square matrix, complex eigenvalues included.
 * Used in lessons 00, 03 and 04.
 */
export function spectralRadius(target: Operand): number {
  let rho = 0;
  for (const { re, im } of eigenvalues(target)) rho = Math.max(rho, Math.hypot(re, im));
  return rho;
}

// ------------------------------------------------ eigenvalue algorithm
// Numerical Recipes, 2nd ed., §11.5–11.6 (balanc, elmhes, hqr), 0-based.

/**
 * Similarity D⁻¹·A·D with D diagonal, powers of 2 (exact), making each row and
 * its column about equally large: the QR iteration's rounding errors scale
 * with the matrix norm, which balancing reduces.
 */
function balance(a: Float64Array[]): void {
  const n = a.length;
  const RADIX = 2;
  let converged = false;
  while (!converged) {
    converged = true;
    for (let i = 0; i < n; i++) {
      let r = 0, c = 0;
      for (let j = 0; j < n; j++) {
        if (j === i) continue;
        c += Math.abs(a[j][i]);
        r += Math.abs(a[i][j]);
      }
      if (c === 0 || r === 0) continue;
      const s = c + r;
      let f = 1;
      while (c < r / RADIX) { f *= RADIX; c *= RADIX * RADIX; }
      while (c > r * RADIX) { f /= RADIX; c /= RADIX * RADIX; }
      if ((c + r) / f < 0.95 * s) {
        converged = false;
        for (let j = 0; j < n; j++) a[i][j] /= f;
        for (let j = 0; j < n; j++) a[j][i] *= f;
      }
    }
  }
}

/** Reduces A to upper Hessenberg form (zero below the first subdiagonal) by stabilized elementary similarities. */
function toHessenberg(a: Float64Array[]): void {
  const n = a.length;
  for (let m = 1; m < n - 1; m++) {
    // Pivot: the largest element of column m−1 on or below row m.
    let x = 0, pivot = m;
    for (let j = m; j < n; j++) {
      if (Math.abs(a[j][m - 1]) > Math.abs(x)) { x = a[j][m - 1]; pivot = j; }
    }
    if (pivot !== m) {
      // Swap rows and the same columns: a similarity, eigenvalues unchanged.
      for (let j = m - 1; j < n; j++) [a[pivot][j], a[m][j]] = [a[m][j], a[pivot][j]];
      for (let j = 0; j < n; j++) [a[j][pivot], a[j][m]] = [a[j][m], a[j][pivot]];
    }
    if (x === 0) continue;
    for (let i = m + 1; i < n; i++) {
      const y = a[i][m - 1] / x;
      if (y === 0) continue;
      // row i −= y·row m, then column m += y·column i (the inverse on the right).
      a[i][m - 1] = 0;
      for (let j = m; j < n; j++) a[i][j] -= y * a[m][j];
      for (let j = 0; j < n; j++) a[j][m] += y * a[j][i];
    }
  }
}

/**
 * Eigenvalues of an upper Hessenberg matrix (destroyed) by the QR algorithm
 * with Francis double shifts: two shifts at the eigenvalues of the trailing
 * 2×2 block, complex conjugate or not, applied together in real arithmetic.
 * Deflates a 1×1 block (a real eigenvalue) or a 2×2 block (a real or
 * complex pair) whenever a subdiagonal element becomes negligible.
 */
function hessenbergEigenvalues(a: Float64Array[]): Eigenvalue[] {
  const n = a.length;
  const out: Eigenvalue[] = [];
  let norm = 0;
  for (let i = 0; i < n; i++) for (let j = Math.max(i - 1, 0); j < n; j++) norm += Math.abs(a[i][j]);
  const MAX_ITERATIONS = 60; // per eigenvalue; 10 to 20 are typical
  let nn = n - 1;
  let t = 0; // total of the exceptional shifts
  while (nn >= 0) {
    let iterations = 0;
    let l: number;
    do {
      // Look for a single small subdiagonal element: the active block is l..nn.
      for (l = nn; l >= 1; l--) {
        let s = Math.abs(a[l - 1][l - 1]) + Math.abs(a[l][l]);
        if (s === 0) s = norm;
        if (Math.abs(a[l][l - 1]) + s === s) {
          a[l][l - 1] = 0;
          break;
        }
      }
      let x = a[nn][nn];
      if (l === nn) {
        out.push({ re: x + t, im: 0 }); // one root found
        nn--;
      } else {
        let y = a[nn - 1][nn - 1];
        let w = a[nn][nn - 1] * a[nn - 1][nn];
        if (l === nn - 1) {
          // Two roots: the eigenvalues of the trailing 2×2 block.
          const p = 0.5 * (y - x);
          const q = p * p + w;
          const z = Math.sqrt(Math.abs(q));
          x += t;
          if (q >= 0) {
            const zz = p + (p >= 0 ? z : -z); // the larger root first, then Vieta: no cancellation
            const second = zz !== 0 ? x - w / zz : x + zz;
            out.push({ re: x + zz, im: 0 }, { re: second, im: 0 });
          } else {
            out.push({ re: x + p, im: z }, { re: x + p, im: -z });
          }
          nn -= 2;
        } else {
          if (iterations === MAX_ITERATIONS) {
            throw new Error(`eigenvalues: the QR iteration did not converge after ${MAX_ITERATIONS} iterations (block ${l}..${nn})`);
          }
          if (iterations === 10 || iterations === 20) {
            // Exceptional shift: breaks the rare cycles of the standard shifts.
            t += x;
            for (let i = 0; i <= nn; i++) a[i][i] -= x;
            const s = Math.abs(a[nn][nn - 1]) + Math.abs(a[nn - 1][nn - 2]);
            x = y = 0.75 * s;
            w = -0.4375 * s * s;
          }
          iterations++;
          // Form the shift and look for two consecutive small subdiagonal elements.
          let m: number;
          let p = 0, q = 0, r = 0, z = 0;
          for (m = nn - 2; m >= l; m--) {
            z = a[m][m];
            r = x - z;
            const s0 = y - z;
            p = (r * s0 - w) / a[m + 1][m] + a[m][m + 1];
            q = a[m + 1][m + 1] - z - r - s0;
            r = a[m + 2][m + 1];
            const s = Math.abs(p) + Math.abs(q) + Math.abs(r); // scale to prevent overflow or underflow
            p /= s;
            q /= s;
            r /= s;
            if (m === l) break;
            const u = Math.abs(a[m][m - 1]) * (Math.abs(q) + Math.abs(r));
            const v = Math.abs(p) * (Math.abs(a[m - 1][m - 1]) + Math.abs(z) + Math.abs(a[m + 1][m + 1]));
            if (u + v === v) break;
          }
          for (let i = m + 2; i <= nn; i++) {
            a[i][i - 2] = 0;
            if (i !== m + 2) a[i][i - 3] = 0;
          }
          // Double QR step on rows l..nn and columns m..nn (Householder reflections of size 3).
          for (let k = m; k <= nn - 1; k++) {
            if (k !== m) {
              p = a[k][k - 1];
              q = a[k + 1][k - 1];
              r = k !== nn - 1 ? a[k + 2][k - 1] : 0;
              x = Math.abs(p) + Math.abs(q) + Math.abs(r);
              if (x !== 0) {
                p /= x;
                q /= x;
                r /= x;
              }
            }
            const norm3 = Math.sqrt(p * p + q * q + r * r);
            const s = p >= 0 ? norm3 : -norm3;
            if (s === 0) continue;
            if (k === m) {
              if (l !== m) a[k][k - 1] = -a[k][k - 1];
            } else {
              a[k][k - 1] = -s * x;
            }
            p += s;
            x = p / s;
            y = q / s;
            z = r / s;
            q /= p;
            r /= p;
            for (let j = k; j <= nn; j++) {
              // Row modification.
              let pj = a[k][j] + q * a[k + 1][j];
              if (k !== nn - 1) {
                pj += r * a[k + 2][j];
                a[k + 2][j] -= pj * z;
              }
              a[k + 1][j] -= pj * y;
              a[k][j] -= pj * x;
            }
            const last = Math.min(nn, k + 3);
            for (let i = l; i <= last; i++) {
              // Column modification.
              let pi = x * a[i][k] + y * a[i][k + 1];
              if (k !== nn - 1) {
                pi += z * a[i][k + 2];
                a[i][k + 2] -= pi * r;
              }
              a[i][k + 1] -= pi * q;
              a[i][k] -= pi;
            }
          }
        }
      }
    } while (l < nn - 1);
  }
  return out;
}

