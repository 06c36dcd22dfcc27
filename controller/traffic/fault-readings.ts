// The routers' counters around each fault: read (armed, at a moment, or through an exec when a
// caller's hook runs the faults), and the snapshot each phase boundary takes from them.
import { parseFlowSet, type FlowCount } from "../observe/flows.js";
import type { RunningLab } from "../provision/running-lab.js";
import { wallNow } from "./agent.js";
import type { ArmedNodes } from "./armed-nodes.js";
import type { Snapshot } from "./types.js";

/** One reading of one router's counters, at `at` (ms since the epoch). */
export interface Reading {
  at: number;
  flows: FlowCount[];
}

/** Readings stop after this many per router and fault, whatever happens. */
const MAX_READINGS = 200;

/**
 * Read each of `routers`' counters from now until stopped, each reading with its time; with `at`,
 * once per router, at the time it gives (sent now, run by the router at that moment). Readings
 * land in `into`, per router (an entry: the router was running; none in it: it did not answer).
 */
export function readRouters(
  lab: RunningLab,
  armed: ArmedNodes,
  routers: string[],
  into: Map<string, Reading[]>,
  sleep: (ms: number) => Promise<void>,
  at?: (router: string) => number,
): { stop(): void; done: Promise<void> } {
  let stopped = false;
  const loops = routers.map(async (router) => {
    const list: Reading[] = [];
    into.set(router, list);
    const fire = armed.readCounters(router);
    if (!fire) {
      // Not armed (a caller's hook runs the faults): one reading now, through an exec.
      const now = wallNow();
      const flows = await lab
        .node(router)
        .flows()
        .catch(() => undefined);
      if (flows) list.push({ at: now, flows });
      return;
    }
    // At least one reading, then more while the fault has not yet taken effect (one, when at a time).
    for (let i = 0; i < MAX_READINGS && (i === 0 || (!stopped && !at)); i++) {
      const run = await fire(i === 0 && at ? at(router) : 0);
      const out = run?.commands[0];
      if (!run || !out || out.exitCode !== 0) return;
      try {
        list.push({ at: run.begin, flows: parseFlowSet(out.stdout) });
      } catch {
        return;
      }
    }
  });
  return {
    stop: () => void (stopped = true),
    // A paused router's reading waits for its unpause: never wait for readings beyond a moment.
    done: Promise.race([Promise.all(loops).then(() => undefined), sleep(200)]),
  };
}

/**
 * The snapshot at a fault that took effect at `actual` (ms since the epoch): per router, the last
 * reading before that moment (else its first); `t0` is time 0.
 */
export function snapshotAt(fault: string, actual: number, readings: Map<string, Reading[]>, t0: number): Snapshot {
  const flows: Record<string, FlowCount[]> = {};
  const unread: Record<string, string> = {};
  let latest = -Infinity;
  for (const [router, list] of readings) {
    const chosen = list.filter((r) => r.at <= actual).at(-1) ?? list[0];
    if (!chosen) {
      unread[router] = `its counters could not be read at fault ${fault}`;
      continue;
    }
    flows[router] = chosen.flows;
    latest = Math.max(latest, chosen.at);
  }
  return { ms: Math.round(((Number.isFinite(latest) ? latest : actual) - t0) * 10) / 10, flows, ...(Object.keys(unread).length ? { unread } : {}) };
}
