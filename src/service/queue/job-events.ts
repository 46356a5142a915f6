// Change notifications for followers of a job (its event stream): BullMQ's queue events, fanned
// out by job id within this process.
import { EventEmitter } from 'node:events';
import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { TRAIN_QUEUE } from './types.js';

export class JobEvents {
  private queueEvents: QueueEvents | null = null;
  private readonly listeners = new EventEmitter().setMaxListeners(0);

  constructor(
    /** A blocking connection for the event stream; its owner closes it. */
    private readonly connect: () => Redis,
    private readonly prefix: string,
    private readonly log: Logger,
  ) {}

  /** Calls `listener` whenever something happens to job `id`; returns the unsubscribe function. */
  async follow(id: string, listener: () => void): Promise<() => void> {
    await this.events();
    this.listeners.on(id, listener);
    return () => this.listeners.off(id, listener);
  }

  /** Tells the followers of job `id` about a change no queue event reports (a queued job cancelled). */
  notify(id: string): void {
    this.listeners.emit(id);
  }

  // One QueueEvents stream per process, created on the first follower: it holds a blocking connection.
  private async events(): Promise<QueueEvents> {
    if (!this.queueEvents) {
      const events = new QueueEvents(TRAIN_QUEUE, { connection: this.connect(), prefix: this.prefix });
      for (const name of ['active', 'progress', 'completed', 'failed', 'waiting', 'stalled', 'removed'] as const) {
        events.on(name, ({ jobId }: { jobId: string }) => this.listeners.emit(jobId));
      }
      events.on('error', (error) => this.log.error({ err: error }, 'queue events error'));
      this.queueEvents = events;
    }
    await this.queueEvents.waitUntilReady();
    return this.queueEvents;
  }

  async close(): Promise<void> {
    await this.queueEvents?.close();
    this.listeners.removeAllListeners();
  }
}
