// Picks the fastest TensorFlow.js backend this machine can run, once per process, and says why
// the faster ones were skipped. The libtensorflow and WebGPU packages are optional dependencies
// (their installs need downloads or GPUs that many machines lack); our native CPU kernels exist
// where native/build.mjs could build them at install (a compiler and oneDNN).
import { existsSync, readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { tf } from './tf.js';
import { CoreError } from '../errors.js';

/** What FEWSHOT_BACKEND and --backend may name; 'auto' picks the fastest this machine runs. */
export const BACKEND_PREFERENCES = ['auto', 'tensorflow', 'webgpu', 'native', 'wasm', 'cpu'] as const;
export type BackendPreference = (typeof BACKEND_PREFERENCES)[number];

export interface BackendOptions {
  /** XNNPACK threads for the wasm backend (default: the machine's cores; 1 = single-threaded build). */
  wasmThreads?: number;
  /** OpenMP threads for the native backend (default: one per core). */
  nativeThreads?: number;
}

/** Which backend runs, on what: what jobs, models and /readyz report. */
export interface BackendSummary {
  /** tfjs backend name: tensorflow | webgpu | native | wasm | cpu. */
  name: string;
  /** What runs the kernels (GPU adapter, CUDA, CPU with SIMD, ...); null when unknown. */
  device: string | null;
}

export interface BackendInfo extends BackendSummary {
  skipped: { backend: string; reason: string }[];
}

type Attempt = { backend: string; run: () => Promise<string | null> };

async function importOptional(name: string): Promise<unknown> {
  return import(name);
}

// A software WebGPU adapter (lavapipe) is slower than wasm: `auto` never picks one, but asking
// for webgpu by name accepts it, which is how CI tests the webgpu path without a GPU.
const attempts = (auto: boolean, options: BackendOptions): Record<Exclude<BackendPreference, 'auto'>, Attempt[]> => ({
  tensorflow: [
    {
      backend: 'tensorflow (CUDA, @tensorflow/tfjs-node-gpu)',
      run: async () => {
        await importOptional('@tensorflow/tfjs-node-gpu');
        await activate('tensorflow');
        return 'CUDA GPU via libtensorflow';
      },
    },
    {
      backend: 'tensorflow (CPU, @tensorflow/tfjs-node)',
      run: async () => {
        await importOptional('@tensorflow/tfjs-node');
        await activate('tensorflow');
        return 'CPU via libtensorflow';
      },
    },
  ],
  webgpu: [
    {
      backend: 'webgpu',
      run: async () => {
        // Probing Dawn costs a second and fills stderr with adapter warnings; without a GPU
        // device node there is only a software adapter, which `auto` would refuse anyway.
        if (auto && !hasGpuDeviceNode()) throw new Error('no GPU device (/dev/dri or /dev/nvidia*)');
        const { enableWebGpu } = await import('./webgpu.js');
        const device = await enableWebGpu(!auto);
        await activate('webgpu');
        return device;
      },
    },
  ],
  native: [
    {
      backend: 'native',
      run: async () => {
        const { prepareNativeBackend } = await import('./native/backend.js');
        const device = prepareNativeBackend(options.nativeThreads);
        await activate('native');
        return device;
      },
    },
  ],
  wasm: [
    {
      backend: 'wasm',
      run: async () => {
        const wasm = await import('@tensorflow/tfjs-backend-wasm');
        const { installWasmKernels } = await import('./wasm-kernels.js');
        installWasmKernels();
        const threads = options.wasmThreads ?? availableParallelism();
        if (threads > 1) {
          const { enableWasmThreads } = await import('./wasm-threads.js');
          await enableWasmThreads(threads);
        }
        await activate('wasm');
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        const running = wasm.getThreadsCount();
        return `CPU via WebAssembly (${simd ? 'SIMD' : 'no SIMD'}, ${running} thread${running === 1 ? '' : 's'})`;
      },
    },
  ],
  cpu: [
    {
      backend: 'cpu',
      run: async () => {
        await import('@tensorflow/tfjs-backend-cpu');
        await activate('cpu');
        return 'CPU via plain JavaScript';
      },
    },
  ],
});

function hasGpuDeviceNode(): boolean {
  return existsSync('/dev/dri') || readdirSync('/dev').some((name) => name.startsWith('nvidia'));
}

async function activate(name: string): Promise<void> {
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
}


let current: Promise<BackendInfo> | null = null;
let chosen: BackendInfo | null = null;

/**
 * The active backend, with the native one split by device: 'tensorflow-gpu' (CUDA) or
 * 'tensorflow' (CPU), since they want different work shapes.
 */
export function backendName(): string {
  const name = tf.getBackend();
  return name === 'tensorflow' && chosen?.device?.startsWith('CUDA') ? 'tensorflow-gpu' : name;
}

/** Selects the backend once; later calls return the same result whatever they ask for. */
export function initBackend(preference: BackendPreference = 'auto', options: BackendOptions = {}): Promise<BackendInfo> {
  current ??= select(preference, options);
  return current;
}

async function select(preference: BackendPreference, options: BackendOptions): Promise<BackendInfo> {
  // Production mode skips tfjs's debug checks and its advert for tfjs-node on first use.
  tf.enableProdMode();
  const skipped: BackendInfo['skipped'] = [];
  const candidates = attempts(preference === 'auto', options);
  // auto: CUDA, then a hardware WebGPU adapter, then our native kernels (oneDNN), libtensorflow
  // on the CPU, wasm, plain JS.
  const order =
    preference === 'auto'
      ? [candidates.tensorflow[0], candidates.webgpu[0], candidates.native[0], candidates.tensorflow[1], candidates.wasm[0], candidates.cpu[0]]
      : candidates[preference];
  for (const attempt of order) {
    try {
      const device = await attempt.run();
      chosen = { name: tf.getBackend(), device, skipped };
      return chosen;
    } catch (error) {
      skipped.push({ backend: attempt.backend, reason: firstLine(error) });
    }
  }
  throw new CoreError(
    'backend_unavailable',
    `no TensorFlow.js backend could start (${preference}): ` +
      skipped.map((s) => `${s.backend}: ${s.reason}`).join('; '),
    { skipped },
  );
}

/**
 * One line saying why the native CPU kernels are not in use, when `auto` tried them and fell back
 * to a slower CPU backend (the addon was not built, or does not load); null otherwise.
 */
export function nativeFallbackNote(info: BackendInfo): string | null {
  const native = info.skipped.find((s) => s.backend === 'native');
  return native && (info.name === 'wasm' || info.name === 'cpu') ? `${native.reason}; running on ${info.name}` : null;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0].slice(0, 300);
}
