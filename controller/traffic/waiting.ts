// What the traffic session waits for: before time 0, every sender primed (it has its peers);
// after it, every sender done (key `node/endpoint/life`) and every program ended
// (`program/name/life`). Each settled key wakes the session's loop.

export class Waiting {
  private readonly pending = new Set<string>();
  private readonly primedKeys = new Set<string>();
  private onPrimed: () => void = () => {};
  private wake: (() => void) | undefined;

  /** Resolves once every one of `senders` is primed (see primed). */
  allPrimed(senders: string[]): Promise<void> {
    return new Promise<void>((resolve) => {
      this.onPrimed = () => void (senders.every((s) => this.primedKeys.has(s)) && resolve());
      this.onPrimed();
    });
  }

  /** Sender `key` has its peers, or will never send. */
  primed(key: string): void {
    this.primedKeys.add(key);
    this.onPrimed();
  }

  /** Wait for `key` too. */
  add(key: string): void {
    this.pending.add(key);
  }

  /** Nothing more to wait for from `key`. */
  settle(key: string): void {
    if (this.pending.delete(key)) this.wakeUp();
  }

  /** Nothing more to wait for from `node`'s agent and these programs of it. */
  settleNode(node: string, programs: { name: string; life: number }[]): void {
    for (const k of [...this.pending]) if (k.startsWith(`${node}/`)) this.settle(k);
    for (const p of programs) this.settle(`program/${p.name}/${p.life}`);
  }

  get size(): number {
    return this.pending.size;
  }

  /** The nodes whose agents are waited for. */
  nodes(): string[] {
    return [...new Set([...this.pending].map((k) => k.split("/")[0]!).filter((n) => n !== "program"))];
  }

  /** The endpoints and programs still waited for, by name. */
  names(): string[] {
    return [...this.pending].map((k) => k.split("/")[1]!);
  }

  /** Resolves at the next settle or wakeUp. */
  next(): Promise<void> {
    return new Promise<void>((resolve) => (this.wake = resolve));
  }

  wakeUp(): void {
    this.wake?.();
  }

  /** No more wake-ups: the session stopped waiting. */
  stop(): void {
    this.wake = undefined;
  }
}
