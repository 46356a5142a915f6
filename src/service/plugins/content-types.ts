// Request body formats beside JSON: NDJSON (one example per line, parsed as it streams in) and
// zip archives (streamed to a temporary file that is removed once the response is sent).
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyInstance } from 'fastify';
import { ServiceError } from '../errors.js';

/** A zip body, on local disk for the duration of the request. */
export class Upload {
  constructor(readonly path: string) {}
}

const tooLarge = (limit: number) => new ServiceError('payload_too_large', `the body is larger than ${limit} bytes`);

/** Passes bytes through until more than `limit` have gone by. */
function limitBytes(limit: number): Transform {
  let bytes = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(bytes > limit ? tooLarge(limit) : null, chunk);
    },
  });
}

async function parseNdjson(payload: Readable, limit: number): Promise<unknown[]> {
  const input = payload.pipe(limitBytes(limit));
  payload.on('error', (error) => input.destroy(error));
  const items: unknown[] = [];
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line++;
    if (text.trim() === '') continue;
    try {
      items.push(JSON.parse(text));
    } catch {
      throw new ServiceError('validation_failed', `line ${line} is not valid JSON`, [{ in: 'body', path: `/line/${line}`, message: 'invalid JSON' }]);
    }
  }
  return items;
}

async function saveUpload(payload: Readable, dir: string, limit: number): Promise<Upload> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${randomUUID()}.zip`);
  try {
    await pipeline(payload, limitBytes(limit), createWriteStream(path));
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  return new Upload(path);
}

/** `uploadDir`: where zip bodies wait on local disk while their request runs. */
export function installContentTypes(app: FastifyInstance, uploadDir: string, limits: { body: number; upload: number }): void {
  const early = (declared: string | undefined, limit: number) => (declared !== undefined && Number(declared) > limit ? tooLarge(limit) : null);
  app.addContentTypeParser('application/x-ndjson', (request, payload, done) => {
    const refused = early(request.headers['content-length'], limits.body);
    if (refused) return done(refused);
    parseNdjson(payload, limits.body).then((items) => done(null, items), done);
  });
  app.addContentTypeParser('application/zip', (request, payload, done) => {
    const refused = early(request.headers['content-length'], limits.upload);
    if (refused) return done(refused);
    saveUpload(payload, uploadDir, limits.upload).then((upload) => done(null, upload), done);
  });
  app.addHook('onResponse', async (request) => {
    if (request.body instanceof Upload) await rm(request.body.path, { force: true });
  });
}
