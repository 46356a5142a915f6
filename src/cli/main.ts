// The `fewshot` command.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { CoreError, loadImageFolder, loadOmniglot, RESIZE_FILTERS, type ClassDataset, type ResizeFilter } from '../service/core.js';
import { ConfigError, loadConfig, type ServiceConfig } from '../service/config.js';
import { createLogger, type Logger } from '../service/logger.js';
import { locateRedis } from '../service/local-redis.js';
import { OPENAPI_YAML, openapiDocument, toYaml } from '../service/openapi.js';
import { datasetRegistry, storeDataset } from '../service/registry/datasets.js';
import { start } from '../service/server.js';
import { openStorage } from '../service/storage/open.js';
import { DEFAULT_TENANT, TenantName } from '../service/access.js';
import { keysCommand, withRedis } from './keys.js';
import { UsageError } from './usage-error.js';
import { evalCommand, trainCommand } from './train-commands.js';

const USAGE = `Usage: fewshot <command>

  train --dataset SOURCE ...   meta-train from the command line (fewshot train --help)
  eval --checkpoint DIR ...    evaluate a checkpoint on its test classes (fewshot eval --help)
  serve [--with-worker]        the HTTP API (and a training worker in the same process)
  worker [--concurrency N]     a training worker (any number, on any machines sharing Redis and FEWSHOT_DATA_DIR)
  datasets import omniglot <dir-or-zip> [--name NAME] [--image-size 28] [--resize lanczos|bilinear] [--tenant T]
  datasets import folder <dir-or-zip> --name NAME [--image-size N] [--channels 1|3] [--resize lanczos|bilinear] [--tenant T]
  datasets list
  keys create --scope predict|train|admin --name NAME [--tenant T]   prints the new key (only) on stdout
  keys list [--json]
  keys revoke <id>
  openapi [--write]            print the OpenAPI document (YAML), or write it to openapi.yaml

Configuration comes from the environment: PORT, HOST, REDIS_URL, FEWSHOT_DATA_DIR,
FEWSHOT_REDIS_PREFIX, FEWSHOT_STORAGE, FEWSHOT_AUTH, FEWSHOT_BACKEND (auto|tensorflow|webgpu|native|wasm|cpu),
LOG_LEVEL, ... (README.md lists them all)`;


const positiveInt = (value: string | undefined, flag: string): number | undefined => {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes a positive integer`);
  return n;
};

/** Runs until SIGTERM/SIGINT, then stops everything gracefully (exit 0); a second signal stops at once (exit 1). */
async function serve(config: ServiceConfig, log: Logger, run: { api: boolean; worker: boolean }) {
  const redis = await locateRedis(config, log, { startPrivate: run.api && run.worker });
  const running = await start(config, redis.url, log, run);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: stopping without waiting');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    try {
      await running.close();
      await redis.stop();
    } catch (error) {
      log.error({ err: error }, 'shutting down failed');
      process.exit(1);
    }
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

async function importDataset(config: ServiceConfig, log: Logger, kind: string, source: string, values: Record<string, unknown>) {
  const imageSize = positiveInt(values['image-size'] as string | undefined, '--image-size');
  const name = values.name as string | undefined;
  const resize = values.resize as ResizeFilter | undefined;
  if (resize !== undefined && !RESIZE_FILTERS.includes(resize)) throw new UsageError(`--resize is ${RESIZE_FILTERS.join(' or ')}`);
  let dataset: ClassDataset;
  if (kind === 'omniglot') {
    dataset = (await loadOmniglot(source, { imageSize, resize })).dataset;
  } else if (kind === 'folder') {
    if (!name) throw new UsageError('datasets import folder needs --name');
    const channels = positiveInt(values.channels as string | undefined, '--channels');
    if (channels !== undefined && channels !== 1 && channels !== 3) throw new UsageError('--channels is 1 or 3');
    dataset = await loadImageFolder(source, { imageSize, channels, resize, name });
  } else {
    throw new UsageError(`unknown importer "${kind}" (omniglot, folder)`);
  }
  const tenant = parseTenant(values.tenant as string | undefined);
  const storage = openStorage(config);
  try {
    await withRedis(config, log, async (redis) => {
      const record = await storeDataset(storage, datasetRegistry(redis, config.prefix), { ...dataset, name: name ?? dataset.name }, tenant);
      const { id, numClasses, numExamples } = record;
      console.log(JSON.stringify({ id, name: record.name, tenant, numClasses, numExamples }));
    });
  } finally {
    storage.close();
  }
}

function parseTenant(value: string | undefined): string {
  if (value === undefined) return DEFAULT_TENANT;
  const parsed = TenantName.safeParse(value);
  if (!parsed.success) throw new UsageError(`--tenant: ${parsed.error.issues[0].message}`);
  return parsed.data;
}

function listDatasets(config: ServiceConfig, log: Logger) {
  return withRedis(config, log, async (redis) => {
    for (const d of await datasetRegistry(redis, config.prefix).list()) {
      console.log(`${d.id}\t${d.name}\t${d.tenant}\t${d.numClasses} classes\t${d.numExamples} examples\t${d.modalities.join('+')}`);
    }
  });
}

async function main(argv: string[]): Promise<void> {
  // train and eval parse their own flags.
  if (argv[0] === 'train' || argv[0] === 'eval') {
    process.exitCode = await (argv[0] === 'train' ? trainCommand : evalCommand)(argv.slice(1));
    return;
  }
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'with-worker': { type: 'boolean' },
      concurrency: { type: 'string' },
      name: { type: 'string' },
      'image-size': { type: 'string' },
      channels: { type: 'string' },
      resize: { type: 'string' },
      tenant: { type: 'string' },
      scope: { type: 'string' },
      json: { type: 'boolean' },
      write: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command || command === 'help') {
    console.log(USAGE);
    return;
  }
  if (command === 'openapi') {
    const yaml = toYaml(await openapiDocument());
    if (values.write) await writeFile(OPENAPI_YAML, yaml);
    else process.stdout.write(yaml);
    return;
  }
  const concurrency = positiveInt(values.concurrency, '--concurrency');
  const config = loadConfig(concurrency ? { ...process.env, FEWSHOT_WORKER_CONCURRENCY: String(concurrency) } : process.env);
  const log = createLogger(config.logLevel, 'fewshot');
  switch (command) {
    case 'serve':
      return serve(config, log, { api: true, worker: values['with-worker'] ?? false });
    case 'worker':
      return serve(config, log, { api: false, worker: true });
    case 'datasets':
      if (rest[0] === 'list') return listDatasets(config, log);
      if (rest[0] === 'import' && rest[1] && rest[2]) return importDataset(config, log, rest[1], rest[2], values);
      throw new UsageError('usage: fewshot datasets import <omniglot|folder> <dir-or-zip> [...] | fewshot datasets list');
    case 'keys':
      return keysCommand(config, log, rest, values);
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) console.error(`${error.message}\n\n${USAGE}`);
  else if (error instanceof ConfigError || error instanceof CoreError) console.error(`fewshot: ${error.message}`);
  else console.error(error);
  process.exit(error instanceof UsageError ? 2 : 1);
});
