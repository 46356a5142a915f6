// Training progress on stderr: a bar redrawn in place on a terminal, and on anything else
// (CI logs, files, pipes) a plain line every ~5% so the log stays short and greppable.
import type { Progress } from '../core/index.js';

export interface ProgressWriter {
  write(text: string): void;
  readonly isTTY: boolean;
  /** Terminal width: a bar longer than it would wrap, and \r would then redraw only its tail. */
  readonly columns?: number;
}

export interface ProgressReporter {
  update(progress: Progress): void;
  /** Ends the bar's line so later output starts on a fresh one. */
  finish(): void;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export const percent = (x: number | null): string => (x === null || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(1)}%`);

/** Where the run is: meta-iterations, baseline updates, or test episodes once it evaluates. */
function position(p: Progress): { done: number; total: number } {
  if (p.evaluation) return { done: p.evaluation.done, total: p.evaluation.episodes };
  if (p.phase === 'baseline' && p.baseline) return { done: p.baseline.done, total: p.baseline.steps };
  return { done: p.iteration, total: p.iterations };
}

const PHASE_TAGS: Record<Progress['phase'], string> = { 'cross-validation': 'fold', 'meta-training': 'train', baseline: 'baseline', evaluation: 'eval' };

function summary(p: Progress): string {
  const fold = p.fold ? `fold ${p.fold.fold}/${p.fold.folds} ` : '';
  if (p.evaluation) {
    const what = p.fold ? 'held-out' : 'test';
    return `${fold}evaluating ${p.evaluation.done}/${p.evaluation.episodes} ${what} episodes ETA ${formatDuration(p.etaSeconds)}`;
  }
  if (p.phase === 'baseline' && p.baseline) {
    return `pre-training the baseline ${p.baseline.done}/${p.baseline.steps} updates ETA ${formatDuration(p.etaSeconds)}`;
  }
  return (
    `${fold}${p.iteration}/${p.iterations} loss ${p.loss.toFixed(3)} acc ${percent(p.accuracy)} val ${percent(p.validationAccuracy)}` +
    ` ${p.tasksPerSecond.toFixed(1)} tasks/s ETA ${formatDuration(p.etaSeconds)}`
  );
}

const BAR_WIDTH = 16;
// Redrawing faster than a human reads only costs time on tiny, fast runs.
const REDRAW_MS = 100;

function bar(out: ProgressWriter): ProgressReporter {
  let drawn = false;
  let last = 0;
  return {
    update(p) {
      const now = performance.now();
      const { done, total } = position(p);
      if (done < total && now - last < REDRAW_MS) return;
      last = now;
      const filled = Math.round((BAR_WIDTH * done) / total);
      const line = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${summary(p)}`;
      out.write(`\r\x1b[2K${out.columns ? line.slice(0, out.columns - 1) : line}`);
      drawn = true;
    },
    finish() {
      if (drawn) out.write('\n');
      drawn = false;
    },
  };
}

function lines(out: ProgressWriter): ProgressReporter {
  return {
    update(p) {
      const { done, total } = position(p);
      const every = Math.max(1, Math.round(total / 20));
      if (done % every === 0 || done === total) out.write(`[${PHASE_TAGS[p.phase]}] ${summary(p)}\n`);
    },
    finish: () => undefined,
  };
}

export function progressReporter(out: ProgressWriter): ProgressReporter {
  return out.isTTY ? bar(out) : lines(out);
}
