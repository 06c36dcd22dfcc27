// A node's container stopped, started, restarted, paused or unpaused (faults; `up` repairing a lab).
import { wallNow } from "../../shared/clock.js";
import type { NodeAction } from "../plan/types.js";
import type { Engine } from "./docker.js";
import { onEngine } from "./failures.js";
import { execIn } from "./exec.js";
import { HOLD_FILE, holdFile } from "./hold.js";
import { isoToMs, type ActionEffect } from "./runtime.js";
import { oneFileTar } from "./tar.js";

/**
 * Stop and restart give the node's processes no grace time (`docker stop -t 0`): a node that
 * fails does not shut down politely, and zmqlab's own `sleep` would only wait out the timeout.
 * `holdUntil` (a start of a node of zmqlab's image): it joins its networks only then (hold.ts).
 */
export async function nodeAction(docker: Engine, container: string, node: string, action: NodeAction, holdUntil?: number): Promise<ActionEffect> {
  const c = docker.getContainer(container);
  if (action === "start" && holdUntil !== undefined) {
    // Into the stopped container: its boot reads it (hold.ts).
    const file = holdFile(holdUntil);
    await onEngine("hold the start of", { kind: "container", name: container, role: `node ${node}` }, () => c.putArchive(oneFileTar(file.name, file.content), { path: "/run" }));
  }
  const called = wallNow();
  await onEngine(action, { kind: "container", name: container, role: `node ${node}` }, async () => {
    try {
      if (action === "stop") await c.stop({ t: 0 });
      else if (action === "start") await c.start();
      else if (action === "restart") await c.restart({ t: 0 });
      else if (action === "pause") await c.pause();
      else await c.unpause();
    } catch (err) {
      // 304: already stopped, or already started: what was asked for holds.
      if ((err as { statusCode?: number }).statusCode !== 304) throw err;
      // A node that was running holds nothing: its next boot must not find the moment.
      if (holdUntil !== undefined) await execIn(docker, container, ["rm", "-f", HOLD_FILE]).catch(() => undefined);
    }
  });
  if (action === "pause" || action === "unpause") return {};
  return effectOf(docker, container, called).catch(() => ({}));
}

/**
 * When a stop, start or restart took effect, by the engine's record: the container's FinishedAt
 * and StartedAt, and its network namespace's end (the engine's `network disconnect` event: a
 * router forwards until then, after its processes died).
 */
async function effectOf(docker: Engine, container: string, called: number): Promise<ActionEffect> {
  const info = await docker.getContainer(container).inspect();
  const since = (iso: string | undefined) => (iso && !iso.startsWith("0001-") && isoToMs(iso) >= called - 1000 ? isoToMs(iso) : undefined);
  const died = since(info.State.FinishedAt);
  const started = since(info.State.StartedAt);
  // Seconds with a fraction, as the Engine API takes them (the types say number; a string keeps the fraction exact).
  const seconds = (ms: number) => (ms / 1000).toFixed(6) as unknown as number;
  const events = await docker.getEvents({ since: seconds(called - 1000), until: seconds(wallNow() + 10), filters: JSON.stringify({ type: ["network"], event: ["disconnect"] }) });
  const text = await new Promise<string>((resolve, reject) => {
    let body = "";
    events.on("data", (chunk: Buffer) => (body += chunk.toString()));
    events.on("end", () => resolve(body));
    events.on("error", reject);
  });
  const gone = text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { timeNano?: number; Actor?: { Attributes?: Record<string, string> } })
    .filter((e) => e.Actor?.Attributes?.["container"] === info.Id && e.timeNano !== undefined && e.timeNano / 1e6 >= called - 1)
    .map((e) => e.timeNano! / 1e6);
  const offNetwork = gone.length ? Math.max(...gone) : undefined;
  return { ...(died !== undefined ? { died } : {}), ...(offNetwork !== undefined ? { offNetwork } : {}), ...(started !== undefined ? { started } : {}) };
}
