// `zmqlab capture LAB NETWORK` (or NODE:NETWORK): one network of a lab that is up, live, as pcap
// on a stream (stdout, a file), until the caller stops it (Ctrl-C) or the reader goes away
// (Wireshark closed). Nothing of it stays: its tcpdump or capture container ends with it.
import type { Writable } from "node:stream";
import { connectRuntime } from "../engine/connect.js";
import type { Runtime } from "../engine/runtime.js";
import { closest, EnvironmentError, LabError } from "../errors.js";
import { loadLab } from "../lab/load.js";
import { checkInstanceName, instanceKey } from "../lab/relocate.js";
import { namesLabFile } from "../provision/down.js";

export interface LiveOptions {
  runtime?: Runtime;
  instance?: string;
  /** Ends the capture (Ctrl-C). */
  signal?: AbortSignal;
  /** Progress lines (stderr). */
  log?: (line: string) => void;
}

/** `NETWORK` or `NODE:NETWORK`. */
export function parseCaptureTarget(text: string): { network: string; node?: string } {
  const [a, b, ...rest] = text.split(":");
  if (rest.length > 0 || !a || b === "")
    throw new LabError([{ path: "capture", message: `"${text}" is neither NETWORK nor NODE:NETWORK`, hint: "a network of the lab (clients), or a node and one of its networks (r1:clients)" }]);
  return b === undefined ? { network: a } : { node: a, network: b };
}

/**
 * Stream one network of a lab that is up (by file, folder or name) to `output` as pcap; resolves
 * when it ended: stopped by `signal`, the output closed, or tcpdump ending (its error then thrown).
 */
export async function captureLive(target: string, what: string, output: Writable, options: LiveOptions = {}): Promise<void> {
  const { network, node } = parseCaptureTarget(what);
  const declared = namesLabFile(target) ? loadLab(target) : undefined;
  const key = instanceKey(declared?.lab.name ?? target, options.instance === undefined ? undefined : checkInstanceName(options.instance));
  if (declared) {
    const networks = Object.keys(declared.lab.networks);
    if (!networks.includes(network))
      throw new LabError([
        {
          file: declared.file,
          path: "networks",
          message: `lab ${declared.lab.name} has no network "${network}"`,
          hint: `${closest(network, networks) ? `did you mean ${closest(network, networks)}? ` : ""}networks: ${networks.join(", ")}`,
        },
      ]);
    if (node !== undefined) {
      const spec = declared.lab.nodes[node];
      if (!spec) throw new LabError([{ file: declared.file, path: "nodes", message: `lab ${declared.lab.name} has no node "${node}"`, hint: `nodes: ${Object.keys(declared.lab.nodes).join(", ")}` }]);
      if (!(network in spec.interfaces))
        throw new LabError([
          { file: declared.file, path: `nodes.${node}.interfaces`, message: `node ${node} is not on network ${network}`, hint: `its networks: ${Object.keys(spec.interfaces).join(", ")}` },
        ]);
    }
  }
  const runtime = options.runtime ?? (await connectRuntime());
  const [found] = await runtime.listLabs(key);
  if (!found || found.containers.length === 0)
    throw new EnvironmentError(`Lab ${key} is not up on this engine.`, declared ? `bring it up first: zmqlab up ${target}` : "zmqlab ls lists the labs that are up");
  if (!found.networks.some((n) => n.network === network))
    throw new EnvironmentError(`Lab ${key} has no network ${network} on the engine.`, `its networks: ${found.networks.map((n) => n.network).join(", ")}`);
  const live = await runtime.stream(key, network, node);
  options.log?.(
    `capturing network ${network}${node ? ` at node ${node}` : ""} of lab ${key} (${live.from === "host" ? `tcpdump on ${live.interfaceName}` : `a capture container on ${live.interfaceName}`}); Ctrl-C ends it`,
  );
  let outputFailed: Error | undefined;
  try {
    await new Promise<void>((resolve) => {
      live.output.pipe(output, { end: false });
      output.on("error", (err) => {
        // The reader went away (Wireshark closed, `| head`): the end of the capture, not an error.
        if ((err as NodeJS.ErrnoException).code !== "EPIPE") outputFailed = err;
        resolve();
      });
      options.signal?.addEventListener("abort", () => resolve(), { once: true });
      live.ended.then(() => resolve());
    });
  } finally {
    live.output.unpipe(output);
    await live.stop();
  }
  const failure = await Promise.race([live.ended, Promise.resolve(undefined)]);
  if (outputFailed) throw outputFailed;
  if (failure && !options.signal?.aborted) throw new EnvironmentError(`The capture of network ${network} ended: ${failure}`);
}
