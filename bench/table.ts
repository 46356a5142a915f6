// Plain-text tables for the benchmarks' reports and the demo.
import type { Settled } from './child.js';

export interface TableOptions {
  /** Columns from this index on are right-aligned (figures). */
  rightFrom?: number;
  /** A dashed rule under the headers (default true). */
  rule?: boolean;
  /** Dresses the header line (e.g. bold on a terminal). */
  header?: (line: string) => string;
}

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], opts: TableOptions = {}): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const right = (i: number) => opts.rightFrom !== undefined && i >= opts.rightFrom;
  const line = (cells: readonly string[]) => cells.map((c, i) => (right(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const rule = opts.rule === false ? [] : [widths.map((w) => '-'.repeat(w)).join('  ')];
  return [(opts.header ?? String)(line(headers)), ...rule, ...rows.map(line)].join('\n') + '\n';
}

export const seconds = (s: number | undefined) => (s === undefined ? '-' : s < 1 ? s.toFixed(4) : s.toFixed(2));
export const accuracyWithCi = (mean: number, ci: number) => `${(100 * mean).toFixed(2)} ± ${(100 * ci).toFixed(2)}%`;

/** Every distinct backend/device our cells ran on (one, unless the machine changed mid-run). */
export function ourDevices(cells: readonly ({ backend: string; device: string | null } | null)[]): string {
  const names = cells.flatMap((c) => (c ? [`${c.backend}${c.device ? ` (${c.device})` : ''}`] : []));
  return [...new Set(names)].join('; ') || 'no cell finished';
}

/** A figure of a cell: '-' where the cell did not run, 'failed' where it ran and failed. */
export function shown<T>(cell: Settled<T> | null, figure: (value: T) => string): string {
  return cell === null ? '-' : cell.value === null ? 'failed' : figure(cell.value);
}
