// The engine host's routes, read on the engine's host itself.
import { randomBytes } from "node:crypto";
import { PassThrough } from "node:stream";
import { parseHostRoutes, type HostRoute } from "../observe/host-routes.js";
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
  const image = await lockImage(docker);
  const name = `zmqlab-host-routes.${lab}.${randomBytes(3).toString("hex")}`;
  const resource = { kind: "container" as const, name, role: "reading the engine host's routes" };
  const container = await onEngine("create", resource, () => docker.createContainer({
    name,
    Image: image,
    Entrypoint: ["cat"],
    // ipv6_route is missing on a host without IPv6: cat still prints route first.
    Cmd: ["/proc/net/route", "/proc/net/ipv6_route"],
    Labels: { [LABEL_LAB]: lab, [LABEL_ROLE]: "host-routes" },
    HostConfig: { NetworkMode: "host" },
  }));
  try {
    await onEngine("start", resource, () => container.start());
    await onEngine("wait for", resource, () => container.wait());
    const logs = await onEngine("read the output of", resource, () => container.logs({ stdout: true, stderr: false, follow: false }));
    return parseHostRoutes(await stdoutOf(docker, logs));
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
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
