// Lists the node_modules files a bare GPU machine needs to run the webgpu tests and the
// throughput bench from source (tsx, tfjs and its backends, Dawn), one path per line, relative
// to the repository root. Packages are followed through their dependencies as Node resolves
// them; what Node never loads there (other platforms' binaries, source maps, type declarations,
// tests) is left out so the carried archive stays well under the device tool's 64 MiB. Minified
// files stay: some packages' Node entry points are minified (lru-cache's).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// The files run.sh starts; every package their sources import (following relative imports) is
// carried, so a new dependency of the core cannot be forgotten here.
const ENTRIES = ['bench/gpu/adapter.ts', 'bench/train.ts', 'bench/throughput-cell.ts', 'test/core/webgpu/webgpu.test.ts'];
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)'([^']+)'/gm;

/** Bare package names imported by the entries' source closure; tsx runs them all. */
function importedPackages(): string[] {
  const names = new Set(['tsx']);
  const seen = new Set<string>();
  const pending = ENTRIES.map((entry) => join(ROOT, entry));
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (specifier.startsWith('.')) {
        const target = join(dirname(file), specifier).replace(/\.js$/, '.ts');
        const resolved = [target, `${target}.ts`, join(target, 'index.ts')].find((path) => existsSync(path) && statSync(path).isFile());
        if (resolved) pending.push(resolved);
      } else if (!specifier.startsWith('node:')) {
        const parts = specifier.split('/');
        names.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
      }
    }
  }
  return [...names].sort();
}
// Optional at run time (the CUDA and CPU tfjs-node backends are loaded only where installed).
const OPTIONAL = new Set(['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']);
const SKIP_FILE = /(\.map|\.d\.ts|\.d\.mts|\.d\.cts|_test\.js|\.es2017\.js|\.fesm\.js|\.md|\.ts)$/i;
const SKIP_DIR = new Set(['darwin-universal', 'linux-arm64', 'win32-arm64', 'win32-x64', 'test', 'tests', 'docs']);

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Node's lookup: `name` in the nearest node_modules at or above `from`. */
function locate(name: string, from: string): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === ROOT || dirname(dir) === dir) return null;
  }
}

const packages = new Set<string>();
function visit(name: string, from: string, optional: boolean): void {
  const dir = locate(name, from);
  if (!dir) {
    if (optional) return;
    throw new Error(`${name} (needed from ${relative(ROOT, from) || '.'}) is not installed: run npm ci first`);
  }
  if (packages.has(dir)) return;
  packages.add(dir);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
  for (const dep of Object.keys(manifest.dependencies ?? {})) visit(dep, dir, false);
  // Platform packages (esbuild's binary) are optional dependencies; only the installed one counts.
  for (const dep of Object.keys({ ...manifest.optionalDependencies, ...manifest.peerDependencies })) visit(dep, dir, true);
}
for (const name of importedPackages()) visit(name, ROOT, OPTIONAL.has(name));

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      // A package's own nested node_modules are packages of their own, visited above.
      if (entry !== 'node_modules' && !SKIP_DIR.has(entry)) yield* files(path);
    } else if (entry === 'package.json' || !SKIP_FILE.test(entry)) {
      yield path;
    }
  }
}
for (const dir of [...packages].sort()) for (const file of files(dir)) process.stdout.write(`${relative(ROOT, file)}\n`);
