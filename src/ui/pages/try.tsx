// Try it: pick a model, give it a labelled support set (images, texts or vectors — whatever the
// model takes), adapt once, and classify queries as often as you like with that adaptation.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, sendJson } from '../api.js';
import type { Adaptation, Example, InputSpec, Manifest, ModelSummary, Prediction, Query } from '../api-types.js';
import { ErrorNote, Loading } from '../components/bits.js';
import { accuracyText, dateTime, percent } from '../format.js';
import { navigate, useResource } from '../hooks.js';

interface Picture {
  name: string;
  url: string;
}

/** Inputs of one support class, or of the queries (no label). */
interface Inputs {
  images: Picture[];
  texts: string;
  vectors: string;
}

interface SupportClass extends Inputs {
  key: number;
  label: string;
}

const noInputs = (): Inputs => ({ images: [], texts: '', vectors: '' });
let nextKey = 0;
const newClass = (label = ''): SupportClass => ({ key: nextKey++, label, ...noInputs() });

const readPicture = (file: File) =>
  new Promise<Picture>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve({ name: file.name, url: reader.result as string });
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

function parseVector(line: string): number[] {
  const values = line.split(/[\s,]+/).filter(Boolean).map(Number);
  if (values.length === 0 || values.some((v) => !Number.isFinite(v))) throw new Error(`not a vector of numbers: “${line}”`);
  return values;
}

/** The queries (or one class's examples) the inputs hold: one per image, per text line, per vector line. */
function toQueries(inputs: Inputs, spec: InputSpec): Query[] {
  return [
    ...(spec.image ? inputs.images.map((p): Query => ({ image: p.url })) : []),
    ...(spec.text ? lines(inputs.texts).map((text): Query => ({ text })) : []),
    ...(spec.vector ? lines(inputs.vectors).map((line): Query => ({ vector: parseVector(line) })) : []),
  ];
}

function ImageDrop({ pictures, onChange, name }: { pictures: Picture[]; onChange: (pictures: Picture[]) => void; name: string }) {
  const [over, setOver] = useState(false);
  const add = async (files: FileList | null) => {
    const images = [...(files ?? [])].filter((f) => f.type.startsWith('image/'));
    onChange([...pictures, ...(await Promise.all(images.map(readPicture)))]);
  };
  return (
    <div
      class={`drop ${over ? 'over' : ''}`}
      onDragOver={(event) => {
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(event) => {
        event.preventDefault();
        setOver(false);
        void add(event.dataTransfer?.files ?? null);
      }}
    >
      <div class="thumbs">
        {pictures.map((p, i) => (
          <figure key={`${p.name}-${i}`} class="thumb-figure">
            <img class="thumb" src={p.url} alt={p.name} />
            <button class="remove" title="Remove" onClick={() => onChange(pictures.filter((_, j) => j !== i))}>
              ×
            </button>
          </figure>
        ))}
      </div>
      <label class="file">
        Drop images here or <u>choose files</u>
        <input
          type="file"
          name={name}
          accept="image/*"
          multiple
          onChange={(event) => {
            const input = event.currentTarget;
            void add(input.files).then(() => (input.value = ''));
          }}
        />
      </label>
    </div>
  );
}

function InputsEditor({ inputs, spec, onChange, name }: { inputs: Inputs; spec: InputSpec; onChange: (inputs: Inputs) => void; name: string }) {
  return (
    <>
      {spec.image ? <ImageDrop name={`${name}-images`} pictures={inputs.images} onChange={(images) => onChange({ ...inputs, images })} /> : null}
      {spec.text ? (
        <textarea
          name={`${name}-texts`}
          rows={3}
          placeholder="One text per line"
          value={inputs.texts}
          onInput={(event) => onChange({ ...inputs, texts: event.currentTarget.value })}
        />
      ) : null}
      {spec.vector ? (
        <textarea
          name={`${name}-vectors`}
          rows={3}
          class="mono"
          placeholder={`One vector of ${spec.vector.dim} numbers per line`}
          value={inputs.vectors}
          onInput={(event) => onChange({ ...inputs, vectors: event.currentTarget.value })}
        />
      ) : null}
    </>
  );
}

function QueryCell({ query }: { query: Query }) {
  if (query.image) return <img class="thumb" src={query.image} alt="query" />;
  if (query.text) return <span>{query.text}</span>;
  return <code>[{query.vector!.map((v) => v.toFixed(2)).join(', ')}]</code>;
}

function Results({ queries, predictions }: { queries: Query[]; predictions: Prediction[] }) {
  return (
    <table class="results" data-results>
      <thead>
        <tr>
          <th>Query</th>
          <th>Predicted label</th>
          <th class="wide">Confidence</th>
          <th>All labels</th>
        </tr>
      </thead>
      <tbody>
        {predictions.map((p, i) => (
          <tr key={i} data-prediction={i}>
            <td>
              <QueryCell query={queries[i]} />
            </td>
            <td class="label" data-label={p.label}>
              {p.label}
            </td>
            <td>
              <div class="progress" data-confidence={p.confidence}>
                <div class="bar" style={{ width: `${p.confidence * 100}%` }} />
                <span>{percent(p.confidence)}</span>
              </div>
            </td>
            <td class="muted">
              {Object.entries(p.scores)
                .sort((a, b) => b[1] - a[1])
                .map(([label, score]) => `${label} ${percent(score)}`)
                .join(' · ')}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TryPage({ modelId }: { modelId: string | null }) {
  const { data: list, error: listError } = useResource<{ models: ModelSummary[] }>('/v1/models');
  const models = list?.models ?? [];
  const chosen = modelId ?? models[0]?.id ?? null;
  const { data: manifest, error: manifestError } = useResource<Manifest>(chosen ? `/v1/models/${encodeURIComponent(chosen)}/manifest` : null);

  const [classes, setClasses] = useState<SupportClass[]>(() => [newClass(), newClass()]);
  const [queries, setQueries] = useState<Inputs>(noInputs);
  const [steps, setSteps] = useState('');
  const [adaptation, setAdaptation] = useState<{ value: Adaptation; support: string } | null>(null);
  const [results, setResults] = useState<{ queries: Query[]; predictions: Prediction[] } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<Error | null>(null);

  // Another model: nothing adapted applies to it.
  useEffect(() => {
    setAdaptation(null);
    setResults(null);
  }, [chosen]);

  const spec = manifest?.spec;
  const support = useMemo((): Example[] | Error => {
    if (!spec) return [];
    try {
      return classes.flatMap((c) => toQueries(c, spec).map((q) => ({ label: c.label.trim(), ...q })));
    } catch (e) {
      return e as Error;
    }
  }, [classes, spec]);
  const supportKey = JSON.stringify(support);
  const adapted = adaptation !== null && adaptation.support === supportKey;

  const run = async (what: string, action: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(null);
    }
  };

  const predict = (id: string) =>
    run('Predicting…', async () => {
      const batch = toQueries(queries, spec!);
      if (batch.length === 0) throw new Error('Add at least one query.');
      const answer = await sendJson<{ predictions: Prediction[] }>('POST', `/v1/adaptations/${id}/predict`, { queries: batch });
      setResults({ queries: batch, predictions: answer!.predictions });
    });

  const adaptAndPredict = () =>
    run('Adapting…', async () => {
      if (support instanceof Error) throw support;
      if (support.some((e) => !e.label)) throw new Error('Every class needs a label.');
      if (adaptation) await sendJson('DELETE', `/v1/adaptations/${adaptation.value.id}`).catch(() => {});
      const body = { support, ...(steps ? { steps: Number(steps) } : {}) };
      const value = (await sendJson<Adaptation>('POST', `/v1/models/${chosen}/adaptations`, body))!;
      setAdaptation({ value, support: supportKey });
      if (toQueries(queries, spec!).length > 0) await predict(value.id);
    });

  const forget = () =>
    run('Forgetting…', async () => {
      await sendJson('DELETE', `/v1/adaptations/${adaptation!.value.id}`).catch((e: unknown) => {
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      });
      setAdaptation(null);
    });

  if (listError) return <ErrorNote error={listError} />;
  if (!list) return <Loading />;
  if (models.length === 0) return <p class="muted">No models yet: a completed training job registers one.</p>;
  const current = models.find((m) => m.id === chosen);
  return (
    <>
      <h1>Try it</h1>
      <section class="card">
        <label class="field">
          Model{' '}
          <select name="model" value={chosen ?? ''} onChange={(event) => navigate(`/try?model=${event.currentTarget.value}`)}>
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.id} · {m.algorithm} on {m.datasetName} · {accuracyText(m.accuracy)}
              </option>
            ))}
          </select>
        </label>
        {current && manifest ? (
          <p class="muted">
            Takes {Object.keys(manifest.spec).join(' + ')}; trained on {manifest.dataset.name}. Adaptation steps default to the training setting.
          </p>
        ) : null}
        {manifestError ? <ErrorNote error={manifestError} /> : null}
      </section>
      {!spec ? null : (
        <>
          <section class="card">
            <h3>Support set</h3>
            <p class="muted">A few labelled examples of each new class (at least two classes).</p>
            <div class="support">
              {classes.map((c, i) => (
                <div class="support-class" key={c.key} data-support-class={i}>
                  <div class="row">
                    <input
                      name={`label-${i}`}
                      placeholder="label"
                      value={c.label}
                      onInput={(event) => setClasses(classes.map((x) => (x.key === c.key ? { ...x, label: event.currentTarget.value } : x)))}
                    />
                    <button class="link" title="Remove this class" disabled={classes.length <= 2} onClick={() => setClasses(classes.filter((x) => x.key !== c.key))}>
                      remove
                    </button>
                  </div>
                  <InputsEditor
                    name={`class-${i}`}
                    inputs={c}
                    spec={spec}
                    onChange={(inputs) => setClasses(classes.map((x) => (x.key === c.key ? { ...x, ...inputs } : x)))}
                  />
                </div>
              ))}
            </div>
            <div class="toolbar">
              <button class="secondary" onClick={() => setClasses([...classes, newClass()])}>
                + Add a class
              </button>
              <label class="field">
                Adaptation steps{' '}
                <input name="steps" type="number" min={0} max={200} value={steps} placeholder="default" onInput={(e) => setSteps(e.currentTarget.value)} />
              </label>
            </div>
          </section>
          <section class="card">
            <h3>Queries</h3>
            <InputsEditor name="queries" inputs={queries} spec={spec} onChange={setQueries} />
            <div class="toolbar">
              <button name="adapt" disabled={busy !== null} onClick={adaptAndPredict}>
                {adapted ? 'Adapt again & predict' : 'Adapt & predict'}
              </button>
              <button name="predict" class="secondary" disabled={busy !== null || !adapted} onClick={() => predict(adaptation!.value.id)}>
                Predict with this adaptation
              </button>
              {adaptation ? (
                <button class="link" disabled={busy !== null} onClick={forget}>
                  Forget adaptation
                </button>
              ) : null}
              {busy ? <span class="muted">{busy}</span> : null}
            </div>
            {adaptation ? (
              <p class="muted" data-adaptation={adaptation.value.id}>
                Adaptation <code>{adaptation.value.id}</code> ({adaptation.value.labels.join(', ')}; {adaptation.value.steps} steps) kept until{' '}
                {dateTime(adaptation.value.expiresAt)}.{adapted ? '' : ' The support set has changed since: adapt again to use it.'}
              </p>
            ) : null}
            {error ? <ErrorNote error={error} /> : null}
          </section>
          {results ? (
            <section class="card">
              <h3>Predictions</h3>
              <Results {...results} />
            </section>
          ) : null}
        </>
      )}
    </>
  );
}
