// Each node's lives during the traffic phase: the first from the start, one more each time a
// fault starts or restarts the node; what ran in each (its agent, its programs) and how it ended.
import type { Agent } from "./agent.js";
import { wallNow } from "./agent.js";
import type { NodeLife } from "./endpoint-report.js";
import type { ProgramEndpoint } from "./programs.js";

export class NodeLives {
  readonly byNode = new Map<string, NodeLife[]>();

  /** Every agent of every life, in start order. */
  agents(): Agent[] {
    return [...this.byNode.values()].flatMap((lives) => lives.flatMap((l) => (l.agent ? [l.agent] : [])));
  }

  programs(): ProgramEndpoint[] {
    return [...this.byNode.values()].flatMap((lives) => lives.flatMap((l) => l.programs));
  }

  /** The node's current life (its first, begun now, when it has none yet). */
  current(node: string): NodeLife {
    let lives = this.byNode.get(node);
    if (!lives) this.byNode.set(node, (lives = []));
    let life = lives.at(-1);
    if (!life) lives.push((life = { life: 1, startedAt: wallNow(), programs: [] }));
    return life;
  }

  /** A new life of `node`, begun now; undefined when the node was only paused (the same life goes on). */
  next(node: string): NodeLife | undefined {
    const lives = this.byNode.get(node) ?? [];
    const previous = lives.at(-1);
    if (previous?.paused && !previous.ended) return undefined;
    const life: NodeLife = { life: (previous?.life ?? 0) + 1, startedAt: wallNow(), programs: [] };
    lives.push(life);
    this.byNode.set(node, lives);
    return life;
  }

  /**
   * What a sender still has to send in a new life: what its schedule had not reached by now
   * (a paced sender, from time 0 `t0`), or what its earlier lives had not sent (one as fast as possible).
   */
  remaining(node: string, endpoint: string, send: { count: number; rate?: number }, t0: number): number {
    const before = (this.byNode.get(node) ?? [])
      .flatMap((l) => (l.agent ? [l.agent] : []))
      .reduce((n, a) => {
        const tick = [...a.events].reverse().find((e) => (e.type === "tick" || e.type === "sent") && e.endpoint === endpoint);
        return n + (tick?.type === "tick" ? tick.sent : tick?.type === "sent" ? tick.count : 0);
      }, 0);
    const due = send.rate ? Math.floor(((wallNow() - t0) * send.rate) / 1000) : 0;
    return Math.max(0, send.count - Math.max(before, due));
  }
}
