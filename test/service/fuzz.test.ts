// The OpenAPI-driven fuzzer's run in `npm test`: 10,000 generated requests (hostile and
// extreme) against a real app with a trained model. `npm run fuzz -- --requests N --seed S`
// runs more; every finding prints the seed and index that replay it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from './fuzz/harness.js';

const REQUESTS = 10_000;
const SEED = Number(process.env.FUZZ_SEED ?? 20261130);
/** Heap the API process may keep after GC; what a run caches on purpose (route schemas, JIT'd code) stays well under it. */
const HEAP_TOLERANCE_MB = 32;

test(`fuzz: ${REQUESTS} requests from openapi.yaml, seed ${SEED}`, { timeout: 30 * 60_000 }, async () => {
  const report = await runFuzz({ requests: REQUESTS, seed: SEED, log: (line) => console.log(line) });
  const { before, after } = report.memory;
  console.log(
    `fuzz: ${report.requests} requests in ${report.seconds.toFixed(1)} s; statuses ${JSON.stringify(report.statuses)}; ` +
      `heap ${before.heapMB} -> ${after.heapMB} MB; prediction process tensors ${before.childTensors} -> ${after.childTensors}`,
  );
  assert.equal(report.requests, REQUESTS);
  assert.deepEqual(report.findings.map((f) => `#${f.index}: ${f.problem}`), [], `findings (replay: npm run fuzz -- --seed ${SEED} --replay <index>)`);
  assert.equal(report.crashes, 0, 'the prediction process exited or timed out');
  assert.deepEqual(report.errorLogs, [], 'error-level log lines');
  assert.ok(!report.statuses[500], 'no 5xx');
  assert.equal(after.childTensors, before.childTensors, 'every tensor of the prediction process released');
  assert.ok(after.heapMB - before.heapMB < HEAP_TOLERANCE_MB, `API heap after GC: ${before.heapMB} -> ${after.heapMB} MB`);
  // Every strategy took part.
  for (const kind of ['schema-valid', 'mutated', 'hostile JSON', 'zip', 'NDJSON', 'stray route']) assert.ok(report.kinds[kind] > 0, `no ${kind} requests`);
});
