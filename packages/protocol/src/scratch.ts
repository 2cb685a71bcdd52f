/**
 * Buffers reused by synchronous encoders (internal to this package, not exported by its index):
 * the bytes a signature or a hash reads once, written where the previous call's were instead of
 * into a new buffer outside V8's heap per call, which waits for a collection to be freed.
 */

/** One reusable buffer, grown by doubling up to `max` bytes; longer requests get a buffer of their own. */
export class ScratchBuffer {
  readonly #max: number;
  #buffer: Buffer;

  constructor(initial: number, max: number) {
    this.#max = max;
    this.#buffer = Buffer.alloc(initial);
  }

  /**
   * `length` bytes to write over (they may hold an earlier call's), **valid until the next call**:
   * the start of the shared buffer while `length` fits under the cap, else a new buffer.
   */
  take(length: number): Buffer {
    if (length > this.#max) return Buffer.allocUnsafeSlow(length);
    if (length > this.#buffer.length) {
      this.#buffer = Buffer.alloc(Math.min(this.#max, Math.max(length, this.#buffer.length * 2)));
    }
    return this.#buffer.subarray(0, length);
  }
}
