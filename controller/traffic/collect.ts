// The end of the traffic phase: each endpoint reported over every life of its node, the nodes
// that went away named, every program's whole output kept.
import { EnvironmentError } from "../errors.js";
import { isProgram } from "../lab/types.js";
import type { RunningLab } from "../provision/running-lab.js";
import { wallNow } from "./agent.js";
import { agentEndpointReport, programEndpointReport } from "./endpoint-report.js";
import type { NodeLives } from "./lives.js";
import { interruptedNodes } from "./nodes.js";
import type { FaultEvent, InterruptedNode, TrafficReport } from "./types.js";

/** When the session started (a date, and ms since the epoch), and its time 0 (ms since the epoch). */
export interface SessionTimes {
  started: Date;
  startedAt: number;
  t0: number;
}

/** The traffic report of a session whose agents and programs ended, and every program's output by endpoint. */
export async function collectReport(lab: RunningLab, lives: NodeLives, times: SessionTimes, faults?: FaultEvent[]): Promise<{ report: TrafficReport; outputs: Record<string, string[]> }> {
  const interrupted = await interruptedNodes(lab, times.started);
  checkLabStillThere(lab, interrupted);
  const traffic = Object.entries(lab.lab.traffic ?? {});
  const endpoints = await Promise.all(
    traffic.map(([name, spec]) => {
      const its = lives.byNode.get(spec.node) ?? [];
      const lost = interrupted.find((n) => n.node === spec.node);
      return isProgram(spec) ? programEndpointReport(name, spec.node, its, times.t0, lost) : agentEndpointReport(lab, name, spec.node, its, times.t0, lost);
    }),
  );
  const report: TrafficReport = {
    lab: lab.name,
    started: times.started.toISOString(),
    durationMs: Math.round(wallNow() - times.startedAt),
    clock: { t0: new Date(Math.floor(times.t0)).toISOString(), epochMs: times.t0 },
    endpoints,
    ...(faults ? { faults } : {}),
    ...(interrupted.length ? { interrupted } : {}),
  };
  const programs = lives.programs();
  const outputs = Object.fromEntries(
    traffic.flatMap(([name, spec]) =>
      isProgram(spec) ? [[name, programs.filter((p) => p.name === name).flatMap((p, i) => [...(i > 0 ? [`--- zmqlab: ${name} started again (life ${p.life}) ---`] : []), ...p.output()])]] : [],
    ),
  );
  return { report, outputs };
}

/**
 * Every node removed: the lab itself was taken away (`zmqlab down`, `zmqlab clean`, a second run
 * of the same lab finishing first). That is the environment's doing (exit 3); a node or some
 * nodes stopped, paused or removed are reported as such, with the rest of the run.
 */
function checkLabStillThere(lab: RunningLab, interrupted: InterruptedNode[]): void {
  if (interrupted.length < lab.plan.nodes.length || interrupted.some((n) => n.state !== "gone")) return;
  throw new EnvironmentError(
    `Every container of lab ${lab.name} was removed while the traffic ran: nothing is left to report on.`,
    "something else took the lab down (`zmqlab down`, `zmqlab clean`, or a second run of the same lab finishing first); run the lab again, and give concurrent runs separate instances",
  );
}
