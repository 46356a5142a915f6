// Where the service finds Redis: REDIS_URL, else 127.0.0.1:6379, else (for the one-process
// `serve --with-worker`) a private redis-server with its data under FEWSHOT_DATA_DIR.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { ConfigError, type ServiceConfig } from './config.js';
import type { Logger } from './logger.js';
import { DEFAULT_REDIS_URL } from './redis.js';

export const HOW_TO_GET_REDIS = `Fewshot needs Redis (6.2 or newer) and none answers at 127.0.0.1:6379. Either:
  - point it at one:        REDIS_URL=redis://host:6379 fewshot serve --with-worker
  - run one in Docker:      docker run -d --name fewshot-redis -p 6379:6379 redis:7
  - or install redis-server and let \`fewshot serve --with-worker\` start a private one:
      Debian/Ubuntu: sudo apt-get install redis-server    macOS: brew install redis    Fedora: sudo dnf install redis`;

export interface RedisLocation {
  url: string;
  /** Stops the private server, when this process started one. */
  stop(): Promise<void>;
}

/** Whether something accepts TCP connections at host:port and answers PING like Redis. */
function answersPing(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const hasRedisServer = () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

const privateDir = (dataDir: string) => join(dataDir, 'redis');
// Other commands on this machine (`fewshot datasets import`) find the private server through this file.
const portFile = (dataDir: string) => join(privateDir(dataDir), 'port');

async function runningPrivateRedis(dataDir: string): Promise<string | null> {
  const port = Number(await readFile(portFile(dataDir), 'utf8').catch(() => ''));
  return port > 0 && (await answersPing('127.0.0.1', port)) ? `redis://127.0.0.1:${port}` : null;
}

async function startPrivateRedis(dataDir: string, log: Logger): Promise<RedisLocation> {
  const dir = privateDir(dataDir);
  await mkdir(dir, { recursive: true });
  const port = await freePort();
  const server: ChildProcess = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--save', '', '--protected-mode', 'yes'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  for (let waited = 0; !(await answersPing('127.0.0.1', port, 200)); waited += 100) {
    if (server.exitCode !== null || waited > 10_000) throw new Error(`the private redis-server did not start (data in ${dir})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await writeFile(portFile(dataDir), String(port));
  log.info({ port, dir }, 'started a private redis-server (append-only file on)');
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (server.exitCode === null) server.kill('SIGTERM'); // redis-server flushes its AOF on SIGTERM
      await exited;
    },
  };
}

export async function locateRedis(config: ServiceConfig, log: Logger, opts: { startPrivate: boolean }): Promise<RedisLocation> {
  const none = { stop: async () => {} };
  if (config.redisUrl) return { url: config.redisUrl, ...none };
  if (await answersPing('127.0.0.1', 6379)) return { url: DEFAULT_REDIS_URL, ...none };
  const running = await runningPrivateRedis(config.dataDir);
  if (running) return { url: running, ...none };
  if (opts.startPrivate && hasRedisServer()) return startPrivateRedis(config.dataDir, log);
  throw new ConfigError(HOW_TO_GET_REDIS);
}
