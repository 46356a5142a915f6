/**
 * Multi-threaded (pthreads + SIMD) tfjs WebAssembly backend for Node.
 *
 * Why this is needed: @tensorflow/tfjs-backend-wasm 4.22 never uses its threaded
 * build in Node. Its `WASM_HAS_MULTITHREAD_SUPPORT` flag returns false when
 * IS_NODE (tfjs issue #3830), so `setThreadsCount(n)` is ignored. Forcing the
 * flag fails too: the backend's `init()` makes emscripten's pthread worker
 * script a `blob:` URL (`URL.createObjectURL(new Blob([wasmWorkerContents]))`)
 * and passes `mainScriptUrlOrBlob` as a Blob of `factory.toString()`. Node's
 * `worker_threads.Worker` rejects `blob:` URLs (ERR_WORKER_PATH), and the
 * stringified factory from the node bundle would not run in a worker anyway.
 *
 * The emscripten build that tfjs ships in `wasm-out/` handles Node itself
 * (it sets `global.Worker = worker_threads.Worker`, and the worker script
 * loads the main script with `fs.readFileSync` + indirect eval). It only needs
 * real file paths. So this module:
 *   1. writes the pthread worker script (`wasmWorkerContents`) to a temp
 *      `.cjs` file (removed at process exit),
 *   2. instantiates `wasm-out/tfjs-backend-wasm-threaded-simd.js` with
 *      `locateFile` pointing at that file and at the threaded .wasm, and
 *      `mainScriptUrlOrBlob` set to the factory's own path,
 *   3. works around the C++ cap `threads <= logical_cores / 2` (see below),
 *   4. replaces the factory registered under the name 'wasm' with one that
 *      wraps that module in tfjs's own `BackendWasm` class. Kernels are
 *      registered by backend name, so every wasm kernel keeps working. If the
 *      threaded build fails to start, it falls back to the stock factory.
 *
 * initBackend (tensor/backend.ts) calls it once, before it activates 'wasm';
 * its thread count is fixed from then on. XNNPACK then uses `threads` threads
 * (at most 8): the main thread plus `threads - 1` pthread workers. Emscripten
 * also starts a fixed pool of 8 idle workers at init (PTHREAD_POOL_SIZE=8),
 * each with its own instance of the module (about +130 MB RSS). Workers are
 * unref()'d, so they do not keep the process alive.
 * Only XNNPACK-backed kernels run in parallel: conv2d, fused conv2d and
 * matMul, batched and transposed ones included since tensor/wasm-kernels.ts
 * runs those as one XNNPACK GEMM per matrix; Conv2DBackpropInput and
 * elementwise ops stay single-threaded. Results are bit-identical to the
 * stock single-threaded build (test/core/tensor/wasm-threads.test.ts). Tiny
 * ops can get slower with 2 threads when the other core is busy.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os, { type CpuInfo } from 'node:os';
import { dirname, join } from 'node:path';

import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { tf } from './tf.js';

/** The parts of the emscripten module that tfjs's BackendWasm expects. */
interface EmscriptenModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: number[]) => number | void;
  PThread?: { runningWorkers: Array<{ unref(): void }>; terminateAllThreads(): void };
}

interface ThreadedFactoryConfig {
  mainScriptUrlOrBlob: string;
  locateFile(path: string, prefix: string): string;
}

type ThreadedFactory = (config: ThreadedFactoryConfig) => Promise<EmscriptenModule>;

const WASM_PRIORITY = 2; // the priority tfjs-backend-wasm registers itself with
const require = createRequire(import.meta.url);

let enabled: { threads: number; note: string } | null = null;

export async function enableWasmThreads(threads: number): Promise<{ threads: number; note: string }> {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`enableWasmThreads: threads must be a positive integer, got ${threads}`);
  }
  if (enabled !== null) {
    if (enabled.threads !== threads) {
      throw new Error(`enableWasmThreads: already enabled with ${enabled.threads} threads`);
    }
    return enabled;
  }
  if (tf.engine().registry['wasm'] !== undefined) {
    // A wasm backend instance already exists; XNNPACK's thread count is fixed at its creation.
    throw new Error('enableWasmThreads must be called before the wasm backend is initialised');
  }

  const pkgDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const outDir = join(pkgDir, 'wasm-out');
  const factoryPath = join(outDir, 'tfjs-backend-wasm-threaded-simd.js');
  const wasmPath = join(outDir, 'tfjs-backend-wasm-threaded-simd.wasm');
  const { wasmWorkerContents } = require(join(outDir, 'tfjs-backend-wasm-threaded-simd.worker.js')) as {
    wasmWorkerContents: string;
  };
  // `.cjs`: the worker script uses require/__filename and must not be loaded as ESM.
  const workerPath = join(mkdtempSync(join(os.tmpdir(), 'tfjs-wasm-threads-')), 'pthread-worker.cjs');
  // The string comes from a template literal, so its `"\n"` escapes became raw newlines inside
  // string literals; re-escape them exactly as tfjs's own init() does before making its Blob.
  writeFileSync(workerPath, wasmWorkerContents.replace(/\n/g, '\\n'));
  const factory = require(factoryPath) as ThreadedFactory;

  const stock = tf.engine().registryFactory['wasm'];
  if (stock === undefined) throw new Error('enableWasmThreads: the wasm backend is not registered');
  process.once('exit', () => rmSync(dirname(workerPath), { recursive: true, force: true }));

  setThreadsCount(threads);
  tf.removeBackend('wasm');
  tf.registerBackend(
    'wasm',
    async (): Promise<tf.KernelBackend> => {
      try {
        return await createThreadedBackend();
      } catch (e) {
        // Keep 'wasm' usable: fall back to the stock single-threaded SIMD build.
        console.warn(`enableWasmThreads: threaded wasm failed (${String(e)}); using the single-threaded build`);
        return await stock.factory();
      }
    },
    WASM_PRIORITY,
  );
  enabled = {
    threads,
    note:
      `tfjs-backend-wasm threaded-SIMD build registered as 'wasm' with ${threads} XNNPACK thread(s) ` +
      `(takes effect at tf.setBackend('wasm'); check getThreadsCount() afterwards)`,
  };
  return enabled;

  async function createThreadedBackend(): Promise<tf.KernelBackend> {
    // XNNPACK's pool size is capped at num_cores = emscripten_num_logical_cores() / 2, which
    // in Node is require('os').cpus().length / 2 (1 on a 2-core machine), read once by a C++
    // static initializer while the factory's promise is pending. Report 2 * threads CPUs for
    // that window only.
    const realCpus = os.cpus;
    os.cpus = (): CpuInfo[] => {
      const cpus = realCpus.call(os);
      return Array.from({ length: Math.max(2 * threads, cpus.length) }, (_, i) => cpus[i % cpus.length]!);
    };
    let module: EmscriptenModule;
    try {
      module = await factory({
        mainScriptUrlOrBlob: factoryPath,
        locateFile: (path: string, prefix: string): string => {
          if (path.endsWith('.worker.js')) return workerPath;
          if (path.endsWith('.wasm')) return wasmPath;
          return prefix + path;
        },
      });
    } finally {
      os.cpus = realCpus;
    }
    // Same bridge as tfjs-backend-wasm's own init() (backend_wasm.js).
    const bridge = {
      init: module.cwrap('init', null, []),
      initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
      getThreadsCount: module.cwrap('get_threads_count', 'number', []),
      registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
      disposeData: module.cwrap('dispose_data', null, ['number']),
      dispose: module.cwrap('dispose', null, []),
    };
    (module as EmscriptenModule & { tfjs: typeof bridge }).tfjs = bridge;
    const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
    // The constructor's init_with_threads_count() starts XNNPACK's pthreads; emscripten ref()s
    // the worker of every running pthread, and these never exit, so the process would never
    // end on its own. unref() them (idle pool workers are already unref'd).
    for (const worker of module.PThread?.runningWorkers ?? []) worker.unref();
    return backend;
  }
}
