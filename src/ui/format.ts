// How numbers and times read on the dashboard.

export const percent = (value: number | null | undefined, digits = 1) =>
  value === null || value === undefined || !Number.isFinite(value) ? '–' : `${(value * 100).toFixed(digits)}%`;

export const accuracyText = (accuracy: { mean: number; ci95: number } | null | undefined) =>
  accuracy ? `${percent(accuracy.mean)} ± ${percent(accuracy.ci95)}` : '–';

export const number = (value: number | null | undefined, digits = 3) =>
  value === null || value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export const dateTime = (iso: string | undefined) => (iso ? new Date(iso).toLocaleString() : '–');

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '–';
  const seconds = Math.max(0, (now - Date.parse(iso)) / 1000);
  return seconds < 5 ? 'just now' : `${duration(seconds)} ago`;
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
