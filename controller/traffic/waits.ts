// The timers of one owner (the fault runner): waits that end at their time, or every one at once
// when the owner stops, so that nothing of ours keeps the process alive after a run.
import { wallNow } from "./agent.js";

export class Waits {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wakers = new Set<() => void>();
  private ended = false;

  /** True once stopped: every wait since resolves at once. */
  get stopped(): boolean {
    return this.ended;
  }

  /** Resolves at `epochMs` (at once if that passed, or when stopped). */
  until(epochMs: number): Promise<void> {
    return this.sleep(epochMs - wallNow());
  }

  /** Resolves after `ms` (at once when stopped). */
  sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.ended) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.timers.delete(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.timers.add(timer);
      this.wakers.add(wake);
    });
  }

  /** Every wait ends now, and every later one at once. */
  stop(): void {
    this.ended = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const wake of this.wakers) wake();
  }
}
