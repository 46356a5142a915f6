// Typed errors of the core. The service maps each code to an HTTP status in one place.

export type CoreErrorCode =
  | 'invalid_data' // input the core cannot use (wrong vector width, undecodable image, ...)
  | 'unusable_support_set' // e.g. one class only, or more labels than the model serves
  | 'checkpoint_invalid' // missing file, checksum or shape mismatch
  | 'backend_unavailable';

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
