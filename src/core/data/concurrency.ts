// Bounded parallelism for I/O and sharp decodes: enough in flight to keep libuv's thread
// pool busy, few enough that 32k images do not all sit decoded in memory at once.
import pLimit from 'p-limit';

export const DEFAULT_CONCURRENCY = 8;

/** `fn` over every item with at most `limit` calls pending; results in input order. The first failure stops the rest from starting. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  // Cleared calls never settle; Promise.all has already rejected with the failure by then.
  const queue = pLimit(limit);
  return queue.map(items, async (item, index) => {
    try {
      return await fn(item, index);
    } catch (error) {
      queue.clearQueue();
      throw error;
    }
  });
}
