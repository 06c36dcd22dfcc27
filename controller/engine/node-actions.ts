// A node's container stopped, started, restarted, paused or unpaused (faults; `up` repairing a lab).
import type { NodeAction } from "../plan/types.js";
import type { Engine } from "./docker.js";
import { onEngine } from "./failures.js";

/**
 * Stop and restart give the node's processes no grace time (`docker stop -t 0`): a node that
 * fails does not shut down politely, and zmqlab's own `sleep` would only wait out the timeout.
 */
export async function nodeAction(docker: Engine, container: string, node: string, action: NodeAction): Promise<void> {
  const c = docker.getContainer(container);
  await onEngine(action, { kind: "container", name: container, role: `node ${node}` }, async () => {
    try {
      if (action === "stop") await c.stop({ t: 0 });
      else if (action === "start") await c.start();
      else if (action === "restart") await c.restart({ t: 0 });
      else if (action === "pause") await c.pause();
      else await c.unpause();
    } catch (err) {
      // 304: already stopped, or already started: what was asked for holds.
      if ((err as { statusCode?: number }).statusCode === 304) return;
      throw err;
    }
  });
}
