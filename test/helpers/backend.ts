// Tests run on the backend named by FEWSHOT_TEST_BACKEND (default wasm, the one CI relies on).
// The suites that prove the engine's numbers (gradient checks, stacked vs per-task, resume,
// prediction, kernels) also run on the native backend where its addon is built; CI
// (FEWSHOT_REQUIRE_NATIVE=1, set by .ci/run after installing oneDNN) fails instead of skipping.
import { initBackend, type BackendPreference } from '../../src/core/tensor/backend.js';
import { tf } from '../../src/core/tensor/tf.js';

export const TEST_BACKEND = (process.env.FEWSHOT_TEST_BACKEND ?? 'wasm') as BackendPreference;

/** Why the native backend cannot run here, or null when it can. */
export async function nativeUnavailable(): Promise<string | null> {
  try {
    const { prepareNativeBackend } = await import('../../src/core/tensor/native/backend.js');
    prepareNativeBackend();
    return null;
  } catch (error) {
    const reason = (error as Error).message;
    if (process.env.FEWSHOT_REQUIRE_NATIVE === '1') throw new Error(`FEWSHOT_REQUIRE_NATIVE=1 but ${reason}`);
    return reason;
  }
}

/** The backends the engine-proving suites run on: the test backend, and native where it is built. */
export const TEST_BACKENDS: BackendPreference[] =
  TEST_BACKEND === 'native' || (await nativeUnavailable()) !== null ? [TEST_BACKEND] : [TEST_BACKEND, 'native'];

/**
 * Makes `backend` (default: the test backend) the active one. Tests run wasm single-threaded
 * unless FEWSHOT_TEST_WASM_THREADS says otherwise: their tiny kernels only pay XNNPACK's thread
 * hand-offs (measured 3× slower on 2 busy cores). test/core/tensor/wasm-threads.test.ts covers
 * the threaded build.
 */
export async function useTestBackend(backend: BackendPreference = TEST_BACKEND): Promise<string> {
  const threads = Number(process.env.FEWSHOT_TEST_WASM_THREADS ?? 1);
  const first = await initBackend(TEST_BACKEND, { wasmThreads: threads });
  if (backend === first.name) {
    await tf.setBackend(first.name);
  } else {
    if (backend === 'native' && (await nativeUnavailable()) !== null) throw new Error('the native backend is not available');
    if (backend === 'wasm' && !tf.findBackendFactory('wasm')) {
      // The test backend is another one: wasm as initBackend sets it up, single-threaded.
      await import('@tensorflow/tfjs-backend-wasm');
      (await import('../../src/core/tensor/wasm-kernels.js')).installWasmKernels();
    }
    if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
  }
  return tf.getBackend();
}
