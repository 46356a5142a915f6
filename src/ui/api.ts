// The dashboard reads the API like any client: fetch with an `Authorization: Bearer` key kept in
// this tab's session storage. On a 401 it asks for a key (one prompt however many requests were
// refused at once) and retries. Event streams are read with fetch too: EventSource cannot send
// the header.

import { serverSentEvents } from '../client/sse.js';

const KEY = 'fewshot_key';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const keyListeners = new Set<() => void>();
export const getKey = () => sessionStorage.getItem(KEY);
export function setKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY, key);
  else sessionStorage.removeItem(KEY);
  for (const listener of keyListeners) listener();
}
/** Calls `listener` whenever the key changes; returns the unsubscribe function. */
export function onKeyChange(listener: () => void): () => void {
  keyListeners.add(listener);
  return () => keyListeners.delete(listener);
}

/** Shows the key dialog; resolves with the key typed, or null when the user gives up. */
export type KeyPrompt = (refused: boolean) => Promise<string | null>;
let prompt: KeyPrompt = async () => null;
let asking: Promise<string | null> | null = null;
export const setKeyPrompt = (show: KeyPrompt) => {
  prompt = show;
};

async function askForKey(): Promise<boolean> {
  asking ??= prompt(getKey() !== null).finally(() => {
    asking = null;
  });
  const key = await asking;
  if (key) setKey(key);
  return key !== null;
}

async function toError(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  return new ApiError(response.status, body?.error?.code ?? 'http_error', body?.error?.message ?? `${response.status} ${response.statusText}`);
}

/** fetch with the key; on a 401, asks for a key and tries again until one works or the user gives up. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  for (;;) {
    const headers = new Headers(init.headers);
    const key = getKey();
    if (key) headers.set('authorization', `Bearer ${key}`);
    const response = await fetch(path, { ...init, headers });
    if (response.status !== 401) {
      if (!response.ok) throw await toError(response);
      return response;
    }
    if (!(await askForKey())) throw await toError(response);
  }
}

export const getJson = async <T>(path: string, signal?: AbortSignal): Promise<T> => (await request(path, { signal })).json() as Promise<T>;

export async function sendJson<T>(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<T | null> {
  const response = await request(path, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return response.status === 204 ? null : ((await response.json()) as T);
}

/** Saves what `path` answers as a file (a plain link could not carry the key). */
export async function download(path: string, filename: string, accept = 'application/json'): Promise<void> {
  const blob = await (await request(path, { headers: { accept } })).blob();
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: filename });
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * Reads the server-sent events of `path` until the stream ends (resolves) or `signal` aborts;
 * each event goes to `onEvent`.
 */
export async function readEvents(path: string, onEvent: (event: string, data: string) => void, signal: AbortSignal): Promise<void> {
  const response = await request(path, { headers: { accept: 'text/event-stream' }, signal });
  for await (const { event, data } of serverSentEvents(response.body!)) onEvent(event, data);
}

/**
 * Opens Bull Board. A page navigation cannot carry the bearer header, so the key is first
 * exchanged for a session cookie; a service without API keys has no /v1/session (404).
 */
export async function openQueueBoard(): Promise<void> {
  // Asks for a key first when the board is protected and none is held yet.
  await request('/admin/queues/api/queues?page=1&jobsPerPage=1');
  const key = getKey();
  if (key) {
    await request('/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) }).catch(
      (error: unknown) => {
        if (!(error instanceof ApiError && error.status === 404)) throw error;
      },
    );
  }
  window.open('/admin/queues', '_blank', 'noopener');
}
