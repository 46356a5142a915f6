// `fewshot keys create|list|revoke`: API keys in the Redis the service uses (REDIS_URL,
// FEWSHOT_REDIS_PREFIX), for setting up the first admin key and for scripts.
import type { Redis } from 'ioredis';
import type { ServiceConfig } from '../service/config.js';
import { locateRedis } from '../service/local-redis.js';
import type { Logger } from '../service/logger.js';
import { createRedis } from '../service/redis.js';
import { KeyRegistry, KeySpec } from '../service/registry/keys.js';
import { UsageError } from './usage-error.js';

/** Runs `work` with a connection to the service's Redis, closed afterwards. */
export async function withRedis<T>(config: ServiceConfig, log: Logger, work: (redis: Redis) => Promise<T>): Promise<T> {
  const location = await locateRedis(config, log, { startPrivate: false });
  const redis = createRedis(location.url, 'client', 'fewshot-cli');
  try {
    return await work(redis);
  } finally {
    await redis.quit();
  }
}

export function keysCommand(config: ServiceConfig, log: Logger, args: string[], flags: Record<string, unknown>): Promise<void> {
  const [action, id] = args;
  return withRedis(config, log, async (redis) => {
    const keys = new KeyRegistry(redis, config.prefix);
    switch (action) {
      case 'create': {
        const spec = KeySpec.safeParse({ name: flags.name, scope: flags.scope, tenant: flags.tenant });
        if (!spec.success) throw new UsageError(`keys create: ${spec.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}`);
        const { key, record } = await keys.create(spec.data);
        // The secret alone on stdout, for `KEY=$(fewshot keys create ...)`; the rest for the human.
        console.log(key);
        console.error(`created ${record.id}: name ${record.name}, tenant ${record.tenant}, scope ${record.scope} (the key is shown only now)`);
        return;
      }
      case 'list': {
        const all = await keys.list();
        if (flags.json) console.log(JSON.stringify(all));
        else for (const k of all) console.log(`${k.id}\t${k.name}\t${k.tenant}\t${k.scope}\t${k.source}\t${k.createdAt}`);
        return;
      }
      case 'revoke':
        if (!id) throw new UsageError('usage: fewshot keys revoke <id>');
        if (!(await keys.revoke(id))) throw new UsageError(`no API key ${id} (fewshot keys list shows them)`);
        console.error(`revoked ${id}`);
        return;
      default:
        throw new UsageError('usage: fewshot keys create --scope predict|train|admin --name NAME [--tenant T] | keys list [--json] | keys revoke <id>');
    }
  });
}
