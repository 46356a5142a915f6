// Tests run on the backend named by FEWSHOT_TEST_BACKEND (default wasm, the one CI relies on).
import { initBackend, type BackendPreference } from '../../src/core/tensor/backend.js';

export const TEST_BACKEND = (process.env.FEWSHOT_TEST_BACKEND ?? 'wasm') as BackendPreference;

export async function useTestBackend(): Promise<string> {
  return (await initBackend(TEST_BACKEND)).name;
}
