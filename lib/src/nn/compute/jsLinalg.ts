/** The plain-loop matrix products: exact in float64 (gradient checks) and the fallback in float32. */
import { Matrix } from "../core/matrix";
import { valueOf } from "../core/parameter";
import { checkInner } from "../core/shapes";
import type { Linalg } from "./linalg";

/**
 * Plain-loop products (i-k-j order, so the inner loop walks memory contiguously).
 * Used in lesson 00.
 */
export const jsLinalg: Linalg = {
  name: "js",
  matmul(a, bOperand) {
    const b = valueOf(bOperand);
    checkInner("matmul", a, a.cols, b, b.rows);
    const c = Matrix.zeros(a.rows, b.cols, a.dtype);
    const [n, k, m] = [a.rows, a.cols, b.cols];
    const A = a.data, B = b.data, C = c.data;
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < k; p++) {
        const aip = A[i * k + p];
        if (aip === 0) continue;
        const bRow = p * m, cRow = i * m;
        for (let j = 0; j < m; j++) C[cRow + j] += aip * B[bRow + j];
      }
    }
    return c;
  },
  matmulBT(a, bOperand) {
    const b = valueOf(bOperand);
    checkInner("matmulBT", a, a.cols, b, b.cols);
    const c = Matrix.zeros(a.rows, b.rows, a.dtype);
    const [n, k, m] = [a.rows, a.cols, b.rows];
    const A = a.data, B = b.data, C = c.data;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A[i * k + p] * B[j * k + p];
        C[i * m + j] = s;
      }
    }
    return c;
  },
  matmulAT(a, b) {
    checkInner("matmulAT", a, a.rows, b, b.rows);
    const c = Matrix.zeros(a.cols, b.cols, a.dtype);
    const [k, n, m] = [a.rows, a.cols, b.cols];
    const A = a.data, B = b.data, C = c.data;
    for (let p = 0; p < k; p++) {
      for (let i = 0; i < n; i++) {
        const api = A[p * n + i];
        if (api === 0) continue;
        const bRow = p * m, cRow = i * m;
        for (let j = 0; j < m; j++) C[cRow + j] += api * B[bRow + j];
      }
    }
    return c;
  },
};
