// Part (c), only with `--only long`: ProtoNets on Omniglot trained for a wall-clock budget
// (default 20 minutes) with Snell et al.'s 60-way 1-shot, 5-query training episodes, and the
// 5-way 1-shot test accuracy (600 episodes) at several points: the accuracy-vs-minutes curve.
import { runTsCell } from './child.js';
import { accuracyWithCi, formatTable } from './table.js';

export interface LongPoint {
  minutes: number;
  iteration: number;
  accuracy: number;
  ci95: number;
  evalSeconds: number;
}

export interface LongRun {
  backend: string;
  device: string | null;
  norm: string;
  ways: number;
  queries: number;
  curve: LongPoint[];
}

export interface LongOptions {
  backend: string;
  minutes: number;
  norm?: string;
  testEpisodes?: number;
}

export function runLong(opts: LongOptions): Promise<LongRun> {
  return runTsCell<LongRun>(
    './long-cell.ts',
    [
      '--backend', opts.backend,
      '--minutes', String(opts.minutes),
      ...(opts.norm ? ['--norm', opts.norm] : []),
      ...(opts.testEpisodes ? ['--test-episodes', String(opts.testEpisodes)] : []),
    ],
    { label: '  [long] ' },
  );
}

export function longTable(run: LongRun): string {
  return formatTable(
    ['training minutes', 'episodes trained', '5-way 1-shot test accuracy', 'eval s'],
    run.curve.map((p) => [p.minutes.toFixed(1), String(p.iteration), accuracyWithCi(p.accuracy, p.ci95), p.evalSeconds.toFixed(0)]),
  );
}
