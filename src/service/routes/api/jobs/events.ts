// GET /v1/jobs/:id/events: one Server-Sent Event per change of the job, then the final state.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isTerminal, type TrainQueue } from '../../../queue/train-queue.js';
import type { JobView } from '../../../schemas/jobs.js';

/** Comment lines keep proxies from closing an idle stream; each is also a re-read, in case an event was missed. */
const HEARTBEAT_MS = 15_000;

/**
 * `open` holds a way to end every stream in progress: a hijacked response outlives the
 * request, so the server's close would otherwise wait for the job to finish.
 */
export async function streamJobEvents(
  jobs: TrainQueue,
  first: JobView,
  request: FastifyRequest,
  reply: FastifyReply,
  open: Set<() => void>,
): Promise<void> {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });

  let last = '';
  let closed = false;
  let unfollow = () => {};
  let heartbeat: NodeJS.Timeout | undefined;
  const close = () => {
    if (closed) return;
    closed = true;
    open.delete(close);
    clearInterval(heartbeat);
    unfollow();
    out.end();
  };
  open.add(close);
  const send = (job: JobView | null) => {
    if (closed) return;
    if (!job) return close(); // removed
    const data = JSON.stringify(job);
    if (data !== last) {
      last = data;
      out.write(`event: ${isTerminal(job.status) ? 'done' : 'progress'}\ndata: ${data}\n\n`);
    }
    if (isTerminal(job.status)) close();
  };
  // Reads are chained so events are written in the order the job changed.
  let reading = Promise.resolve();
  const refresh = () => {
    reading = reading
      .then(() => (closed ? undefined : jobs.get(first.id).then(send)))
      .catch((error: unknown) => {
        request.log.warn({ err: error }, 'job event stream failed');
        close();
      });
  };

  out.on('close', close); // the client went away (the request's own 'close' fires once its body is read)
  send(first);
  if (closed) return;
  const stopFollowing = await jobs.follow(first.id, refresh);
  if (closed) return stopFollowing();
  unfollow = stopFollowing;
  heartbeat = setInterval(() => {
    out.write(': keep-alive\n\n');
    refresh();
  }, HEARTBEAT_MS);
  refresh(); // anything that happened between the first read and following
}
