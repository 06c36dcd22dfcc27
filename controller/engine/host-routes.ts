// The engine host's routes, read on the engine's host itself (its /proc/net/route and
// /proc/net/ipv6_route), and the pure parsers of those files.
import { randomBytes } from "node:crypto";
import { readFileSync, readlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { PassThrough } from "node:stream";
import type { Engine } from "./docker.js";
import { onEngine } from "./failures.js";
import { lockImage } from "./images.js";
import { LABEL_LAB, LABEL_ROLE } from "./labels.js";

/**
 * The routes of the engine's host (not the controller's: DOCKER_HOST may name another machine,
 * or the controller runs in a container): a short-lived container in the host's network
 * namespace reads them. It is labelled as the lab's (role `host-routes`) and removed afterwards;
 * `ls` shows one a crash left and `down` removes it.
 */
export async function hostRoutes(docker: Engine, lab: string): Promise<HostRoute[]> {
  const local = sameNamespaceRoutes(await socketPath(docker));
  if (local) return parseHostRoutes(local);
  const image = await lockImage(docker);
  const name = `zmqlab-host-routes.${lab}.${randomBytes(3).toString("hex")}`;
  const resource = { kind: "container" as const, name, role: "reading the engine host's routes" };
  const container = await onEngine("create", resource, () =>
    docker.createContainer({
      name,
      Image: image,
      Entrypoint: ["cat"],
      // ipv6_route is missing on a host without IPv6: cat still prints route first.
      Cmd: ["/proc/net/route", "/proc/net/ipv6_route"],
      Labels: { [LABEL_LAB]: lab, [LABEL_ROLE]: "host-routes" },
      HostConfig: { NetworkMode: "host" },
    }),
  );
  try {
    await onEngine("start", resource, () => container.start());
    await onEngine("wait for", resource, () => container.wait());
    const logs = await onEngine("read the output of", resource, () => container.logs({ stdout: true, stderr: false, follow: false }));
    return parseHostRoutes(await stdoutOf(docker, logs));
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

/**
 * The routes as this process sees them, when this process is provably in the engine's network
 * namespace (the one a container of network mode host gets), else undefined: the engine is on a
 * local socket, the pid in the pid file beside it (dockerd writes docker.pid next to docker.sock,
 * rootless ones too) is a dockerd, and its network namespace is this process's. A controller in a
 * container, a remote engine, a rootless engine (its own namespace) or a user who may not look
 * at dockerd's namespace all fail a step and read them with the container instead.
 */
export function sameNamespaceRoutes(socket: string | undefined, proc = "/proc"): string | undefined {
  if (!sharesEngineNamespace(socket, proc)) return undefined;
  try {
    const route = readFileSync(`${proc}/self/net/route`, "utf8");
    let ipv6 = "";
    try {
      ipv6 = readFileSync(`${proc}/self/net/ipv6_route`, "utf8");
    } catch {
      // A host without IPv6 has no ipv6_route, as in the container's read.
    }
    return route + ipv6;
  } catch {
    return undefined;
  }
}

/**
 * Whether this process is provably in the engine's network namespace: the engine is on a local
 * socket, the pid in the pid file beside it is a dockerd, and its network namespace is this
 * process's (see sameNamespaceRoutes). The capture records the bridges from here then.
 */
export function sharesEngineNamespace(socket: string | undefined, proc = "/proc"): boolean {
  if (socket === undefined) return false;
  try {
    const pid = readFileSync(join(dirname(socket), "docker.pid"), "utf8").trim();
    if (!/^\d+$/.test(pid) || readFileSync(`${proc}/${pid}/comm`, "utf8").trim() !== "dockerd") return false;
    return readlinkSync(`${proc}/${pid}/ns/net`) === readlinkSync(`${proc}/self/ns/net`);
  } catch {
    return false;
  }
}

/** The engine's local socket (dockerode's choice of it when DOCKER_HOST is unset), or undefined for an engine reached over the network. */
export async function socketPath(docker: Engine): Promise<string | undefined> {
  const modem = docker.modem as { getSocketPath?: () => Promise<string> | undefined };
  const path = await modem.getSocketPath?.();
  return typeof path === "string" ? path : undefined;
}

/** A finished container's logs come multiplexed (stdout and stderr frames): keep stdout. */
function stdoutOf(docker: Engine, logs: Buffer | NodeJS.ReadableStream): Promise<string> {
  const raw = new PassThrough();
  const out: Buffer[] = [];
  const stdout = new PassThrough().on("data", (c: Buffer) => out.push(c));
  docker.modem.demuxStream(raw, stdout, new PassThrough().resume());
  return new Promise((resolve) => {
    raw.on("end", () => setImmediate(() => resolve(Buffer.concat(out).toString())));
    if (Buffer.isBuffer(logs)) raw.end(logs);
    else logs.pipe(raw);
  });
}

export interface HostRoute {
  to: string;
  dev: string;
}

/**
 * `cat /proc/net/route /proc/net/ipv6_route`: the first file (a header line, then one line per
 * route) and the second (no header: each line opens with a 32-digit hex address) one after the other.
 */
export function parseHostRoutes(text: string): HostRoute[] {
  const ipv6Start = text.search(/^[0-9a-f]{32} /m);
  if (ipv6Start < 0) return parseProcRoute(text);
  return [...parseProcRoute(text.slice(0, ipv6Start)), ...parseProcIpv6Route(text.slice(ipv6Start))];
}

/** /proc/net/route: destination and mask are little-endian hex. */
export function parseProcRoute(text: string): HostRoute[] {
  return text
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 8)
    .map((f) => {
      const dest = leHex(f[1]!);
      const mask = leHex(f[7]!);
      const prefix = mask.split(".").reduce(
        (n, octet) =>
          n +
          Number(octet)
            .toString(2)
            .split("")
            .filter((b) => b === "1").length,
        0,
      );
      return { to: `${dest}/${prefix}`, dev: f[0]! };
    });
}

function leHex(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join(".");
}

/** /proc/net/ipv6_route: destination in hex, its prefix length in hex; multicast and link-local left out. */
export function parseProcIpv6Route(text: string): HostRoute[] {
  return text
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 10)
    .map((f) => ({ to: `${f[0]!.match(/.{4}/g)!.join(":")}/${parseInt(f[1]!, 16)}`, dev: f[9]! }))
    .filter((r) => !r.to.startsWith("ff00") && !r.to.startsWith("fe80"));
}
