// API keys. A key is a random 256-bit secret shown once; Redis holds only its SHA-256 (enough
// for random secrets: there is nothing to brute-force), found by that digest and compared in
// constant time. Seeded keys (FEWSHOT_API_KEYS) are kept equal to the seed list at start-up;
// a revoked key's digest stays on a deny list so no seed brings it back.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { KEY_SCOPES, TenantName, type KeyScope, type Principal } from '../access.js';

export interface ApiKeyRecord {
  id: string;
  name: string;
  tenant: string;
  scope: KeyScope;
  /** Hex SHA-256 of the key. */
  hash: string;
  source: 'created' | 'seed';
  createdAt: string;
}

export type ApiKeyView = Omit<ApiKeyRecord, 'hash'>;

export const KEY_PREFIX = 'fsk_';
export const generateKey = () => `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
const digest = (key: string) => createHash('sha256').update(key).digest();

export const principalOf = (key: ApiKeyRecord): Principal => ({ keyId: key.id, name: key.name, tenant: key.tenant, scope: key.scope });
const view = ({ hash: _, ...rest }: ApiKeyRecord): ApiKeyView => rest;

/** A key given to the service from outside (a seed or a header): printable, no separators, not absurdly long. */
const PresentedKey = z.string().regex(/^[\x21-\x7e]{24,512}$/, '24-512 printable characters without spaces');

export const KeySpec = z.strictObject({
  name: TenantName,
  scope: z.enum(KEY_SCOPES),
  tenant: TenantName.optional().meta({ description: "Defaults to the key's name" }),
});
export type KeySpecInput = z.output<typeof KeySpec>;

export interface KeySeed {
  name: string;
  scope: KeyScope;
  tenant: string;
  key: string;
}

/**
 * Parses FEWSHOT_API_KEYS (or its file): entries `name:scope:key` or `name:scope:tenant:key`,
 * separated by commas or new lines; blank lines and `#` comments are skipped.
 */
export function parseKeySeeds(text: string): KeySeed[] {
  const entries = text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const seeds = entries.map((entry, i) => {
    const parts = entry.split(':');
    if (parts.length !== 3 && parts.length !== 4) throw new Error(`API key seed ${i + 1}: expected name:scope[:tenant]:key`);
    const [name, scope, tenant, key] = parts.length === 3 ? [parts[0], parts[1], parts[0], parts[2]] : parts;
    const parsed = KeySpec.extend({ key: PresentedKey }).safeParse({ name, scope, tenant, key });
    if (!parsed.success) {
      throw new Error(`API key seed ${i + 1} (${name}): ${parsed.error.issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`);
    }
    return { ...parsed.data, tenant: parsed.data.tenant ?? parsed.data.name };
  });
  const names = seeds.map((s) => s.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`API key seeds name ${twice} twice`);
  return seeds;
}

export class KeyRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private byHash(hash: string) {
    return `${this.prefix}:apikey:hash:${hash}`;
  }
  private byId(id: string) {
    return `${this.prefix}:apikey:id:${id}`;
  }
  private get index() {
    return `${this.prefix}:apikey-index`;
  }
  private get revoked() {
    return `${this.prefix}:apikey-revoked`;
  }

  private async put(record: ApiKeyRecord, replacedHash?: string): Promise<void> {
    const tx = this.redis.multi();
    if (replacedHash && replacedHash !== record.hash) tx.del(this.byHash(replacedHash));
    await tx
      .set(this.byHash(record.hash), JSON.stringify(record))
      .set(this.byId(record.id), record.hash)
      .zadd(this.index, Date.parse(record.createdAt), record.id)
      .exec();
  }

  /** A new key: the secret is returned here and never again. */
  async create(spec: KeySpecInput): Promise<{ key: string; record: ApiKeyView }> {
    const key = generateKey();
    const record: ApiKeyRecord = {
      id: `key_${randomBytes(8).toString('hex')}`,
      name: spec.name,
      tenant: spec.tenant ?? spec.name,
      scope: spec.scope,
      hash: digest(key).toString('hex'),
      source: 'created',
      createdAt: new Date().toISOString(),
    };
    await this.put(record);
    return { key, record: view(record) };
  }

  /** The key's record, or null when the key is unknown or revoked. */
  async verify(presented: string): Promise<ApiKeyRecord | null> {
    if (!PresentedKey.safeParse(presented).success) return null;
    const hash = digest(presented);
    const json = await this.redis.get(this.byHash(hash.toString('hex')));
    if (json === null) return null;
    const record = JSON.parse(json) as ApiKeyRecord;
    return timingSafeEqual(Buffer.from(record.hash, 'hex'), hash) ? record : null;
  }

  private async records(): Promise<ApiKeyRecord[]> {
    const ids = await this.redis.zrange(this.index, '0', '-1');
    if (ids.length === 0) return [];
    const hashes = await this.redis.mget(ids.map((id) => this.byId(id)));
    const present = hashes.filter((h): h is string => h !== null);
    if (present.length === 0) return [];
    const records = await this.redis.mget(present.map((h) => this.byHash(h)));
    return records.flatMap((json) => (json === null ? [] : [JSON.parse(json) as ApiKeyRecord]));
  }

  /** Oldest first; never the secrets or their digests. */
  async list(): Promise<ApiKeyView[]> {
    return (await this.records()).map(view);
  }

  async count(): Promise<number> {
    return this.redis.zcard(this.index);
  }

  private async remove(id: string, deny: boolean): Promise<boolean> {
    const hash = await this.redis.get(this.byId(id));
    if (hash === null) return false;
    const tx = this.redis.multi().del(this.byHash(hash)).del(this.byId(id)).zrem(this.index, id);
    if (deny) tx.sadd(this.revoked, hash);
    await tx.exec();
    return true;
  }

  /** Revokes key `id` for good: a seed naming the same secret is refused from then on. */
  revoke(id: string): Promise<boolean> {
    return this.remove(id, true);
  }

  /**
   * Makes the seeded keys those of `seeds`: new ones are added, changed ones updated (a new
   * secret under a name replaces the old one), ones no longer listed removed. Several
   * replicas seeding at once write the same records: seeded ids follow from their names.
   */
  async seed(seeds: KeySeed[]): Promise<{ seeded: number; removed: number; refused: string[] }> {
    const refused: string[] = [];
    const ids = new Set<string>();
    for (const seed of seeds) {
      const hash = digest(seed.key).toString('hex');
      if ((await this.redis.sismember(this.revoked, hash)) === 1) {
        refused.push(seed.name);
        continue;
      }
      const id = `key_seed_${createHash('sha256').update(seed.name).digest('hex').slice(0, 16)}`;
      ids.add(id);
      const previous = await this.redis.get(this.byId(id));
      const old = previous === null ? null : await this.redis.get(this.byHash(previous));
      const createdAt = old === null ? new Date().toISOString() : (JSON.parse(old) as ApiKeyRecord).createdAt;
      await this.put({ id, name: seed.name, tenant: seed.tenant, scope: seed.scope, hash, source: 'seed', createdAt }, previous ?? undefined);
    }
    let removed = 0;
    for (const record of await this.records()) {
      if (record.source === 'seed' && !ids.has(record.id) && (await this.remove(record.id, false))) removed++;
    }
    return { seeded: ids.size, removed, refused };
  }
}
