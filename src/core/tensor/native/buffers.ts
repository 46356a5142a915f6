// Float32Arrays for the native kernels' outputs, recycled when their tensor is disposed.
//
// Why: a W1 meta-step makes thousands of outputs of up to 16 MB. Left to the garbage
// collector, every new one is fresh memory from the OS (page faults: ~20 ms for 16 MB on a busy
// machine, against ~1 ms for the kernel that fills it), and the collector, pressed by that
// much external memory, runs a scavenge every few milliseconds (measured: a third of a step).
// The shapes of one step recur in the next, so a disposed output's array is kept, by length,
// and handed to the next output of that length.
//
// An array may be recycled only when nothing else can see it: arrays handed out of the backend
// (readSync/read) are copies, and an array that is stored a second time, or that another
// typed array views (the CPU backend's contiguous Slice is a subarray of its input), is never
// recycled (the garbage collector frees it when its last view goes).

export class RecycledBuffers {
  /** Arrays this pool made, by their buffer, as long as they may be recycled. */
  private readonly owned = new WeakMap<ArrayBufferLike, Float32Array>();
  /** Owned arrays stored by a tensor right now. */
  private readonly live = new WeakSet<Float32Array>();
  private readonly free = new Map<number, Float32Array[]>();
  private freeBytes = 0;

  /** `maxFreeBytes`: arrays beyond this many bytes waiting for reuse are left to the garbage collector. */
  constructor(private readonly maxFreeBytes: number) {}

  /** An array of this length, uninitialised (a recycled one, or new). */
  take(length: number): Float32Array {
    const recycled = this.free.get(length)?.pop();
    if (recycled) {
      this.freeBytes -= recycled.byteLength;
      return recycled;
    }
    // allocUnsafeSlow: a buffer of its own, not zero-filled.
    const made = new Float32Array(Buffer.allocUnsafeSlow(length * 4).buffer, 0, length);
    this.owned.set(made.buffer, made);
    return made;
  }

  /** Whether these values belong to the pool (and so must be copied before they leave the backend). */
  owns(values: unknown): values is Float32Array {
    return values instanceof Float32Array && this.owned.get(values.buffer) === values;
  }

  /** A tensor now stores `values`: a second holder or a view pins their buffer. */
  stored(values: unknown): void {
    if (!ArrayBuffer.isView(values)) return;
    const owner = this.owned.get(values.buffer);
    if (!owner) return;
    if (owner === values && !this.live.has(owner)) {
      this.live.add(owner);
    } else {
      this.owned.delete(values.buffer);
      this.live.delete(owner);
    }
  }

  /** The tensor that stored `values` is gone. */
  released(values: unknown): void {
    if (!this.owns(values) || !this.live.has(values)) return;
    this.live.delete(values);
    if (this.freeBytes + values.byteLength > this.maxFreeBytes) {
      this.owned.delete(values.buffer);
      return;
    }
    const list = this.free.get(values.length);
    if (list) list.push(values);
    else this.free.set(values.length, [values]);
    this.freeBytes += values.byteLength;
  }

  clear(): void {
    this.free.clear();
    this.freeBytes = 0;
  }
}
