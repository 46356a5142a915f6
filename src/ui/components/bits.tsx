// Small pieces every page uses.
import type { ComponentChildren } from 'preact';
import { ApiError } from '../api.js';
import type { Job, JobStatus } from '../api-types.js';
import { duration, percent } from '../format.js';

export const StatusBadge = ({ status }: { status: JobStatus }) => (
  <span class={`badge ${status}`} data-status={status}>
    {status}
  </span>
);

/** What the running phase has done: meta-iterations, a fold's run, baseline updates or test episodes. */
function phasePosition(p: NonNullable<Job['progress']>): { label: string; fraction: number } {
  const fold = p.fold ? `fold ${p.fold.fold}/${p.fold.folds}` : '';
  const [name, done, total] = p.evaluation
    ? [p.fold ? `${fold} evaluation` : 'evaluation', p.evaluation.done, p.evaluation.episodes]
    : p.phase === 'baseline' && p.baseline
      ? ['baseline pre-training', p.baseline.done, p.baseline.steps]
      : [p.phase === 'meta-training' ? '' : fold, p.iteration, p.iterations];
  return { label: `${name ? `${name} ` : ''}${done}/${total}`, fraction: done / Math.max(1, total) };
}

export function JobProgress({ job }: { job: Job }) {
  const p = job.progress;
  if (!p) return <span class="muted">{job.status === 'queued' ? 'waiting for a worker' : '–'}</span>;
  if (job.status === 'completed') {
    const evaluated = p.evaluation ? ` · evaluated on ${p.evaluation.episodes} episodes` : '';
    return (
      <div class="progress">
        <div class="bar done" style={{ width: '100%' }} />
        <span>{`${p.iterations}/${p.iterations}${evaluated}`}</span>
      </div>
    );
  }
  const { label, fraction } = phasePosition(p);
  const evaluating = p.phase !== 'meta-training';
  return (
    <div class="progress" title={`${p.phase}: ${label}`}>
      <div class={`bar ${evaluating ? 'evaluating' : ''}`} style={{ width: `${Math.min(100, fraction * 100)}%` }} />
      <span>
        {label}
        {job.status === 'running' ? ` · ETA ${duration(p.etaSeconds)}` : ''}
      </span>
    </div>
  );
}

/** What a job (or its model) could not do as asked; nothing when all went as asked. */
export function Warnings({ warnings }: { warnings: readonly string[] }) {
  if (warnings.length === 0) return null;
  return (
    <ul class="warnings" data-warnings>
      {warnings.map((w) => (
        <li key={w}>{w}</li>
      ))}
    </ul>
  );
}

/** An error as a person should read it; 403 means the key may not see this. */
export function ErrorNote({ error }: { error: Error }) {
  const text =
    error instanceof ApiError && error.status === 403
      ? `This API key may not see this (${error.message}).`
      : error instanceof ApiError && error.status === 401
        ? 'An API key is needed to see this.'
        : error.message;
  return (
    <p class="error" role="alert">
      {text}
    </p>
  );
}

export const Loading = () => <p class="muted">Loading…</p>;

export function Facts({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {items.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export const Accuracy = ({ value }: { value: number | null | undefined }) => <span>{percent(value)}</span>;
