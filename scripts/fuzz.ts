// `npm run fuzz -- [--requests N] [--seed S] [--replay I] [--json]`: the OpenAPI-driven fuzzer
// against a real app (Redis at REDIS_URL, under a throw-away prefix). Exits 1 on any finding.
import { parseArgs } from 'node:util';
import { runFuzz } from '../test/service/fuzz/harness.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    seed: { type: 'string' },
    replay: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    json: { type: 'boolean', default: false },
  },
});

const seed = args.seed !== undefined ? Number(args.seed) : Math.floor(Math.random() * 2 ** 31);
const replay = args.replay !== undefined ? Number(args.replay) : undefined;
console.log(`fuzz: seed ${seed}${replay !== undefined ? `, replaying request ${replay}` : `, ${args.requests} requests`}`);
const report = await runFuzz({
  requests: Number(args.requests),
  seed,
  only: replay,
  concurrency: Number(args.concurrency),
  log: (line) => console.log(line),
});
console.log(
  `fuzz: ${report.requests} requests in ${report.seconds.toFixed(1)} s (${(report.requests / report.seconds).toFixed(0)}/s), ` +
    `${report.findings.length} findings, ${report.crashes} prediction-process exits`,
);
console.log(`  statuses: ${JSON.stringify(report.statuses)}`);
console.log(`  strategies: ${JSON.stringify(report.kinds)}`);
const slowest = Object.entries(report.secondsByOperation).sort((a, b) => b[1] - a[1]).slice(0, 12);
console.log(`  slowest: ${slowest.map(([op, s]) => `${op} ${s.toFixed(1)} s`).join('; ')}`);
const { before, after } = report.memory;
console.log(
  `  memory after GC: heap ${before.heapMB} -> ${after.heapMB} MB, rss ${before.rssMB} -> ${after.rssMB} MB, ` +
    `prediction process: tensors ${before.childTensors} -> ${after.childTensors}, rss ${before.childRssMB} -> ${after.childRssMB} MB`,
);
if (report.errorLogs.length) console.log(`  error logs: ${report.errorLogs.join(' | ')}`);
if (args.json) console.log(JSON.stringify(report));
process.exit(report.findings.length || report.crashes ? 1 : 0);
