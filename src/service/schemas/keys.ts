import { z } from 'zod';
import { KEY_SCOPES } from '../access.js';
import { KeySpec } from '../registry/keys.js';
import { Timestamp } from './common.js';

export const CreateKeyBody = KeySpec.meta({ id: 'CreateApiKey' });

export const ApiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    tenant: z.string(),
    scope: z.enum(KEY_SCOPES),
    source: z.enum(['created', 'seed']).meta({ description: 'seed: from FEWSHOT_API_KEYS(_FILE)' }),
    createdAt: Timestamp,
  })
  .meta({ id: 'ApiKey', description: 'An API key, without its secret' });

export const CreatedKey = ApiKey.extend({
  key: z.string().meta({ description: 'The secret: shown here once, stored only as a SHA-256 digest' }),
}).meta({ id: 'CreatedApiKey' });

export const KeyList = z.object({ keys: z.array(ApiKey) });

export const SessionBody = z.strictObject({ key: z.string().min(1).max(512) }).meta({ id: 'CreateSession' });
