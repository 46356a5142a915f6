// A real S3-compatible server for the tests (s3rver, on a free port, its objects in a temporary
// directory): stopped and started again on the same port and data to play an outage.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { freePort } from '../../src/service/local-redis.js';

// s3rver accepts any signature made with its default credentials; the AWS SDK reads them from here.
process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
process.env.AWS_REGION ??= 'us-east-1';

export interface TestS3 {
  endpoint: string;
  bucket: string;
  /** FEWSHOT_STORAGE and FEWSHOT_S3_ENDPOINT for a store under `prefix` in the bucket. */
  env(prefix: string): Record<string, string>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and removes its objects. */
  cleanup(): Promise<void>;
}

export async function startS3(bucket = 'fewshot-test'): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'fewshot-s3-'));
  const port = await freePort();
  let server: S3rver | null = null;
  const start = async () => {
    if (server) return;
    const starting = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket }] });
    await starting.run();
    server = starting;
  };
  const stop = async () => {
    await server?.close();
    server = null;
  };
  await start();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    env: (prefix) => ({ FEWSHOT_STORAGE: `s3://${bucket}/${prefix}`, FEWSHOT_S3_ENDPOINT: endpoint }),
    stop,
    start,
    async cleanup() {
      await stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
