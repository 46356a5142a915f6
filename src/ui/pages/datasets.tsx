// Datasets: the list, and one dataset at a glance — classes, balance, modalities, split, samples.
import { useMemo, useState } from 'preact/hooks';
import type { Dataset, DatasetSummary, InputSpec, SamplePage } from '../api-types.js';
import { Histogram } from '../components/bar-charts.js';
import { ErrorNote, Facts, Loading } from '../components/bits.js';
import { ago, dateTime, plural } from '../format.js';
import { useResource } from '../hooks.js';

const CLASSES_PER_PAGE = 24;

export function DatasetsPage() {
  const { data, error } = useResource<{ datasets: DatasetSummary[] }>('/v1/datasets');
  if (error) return <ErrorNote error={error} />;
  if (!data) return <Loading />;
  return (
    <>
      <h1>Datasets</h1>
      {data.datasets.length === 0 ? (
        <p class="muted">No datasets yet: POST /v1/datasets, or `fewshot datasets import`.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>Dataset</th>
              <th>Name</th>
              <th>Classes</th>
              <th>Examples</th>
              <th>Modalities</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {data.datasets.map((d) => (
              <tr key={d.id} data-dataset={d.id}>
                <td>
                  <a href={`#/datasets/${d.id}`}>{d.id}</a>
                </td>
                <td>{d.name}</td>
                <td>{d.numClasses}</td>
                <td>{d.numExamples}</td>
                <td>{d.modalities.join(', ')}</td>
                <td title={dateTime(d.createdAt)}>{ago(d.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

const specText = (spec: InputSpec) =>
  [
    spec.image ? `image ${spec.image.width}×${spec.image.height}×${spec.image.channels}` : null,
    spec.text ? `text (${spec.text.features} hashed n-gram features)` : null,
    spec.vector ? `vector of ${spec.vector.dim}` : null,
  ]
    .filter(Boolean)
    .join(' · ');

function SplitCard({ dataset }: { dataset: Dataset }) {
  const { split } = dataset;
  if (!split) {
    return (
      <section class="card">
        <h3>Class split</h3>
        <p class="muted">
          No split from the data's publisher: each job splits the classes by its own fractions (default 70% meta-train, 10% validation, 20% test),
          so test classes are never trained on.
        </p>
      </section>
    );
  }
  const names = (indices: readonly number[]) => indices.map((i) => dataset.classes[i]?.name ?? String(i));
  return (
    <section class="card">
      <h3>The publisher's class split</h3>
      {(['train', 'validation', 'test'] as const).map((part) => (
        <details key={part}>
          <summary>
            {part === 'train' ? 'meta-train' : part}: {plural(split[part].length, 'class', 'classes')}
          </summary>
          <p class="classes">{names(split[part]).join(', ')}</p>
        </details>
      ))}
    </section>
  );
}

function Samples({ dataset }: { dataset: Dataset }) {
  const [offset, setOffset] = useState(0);
  const { data, error } = useResource<SamplePage>(`/v1/datasets/${dataset.id}/samples?offset=${offset}&limit=${CLASSES_PER_PAGE}&perClass=4`);
  const last = Math.min(dataset.numClasses, offset + CLASSES_PER_PAGE);
  return (
    <section class="card">
      <h3>
        Samples: classes {offset + 1}–{last} of {dataset.numClasses}
      </h3>
      <div class="toolbar">
        <button class="secondary small" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - CLASSES_PER_PAGE))}>
          ← Previous
        </button>
        <button class="secondary small" disabled={last >= dataset.numClasses} onClick={() => setOffset(offset + CLASSES_PER_PAGE)}>
          Next →
        </button>
      </div>
      {error ? <ErrorNote error={error} /> : null}
      {!data ? (
        <Loading />
      ) : (
        <div class="samples">
          {data.classes.map((c) => (
            <div class="sample-class" key={c.index} data-class={c.name}>
              <h4 title={c.name}>
                {c.name} <span class="muted">({c.examples})</span>
              </h4>
              <div class="thumbs">
                {c.samples.filter((s) => s.image).map((s) => (
                  <img key={s.row} src={s.image} alt={`${c.name} example ${s.row}`} class="thumb" />
                ))}
              </div>
              {c.texts.map((line, i) => (
                <p key={i} class="line">
                  {line}
                </p>
              ))}
              {c.samples
                .filter((s) => s.vector)
                .map((s) => (
                  <p key={s.row} class="line mono">
                    [{s.vector!.map((v) => v.toFixed(2)).join(', ')}
                    {dataset.spec.vector && dataset.spec.vector.dim > s.vector!.length ? ', …' : ''}]
                  </p>
                ))}
            </div>
          ))}
        </div>
      )}
      {dataset.modalities.includes('text') && data?.classes.every((c) => c.texts.length === 0) ? (
        <p class="muted">No lines of text are stored for this dataset (its file predates raw text being kept: it holds text features only).</p>
      ) : null}
    </section>
  );
}

export function DatasetPage({ id }: { id: string }) {
  const { data: dataset, error } = useResource<Dataset>(`/v1/datasets/${encodeURIComponent(id)}`);
  const counts = useMemo(() => dataset?.classes.map((c) => c.examples) ?? [], [dataset]);
  if (error) return <ErrorNote error={error} />;
  if (!dataset) return <Loading />;
  const min = Math.min(...counts);
  const max = Math.max(...counts);
  return (
    <>
      <h1>
        Dataset {dataset.name} <code>{dataset.id}</code>
      </h1>
      <div class="grid two">
        <section class="card">
          <h3>At a glance</h3>
          <Facts
            items={[
              ['Classes', String(dataset.numClasses)],
              ['Examples', String(dataset.numExamples)],
              ['Examples per class', min === max ? String(min) : `${min}–${max} (mean ${(dataset.numExamples / dataset.numClasses).toFixed(1)})`],
              ['Modalities', dataset.modalities.join(', ')],
              ['Inputs', specText(dataset.spec)],
              ['Created', dateTime(dataset.createdAt)],
            ]}
          />
        </section>
        <section class="card">
          <h3>Examples per class</h3>
          <Histogram values={counts} label="examples in the class" />
        </section>
      </div>
      <SplitCard dataset={dataset} />
      <Samples dataset={dataset} />
    </>
  );
}
