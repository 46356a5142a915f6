#!/usr/bin/env node
// Runs every test/**/*.test.ts with Node's own test runner (Node 20 has no --test globbing).
// Extra arguments narrow the run: `npm test -- test/core` or a single file.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function collect(path) {
  if (statSync(path).isFile()) return path.endsWith('.test.ts') ? [path] : [];
  return readdirSync(path).sort().flatMap((entry) => collect(join(path, entry)));
}

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const flags = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = (roots.length ? roots : ['test']).flatMap(collect);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', ...flags, ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
