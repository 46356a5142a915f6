// No Docker engine here: the Dockerfile and docker-compose.yml are parsed and their essentials
// asserted, and the scripts the images run (health check, sharp's platform packages) are run.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parse } from 'yaml';
import { freePort } from '../../src/service/local-redis.js';
import { createLogger } from '../../src/service/logger.js';
import { startTrainWorker } from '../../src/service/queue/worker.js';
import { serveWorkerHealth } from '../../src/service/worker-health.js';
import { REDIS_URL, testEnv } from './helpers.js';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const read = (path: string) => readFileSync(root(path), 'utf8');

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile stages by name: instructions with continuation lines joined, comments dropped. */
function stages(text: string): Map<string, Instruction[]> {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  const result = new Map<string, Instruction[]>();
  let current: Instruction[] = [];
  for (const line of lines) {
    const [op, ...rest] = line.split(/\s+/);
    const instruction = { op: op.toUpperCase(), args: rest.join(' ') };
    if (instruction.op === 'FROM') {
      current = [];
      result.set(/\sAS\s+(\S+)$/i.exec(instruction.args)?.[1] ?? instruction.args, current);
    }
    current.push(instruction);
  }
  return result;
}

const dockerfile = stages(read('Dockerfile'));
const compose = parse(read('docker-compose.yml'), { merge: true }) as {
  services: Record<string, Record<string, unknown> & { environment?: Record<string, string>; command?: string[]; profiles?: string[] }>;
  secrets?: Record<string, { file: string }>;
};
const services = compose.services;
const args = (stage: string, op: string) => dockerfile.get(stage)!.filter((i) => i.op === op).map((i) => i.args);

test('Redis keeps every key: append-only file, no eviction (BullMQ)', () => {
  const command = services.redis.command!;
  assert.deepEqual(command.slice(command.indexOf('--appendonly'), command.indexOf('--appendonly') + 2), ['--appendonly', 'yes']);
  assert.deepEqual(command.slice(command.indexOf('--maxmemory-policy'), command.indexOf('--maxmemory-policy') + 2), ['--maxmemory-policy', 'noeviction']);
});

test('an S3-compatible store behind a profile, with its bucket, and the services can be pointed at it', () => {
  const s3 = Object.entries(services).filter(([, s]) => (s.profiles ?? []).includes('s3'));
  assert.ok(s3.some(([, s]) => String(s.image).startsWith('minio/minio')), 'MinIO in the s3 profile');
  assert.ok(s3.some(([, s]) => JSON.stringify(s.entrypoint ?? s.command).includes('mb')), 'a bucket is created');
  for (const name of ['api', 'worker']) {
    for (const variable of ['FEWSHOT_STORAGE', 'FEWSHOT_S3_ENDPOINT', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) {
      assert.ok(variable in services[name].environment!, `${name} passes ${variable}`);
    }
  }
});

test('workers: the worker role, a health check of their own, and the port it asks', () => {
  for (const name of ['worker', 'worker-gpu']) {
    const worker = services[name] as { command: string[]; healthcheck: { test: string[] }; environment: Record<string, string> };
    assert.deepEqual(worker.command, ['worker']);
    assert.deepEqual(worker.healthcheck.test, ['CMD', 'node', 'bin/healthcheck.js']);
    assert.match(worker.environment.FEWSHOT_WORKER_HEALTH_PORT, /^\d+$/);
  }
  for (const stage of ['cpu', 'gpu']) {
    assert.deepEqual(args(stage, 'HEALTHCHECK').map((a) => a.replace(/^.*CMD\s+/, '')), ['["node", "bin/healthcheck.js"]']);
    assert.ok(args(stage, 'ENV').join(' ').includes('FEWSHOT_WORKER_HEALTH_PORT=8081'), `${stage} sets the worker health port`);
    assert.ok(args(stage, 'COPY').includes('bin ./bin'), `${stage} copies bin/`);
  }
});

test('the health check the images run: 200 from a worker that runs and reaches Redis, failure once it stops', { timeout: 30_000 }, async () => {
  const env = await testEnv();
  const worker = startTrainWorker(env.config, REDIS_URL, createLogger('silent', 'test-worker'));
  const port = await freePort();
  const server = await serveWorkerHealth(worker, port, createLogger('silent', 'test-worker'));
  const check = async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [root('bin/healthcheck.js')], {
      env: { PATH: process.env.PATH, PORT: String(await freePort()), FEWSHOT_WORKER_HEALTH_PORT: String(port) },
    });
    return new Promise<number | null>((resolve) => child.on('exit', resolve));
  };
  try {
    assert.equal(await check(), 0);
    const answer = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.deepEqual(await answer.json(), { status: 'ok' });
    await worker.close();
    const down = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(down.status, 503);
    assert.match(((await down.json()) as { reason: string }).reason, /not running/);
    assert.equal(await check(), 1);
  } finally {
    server.close();
    await worker.close();
    await env.cleanup();
  }
});

test('nobody runs as root', () => {
  for (const stage of ['cpu', 'gpu']) {
    const instructions = dockerfile.get(stage)!;
    const user = instructions.map((i, at) => ({ ...i, at })).filter((i) => i.op === 'USER').at(-1);
    assert.ok(user && user.args !== 'root' && user.args !== '0', `${stage} switches to a user`);
    assert.ok(user.at < instructions.findIndex((i) => i.op === 'ENTRYPOINT'), `${stage}: USER before ENTRYPOINT`);
  }
  for (const [name, service] of Object.entries(services)) {
    if (String(service.image).startsWith('fewshot')) assert.ok(!['root', '0', '0:0'].includes(String(service.user)), `${name} runs as root`);
  }
});

test('API keys come from a secret file, not the environment; secrets stay out of the build context', () => {
  const api = services.api as { secrets: string[]; environment: Record<string, string> };
  const file = api.environment.FEWSHOT_API_KEYS_FILE;
  const secret = /^\/run\/secrets\/(\S+)$/.exec(file)?.[1];
  assert.ok(secret && api.secrets.includes(secret), `${file} is a secret the api mounts`);
  assert.ok(compose.secrets?.[secret]?.file, 'declared with a file');
  assert.equal(api.environment.FEWSHOT_API_KEYS, undefined);
  assert.ok(read('.dockerignore').split('\n').includes('secrets'));
});

test('npm ci --omit=optional, then sharp’s binaries for the platform by name, checked by a JPEG round trip', () => {
  for (const stage of ['deps-cpu', 'deps-gpu']) {
    const run = args(stage, 'RUN').join(' && ');
    const steps = run.split('&&').map((s) => s.trim());
    const ci = steps.findIndex((s) => s.startsWith('npm ci') && s.includes('--omit=optional'));
    const sharp = steps.findIndex((s) => s.includes('$(node bin/sharp-platform-packages.cjs)'));
    const jpeg = steps.findIndex((s) => s.includes('.jpeg()'));
    assert.ok(ci >= 0 && ci < sharp && sharp < jpeg, `${stage}: ${steps.join(' | ')}`);
    assert.ok(args(stage, 'COPY').includes('bin/sharp-platform-packages.cjs ./bin/'));
  }
  const printed = spawnSync(process.execPath, [root('bin/sharp-platform-packages.cjs')], { encoding: 'utf8' });
  assert.equal(printed.status, 0, printed.stderr);
  const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { version: string }> };
  const wanted = printed.stdout.trim().split(' ');
  assert.ok(wanted.some((p) => p.startsWith('@img/sharp-libvips-')) && wanted.some((p) => /^@img\/sharp-(linux|darwin|win32)/.test(p)), wanted.join());
  for (const spec of wanted) {
    const at = spec.lastIndexOf('@');
    assert.equal(lock.packages[`node_modules/${spec.slice(0, at)}`]?.version, spec.slice(at + 1), `${spec} is the locked version`);
  }
});
