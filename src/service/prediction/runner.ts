// The API side of the prediction process: forks it, hands it one request at a time from a
// bounded queue, and restarts it after a crash or a timeout. One at a time, so a request's
// timeout measures its own computation, not the queue before it, and a stuck request costs
// only itself: the ones queued behind it go to the fresh process.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childOptions } from '../child-options.js';
import type { ServiceConfig } from '../config.js';
import { CoreError, isCoreErrorCode, type BackendSummary } from '../core.js';
import { ServiceError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ChildMessage, ChildTiming, ParentMessage, Request, Result, WireError } from './protocol.js';
import type { PredictionTiming } from './timing.js';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));

/** The prediction process no longer holds an adaptation's weights; rebuild them and retry. */
export class AdaptationMissing extends Error {}

function fromWire(error: WireError): Error {
  if (isCoreErrorCode(error.code)) return new CoreError(error.code, error.message, error.details);
  if (error.code === 'adaptation_missing') return new AdaptationMissing(error.message);
  return new Error(error.message);
}

interface Queued {
  id: number;
  request: Request;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  queuedAt: number;
}

/** A result with the prediction process's timing, completed by the runner's share. */
type Timed<T> = T extends { timing: ChildTiming } ? Omit<T, 'timing'> & { timing: PredictionTiming } : T;

/** Requests waiting for the prediction process beyond this many are refused (503) at once. */
const MAX_QUEUED = 256;

/** Adds the time spent queued here and on the hop (the round trip less the child's work). */
function withRunnerTiming(value: unknown, queuedAt: number, sentAt: number): unknown {
  const timing = (value as { timing?: ChildTiming } | null)?.timing;
  if (!timing) return value;
  const roundTrip = performance.now() - sentAt;
  const hopMs = Math.max(0, roundTrip - timing.decodeMs - timing.adaptMs - timing.forwardMs);
  return { ...(value as object), timing: { ...timing, queueMs: sentAt - queuedAt, hopMs } };
}

export class PredictionRunner {
  private child: ChildProcess | null = null;
  private ready: Promise<BackendSummary> | null = null;
  private readonly queue: Queued[] = [];
  private inFlight: (Queued & { timer: NodeJS.Timeout; sentAt: number }) | null = null;
  private nextId = 1;
  private closing = false;

  constructor(
    private readonly config: ServiceConfig,
    private readonly redisUrl: string,
    private readonly log: Logger,
    /** The prediction process's script; tests put a scripted stand-in here. */
    private readonly script = CHILD,
  ) {}

  /** Starts the process (once) and resolves with its backend when it can take requests. */
  start(): Promise<BackendSummary> {
    this.ready ??= new Promise<BackendSummary>((resolve, reject) => {
      const child = fork(this.script, [], { ...childOptions(this.config, this.redisUrl), serialization: 'advanced' });
      this.child = child;
      let served = false;
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready') {
          served = true;
          this.log.info({ backend: message.backend, pid: child.pid }, 'prediction process ready');
          if (message.fallback) this.log.warn({ pid: child.pid }, message.fallback);
          resolve(message.backend);
        } else if (message.type === 'failed') {
          reject(fromWire(message.error));
          child.kill(); // the next request tries a fresh process
        } else {
          this.settle(message.id, message.ok ? { value: message.value } : { error: fromWire(message.error) });
        }
      });
      child.on('exit', (code, signal) => {
        if (!this.closing) this.log.warn({ code, signal }, 'prediction process exited');
        reject(new ServiceError('not_ready', 'the prediction process stopped while starting'));
        this.restart(new ServiceError('not_ready', 'the prediction process stopped; retry the request'), served);
      });
    });
    return this.ready;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Requests waiting for the process (the one it is computing not counted). */
  get waiting(): number {
    return this.queue.length;
  }

  async request<R extends Request>(request: R): Promise<Timed<Result<R>>> {
    await this.start();
    if (this.queue.length >= MAX_QUEUED) {
      throw new ServiceError('not_ready', `${MAX_QUEUED} predictions are already waiting; retry later`);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, request, resolve: resolve as (value: unknown) => void, reject, queuedAt: performance.now() });
      this.dispatch();
    });
  }

  private dispatch() {
    const child = this.child;
    if (this.inFlight || !child || this.closing) return;
    const next = this.queue.shift();
    if (!next) return;
    const timer = setTimeout(() => {
      // A request this slow is stuck in a computation: only a new process gets the next one served.
      this.log.error({ op: next.request.op, timeoutMs: this.config.predictTimeoutMs }, 'prediction timed out; restarting the process');
      child.kill('SIGKILL');
    }, this.config.predictTimeoutMs);
    this.inFlight = { ...next, timer, sentAt: performance.now() };
    child.send({ id: next.id, request: next.request } satisfies ParentMessage, (error) => {
      if (error) this.settle(next.id, { error: new ServiceError('not_ready', 'the prediction process stopped; retry the request') });
    });
  }

  private settle(id: number, outcome: { value: unknown } | { error: Error }) {
    const current = this.inFlight;
    if (!current || current.id !== id) return;
    this.inFlight = null;
    clearTimeout(current.timer);
    if ('error' in outcome) current.reject(outcome.error);
    else current.resolve(withRunnerTiming(outcome.value, current.queuedAt, current.sentAt));
    this.dispatch();
  }

  /**
   * The process is gone: fail the request it held, and serve the queue from a fresh one. One that
   * had been serving (killed, crashed, timed out) is replaced at once, so the next request finds it
   * warm; one that died while starting is tried again only by the next request.
   */
  private restart(error: Error, served: boolean) {
    this.child = null;
    this.ready = null;
    if (this.inFlight) this.settle(this.inFlight.id, { error });
    if (this.closing || (this.queue.length === 0 && !served)) {
      for (const queued of this.queue.splice(0)) queued.reject(error);
      return;
    }
    this.log.info('starting a new prediction process');
    this.start().then(
      () => this.dispatch(),
      (startError: Error) => {
        for (const queued of this.queue.splice(0)) queued.reject(startError);
      },
    );
  }

  async close(): Promise<void> {
    this.closing = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}
