// A cluster file: the Docker engines of a Swarm a lab spreads over, and optionally which node
// runs where. Pure: YAML with positions, every problem located (file, line, path, hint), and the
// placement of a lab's nodes on the hosts. Nothing here talks to an engine.
import { readFileSync } from "node:fs";
import { isMap, LineCounter, parseDocument } from "yaml";
import { closest, formatPath, LabError, type Problem } from "../errors.js";
import { position, type Segment } from "./load.js";

export interface ClusterHost {
  /** The host's name in the cluster file (reports show it beside each node). */
  name: string;
  /** Where its engine answers: tcp://HOST:PORT, unix:///PATH or ssh://[USER@]HOST[:PORT]. */
  engine: string;
}

export interface Cluster {
  file: string;
  /** In file order: the first host that is a Swarm manager creates the lab's networks. */
  hosts: ClusterHost[];
  /** Nodes placed by the file: node -> host. */
  place: Record<string, string>;
  /** Line and column of a path in the file (placement problems found later point there). */
  locate(at: Segment[]): { line?: number; column?: number };
}

const HOST_NAME = /^[a-z][a-z0-9-]{0,30}$/;
const ENGINE_URL = /^(tcp:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}|unix:\/\/\/\S+|ssh:\/\/([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+(:\d{1,5})?)$/;
const ENGINE_HINT = "an engine is tcp://HOST:PORT (e.g. tcp://198.18.250.11:2375), unix:///var/run/docker.sock or ssh://USER@HOST";
const KEYS = ["hosts", "place"];

export function loadCluster(file: string): Cluster {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new LabError([
      {
        file,
        path: "",
        message: `cannot read the cluster file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
        hint: "give the file scripts/cluster.sh up printed (its last line), or write one: hosts: { h1: { engine: tcp://HOST:2375 } }",
      },
    ]);
  }
  return parseCluster(text, file);
}

/** Parse and check a cluster file; throws LabError with every problem found. */
export function parseCluster(text: string, file = "cluster.yaml"): Cluster {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new LabError(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, path: "", message: `YAML: ${e.message.split("\n")[0]}`, hint: "check indentation, colons and quotes on this line" };
      }),
    );
  }
  const locate = (at: Segment[]) => position(doc, lines, at);
  const problems: Problem[] = [];
  const problem = (at: Segment[], message: string, hint: string) => problems.push({ file, ...locate(at), path: formatPath(at), message, hint });
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    throw new LabError([{ file, path: "", message: `YAML: ${(err instanceof Error ? err.message : String(err)).split("\n")[0]}`, hint: "write the cluster file out plainly, without aliases" }]);
  }
  if (!isMap(doc.contents) || typeof data !== "object" || data === null) {
    throw new LabError([
      {
        file,
        path: "",
        message: "a cluster file is a mapping with hosts: (and optionally place:)",
        hint: "hosts: { h1: { engine: tcp://198.18.250.11:2375 }, h2: { engine: tcp://198.18.250.12:2375 } }",
      },
    ]);
  }
  const top = data as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (!KEYS.includes(key)) problem([key], `unknown key "${key}"`, closest(key, KEYS) ? `did you mean "${closest(key, KEYS)}"?` : `allowed here: ${KEYS.join(", ")}`);
  }
  const hosts: ClusterHost[] = [];
  const rawHosts = top.hosts;
  if (!isRecord(rawHosts) || Object.keys(rawHosts).length === 0) {
    problem(rawHosts === undefined ? [] : ["hosts"], rawHosts === undefined ? `missing "hosts"` : "hosts must name at least one engine", "hosts: { h1: { engine: tcp://198.18.250.11:2375 } }");
  } else {
    const seen = new Map<string, string>();
    for (const [name, spec] of Object.entries(rawHosts)) {
      if (!HOST_NAME.test(name)) problem(["hosts", name], `"${name}" is not a valid host name`, "use lowercase letters, digits and dashes, starting with a letter, e.g. h1");
      const engine = isRecord(spec) ? spec.engine : undefined;
      if (!isRecord(spec)) problem(["hosts", name], "must be a mapping with engine:", `${name}: { engine: tcp://HOST:2375 }`);
      else {
        for (const key of Object.keys(spec))
          if (key !== "engine") problem(["hosts", name, key], `unknown key "${key}"`, closest(key, ["engine"]) ? `did you mean "engine"?` : "a host has only engine:");
        if (typeof engine !== "string" || !ENGINE_URL.test(engine) || Number(/:(\d+)$/.exec(engine)?.[1] ?? 0) > 65535)
          problem(["hosts", name, "engine"], engine === undefined ? `missing "engine"` : `${JSON.stringify(engine)} is not an engine address`, ENGINE_HINT);
        else if (seen.has(engine)) problem(["hosts", name, "engine"], `the same engine as host ${seen.get(engine)}`, "each host of a cluster is its own engine");
        else seen.set(engine, name);
      }
      if (typeof engine === "string") hosts.push({ name, engine });
    }
  }
  const place: Record<string, string> = {};
  if (top.place !== undefined && !isRecord(top.place)) problem(["place"], "must be a mapping of node to host", "place: { client: h1, r1: h2 }");
  else if (hosts.length > 0) {
    for (const [node, host] of Object.entries((top.place ?? {}) as Record<string, unknown>)) {
      if (typeof host !== "string" || !hosts.some((h) => h.name === host)) {
        const near =
          typeof host === "string"
            ? closest(
                host,
                hosts.map((h) => h.name),
              )
            : undefined;
        problem(["place", node], `${JSON.stringify(host)} is not a host of this cluster`, near ? `did you mean "${near}"?` : `hosts: ${hosts.map((h) => h.name).join(", ")}`);
      } else place[node] = host;
    }
  }
  if (problems.length > 0) throw new LabError(problems);
  return { file, hosts, place, locate };
}

/**
 * Where each of a lab's nodes runs: where the file places it, else on the host with the fewest
 * nodes so far (ties: the first in the file), in the lab's node order. A placed node the lab
 * does not have is a mistake in the cluster file.
 */
export function placeNodes(cluster: Cluster, nodes: string[]): Record<string, string> {
  const problems: Problem[] = Object.keys(cluster.place)
    .filter((n) => !nodes.includes(n))
    .map((n) => {
      const near = closest(n, nodes);
      return {
        file: cluster.file,
        ...cluster.locate(["place", n]),
        path: formatPath(["place", n]),
        message: `the lab has no node "${n}"`,
        hint: near ? `did you mean "${near}"?` : `the lab's nodes: ${nodes.join(", ")}`,
      };
    });
  if (problems.length > 0) throw new LabError(problems);
  const count = new Map(cluster.hosts.map((h) => [h.name, 0]));
  const placed: Record<string, string> = {};
  for (const node of nodes) {
    const host = cluster.place[node];
    if (host !== undefined) {
      placed[node] = host;
      count.set(host, count.get(host)! + 1);
    }
  }
  for (const node of nodes) {
    if (placed[node] !== undefined) continue;
    let best = cluster.hosts[0]!.name;
    for (const h of cluster.hosts) if (count.get(h.name)! < count.get(best)!) best = h.name;
    placed[node] = best;
    count.set(best, count.get(best)! + 1);
  }
  return Object.fromEntries(nodes.map((n) => [n, placed[n]!]));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
