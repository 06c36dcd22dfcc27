// zmqlab's agent in a node: one process per node and life, started over exec, its events read as
// JSON lines, its commands written to its input.
import { wallNow } from "../../shared/clock.js";
import type { AgentCommand, AgentEvent, AgentJob } from "../../shared/protocol.js";
import type { Process } from "../engine/exec.js";
import { EnvironmentError } from "../errors.js";
import { parseTcpEndpoint } from "../../shared/endpoint.js";
import { list } from "../../shared/list.js";
import { parseAddress } from "../lab/ip.js";
import type { RunningLab } from "../provision/running-lab.js";
import { agentJobs } from "./jobs.js";

export const AGENT_PATH = "/opt/zmqlab/agent/main.js";
export const AGENT_ARGV = ["node", AGENT_PATH];

/** The wall clock with sub-ms precision. */
export { wallNow };

/** A running agent: its events as they come, and a way to tell it what to do. */
export class Agent {
  readonly events: AgentEvent[] = [];
  /** Resolves with its exit code (-1 when its container went away under it). */
  readonly finished: Promise<number>;
  /** When its output ended (ms since the epoch): when it exited, or its node stopped under it. */
  endedAt: number | undefined;
  private listeners: ((e: AgentEvent) => void)[] = [];
  private inputOpen = true;

  constructor(
    readonly job: AgentJob,
    private readonly process: Process,
    /** When it was started (ms since the epoch). */
    readonly startedAt: number,
  ) {
    this.finished = (async () => {
      try {
        for await (const line of process.lines) {
          let event: AgentEvent;
          try {
            event = JSON.parse(line) as AgentEvent;
          } catch {
            event = { type: "error", message: `agent said: ${line}` };
          }
          this.events.push(event);
          for (const l of this.listeners) l(event);
        }
      } finally {
        this.endedAt = wallNow();
      }
      return process.exited.catch(() => -1);
    })();
  }

  get life(): number {
    return this.job.life ?? 1;
  }

  /** Every event so far, then each as it comes. */
  onEvent(listener: (e: AgentEvent) => void): void {
    for (const e of this.events) listener(e);
    this.listeners.push(listener);
  }

  private send(command: AgentCommand): void {
    if (this.inputOpen && this.endedAt === undefined) this.process.write(JSON.stringify(command));
  }

  /** Release its senders (a job with waitForGo) at `at` (ms since the epoch): the agent waits for the moment. */
  go(at: number): void {
    this.send({ cmd: "go", at });
  }

  /** Ask every endpoint for its progress now (a checkpoint before a fault). */
  checkpoint(): void {
    this.send({ cmd: "tick" });
  }

  /** Ask the agent to report and end; kill nothing, every agent ends on its own deadline. */
  stop(): void {
    this.send({ cmd: "stop" });
    if (this.inputOpen) this.process.closeInput();
    this.inputOpen = false;
  }

  stderr(): string {
    return this.process.stderr();
  }
}

/**
 * A node with an image of the lab's own runs endpoints only if that image carries Node.js and
 * zmqlab's agent: check before any traffic, and say so rather than report broken endpoints.
 */
export async function checkAgent(lab: RunningLab, job: AgentJob): Promise<void> {
  const node = lab.node(job.node).plan;
  if (node.defaultImage) return;
  // One exec: node itself must start, and find the agent.
  const probe = ["node", "-e", `require("fs").accessSync(${JSON.stringify(AGENT_PATH)})`];
  const result = await lab.node(job.node).exec(probe);
  if (result.exitCode === 0) return;
  const output = (result.stderr.trim() || result.stdout.trim()).split("\n")[0] ?? "";
  const lacks =
    result.exitCode === 126 || result.exitCode === 127 || /executable file not found|no such file or directory: unknown/i.test(output) ? "Node.js (node)" : `zmqlab's agent (${AGENT_PATH})`;
  throw new EnvironmentError(
    `Node ${job.node} runs the image ${node.image}, which lacks ${lacks}: ${endpointNames(job, "its endpoint")} cannot run (${output || `exit ${result.exitCode}`}).`,
    `build the image FROM zmqlab's node image (zmqlab/node:latest), which carries Node.js and the agent in /opt/zmqlab; or drop image: from nodes.${job.node} to use zmqlab's node image`,
  );
}

/** "its endpoint a" or "its endpoints a, b". */
const endpointNames = (job: AgentJob, lead: string) => `${lead}${job.endpoints.length === 1 ? "" : "s"} ${job.endpoints.map((e) => e.name).join(", ")}`;

export async function startAgent(lab: RunningLab, job: AgentJob): Promise<Agent> {
  const startedAt = wallNow();
  const process = await lab.node(job.node).handle.spawn([...AGENT_ARGV, JSON.stringify(job)]);
  return new Agent(job, process, startedAt);
}

/**
 * The jobs for a lab that is up: network names in endpoints become the node's kernel names,
 * read (one exec) only from the nodes whose endpoints name an interface.
 */
export async function jobsFor(lab: RunningLab, nodes?: string[]): Promise<AgentJob[]> {
  const namesInterface = (endpoint: string) => {
    const parsed = parseTcpEndpoint(endpoint);
    return typeof parsed !== "string" && [parsed.source, parsed.destination].some((hp) => hp && hp.host !== "*" && !parseAddress(hp.host));
  };
  const wanted = (node: string) => nodes === undefined || nodes.includes(node);
  const naming = new Set(
    Object.values(lab.lab.traffic ?? {})
      .filter((e) => wanted(e.node) && [...list(e.bind), ...list(e.connect)].some(namesInterface))
      .map((e) => e.node),
  );
  const names = new Map<string, Map<string, string>>();
  await Promise.all(
    [...naming].map(async (node) => {
      const interfaces = await lab.node(node).interfaces();
      names.set(node, new Map(interfaces.flatMap((i) => i.altnames.map((a) => [a, i.name] as [string, string]))));
    }),
  );
  return agentJobs(lab.lab, (node, name) => names.get(node)?.get(name) ?? name).filter((job) => wanted(job.node));
}
