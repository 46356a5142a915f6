// Small measuring helpers shared by the benchmark cells.

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** This process's peak resident set so far, in MiB (maxRSS is in KiB). */
export function peakRssMiB(): number {
  return Math.round(process.resourceUsage().maxRSS / 102.4) / 10;
}
