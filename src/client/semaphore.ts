/**
 * Caps how many requests are in flight at once. Waiters are served in the order they came.
 */
export class Semaphore {
  private available: number;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`a semaphore needs a positive integer size, got ${size}`);
    }
    this.available = size;
  }

  /** Waits for a free place. */
  acquire(): Promise<void> {
    if (this.available > 0) {
      this.available -= 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Frees a place taken with `acquire`, handing it to the longest waiter. */
  release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) next();
    else this.available += 1;
  }
}
