// Shared by the tests that run labs on the in-memory engine (controller/engine/memory-runtime.ts):
// lab files a user could have written, the exit class the CLI would end with, and the steps of a
// clean `up` and `down`, counted from the engine's own record of its calls.
import { Cancelled, ZmqlabError } from "../../controller/errors.js";
import { engineFailure } from "../../controller/engine/failures.js";
import { MemoryEngine, type Call } from "../../controller/engine/memory-runtime.js";
import { down } from "../../controller/provision/down.js";
import { up } from "../../controller/provision/up.js";
import { parseLab, type LoadedLab } from "../../controller/lab/load.js";

/**
 * The flagship's shape with more in it: a policy-routed client with two addresses, two forwarding
 * routers (flow counters), a server on a dual-stack network, and `box`, a node of its own image
 * (configured one command at a time, not at its start).
 */
export const LAB = `name: mem
networks:
  clients: { subnet: 198.18.1.0/24 }
  servers: { subnet: [198.18.2.0/24, "2001:2:0:2::/64"] }
nodes:
  client:
    interfaces: { clients: [198.18.1.10, 198.18.1.11] }
    routes:
      - { to: 198.18.2.0/24, via: 198.18.1.2, from: 198.18.1.10 }
      - { to: 198.18.2.0/24, via: 198.18.1.3, from: 198.18.1.11 }
  r1: { forward: true, interfaces: { clients: 198.18.1.2, servers: [198.18.2.2, "2001:2:0:2::2"] } }
  r2: { forward: true, interfaces: { clients: 198.18.1.3, servers: [198.18.2.3, "2001:2:0:2::3"] } }
  server:
    interfaces: { servers: [198.18.2.10, 198.18.2.11, "2001:2:0:2::10"] }
    routes:
      - { to: 198.18.1.10/32, via: 198.18.2.2 }
      - { to: 198.18.1.11/32, via: 198.18.2.3 }
  box:
    image: "memory/own:1"
    interfaces: { clients: [198.18.1.20, 198.18.1.21] }
    routes:
      - { to: 198.18.2.0/24, via: 198.18.1.2 }
`;

/** How long a command here waits for a lab's lock: a lock left held by mistake fails a test at once, rather than after 10 minutes. */
export const WAIT = 200;

/** The lab above, as loaded from its file (`mem.yaml`). */
export function lab(text = LAB): LoadedLab {
  return parseLab(text, "mem.yaml");
}

/** The exit code the CLI ends with for an error (cli.ts main): 2 and 3 the user's and the environment's, 130 interrupted, 4 our bug. */
export function exitClass(err: unknown): number {
  const known = engineFailure(err, "talk to");
  if (known instanceof Cancelled) return 130;
  if (known instanceof ZmqlabError) return known.exitCode;
  return 4;
}

/** How a call went: `ok` with its value, or the exit class of its error and the error. */
export async function outcome<T>(work: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; exit: number; error: unknown }> {
  try {
    return { ok: true, value: await work };
  } catch (error) {
    return { ok: false, exit: exitClass(error), error };
  }
}

/** `op#nth subject`, to name a step. */
export const step = (c: Call): string => `${c.op}#${c.nth} (${c.subject})`;

/**
 * The calls of a clean `zmqlab up` (up, then the lock released as the CLI's up does) and of a
 * clean `zmqlab down` in another process, on a fresh engine; of the lab or of an instance of it.
 */
export async function cleanSteps(instance?: string): Promise<{ up: Call[]; down: Call[]; apiDown: Call[] }> {
  const options = { wait: WAIT, ...(instance !== undefined ? { instance } : {}) };
  const engine = new MemoryEngine();
  const running = await up(lab(), { ...options, runtime: engine.runtime() });
  await running.release();
  const upCalls = [...engine.calls];
  await down(lab(), { ...options, runtime: engine.runtime() });
  const downCalls = engine.calls.slice(upCalls.length);
  // RunningLab.down() in the process that brought the lab up (the API's way).
  const api = new MemoryEngine();
  const held = await up(lab(), { ...options, runtime: api.runtime() });
  const before = api.calls.length;
  await held.down();
  if (engine.left().length + api.left().length > 0) throw new Error(`test bug: a clean up and down left ${[...engine.left(), ...api.left()].join(", ")}`);
  return { up: upCalls, down: downCalls, apiDown: api.calls.slice(before) };
}
