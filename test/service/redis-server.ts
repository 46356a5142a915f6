// A private redis-server for fault tests: append-only (fsync on every write, so a SIGKILL loses
// nothing), in its own directory, on a port of its own; it can be killed and started again on
// the same port and data, as an operator's restart would.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Socket } from 'node:net';
import { freePort } from '../../src/service/local-redis.js';

export const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

export interface RedisServer {
  port: number;
  url: string;
  /** Starts the server (again, unless it runs), on the same port and data; resolves once it answers PING. */
  start(): Promise<void>;
  /** Kills it (SIGKILL by default) and waits for it to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Kills it and removes its data. */
  remove(): Promise<void>;
}

/** A stopped server: call start(). */
export async function redisServer(): Promise<RedisServer> {
  const dir = await mkdtemp(join(tmpdir(), 'fewshot-redis-'));
  const port = await freePort();
  let child: ChildProcess | null = null;
  const server: RedisServer = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      if (child && child.exitCode === null && child.signalCode === null) return;
      const args = ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
      const started = spawn('redis-server', args, { stdio: 'ignore' });
      child = started;
      for (let waited = 0; !(await answersPing(port)); waited += 50) {
        if (started.exitCode !== null || waited > 10_000) throw new Error(`redis-server did not start on port ${port}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async kill(signal = 'SIGKILL') {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null || running.signalCode !== null) return;
      const exited = once(running, 'exit');
      running.kill(signal);
      await exited;
    },
    async remove() {
      await server.kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return server;
}
