/**
 * Lets the process's event loop turn (IPC, signals, Redis) between long synchronous tensor
 * steps: a worker's child process must notice that its parent died, or a cancel.
 */
export const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
