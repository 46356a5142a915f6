// Small hooks the pages share: the hash route, a fetched resource, and following a job's events.
import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, getJson, readEvents } from './api.js';
import type { Job } from './api-types.js';

export interface Route {
  /** `#/jobs/abc?status=running` → ['jobs', 'abc'] */
  path: string[];
  query: URLSearchParams;
}

const parseHash = (): Route => {
  const [path = '', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
};

export function useRoute(): Route {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const changed = () => setRoute(parseHash());
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return route;
}

export const navigate = (hash: string) => {
  location.hash = hash;
};

export interface Resource<T> {
  data: T | null;
  error: Error | null;
  reload: () => void;
}

/** GETs `path` (again whenever it changes, or on reload); null fetches nothing. */
export function useResource<T>(path: string | null): Resource<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null }>({ data: null, error: null });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    if (path === null) return;
    const abort = new AbortController();
    getJson<T>(path, abort.signal).then(
      (data) => setState({ data, error: null }),
      (error: Error) => abort.signal.aborted || setState((s) => ({ data: s.data, error })),
    );
    return () => abort.abort();
  }, [path, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return { ...state, reload };
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * Calls `onJob` with the job on every change until it finishes, reconnecting (with back-off)
 * when the stream drops before its `done` event.
 */
export async function followJob(id: string, onJob: (job: Job) => void, signal: AbortSignal): Promise<void> {
  let done = false;
  let delay = 1000;
  while (!done && !signal.aborted) {
    try {
      await readEvents(
        `/v1/jobs/${encodeURIComponent(id)}/events`,
        (event, data) => {
          onJob(JSON.parse(data) as Job);
          if (event === 'done') done = true;
          delay = 1000;
        },
        signal,
      );
    } catch (error) {
      if (signal.aborted || (error instanceof ApiError && error.status < 500)) return;
    }
    if (!done) await sleep(delay, signal);
    delay = Math.min(delay * 2, 15_000);
  }
}
