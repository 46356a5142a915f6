// Storage on any S3-compatible object store. Each process keeps a local cache of the keys it
// uses (FEWSHOT_DATA_DIR): writers publish (upload) what they wrote there, readers fetch
// (download) into it. Single PUTs are atomic and S3 reads are strongly consistent, so a key is
// either absent or whole; multi-file artifacts order their uploads (storage/runs.ts).
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { ServiceError } from '../errors.js';
import { LocalTree } from './local.js';
import type { Storage } from './storage.js';

export interface S3Location {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing "/" ('' for none). */
  prefix: string;
  /** An S3-compatible server (path-style addressing); unset = AWS. */
  endpoint?: string;
}

/** Whether an SDK error says the object is not there (rather than that the store is unusable). */
const isMissing = (error: unknown) =>
  error instanceof S3ServiceException && (error.name === 'NoSuchKey' || error.name === 'NotFound' || error.$metadata.httpStatusCode === 404);

export class S3Storage extends LocalTree implements Storage {
  readonly location: string;
  private readonly client: S3Client;

  constructor(
    private readonly s3: S3Location,
    cacheDir: string,
  ) {
    super(cacheDir);
    this.location = `s3://${s3.bucket}${s3.prefix ? `/${s3.prefix}` : ''}`;
    this.client = new S3Client({
      ...(s3.endpoint ? { endpoint: s3.endpoint, forcePathStyle: true } : {}),
      // The SDK insists on a region even where the server ignores it.
      region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      // A store that does not answer is reported (503) within seconds, not after minutes of retries.
      maxAttempts: 2,
      requestHandler: { connectionTimeout: 3000, requestTimeout: 120_000 },
      // Plain payloads that every S3-compatible server accepts (no aws-chunked trailing checksums).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  }

  private objectKey(key: string): string {
    return this.s3.prefix ? `${this.s3.prefix}/${key}` : key;
  }

  private keyOfObject(objectKey: string): string {
    return this.s3.prefix ? objectKey.slice(this.s3.prefix.length + 1) : objectKey;
  }

  /** Runs one request; a store that cannot serve it becomes a 503 naming the store and the cause. */
  private async send<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (isMissing(error)) throw error;
      const cause = error instanceof S3ServiceException ? `${error.name} (HTTP ${error.$metadata.httpStatusCode})` : (error as Error).message || String(error);
      throw new ServiceError('storage_unavailable', `object storage ${this.location} could not ${what}: ${cause}`);
    }
  }

  async publish(key: string): Promise<void> {
    const path = this.resolveKey(key);
    const { size } = await stat(path);
    await this.send(`store ${key}`, () =>
      this.client.send(
        new PutObjectCommand({ Bucket: this.s3.bucket, Key: this.objectKey(key), Body: createReadStream(path), ContentLength: size }),
      ),
    );
  }

  async fetch(key: string, opts: { fresh?: boolean } = {}): Promise<boolean> {
    if (!opts.fresh && (await this.has(key))) return true;
    const path = await this.localPath(key);
    let body: Readable;
    try {
      const object = await this.send(`read ${key}`, () => this.client.send(new GetObjectCommand({ Bucket: this.s3.bucket, Key: this.objectKey(key) })));
      body = object.Body as Readable;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
    // Downloaded beside its place and renamed into it: a reader sees the old copy or the whole new one.
    const temp = `${path}.part-${randomBytes(6).toString('hex')}`;
    try {
      await this.send(`read ${key}`, () => pipeline(body, createWriteStream(temp)));
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return true;
  }

  async list(prefix: string): Promise<{ key: string; bytes: number }[]> {
    const found: { key: string; bytes: number }[] = [];
    let token: string | undefined;
    do {
      const page = await this.send(`list ${prefix}`, () =>
        this.client.send(
          new ListObjectsV2Command({ Bucket: this.s3.bucket, Prefix: `${this.objectKey(prefix)}/`, ContinuationToken: token }),
        ),
      );
      for (const object of page.Contents ?? []) found.push({ key: this.keyOfObject(object.Key!), bytes: object.Size ?? 0 });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return found;
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.send(`look up ${key}`, () => this.client.send(new HeadObjectCommand({ Bucket: this.s3.bucket, Key: this.objectKey(key) })));
      return true;
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    // A "directory" key exists when something is stored below it.
    return (await this.list(key)).length > 0;
  }

  async remove(key: string): Promise<void> {
    await super.remove(key); // the cached copy goes even when the store cannot be reached
    const keys = [key, ...(await this.list(key)).map((o) => o.key)];
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const result = await this.send(`delete ${key}`, () =>
        this.client.send(
          new DeleteObjectsCommand({ Bucket: this.s3.bucket, Delete: { Objects: batch.map((k) => ({ Key: this.objectKey(k) })), Quiet: true } }),
        ),
      );
      const failed = result.Errors?.filter((e) => e.Code !== 'NoSuchKey') ?? [];
      if (failed.length) throw new ServiceError('storage_unavailable', `object storage ${this.location} could not delete ${failed[0].Key}: ${failed[0].Code}`);
    }
  }

  async check(): Promise<void> {
    try {
      await this.send('be reached', () => this.client.send(new HeadBucketCommand({ Bucket: this.s3.bucket })));
    } catch (error) {
      if (isMissing(error)) throw new ServiceError('storage_unavailable', `object storage ${this.location}: bucket ${this.s3.bucket} does not exist`);
      throw error;
    }
  }

  close(): void {
    this.client.destroy();
  }
}
