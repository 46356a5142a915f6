// Tests run on the backend named by FEWSHOT_TEST_BACKEND (default wasm, the one CI relies on).
import { initBackend, type BackendPreference } from '../../src/core/tensor/backend.js';

export const TEST_BACKEND = (process.env.FEWSHOT_TEST_BACKEND ?? 'wasm') as BackendPreference;

/**
 * Tests run wasm single-threaded unless FEWSHOT_TEST_WASM_THREADS says otherwise: their tiny
 * kernels only pay XNNPACK's thread hand-offs (measured 3× slower on 2 busy cores).
 * test/core/tensor/wasm-threads.test.ts covers the threaded build.
 */
export async function useTestBackend(): Promise<string> {
  const threads = Number(process.env.FEWSHOT_TEST_WASM_THREADS ?? 1);
  return (await initBackend(TEST_BACKEND, { wasmThreads: threads })).name;
}
