// Bounded waiting. Every wait in the agent ends on its own timeout or when the agent stops.

/** Resolves after `ms`, or at once when `signal` aborts. Never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener("abort", done);
  });
}

/** Lets code wait until some state changes: the state's owner calls notify() after each change. */
export class Changes {
  private waiters: Array<() => void> = [];

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /**
   * Waits until `done()` holds, `ms` pass, or `signal` aborts; returns whether `done()` held.
   */
  async until(done: () => boolean, ms: number, signal: AbortSignal): Promise<boolean> {
    const end = performance.now() + ms;
    while (!done()) {
      const left = end - performance.now();
      if (left <= 0 || signal.aborted) return false;
      const local = new AbortController();
      const wake = () => local.abort();
      this.waiters.push(wake);
      signal.addEventListener("abort", wake, { once: true });
      await sleep(left, local.signal);
      signal.removeEventListener("abort", wake);
      this.waiters = this.waiters.filter((w) => w !== wake);
    }
    return true;
  }
}

/**
 * Lets timers and I/O run. A send or receive that can complete at once resolves without
 * returning to the event loop, so a long burst would otherwise hold off the stop command and
 * the deadline until it ends.
 */
export function breathe(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** How many immediate sends or receives may run between two breathe() calls. */
export const BURST = 1000;
