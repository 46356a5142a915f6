// The OpenAPI document the running API serves at /openapi.json, built without any connection;
// `fewshot openapi --write` keeps openapi.yaml at the repository root identical to it.
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createDeps } from './deps.js';
import { createLogger } from './logger.js';
import { DEFAULT_REDIS_URL } from './redis.js';

export const OPENAPI_YAML = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));

export async function openapiDocument(): Promise<Record<string, unknown>> {
  const deps = createDeps(loadConfig({}), DEFAULT_REDIS_URL, createLogger('silent', 'openapi'));
  const app = await buildApp(deps);
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
    await deps.close();
  }
}

export const toYaml = (document: unknown) =>
  `# Generated from the zod schemas by \`fewshot openapi --write\`; do not edit by hand.\n${stringify(document, { aliasDuplicateObjects: false })}`;
