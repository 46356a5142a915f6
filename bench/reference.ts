// The PyTorch reference (../shared/reference/maml_bench.py, Debian's python3-torch) run as
// a child process with the settings its own `bench` uses: 2 threads, OMP_WAIT_POLICY=PASSIVE
// (libgomp's spin-waiting stalls 2-thread runs on a 2-vCPU machine). On a GPU machine
// (bench/gpu/run.sh) FEWSHOT_REFERENCE_PYTHON names that machine's PyTorch and
// FEWSHOT_REFERENCE_DEVICE=cuda puts the reference's throughput cells on its GPU.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { runJsonChild } from './child.js';
import { join } from 'node:path';
import { SHARED_REFERENCE } from '../scripts/lib/shared.js';

export const PYTHON = process.env.FEWSHOT_REFERENCE_PYTHON ?? '/usr/bin/python3';
export const DEVICE = process.env.FEWSHOT_REFERENCE_DEVICE ?? 'cpu';
export const REFERENCE = join(SHARED_REFERENCE, 'maml_bench.py');
export const THREADS = 2;
export const INSTALL_HINT = 'apt-get install -y python3-torch python3-pil';

/** Why the reference cannot run here, or null when it can. */
export function referenceUnavailable(): string | null {
  if (!existsSync(REFERENCE)) return `${REFERENCE} is missing`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, PIL'], { encoding: 'utf8' });
  if (probe.status !== 0) return `PyTorch or Pillow is not importable by ${PYTHON}; install them with: ${INSTALL_HINT}`;
  return null;
}

function runReference<T>(args: readonly string[]): Promise<T> {
  return runJsonChild<T>(PYTHON, [REFERENCE, ...args, '--threads', String(THREADS)], {
    env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' },
    label: '  [pytorch] ',
  });
}

export interface ReferenceCell {
  median_s: number;
  min_s: number;
  max_s: number;
  n: number;
  peak_rss_mib: number;
  torch: string;
}

export function referenceThroughput(cell: { workload: string; algo: string; warmup: number; iters: number; metaBatch: number }): Promise<ReferenceCell> {
  return runReference<ReferenceCell>([
    'bench-one',
    '--workload', cell.workload,
    '--algo', cell.algo,
    '--warmup', String(cell.warmup),
    '--iters', String(cell.iters),
    '--meta-batch', String(cell.metaBatch),
    '--device', DEVICE,
  ]);
}

export interface ReferenceAccuracy {
  test_acc: number;
  ci95: number;
  inner_steps: number;
  test_steps: number;
}

export function referenceAccuracy(args: readonly string[]): Promise<ReferenceAccuracy> {
  return runReference<ReferenceAccuracy>(['train', ...args]);
}
