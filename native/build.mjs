#!/usr/bin/env node
// Builds the native CPU kernels (native/src, a Node-API addon over oneDNN) into
// native/build/fewshot-native.node. Run by `npm ci`/`npm install` (package.json "install"), and
// by hand with `npm run build:native`.
//
// It never fails an install: without a C++ compiler, Node's headers or oneDNN's
// (`apt-get install -y g++ libdnnl-dev`) it writes the reason to native/build/skipped.txt, prints
// one line and exits 0; the engine then runs on wasm and says why in one log line.
// `--require` (CI) exits 1 instead. An unchanged build (same sources, compiler, Node) is kept.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = join(here, 'src');
// FEWSHOT_NATIVE_BUILD_DIR puts the build elsewhere (the engine looks there too).
const buildDir = process.env.FEWSHOT_NATIVE_BUILD_DIR || join(here, 'build');
const addon = join(buildDir, 'fewshot-native.node');
const skippedFile = join(buildDir, 'skipped.txt');
const stampFile = join(buildDir, 'stamp');
const require = process.argv.includes('--require');
const cxx = process.env.CXX || 'c++';
const INSTALL = 'apt-get install -y g++ libdnnl-dev';

function skip(reason) {
  mkdirSync(buildDir, { recursive: true });
  rmSync(addon, { force: true });
  rmSync(stampFile, { force: true });
  writeFileSync(skippedFile, `${reason}\n`);
  console.log(`fewshot native kernels not built: ${reason}; the wasm backend will be used`);
  process.exit(require ? 1 : 0);
}

function run(args) {
  return spawnSync(cxx, args, { encoding: 'utf8' });
}

// Node-API's headers ship with Node itself (<prefix>/include/node), so nothing is downloaded.
const nodeInclude = join(dirname(dirname(process.execPath)), 'include', 'node');
if (!existsSync(join(nodeInclude, 'node_api.h'))) skip(`Node's headers are not at ${nodeInclude}`);
const version = run(['--version']);
if (version.error || version.status !== 0) skip(`no C++ compiler (${cxx}); ${INSTALL}`);
const probe = spawnSync(cxx, ['-x', 'c++', '-std=c++17', '-E', '-o', '/dev/null', '-'], {
  input: '#include <oneapi/dnnl/dnnl.hpp>\n',
  encoding: 'utf8',
});
if (probe.status !== 0) skip(`oneDNN's headers are missing; ${INSTALL}`);

const sources = readdirSync(sourceDir).filter((f) => f.endsWith('.cc')).sort();
const flags = [
  '-std=c++17', '-O3', '-fPIC', '-fopenmp', '-fvisibility=hidden', '-fno-math-errno',
  '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=fewshot_native', `-I${nodeInclude}`,
];
// The machine's own vector width (the addon is built where it runs, as node-gyp addons are),
// unless FEWSHOT_NATIVE_PORTABLE asks for a build that runs on any x86-64 (container images).
if (!process.env.FEWSHOT_NATIVE_PORTABLE) flags.push('-march=native');
const stamp = createHash('sha256')
  .update(version.stdout)
  .update(process.version)
  .update(flags.join(' '))
  .update(readdirSync(sourceDir).sort().map((f) => f + readFileSync(join(sourceDir, f), 'utf8')).join('\0'))
  .digest('hex');
if (existsSync(addon) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
  console.log('fewshot native kernels: up to date');
  process.exit(0);
}

mkdirSync(join(buildDir, 'obj'), { recursive: true });
const started = performance.now();
const objects = sources.map((f) => join(buildDir, 'obj', f.replace(/\.cc$/, '.o')));
// Compile in parallel, a few at a time.
const pending = sources.map((f, i) => () => compile(join(sourceDir, f), objects[i]));
await Promise.all(Array.from({ length: Math.min(availableParallelism(), pending.length) }, async () => {
  while (pending.length) await pending.shift()();
}));
const temporary = `${addon}.tmp`;
const link = run(['-shared', '-fopenmp', '-o', temporary, ...objects, '-ldnnl']);
if (link.status !== 0) fail('linking', link.stderr);
renameSync(temporary, addon);
writeFileSync(stampFile, stamp);
rmSync(skippedFile, { force: true });
console.log(`fewshot native kernels built in ${((performance.now() - started) / 1000).toFixed(0)} s: ${addon}`);

function compile(source, object) {
  return new Promise((resolve) => {
    import('node:child_process').then(({ spawn }) => {
      const child = spawn(cxx, [...flags, '-c', source, '-o', object], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (code) => (code === 0 ? resolve() : fail(`compiling ${source}`, stderr)));
    });
  });
}

function fail(what, stderr) {
  process.stderr.write(stderr.slice(-4000));
  skip(`${what} failed (${cxx}); see the compiler output above`);
}
