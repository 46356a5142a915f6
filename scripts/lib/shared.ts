// The read-only shared folder (benchmark data sets, the PyTorch reference) sits beside the
// checkout: ../shared, as on developers' machines and CI. FEWSHOT_SHARED_DIR overrides it.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const SHARED_DIR = resolve(process.env.FEWSHOT_SHARED_DIR ?? resolve(REPO_ROOT, '../shared'));
export const SHARED_DATASETS = resolve(SHARED_DIR, 'datasets');
export const SHARED_REFERENCE = resolve(SHARED_DIR, 'reference');
