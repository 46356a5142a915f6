// A run's independent random streams, all derived from its one seed, so that e.g. validating
// more often never shifts the training episodes, and evaluation sees the same test episodes.
const STREAM = { init: 0, sampler: 1, validation: 2, test: 3 } as const;

export type Stream = keyof typeof STREAM;

export const streamSeed = (seed: number, stream: Stream): number => seed * 4 + STREAM[stream];
