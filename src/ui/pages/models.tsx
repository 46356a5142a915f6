// Models: the list, and a model's card — accuracy against its baselines, configuration, data.
import { useMemo } from 'preact/hooks';
import { download } from '../api.js';
import type { Model, ModelSummary } from '../api-types.js';
import { AccuracyChart, type AccuracyBar } from '../components/bar-charts.js';
import { COLORS } from '../components/chart.js';
import { ErrorNote, Facts, Loading, Warnings } from '../components/bits.js';
import { accuracyText, ago, dateTime, duration, percent } from '../format.js';
import { useResource } from '../hooks.js';

export function ModelsPage() {
  const { data, error } = useResource<{ models: ModelSummary[] }>('/v1/models');
  if (error) return <ErrorNote error={error} />;
  if (!data) return <Loading />;
  return (
    <>
      <h1>Models</h1>
      {data.models.length === 0 ? (
        <p class="muted">No models yet: a job that completes registers one.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Model</th>
              <th>Algorithm</th>
              <th>Dataset</th>
              <th>Test accuracy (95% CI)</th>
              <th>Created</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {data.models.map((m) => (
              <tr key={m.id} data-model={m.id}>
                <td>
                  <a href={`#/models/${m.id}`}>{m.id}</a>
                </td>
                <td>{m.algorithm}</td>
                <td>
                  <a href={`#/datasets/${m.datasetId}`}>{m.datasetName}</a>
                </td>
                <td>{accuracyText(m.accuracy)}</td>
                <td title={dateTime(m.createdAt)}>{ago(m.createdAt)}</td>
                <td class="actions">
                  <a href={`#/try?model=${m.id}`}>try it</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** Nested configuration as dotted keys: `outer.lr: 0.001`. */
function flatten(value: unknown, prefix = ''): [string, string][] {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([key, v]) => flatten(v, prefix ? `${prefix}.${key}` : key));
  }
  return [[prefix, Array.isArray(value) ? value.join(', ') : String(value)]];
}

function EvaluationCard({ model }: { model: Model }) {
  const evaluation = model.evaluation;
  const bars = useMemo((): AccuracyBar[] => {
    if (!evaluation) return [];
    const chance = 1 / evaluation.ways;
    return [
      { label: `${model.algorithm} (meta-learned)`, accuracy: evaluation.accuracy, color: COLORS.primary },
      ...(evaluation.baselines
        ? [
            { label: 'pre-trained + fine-tuned', accuracy: evaluation.baselines.pretrained, color: COLORS.secondary },
            { label: 'from scratch', accuracy: evaluation.baselines.scratch, color: COLORS.accent },
          ]
        : []),
      { label: `chance (1/${evaluation.ways})`, accuracy: { mean: chance, ci95: 0 }, color: COLORS.muted },
    ];
  }, [model]);
  if (!evaluation) return <p class="muted">This model was not evaluated (evaluation.episodes was 0, or the job was cancelled).</p>;
  return (
    <section class="card">
      <h3>
        Test accuracy: {evaluation.ways}-way {evaluation.shots}-shot, {evaluation.episodes} episodes of held-out classes
      </h3>
      <table class="compact" data-evaluation>
        <tbody>
          {bars.map((bar) => (
            <tr key={bar.label}>
              <th>{bar.label}</th>
              <td>{bar.accuracy.ci95 > 0 ? accuracyText(bar.accuracy) : percent(bar.accuracy.mean)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <AccuracyChart items={bars} />
      <p class="muted">
        Bars are mean accuracy over the same test episodes; whiskers are 95% confidence intervals.
        {evaluation.baselines ? '' : ' Baselines were not computed for this model (evaluation.baselines was false).'}
        {evaluation.timing
          ? ` Evaluated in ${duration(evaluation.timing.seconds)}, ${evaluation.timing.msPerEpisode.toFixed(1)} ms per episode.`
          : ''}
      </p>
    </section>
  );
}

function CrossValidationCard({ model }: { model: Model }) {
  const cv = model.crossValidation;
  if (!cv) return null;
  return (
    <section class="card" data-cross-validation>
      <h3>
        {cv.folds.length}-fold meta-validation:{' '}
        {cv.accuracy ? `${percent(cv.accuracy.mean)} ± ${percent(cv.accuracy.std)} (mean ± std over folds)` : 'no fold scored'}
      </h3>
      <table class="compact">
        <tbody>
          {cv.folds.map((f) => (
            <tr key={f.fold}>
              <th>fold {f.fold}</th>
              <td>
                {f.evaluation ? `${accuracyText(f.evaluation.accuracy)} (${f.evaluation.ways}-way)` : 'not scored'} · {f.heldOutClasses} held-out
                classes, trained on {f.trainClasses}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function ModelPage({ id }: { id: string }) {
  const { data: model, error } = useResource<Model>(`/v1/models/${encodeURIComponent(id)}`);
  if (error) return <ErrorNote error={error} />;
  if (!model) return <Loading />;
  return (
    <>
      <h1>
        Model <code>{model.id}</code>
      </h1>
      <div class="toolbar">
        <a class="button" href={`#/try?model=${model.id}`}>
          Try it
        </a>
        <button class="secondary" onClick={() => download(`/v1/models/${model.id}/manifest`, `${model.id}-manifest.json`)}>
          Download checkpoint manifest
        </button>
      </div>
      <Warnings warnings={model.warnings} />
      <EvaluationCard model={model} />
      <CrossValidationCard model={model} />
      <div class="grid two">
        <section class="card">
          <h3>Training</h3>
          <Facts
            items={[
              ['Algorithm', model.algorithm],
              [
                'Dataset',
                <a key="dataset" href={`#/datasets/${model.datasetId}`}>
                  {model.datasetName}
                </a>,
              ],
              [
                'Job',
                <a key="job" href={`#/jobs/${model.jobId}`}>
                  {model.jobId}
                </a>,
              ],
              ['Iterations', String(model.iterations)],
              ['Best validation accuracy', percent(model.bestValidationAccuracy)],
              ['Backend', model.backend ? `${model.backend.name}${model.backend.device ? ` (${model.backend.device})` : ''}` : '–'],
              ['Checkpoints', model.checkpoints.map((c) => c.iteration).join(', ') || '–'],
              ['Created', dateTime(model.createdAt)],
            ]}
          />
        </section>
        <section class="card">
          <h3>Configuration</h3>
          <table class="compact config">
            <tbody>
              {flatten(model.config).map(([key, value]) => (
                <tr key={key}>
                  <th>{key}</th>
                  <td>
                    <code>{value}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
    </>
  );
}
