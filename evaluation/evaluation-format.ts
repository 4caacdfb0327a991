/** How figures are written in the table and the Markdown: `0.781 [0.562, 0.953]`. */
import type { Estimate } from './bootstrap';

/** A value with three decimals, or `-`. */
export function formatNumber(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

/** A value and its 95 % interval. */
export function formatEstimate(estimate: Estimate | null | undefined, digits = 3): string {
  if (estimate === null || estimate === undefined) return '-';
  const interval = estimate.ci95 === null ? '' : ` [${formatNumber(estimate.ci95[0], digits)}, ${formatNumber(estimate.ci95[1], digits)}]`;
  return `${formatNumber(estimate.value, digits)}${interval}`;
}
