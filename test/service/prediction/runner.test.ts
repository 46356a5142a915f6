// The prediction runner restarts its process when a request outlasts the timeout or the process
// dies, fails only the request that was in flight, and serves the queue from the fresh process.
// A scripted stand-in plays the process, so each fault happens exactly when the test says.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { loadConfig } from '../../../src/service/config.js';
import { ServiceError } from '../../../src/service/errors.js';
import { createLogger } from '../../../src/service/logger.js';
import { PredictionRunner } from '../../../src/service/prediction/runner.js';

const SCRIPT = fileURLToPath(new URL('../../fixtures/scripted-prediction-child.ts', import.meta.url));

/** Runs `body` with a runner of the scripted process whose requests time out after `timeoutMs`; closes it. */
async function withRunner(timeoutMs: number, body: (r: PredictionRunner) => Promise<void>): Promise<void> {
  const config = loadConfig({ FEWSHOT_PREDICT_TIMEOUT_MS: String(timeoutMs), FEWSHOT_DATA_DIR: '/nonexistent' });
  const r = new PredictionRunner(config, 'redis://127.0.0.1:6379', createLogger('silent', 'test-runner'), SCRIPT);
  try {
    await body(r);
  } finally {
    await r.close();
  }
}
// A runner that failed to restart would leave requests pending forever.
const BOUNDED = { timeout: 60_000 };

/** Which process served the request (the scripted child answers with its pid). */
const served = async (r: PredictionRunner, adaptationId = 'ok') => (await r.request({ op: 'release', adaptationId })) as unknown as number;
/** Whether `pid` is still a process (signal 0 only checks). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
const notReady = (error: unknown) => error instanceof ServiceError && error.code === 'not_ready';

test('a request past the timeout kills the process; it fails alone and the queue behind it goes to a fresh one', BOUNDED, () =>
  withRunner(1500, async (r) => {
    assert.deepEqual(await r.start(), { name: 'scripted', device: null });
    const first = await served(r);
    const stuck = r.request({ op: 'release', adaptationId: 'hang' });
    const behind = [served(r), served(r)];
    await assert.rejects(stuck, notReady);
    const [a, b] = await Promise.all(behind);
    assert.notEqual(a, first, 'the request behind the stuck one is served by a new process');
    assert.equal(b, a);
    assert.equal(await served(r), a, 'the new process keeps serving');
  }),
);

test('a process that dies mid-request fails that request; the next ones start a fresh process', BOUNDED, () =>
  withRunner(30_000, async (r) => {
    const first = await served(r);
    const crashing = r.request({ op: 'release', adaptationId: 'crash' });
    const behind = served(r);
    await assert.rejects(crashing, notReady);
    const next = await behind;
    assert.notEqual(next, first);
    // Killed while idle: nothing fails, and it is replaced at once (the runner starts the new
    // process in its exit handler, which has run once the old pid is reaped).
    process.kill(next, 'SIGKILL');
    while (alive(next)) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(r.running, true, 'a new process is already starting');
    const after = await served(r);
    assert.notEqual(after, next);
    assert.equal(r.running, true);
  }),
);

test('a request the process refuses fails alone, and the same process serves on', BOUNDED, () =>
  withRunner(30_000, async (r) => {
    const pid = await served(r);
    await assert.rejects(r.request({ op: 'drop-model', modelId: 'm' }), /scripted child: no drop-model/);
    assert.equal(await served(r), pid, 'the same process serves on');
  }),
);
