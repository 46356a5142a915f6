// Typed errors of the core. The service maps each code to an HTTP status in one place.

export const CORE_ERROR_CODES = [
  'invalid_data', // input the core cannot use (wrong vector width, undecodable image, ...)
  'degenerate_data', // data that cannot train as asked: too few usable classes, constant inputs
  'model_too_large', // a model beyond the parameter budget (models/budget.ts)
  'too_large', // data that would not fit in memory once decoded (zip bombs, too many rows)
  'unusable_support_set', // e.g. one class only, or more labels than the model serves
  'checkpoint_invalid', // missing file, checksum or shape mismatch
  'backend_unavailable',
] as const;
export type CoreErrorCode = (typeof CORE_ERROR_CODES)[number];

/** Whether `code` (e.g. read back from another process) is one of the core's. */
export const isCoreErrorCode = (code: string): code is CoreErrorCode => (CORE_ERROR_CODES as readonly string[]).includes(code);

export class CoreError extends Error {
  constructor(
    readonly code: CoreErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CoreError';
  }
}
