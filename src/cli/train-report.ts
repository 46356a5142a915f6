// The end-of-command report of `fewshot train` / `fewshot eval`: one summary object, printed
// either as aligned text for people or as a single JSON object for scripts (`--json`).
import type { Accuracy, BackendInfo, CrossValidationReport, EvaluationReport, TrainConfig, TrainResult } from '../core/index.js';
import { formatDuration, percent } from './progress.js';

interface CommonSummary {
  elapsedSeconds: number;
  backend: BackendInfo;
  dataset: { source: string; description: string };
  evaluation: EvaluationReport | null;
}

export interface TrainSummary extends CommonSummary, TrainResult {
  command: 'train';
  config: TrainConfig;
}

export interface EvalSummary extends CommonSummary {
  command: 'eval';
  checkpoint: string;
}

export type Summary = TrainSummary | EvalSummary;

const withCi = (a: Accuracy) => `${(100 * a.mean).toFixed(2)}% ± ${(100 * a.ci95).toFixed(2)}%`;

function evaluationLines(report: EvaluationReport | null): [string, string][] {
  if (!report) return [['test accuracy', 'not evaluated']];
  const rows: [string, string][] = [
    [
      'test accuracy',
      `${withCi(report.accuracy)}  (95% CI, ${report.episodes} episodes, ${report.ways}-way ${report.shots}-shot, ${report.queries} queries)`,
    ],
  ];
  if (report.baselines) {
    rows.push(['  scratch', `${withCi(report.baselines.scratch)}  (same network trained on each support set alone)`]);
    rows.push(['  pretrained', `${withCi(report.baselines.pretrained)}  (supervised pre-training + fine-tuned head)`]);
  } else {
    rows.push(['  baselines', 'off']);
  }
  if (report.timing) {
    const t = report.timing;
    rows.push(['  eval time', `${formatDuration(t.seconds)} (${t.msPerEpisode.toFixed(1)} ms per episode; baseline pre-training ${formatDuration(t.baselineSeconds)})`]);
  }
  return rows;
}

function crossValidationLines(report: CrossValidationReport): [string, string][] {
  const mean = report.accuracy ? `${percent(report.accuracy.mean)} ± ${percent(report.accuracy.std)} (mean ± std over folds)` : 'no fold scored';
  return [
    [`${report.folds.length}-fold`, mean],
    ...report.folds.map((f): [string, string] => [
      `  fold ${f.fold}`,
      f.evaluation
        ? `${withCi(f.evaluation.accuracy)}  (${f.evaluation.ways}-way, ${f.heldOutClasses} held-out / ${f.trainClasses} trained classes)`
        : `not scored (${f.heldOutClasses} held-out classes)`,
    ]),
  ];
}

export function formatSummary(s: Summary): string {
  const rows: [string, string][] = [];
  if (s.command === 'train') {
    const { config: c } = s;
    rows.push(['status', `${s.status} (${s.iterations}/${c.outer.iterations} iterations)`]);
    rows.push([
      'run',
      `${c.algorithm}, ${c.episode.ways}-way ${c.episode.shots}-shot, ${c.episode.queries} queries, meta-batch ${c.outer.metaBatchSize}`,
    ]);
  }
  rows.push(['dataset', `${s.dataset.source}  (${s.dataset.description})`]);
  rows.push(['backend', `${s.backend.name}${s.backend.device ? ` (${s.backend.device})` : ''}`]);
  rows.push(...evaluationLines(s.evaluation));
  if (s.command === 'train') {
    if (s.crossValidation) rows.push(...crossValidationLines(s.crossValidation));
    for (const warning of s.warnings) rows.push(['warning', warning]);
    rows.push(['best val acc', percent(s.bestValidationAccuracy)]);
    rows.push(['best checkpoint', s.bestCheckpoint]);
  } else {
    rows.push(['checkpoint', s.checkpoint]);
  }
  rows.push(['elapsed', formatDuration(s.elapsedSeconds)]);
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  return rows.map(([label, value]) => `${label.padEnd(width)}${value}\n`).join('');
}

export function describeBackend(info: BackendInfo): string {
  const chosen = `backend: ${info.name}${info.device ? ` (${info.device})` : ''}`;
  return [chosen, ...info.skipped.map((s) => `  skipped ${s.backend}: ${s.reason}`)].join('\n') + '\n';
}
