// A typed HTTP client for the Fewshot API: `import { FewshotClient } from 'fewshot/client'`.
// Its request and response types are derived from the service's zod schemas (./types.ts).
// Node 20's (or a browser's) global fetch only: no dependency at run time.
import type {
  Adaptation,
  CreateAdaptation,
  CreateDatasetQuery,
  CreateJob,
  Dataset,
  DatasetSummary,
  ErrorBody,
  Example,
  Job,
  JobAccepted,
  Model,
  PredictRequest,
  PredictResponse,
  Predictions,
  Query,
  Readiness,
} from './types.js';
import { serverSentEvents } from './sse.js';

export type * from './types.js';
export { serverSentEvents, type ServerSentEvent } from './sse.js';

/** A non-2xx answer, in the service's one error shape. */
export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(`${method} ${path} → ${status} ${code}: ${message}${details === undefined ? '' : ` ${JSON.stringify(details)}`}`);
    this.name = 'ApiError';
  }
}

export type JobEvent = { kind: 'progress' | 'done'; job: Job };

interface RequestOptions {
  json?: unknown;
  body?: Uint8Array | string;
  contentType?: string;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class FewshotClient {
  /** `apiKey`: sent as `Authorization: Bearer` with every request (none with auth off). */
  constructor(
    readonly baseUrl: string,
    readonly apiKey?: string,
  ) {}

  /** The headers that authenticate a request (for other HTTP clients, e.g. a load generator). */
  authHeaders(): Record<string, string> {
    return this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {};
  }

  url(path: string, query?: RequestOptions['query']): string {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    return url.toString();
  }

  private async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...this.authHeaders(), ...options.headers };
    let body: string | Uint8Array | undefined = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    }
    if (options.contentType) headers['content-type'] = options.contentType;
    return fetch(this.url(path, options.query), { method, headers, body: body as RequestInit['body'], signal: options.signal });
  }

  /** The parsed JSON body of a 2xx answer (undefined for 204); an ApiError otherwise. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, path, options);
    const text = await res.text();
    if (!res.ok) {
      let error: Partial<ErrorBody['error']> = {};
      try {
        error = (JSON.parse(text) as Partial<ErrorBody>).error ?? {};
      } catch {
        error = { message: text.slice(0, 200) };
      }
      throw new ApiError(method, path, res.status, error.code ?? 'unknown', error.message ?? res.statusText, error.details);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  // -- health
  healthz(): Promise<{ status: 'ok' }> {
    return this.request('GET', '/healthz');
  }

  /** 200 or 503 (not ready yet): both carry a Readiness body. */
  async readyz(signal?: AbortSignal): Promise<{ status: number; body: Readiness }> {
    const res = await this.send('GET', '/readyz', { signal });
    return { status: res.status, body: (await res.json()) as Readiness };
  }

  /** GET /metrics (Prometheus text): the samples without labels, by name. */
  async metrics(): Promise<Map<string, number>> {
    const res = await this.send('GET', '/metrics');
    if (!res.ok) throw new ApiError('GET', '/metrics', res.status, 'unknown', res.statusText);
    const samples = new Map<string, number>();
    for (const line of (await res.text()).split('\n')) {
      const match = /^([a-zA-Z_:][\w:]*) ([-+\w.]+)$/.exec(line);
      if (match) samples.set(match[1], Number(match[2]));
    }
    return samples;
  }

  // -- datasets
  createDataset(name: string, examples: Example[]): Promise<DatasetSummary> {
    return this.request('POST', '/v1/datasets', { json: { name, examples } });
  }

  uploadNdjson(name: string, examples: Example[]): Promise<DatasetSummary> {
    const body = examples.map((e) => JSON.stringify(e)).join('\n') + '\n';
    return this.request('POST', '/v1/datasets', { body, contentType: 'application/x-ndjson', query: { name } });
  }

  /** A zip of class folders of images: <class>/<image>.png (any depth above <class>). */
  uploadZip(zip: Uint8Array, query: CreateDatasetQuery & { name: string }): Promise<DatasetSummary> {
    return this.request('POST', '/v1/datasets', { body: zip, contentType: 'application/zip', query });
  }

  getDataset(id: string): Promise<Dataset> {
    return this.request('GET', `/v1/datasets/${id}`);
  }

  deleteDataset(id: string): Promise<void> {
    return this.request('DELETE', `/v1/datasets/${id}`);
  }

  // -- jobs
  /** With an Idempotency-Key, a retried POST returns the job the first one created. */
  createJob(job: CreateJob, idempotencyKey?: string): Promise<JobAccepted> {
    return this.request('POST', '/v1/jobs', { json: job, headers: idempotencyKey ? { 'idempotency-key': idempotencyKey } : {} });
  }

  getJob(id: string): Promise<Job> {
    return this.request('GET', `/v1/jobs/${id}`);
  }

  cancelJob(id: string): Promise<Job> {
    return this.request('POST', `/v1/jobs/${id}/cancel`);
  }

  /**
   * Follows GET /v1/jobs/:id/events (Server-Sent Events) until its `done` event, calling
   * `onEvent` for each; resolves with the final job. If the stream ends early (the server
   * went away), the job is read once more and returned as it stands.
   */
  async followJob(id: string, onEvent: (event: JobEvent) => void, signal?: AbortSignal): Promise<Job> {
    const res = await this.send('GET', `/v1/jobs/${id}/events`, { signal });
    if (!res.ok || !res.body) {
      const text = await res.text();
      throw new ApiError('GET', `/v1/jobs/${id}/events`, res.status, 'unknown', text.slice(0, 200));
    }
    let last: Job | null = null;
    for await (const { event, data } of serverSentEvents(res.body)) {
      if (event !== 'progress' && event !== 'done') continue;
      last = JSON.parse(data) as Job;
      onEvent({ kind: event, job: last });
      if (event === 'done') return last;
    }
    return last && ['completed', 'failed', 'cancelled'].includes(last.status) ? last : this.getJob(id);
  }

  // -- models, prediction, adaptations
  getModel(id: string): Promise<Model> {
    return this.request('GET', `/v1/models/${id}`);
  }

  deleteModel(id: string): Promise<void> {
    return this.request('DELETE', `/v1/models/${id}`);
  }

  predict(modelId: string, body: PredictRequest): Promise<PredictResponse> {
    return this.request('POST', `/v1/models/${modelId}/predict`, { json: body });
  }

  createAdaptation(modelId: string, body: CreateAdaptation): Promise<Adaptation> {
    return this.request('POST', `/v1/models/${modelId}/adaptations`, { json: body });
  }

  predictAdapted(adaptationId: string, queries: Query[]): Promise<Predictions> {
    return this.request('POST', `/v1/adaptations/${adaptationId}/predict`, { json: { queries } });
  }

  deleteAdaptation(id: string): Promise<void> {
    return this.request('DELETE', `/v1/adaptations/${id}`);
  }

  /** POSTs a JSON body and times it: status, milliseconds seen here, the server's Server-Timing entries. */
  async timedPost(path: string, body: string): Promise<{ status: number; ms: number; serverTiming: Record<string, number> }> {
    const started = performance.now();
    const res = await this.send('POST', path, { body, contentType: 'application/json' });
    await res.arrayBuffer();
    const ms = performance.now() - started;
    const serverTiming: Record<string, number> = {};
    // "name;dur=1.23, other;dur=4.5"
    for (const entry of (res.headers.get('server-timing') ?? '').split(',')) {
      const match = /^\s*([\w-]+);dur=([\d.]+)/.exec(entry);
      if (match) serverTiming[match[1]] = Number(match[2]);
    }
    return { status: res.status, ms, serverTiming };
  }
}
