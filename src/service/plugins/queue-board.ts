// Bull Board, BullMQ's own dashboard, at /admin/queues: every job's state, data, logs and
// retries. Admin only (it can retry and remove jobs); a browser opens it with the session
// cookie that POST /v1/session sets.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { FastifyInstance } from 'fastify';
import type { TrainQueue } from '../queue/train-queue.js';
import { declareScope } from './auth.js';

const QUEUE_BOARD_PATH = '/admin/queues';

export async function installQueueBoard(app: FastifyInstance, jobs: TrainQueue): Promise<void> {
  const adapter = new FastifyAdapter();
  adapter.setBasePath(QUEUE_BOARD_PATH);
  const board = createBullBoard({ queues: [], serverAdapter: adapter, options: { uiConfig: { boardTitle: 'Fewshot queues' } } });
  // The queue is added on the board's first request: a BullMQ queue connects to Redis at once,
  // and building the app must not (openapi generation builds it with no Redis).
  let added = false;
  await app.register(
    async (context) => {
      context.addHook('onRoute', declareScope('admin'));
      context.addHook('onRequest', async () => {
        if (added) return;
        added = true;
        board.addQueue(new BullMQAdapter(jobs.queue));
      });
      await context.register(adapter.registerPlugin());
    },
    { prefix: QUEUE_BOARD_PATH },
  );
}
