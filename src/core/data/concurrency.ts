// Bounded parallelism for I/O and sharp decodes: enough in flight to keep libuv's thread
// pool busy, few enough that 32k images do not all sit decoded in memory at once.

export const DEFAULT_CONCURRENCY = 8;

/** `fn` over every item with at most `limit` calls pending; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await fn(items[index], index);
      } catch (error) {
        failed = true; // the others stop taking items; Promise.all reports this error
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
