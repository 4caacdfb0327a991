/**
 * L2-regularised logistic regression fitted by Newton's method (IRLS): the model behind
 * Platt scaling and the ensemble stacker. Targets may be soft (in [0, 1]). Pure.
 */
import { sigmoid } from '../aggregator';

/** A fitted model: P(fake) = σ(intercept + Σ weightsᵢ·xᵢ). */
export interface LogisticModel {
  intercept: number;
  weights: number[];
}

/** Regularisation and iteration cap of a fit. */
export interface LogisticFitOptions {
  /** L2 penalty on the weights (not the intercept); keeps them finite when the classes separate. */
  l2?: number;
  maxIterations?: number;
}

/** Penalty used when none is given. */
export const DEFAULT_L2 = 1e-2;

/** P(fake) of one feature row. */
export function predictLogistic(model: LogisticModel, x: readonly number[]): number {
  let z = model.intercept;
  for (let k = 0; k < model.weights.length; k++) z += model.weights[k]! * x[k]!;
  return sigmoid(z);
}

/** Fits the model to rows `x` (n × d) and targets `t` in [0, 1]. */
export function fitLogistic(x: readonly (readonly number[])[], t: readonly number[], options: LogisticFitOptions = {}): LogisticModel {
  const l2 = options.l2 ?? DEFAULT_L2;
  const d = (x[0]?.length ?? 0) + 1;
  const beta = new Array<number>(d).fill(0);
  const row = (i: number) => [1, ...x[i]!];
  for (let iteration = 0; iteration < (options.maxIterations ?? 100); iteration++) {
    const gradient = new Array<number>(d).fill(0);
    const hessian = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (let i = 0; i < x.length; i++) {
      const xi = row(i);
      const p = sigmoid(xi.reduce((z, v, k) => z + v * beta[k]!, 0));
      const w = Math.max(p * (1 - p), 1e-12);
      for (let a = 0; a < d; a++) {
        gradient[a]! += (p - t[i]!) * xi[a]!;
        for (let b = 0; b < d; b++) hessian[a]![b]! += w * xi[a]! * xi[b]!;
      }
    }
    for (let a = 1; a < d; a++) {
      gradient[a]! += l2 * beta[a]!;
      hessian[a]![a]! += l2;
    }
    const step = solve(hessian, gradient);
    let largest = 0;
    for (let a = 0; a < d; a++) {
      beta[a]! -= step[a]!;
      largest = Math.max(largest, Math.abs(step[a]!));
    }
    if (largest < 1e-10) break;
  }
  return { intercept: beta[0]!, weights: beta.slice(1) };
}

/** Solves A·s = b by Gaussian elimination with partial pivoting (A is small and positive definite). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((r, i) => [...r, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]! || 1e-12;
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / p;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  return m.map((r, i) => r[n]! / (r[i]! || 1e-12));
}
