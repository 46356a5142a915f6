// Jobs: a live table of training jobs, and a job's page with its learning curves.
import { useEffect, useRef, useState } from 'preact/hooks';
import { download, getJson, sendJson } from '../api.js';
import { isFinished, JOB_STATUSES, type Job, type MetricPoint } from '../api-types.js';
import { ErrorNote, Facts, JobProgress, Loading, StatusBadge, Warnings } from '../components/bits.js';
import { LearningCurves } from '../components/curves.js';
import { ago, dateTime, duration, number, percent } from '../format.js';
import { followJob, useResource } from '../hooks.js';

/** Jobs followed live at once: each stream holds one of the browser's few connections per host. */
const LIVE_JOBS = 4;
/** The list itself is read again this often, for jobs created elsewhere and those not followed. */
const LIST_REFRESH_MS = 10_000;

const CancelButton = ({ job, onCancelled }: { job: Job; onCancelled: (job: Job) => void }) =>
  isFinished(job.status) ? null : (
    <button
      class="danger small"
      onClick={async () => {
        const cancelled = await sendJson<Job>('POST', `/v1/jobs/${job.id}/cancel`);
        if (cancelled) onCancelled(cancelled);
      }}
    >
      Cancel
    </button>
  );

export function JobsPage({ status }: { status: string | null }) {
  const [jobs, setJobs] = useState<Job[] | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const [generation, setGeneration] = useState(0);
  const path = `/v1/jobs?limit=100${status ? `&status=${status}` : ''}`;

  useEffect(() => {
    const abort = new AbortController();
    const load = () =>
      getJson<{ jobs: Job[] }>(path, abort.signal).then(
        (body) => {
          setJobs(body.jobs);
          setError(null);
        },
        (e: Error) => abort.signal.aborted || setError(e),
      );
    void load();
    const timer = setInterval(load, LIST_REFRESH_MS);
    return () => {
      clearInterval(timer);
      abort.abort();
    };
  }, [path, generation]);

  const update = (job: Job) => setJobs((list) => list?.map((j) => (j.id === job.id ? job : j)) ?? null);

  // Follow the unfinished jobs, running ones first; a finished one reloads the list.
  const live = (jobs ?? [])
    .filter((j) => !isFinished(j.status))
    .sort((a, b) => Number(b.status === 'running') - Number(a.status === 'running'))
    .slice(0, LIVE_JOBS)
    .map((j) => j.id);
  const liveKey = live.join(',');
  useEffect(() => {
    const abort = new AbortController();
    for (const id of live) {
      void followJob(
        id,
        (job) => {
          update(job);
          if (isFinished(job.status)) setGeneration((g) => g + 1);
        },
        abort.signal,
      );
    }
    return () => abort.abort();
  }, [liveKey]);

  return (
    <>
      <h1>Jobs</h1>
      <div class="filters" role="group" aria-label="Filter by status">
        {[null, ...JOB_STATUSES].map((s) => (
          <a key={s ?? 'all'} href={s ? `#/jobs?status=${s}` : '#/jobs'} class={`chip ${status === s ? 'active' : ''}`}>
            {s ?? 'all'}
          </a>
        ))}
      </div>
      {error ? <ErrorNote error={error} /> : null}
      {jobs === null ? (
        error ? null : <Loading />
      ) : jobs.length === 0 ? (
        <p class="muted">No {status ?? ''} jobs. Start one with POST /v1/jobs (see the API docs at /docs).</p>
      ) : (
        <table class="jobs">
          <thead>
            <tr>
              <th>Job</th>
              <th>Status</th>
              <th>Algorithm</th>
              <th class="wide">Progress</th>
              <th>Loss</th>
              <th>Val. acc.</th>
              <th>Tasks/s</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr key={job.id} data-job={job.id}>
                <td>
                  <a href={`#/jobs/${job.id}`}>{job.id}</a>
                </td>
                <td>
                  <StatusBadge status={job.status} />
                </td>
                <td>{job.algorithm}</td>
                <td>
                  <JobProgress job={job} />
                </td>
                <td>{number(job.progress?.loss)}</td>
                <td>{percent(job.progress?.validationAccuracy)}</td>
                <td>{number(job.progress?.tasksPerSecond, 1)}</td>
                <td title={dateTime(job.createdAt)}>{ago(job.createdAt)}</td>
                <td class="actions">
                  {job.modelId ? <a href={`#/models/${job.modelId}`}>model</a> : null}
                  <CancelButton job={job} onCancelled={update} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/**
 * The job's metric history, kept current while it runs: each change of the job fetches only the
 * points past the last one held; a new attempt (a resumed job rewrites its tail) or the end
 * fetches it whole.
 */
function useMetrics(job: Job | null): MetricPoint[] {
  const [points, setPoints] = useState<MetricPoint[]>([]);
  const held = useRef({ points: [] as MetricPoint[], attempts: 0, loading: false, stale: false });
  const latest = useRef(job);
  latest.current = job;
  const id = job?.id;
  const changed = job ? `${job.status}/${job.attempts}/${job.progress?.iteration}/${job.progress?.phase}` : '';

  useEffect(() => {
    held.current = { points: [], attempts: 0, loading: false, stale: false };
    setPoints([]);
  }, [id]);

  useEffect(() => {
    const state = held.current;
    if (!latest.current) return;
    state.stale = true;
    if (state.loading) return; // the request in flight fetches again when it returns
    const load = async () => {
      state.loading = true;
      try {
        while (state.stale && latest.current) {
          state.stale = false;
          const current = latest.current;
          const whole = state.attempts !== current.attempts || isFinished(current.status) || state.points.length === 0;
          const after = whole ? undefined : state.points.filter((p) => p.phase === 'meta-training').at(-1)?.iteration;
          const body = await getJson<{ points: MetricPoint[] }>(`/v1/jobs/${current.id}/metrics${after === undefined ? '' : `?after=${after}`}`);
          if (held.current !== state) return; // another job's page now
          state.points = after === undefined ? body.points : [...state.points.filter((p) => p.iteration <= after), ...body.points];
          state.attempts = current.attempts;
          setPoints(state.points);
        }
      } finally {
        state.loading = false;
      }
    };
    load().catch(() => {});
  }, [changed]);
  return points;
}

export function JobPage({ id }: { id: string }) {
  const { data: first, error } = useResource<Job>(`/v1/jobs/${encodeURIComponent(id)}`);
  const [job, setJob] = useState<Job | null>(null);
  useEffect(() => setJob(first), [first]);
  useEffect(() => {
    if (!first || isFinished(first.status)) return;
    const abort = new AbortController();
    void followJob(id, setJob, abort.signal);
    return () => abort.abort();
  }, [first]);
  const points = useMetrics(job);

  if (error) return <ErrorNote error={error} />;
  if (!job) return <Loading />;
  const p = job.progress;
  return (
    <>
      <h1>
        Job <code>{job.id}</code> <StatusBadge status={job.status} />
      </h1>
      <div class="toolbar">
        <CancelButton job={job} onCancelled={setJob} />
        {job.modelId ? (
          <a class="button" href={`#/models/${job.modelId}`}>
            Model card
          </a>
        ) : null}
        <button class="secondary" disabled={points.length === 0} onClick={() => download(`/v1/jobs/${job.id}/metrics`, `${job.id}-metrics.csv`, 'text/csv')}>
          Metrics CSV
        </button>
      </div>
      {job.error ? (
        <pre class="error" role="alert">
          {job.error}
        </pre>
      ) : null}
      <Warnings warnings={job.warnings} />
      <section class="card">
        <JobProgress job={job} />
        <Facts
          items={[
            ['Phase', p ? `${p.phase}${p.fold ? ` (fold ${p.fold.fold} of ${p.fold.folds})` : ''}` : '–'],
            ['Iteration', p ? `${p.iteration} / ${p.iterations}` : '–'],
            ['ETA', job.status === 'running' ? duration(p?.etaSeconds) : '–'],
            ['Tasks/s', number(p?.tasksPerSecond, 1)],
            ['Loss', number(p?.loss)],
            ['Train accuracy', percent(p?.accuracy)],
            ['Validation accuracy', percent(p?.validationAccuracy)],
          ]}
        />
      </section>
      <LearningCurves points={points} />
      <section class="card">
        <h3>Details</h3>
        <Facts
          items={[
            ['Algorithm', job.algorithm],
            [
              'Dataset',
              <a key="dataset" href={`#/datasets/${job.datasetId}`}>
                {job.datasetId}
              </a>,
            ],
            ['Backend', job.backend ? `${job.backend.name}${job.backend.device ? ` (${job.backend.device})` : ''}` : '–'],
            ['Attempts', String(job.attempts)],
            ['Checkpoints', job.checkpoints.length ? job.checkpoints.join(', ') : 'none yet'],
            ['Created', dateTime(job.createdAt)],
            ['Started', dateTime(job.startedAt)],
            ['Finished', dateTime(job.finishedAt)],
            ['History', `${points.length} points`],
          ]}
        />
      </section>
    </>
  );
}
