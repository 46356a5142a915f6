// The dashboard: a hash-routed single page over the public API.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { getKey, onKeyChange, openQueueBoard, setKey, setKeyPrompt } from './api.js';
import { ErrorNote } from './components/bits.js';
import { useRoute } from './hooks.js';
import { DatasetPage, DatasetsPage } from './pages/datasets.js';
import { JobPage, JobsPage } from './pages/jobs.js';
import { ModelPage, ModelsPage } from './pages/models.js';
import { TryPage } from './pages/try.js';

const SECTIONS = [
  ['jobs', 'Jobs'],
  ['models', 'Models'],
  ['datasets', 'Datasets'],
  ['try', 'Try it'],
] as const;

function Page() {
  const { path, query } = useRoute();
  const [section = 'jobs', id] = path;
  useEffect(() => {
    document.title = `${SECTIONS.find(([s]) => s === section)?.[1] ?? 'Fewshot'} · Fewshot`;
  }, [section]);
  switch (section) {
    case 'jobs':
      return id ? <JobPage id={id} /> : <JobsPage status={query.get('status')} />;
    case 'models':
      return id ? <ModelPage id={id} /> : <ModelsPage />;
    case 'datasets':
      return id ? <DatasetPage id={id} /> : <DatasetsPage />;
    case 'try':
      return <TryPage modelId={query.get('model')} />;
    default:
      return <p class="error">No page “{section}”.</p>;
  }
}

/** Asks for an API key when a request is refused; one dialog however many requests wait on it. */
function KeyDialog() {
  const [asking, setAsking] = useState<{ refused: boolean; answer: (key: string | null) => void } | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => setKeyPrompt((refused) => new Promise((answer) => setAsking({ refused, answer }))), []);
  useEffect(() => input.current?.focus(), [asking]);
  if (!asking) return null;
  const finish = (key: string | null) => {
    asking.answer(key);
    setAsking(null);
  };
  return (
    <div class="overlay">
      <form
        class="dialog card"
        onSubmit={(event) => {
          event.preventDefault();
          finish(input.current!.value.trim() || null);
        }}
      >
        <h2>API key</h2>
        <p>{asking.refused ? 'The service refused this key. Enter another one.' : 'This service needs an API key.'}</p>
        <p class="muted">It is kept in this tab only (session storage) and sent as a bearer token.</p>
        <input ref={input} type="password" name="key" autocomplete="off" placeholder="fsk_…" />
        <div class="actions">
          <button type="submit">Use key</button>
          <button type="button" class="secondary" onClick={() => finish(null)}>
            Cancel
          </button>
        </div>
      </form>
    </div>
  );
}

function App() {
  const { path } = useRoute();
  const [hasKey, setHasKey] = useState(getKey() !== null);
  const [boardError, setBoardError] = useState<Error | null>(null);
  useEffect(
    () =>
      onKeyChange(() => {
        setHasKey(getKey() !== null);
      }),
    [],
  );
  const current = path[0] ?? 'jobs';
  return (
    <>
      <header class="top">
        <a class="brand" href="#/jobs">
          Fewshot
        </a>
        <nav>
          {SECTIONS.map(([section, label]) => (
            <a key={section} href={`#/${section}`} class={current === section ? 'active' : ''}>
              {label}
            </a>
          ))}
          <a
            href="/admin/queues"
            onClick={(event) => {
              event.preventDefault();
              setBoardError(null);
              openQueueBoard().catch(setBoardError);
            }}
          >
            Queues ↗
          </a>
        </nav>
        <div class="key">
          {hasKey ? (
            <button
              class="link"
              onClick={() => {
                setKey(null);
                location.reload();
              }}
            >
              Forget key
            </button>
          ) : null}
        </div>
      </header>
      <main>
        {boardError ? <ErrorNote error={boardError} /> : null}
        <Page />
      </main>
      <KeyDialog />
    </>
  );
}

render(<App />, document.getElementById('app')!);
