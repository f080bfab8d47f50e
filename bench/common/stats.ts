/** Nearest-rank percentile of already collected samples (sorted here, not in place). */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export const ms = (value: number, digits = 1) => `${value.toFixed(digits)} ms`;

export function signedMs(value: number, digits = 1): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)} ms`;
}

/** Right-aligned table rows for the console. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ')).join('\n');
}
