// A node of a lab that is up, for commands typed by hand (zmqlab exec, zmqlab shell): found by the
// lab's file, folder or name and the node's name, without the lab's lock or its plan.
import { closest, EnvironmentError, LabError } from "../errors.js";
import type { ExecResult, Stdio } from "../engine/exec.js";
import type { NodeHandle, Runtime } from "../engine/runtime.js";
import { loadLab } from "../lab/load.js";
import { checkInstanceName, instanceKey } from "../lab/relocate.js";
import { namesLabFile } from "./down.js";
import { runtimeFor } from "./lifecycle.js";

/** One node of a lab that is up, as `zmqlab exec` and `zmqlab shell` use it. */
export class RunningNode {
  constructor(
    readonly lab: string,
    readonly name: string,
    private readonly handle: NodeHandle,
  ) {}

  /** The engine's name for the node (a container name). */
  get containerName(): string {
    return this.handle.resource;
  }

  /** Run a command (an argument list) and collect its output. */
  exec(argv: string[]): Promise<ExecResult> {
    return this.handle.exec(argv);
  }

  /** Run a command with the caller's streams attached (a terminal if `stdio.tty`); resolves with its exit code. */
  attach(argv: string[], stdio: Stdio, env: string[] = []): Promise<number> {
    return this.handle.attach(argv, stdio, env);
  }
}

/**
 * A node the lab does not have is the user's mistake (exit 2, naming the nodes); a lab or node
 * that is not running is the environment's (exit 3).
 */
export async function findNode(target: string, node: string, options: { runtime?: Runtime; cluster?: string; instance?: string } = {}): Promise<RunningNode> {
  const declared = namesLabFile(target) ? loadLab(target) : undefined;
  const name = instanceKey(declared?.lab.name ?? target, options.instance === undefined ? undefined : checkInstanceName(options.instance));
  if (declared && !(node in declared.lab.nodes)) throw noSuchNode(name, node, Object.keys(declared.lab.nodes), declared.file);
  const runtime = await runtimeFor(options);
  const found = (await runtime.listLabs(name))[0];
  if (!found || found.containers.length === 0) {
    const others = (await runtime.listLabs()).filter((l) => l.containers.length > 0).map((l) => l.lab);
    const likely = declared ? undefined : closest(name, others);
    throw new EnvironmentError(
      `Lab ${name} is not up on this engine.`,
      likely ? `did you mean ${likely}?` : declared ? `bring it up first: zmqlab up ${target}` : `labs that are up: ${others.join(", ") || "none"} (zmqlab ls); to bring one up: zmqlab up LAB_FILE`,
    );
  }
  const container = found.containers.find((c) => c.node === node);
  if (!container) throw noSuchNode(name, node, found.containers.map((c) => c.node).sort());
  if (container.state !== "running") {
    throw new EnvironmentError(`Node ${node} of lab ${name} is not running (${container.state}).`, `recreate the lab: zmqlab down ${name}, then zmqlab up LAB_FILE`);
  }
  return new RunningNode(name, node, runtime.node(name, node));
}

function noSuchNode(lab: string, node: string, nodes: string[], file?: string): LabError {
  const likely = closest(node, nodes);
  return new LabError([{ ...(file ? { file } : {}), path: "nodes", message: `lab ${lab} has no node "${node}"`, hint: `${likely ? `did you mean ${likely}? ` : ""}nodes: ${nodes.join(", ")}` }]);
}
