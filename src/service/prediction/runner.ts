// The API side of the prediction process: forks it, matches replies to requests, and
// restarts it on the next request after a crash or a timeout.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { childOptions } from '../child-options.js';
import type { ServiceConfig } from '../config.js';
import { CoreError, type CoreErrorCode } from '../core.js';
import { ServiceError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ChildMessage, ParentMessage, Request, Result, WireError } from './protocol.js';

const CHILD = fileURLToPath(new URL('./child.ts', import.meta.url));
const CORE_CODES: CoreErrorCode[] = ['invalid_data', 'unusable_support_set', 'checkpoint_invalid', 'backend_unavailable'];

export interface BackendSummary {
  name: string;
  device: string | null;
}

/** The prediction process no longer holds an adaptation's weights; rebuild them and retry. */
export class AdaptationMissing extends Error {}

function fromWire(error: WireError): Error {
  if ((CORE_CODES as string[]).includes(error.code)) return new CoreError(error.code as CoreErrorCode, error.message, error.details);
  if (error.code === 'adaptation_missing') return new AdaptationMissing(error.message);
  return new Error(error.message);
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class PredictionRunner {
  private child: ChildProcess | null = null;
  private ready: Promise<BackendSummary> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;

  constructor(
    private readonly config: ServiceConfig,
    private readonly redisUrl: string,
    private readonly log: Logger,
  ) {}

  /** Starts the process (once) and resolves with its backend when it can take requests. */
  start(): Promise<BackendSummary> {
    this.ready ??= new Promise<BackendSummary>((resolve, reject) => {
      const child = fork(CHILD, [], { ...childOptions(this.config, this.redisUrl), serialization: 'advanced' });
      this.child = child;
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready') {
          this.log.info({ backend: message.backend, pid: child.pid }, 'prediction process ready');
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
        this.reset(new ServiceError('not_ready', 'the prediction process stopped; retry the request'));
      });
    });
    return this.ready;
  }

  get running(): boolean {
    return this.child !== null;
  }

  async request<R extends Request>(request: R): Promise<Result<R>> {
    await this.start();
    const child = this.child!;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        // A request this slow is stuck in a computation: only a new process gets the next one served.
        this.log.error({ op: request.op, timeoutMs: this.config.predictTimeoutMs }, 'prediction timed out; restarting the process');
        child.kill('SIGKILL');
      }, this.config.predictTimeoutMs);
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      child.send({ id, request } satisfies ParentMessage, (error) => {
        if (error) this.settle(id, { error: new ServiceError('not_ready', 'the prediction process stopped; retry the request') });
      });
    });
  }

  private settle(id: number, outcome: { value: unknown } | { error: Error }) {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    if ('error' in outcome) pending.reject(outcome.error);
    else pending.resolve(outcome.value);
  }

  private reset(error: Error) {
    this.child = null;
    this.ready = null;
    for (const id of [...this.pending.keys()]) this.settle(id, { error });
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
