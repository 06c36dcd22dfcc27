// Recording a lab's networks, and streaming one live: tcpdump on each network's bridge, from the
// engine host's side. Where this process is in the engine's network namespace (it proves it as
// host-routes.ts does) and has tcpdump, tcpdump runs here; else in a capture container of network
// mode host (zmqlab's node image has tcpdump), which works for an engine anywhere: a remote one,
// a controller in a container. A cluster's overlay networks are recorded on each engine that
// holds them, in the overlay's own namespace. Every recorder is the lab's (the container carries
// its label, role `capture`; the host's tcpdump leaves a pid file in a folder named after the lab)
// and goes with `down`, `clean`, Ctrl-C, and with this process's end, a crash included (the
// container's script reads this process's stdin; the host's tcpdump gets SIGTERM when its parent
// dies).
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { PassThrough, type Duplex, type Readable } from "node:stream";
import type { Engine } from "./docker.js";
import { describe, isNotFound, withTimeout } from "./docker.js";
import { onEngine } from "./failures.js";
import { sharesEngineNamespace, socketPath } from "./host-routes.js";
import { LABEL_LAB, LABEL_ROLE } from "./labels.js";
import { containerName, networkName } from "./naming.js";
import { extractFiles } from "./tar.js";

/** How big each network's ring may grow: `files` files of `fileMegabytes` million bytes (tcpdump -C, -W). */
export interface Ring {
  files: number;
  fileMegabytes: number;
}

/** What a recording recorded, per network: the interface it listened on, where (host), its files once collected. */
export interface RecordedNetwork {
  network: string;
  interfaceName: string;
  host?: string;
}

/** A lab's networks being recorded. */
export interface Recording {
  /** Where tcpdump runs: on the engine's host beside this process, or in a capture container. */
  readonly from: "host" | "container";
  readonly networks: RecordedNetwork[];
  /** Stop recording (tcpdump writes out what it holds). Idempotent. */
  stop(): Promise<void>;
  /** Bring each network's ring files into `dir` (after stop); per network, its files. */
  collect(dir: string): Promise<Record<string, string[]>>;
  /** Why recording a network failed or ended early, if it did. */
  problems(): string[];
  /** Remove what it left (its container, its folder). Idempotent. */
  remove(): Promise<void>;
}

/** A live capture of one network (or one node's interface on it): classic pcap on `output`. */
export interface LiveCapture {
  readonly from: "host" | "container";
  readonly interfaceName: string;
  readonly output: Readable;
  /** Resolves when tcpdump ended, with its last error line if it failed. */
  readonly ended: Promise<string | undefined>;
  /** End it and remove what it used. Idempotent. */
  stop(): Promise<void>;
}

const ROLE = "capture";
/** How long tcpdump may take to say it listens (a capture container's start included). */
const READY_MS = 20_000;
/** How long a stopped tcpdump may take to write out and exit. */
const STOP_MS = 10_000;

/** A network's bridge on the engine's host, or for an overlay its namespace's bridge. */
interface Bridge {
  network: string;
  interfaceName: string;
  /** An overlay's network namespace file on its engine (`/var/run/docker/netns/1-...`). */
  namespace?: string;
}

async function bridgeOf(docker: Engine, lab: string, network: string): Promise<Bridge> {
  const name = networkName(lab, network);
  const info = (await onEngine("inspect", { kind: "network", name, role: `network ${network}` }, () => docker.getNetwork(name).inspect())) as {
    Id: string;
    Driver: string;
    Options?: Record<string, string>;
  };
  if (info.Driver === "overlay") return { network, interfaceName: "br0", namespace: `/var/run/docker/netns/1-${info.Id.slice(0, 10)}` };
  return { network, interfaceName: info.Options?.["com.docker.network.bridge.name"] ?? `br-${info.Id.slice(0, 12)}` };
}

/**
 * tcpdump's options for a ring of files (each one `-C` million bytes, `-W` of them), packets
 * written as they come. Immediate mode: without it the kernel hands packets over in blocks up to
 * a second late, and the last block is lost when tcpdump is stopped.
 */
export function ringArgv(iface: string, file: string, ring: Ring, asRoot: boolean): string[] {
  return ["tcpdump", "-i", iface, "-n", "-U", "--immediate-mode", "-B", "4096", ...(asRoot ? ["-Z", "root"] : []), "-C", String(ring.fileMegabytes), "-W", String(ring.files), "-w", file];
}

/** Where this process keeps a lab's host recorders: their pid files and ring files. */
export const hostCaptureDir = (lab: string): string => join(tmpdir(), "zmqlab-capture", lab);

/** An executable on PATH, or undefined. */
function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const path = join(dir, program);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/** Whether tcpdump can run here on the engine's bridges: this process is in dockerd's network namespace, and tcpdump is installed. */
export async function recordsOnHost(docker: Engine): Promise<boolean> {
  if (process.env.ZMQLAB_CAPTURE_FROM === "container") return false;
  return onPath("tcpdump") !== undefined && sharesEngineNamespace(await socketPath(docker));
}

/** Lines tcpdump writes to stderr: `listening on ...` once it captures, `tcpdump: ...` when it cannot. */
function watchStderr(stream: Readable, wanted: number): { ready: Promise<void>; lines: string[] } {
  const lines: string[] = [];
  let rest = "";
  let listening = 0;
  let resolveReady: () => void = () => {};
  let rejectReady: (err: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });
  stream.on("data", (chunk: Buffer) => {
    rest += chunk.toString();
    let i: number;
    while ((i = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, i).trim();
      rest = rest.slice(i + 1);
      if (!line) continue;
      lines.push(line);
      if (lines.length > 50) lines.shift();
      if (/listening on /.test(line)) {
        if (++listening >= wanted) resolveReady();
      } else if (!/WARNING/.test(line) && (/^(tcpdump|nsenter|sh): /.test(line) || /No such device|Operation not permitted|permission/i.test(line))) rejectReady(new Error(line));
    }
  });
  stream.on("end", () => rejectReady(new Error(lines.at(-1) ?? "tcpdump ended before it listened")));
  ready.catch(() => {});
  return { ready, lines };
}

const errorLines = (lines: string[]) => lines.filter((l) => !/listening on |packets (captured|received|dropped)/.test(l));

/** Record on this host: one tcpdump per network, its pid file beside its ring. */
async function recordOnHost(lab: string, bridges: Bridge[], ring: Ring): Promise<Recording> {
  const dir = hostCaptureDir(lab);
  removeHostCapture(lab);
  mkdirSync(dir, { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // Ends with this process, whatever ends it: setpriv asks the kernel to signal tcpdump then.
  const setpriv = onPath("setpriv");
  const children: { bridge: Bridge; child: ChildProcess; exited: Promise<void>; stderr: { ready: Promise<void>; lines: string[] } }[] = [];
  const stopAll = async () => {
    await Promise.all(
      children.map(async (c) => {
        c.child.kill("SIGINT");
        await withTimeout(c.exited, STOP_MS, "tcpdump's exit").catch(() => c.child.kill("SIGKILL"));
      }),
    );
  };
  try {
    for (const bridge of bridges) {
      const argv = ringArgv(bridge.interfaceName, join(dir, `${bridge.network}.pcap`), ring, asRoot);
      const command = setpriv ? [setpriv, "--pdeathsig", "TERM", "--", ...argv] : argv;
      const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
      const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
      child.on("error", () => {});
      const stderr = watchStderr(child.stderr!, 1);
      child.on("error", (err) => child.stderr!.emit("data", Buffer.from(`tcpdump: ${err.message}\n`)));
      if (child.pid !== undefined) writeFileSync(join(dir, `${bridge.network}.pid`), String(child.pid));
      children.push({ bridge, child, exited, stderr });
    }
    await withTimeout(Promise.all(children.map((c) => c.stderr.ready)), READY_MS, "tcpdump listening");
  } catch (err) {
    await stopAll();
    removeHostCapture(lab);
    throw err;
  }
  let stopped = false;
  // A tcpdump that exits before it is stopped (its bridge gone, killed) leaves a gap in the capture.
  const early: typeof children = [];
  for (const c of children) void c.exited.then(() => !stopped && early.push(c));
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopAll();
  };
  return {
    from: "host",
    networks: bridges.map((b) => ({ network: b.network, interfaceName: b.interfaceName })),
    stop,
    async collect() {
      const files = readdirSync(dir);
      return Object.fromEntries(bridges.map((b) => [b.network, files.filter((f) => f.startsWith(`${b.network}.pcap`)).map((f) => join(dir, f))]));
    },
    problems: () => early.map((c) => `${c.bridge.network}: tcpdump ended early: ${errorLines(c.stderr.lines).at(-1) ?? `exit ${c.child.exitCode}`}`),
    async remove() {
      await stop();
      removeHostCapture(lab);
    },
  };
}

/**
 * End the host recorders a lab left (a crash: their pid files) and remove their folder. A pid is
 * signalled only while it is still a tcpdump writing into that folder: a reused pid is someone else's.
 */
export function removeHostCapture(lab: string): number {
  const dir = hostCaptureDir(lab);
  if (!existsSync(dir)) return 0;
  let ended = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".pid"))) {
    try {
      const pid = Number(readFileSync(join(dir, file), "utf8").trim());
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmdline.includes("tcpdump") && cmdline.includes(dir)) {
        process.kill(pid, "SIGKILL");
        ended++;
      }
    } catch {
      // Gone already.
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return ended;
}

/**
 * The capture container's script (fixed: every value comes in as an argument): a tcpdump per group
 * of five arguments (namespace or `-`, interface, file, megabytes per file, files), then it reads
 * stdin until zmqlab closes it (or ends: the engine closes it then), and stops them (SIGINT: they
 * write out what they hold).
 */
export const RECORD_SCRIPT = [
  'pids=""',
  'while [ "$#" -ge 5 ]; do',
  '  if [ "$1" = "-" ]; then tcpdump -i "$2" -n -U --immediate-mode -B 4096 -Z root -C "$4" -W "$5" -w "$3" &',
  '  else nsenter --net="$1" tcpdump -i "$2" -n -U --immediate-mode -B 4096 -Z root -C "$4" -W "$5" -w "$3" & fi',
  '  pids="$pids $!"; shift 5',
  "done",
  "cat >/dev/null",
  "kill -INT $pids 2>/dev/null",
  "wait",
].join("\n");

/** The live capture's script: one tcpdump writing pcap to stdout, until stdin closes. */
export const STREAM_SCRIPT = ['tcpdump -i "$1" -n -U --immediate-mode -w - & pid=$!', "cat >/dev/null", "kill -INT $pid 2>/dev/null", "wait"].join("\n");

interface Attached {
  id: string;
  stream: Duplex;
  stdout: PassThrough;
  stderr: PassThrough;
  waited: Promise<unknown>;
}

/** Create a capture container of the lab, attach to it (stdin kept open: it is how it stops), start it. */
async function startContainer(docker: Engine, lab: string, image: string, script: string, args: string[], hostConfig: Record<string, unknown>, what: string, autoRemove = false): Promise<Attached> {
  const name = `zmqlab-capture.${lab}.${randomBytes(3).toString("hex")}`;
  const resource = { kind: "container" as const, name, role: what };
  const container = await onEngine("create", resource, () =>
    docker.createContainer({
      name,
      Image: image,
      Entrypoint: ["sh", "-c", script, "zmqlab-capture"],
      Cmd: args,
      OpenStdin: true,
      StdinOnce: true,
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Labels: { [LABEL_LAB]: lab, [LABEL_ROLE]: ROLE },
      // A live capture's container goes as it ends (its stdin closed: Ctrl-C, or zmqlab gone); a recording's stays until its files are copied out.
      HostConfig: { CapAdd: ["NET_ADMIN", "NET_RAW"], ...(autoRemove ? { AutoRemove: true } : {}), ...hostConfig },
    }),
  );
  try {
    const stream = (await onEngine("attach to", resource, () => container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }))) as Duplex;
    stream.on("error", () => {});
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    docker.modem.demuxStream(stream, stdout, stderr);
    stream.on("end", () => {
      stdout.end();
      stderr.end();
    });
    const waited = container.wait({ condition: "next-exit" }).catch(() => undefined);
    await onEngine("start", resource, () => container.start());
    return { id: container.id, stream, stdout, stderr, waited };
  } catch (err) {
    await container.remove({ force: true }).catch(() => {});
    throw err;
  }
}

/** Record in a capture container on this engine: the networks' bridges from the host's namespace, an overlay's in its own. */
async function recordInContainer(docker: Engine, lab: string, bridges: Bridge[], ring: Ring, image: string, host?: string): Promise<Recording> {
  const overlay = bridges.some((b) => b.namespace);
  const args = bridges.flatMap((b) => [b.namespace ? `/netns/${b.namespace.split("/").pop()}` : "-", b.interfaceName, `/capture/${b.network}.pcap`, String(ring.fileMegabytes), String(ring.files)]);
  const hostConfig = {
    NetworkMode: "host",
    ...(overlay ? { Binds: ["/var/run/docker/netns:/netns"], CapAdd: ["NET_ADMIN", "NET_RAW", "SYS_ADMIN"], SecurityOpt: ["apparmor=unconfined", "seccomp=unconfined"] } : {}),
  };
  const started = await startContainer(docker, lab, image, ["mkdir -p /capture", RECORD_SCRIPT].join("\n"), args, hostConfig, `recording the lab's networks${host ? ` on host ${host}` : ""}`);
  const stderr = watchStderr(started.stderr, bridges.length);
  const container = docker.getContainer(started.id);
  try {
    await withTimeout(stderr.ready, READY_MS, "tcpdump listening in the capture container");
  } catch (err) {
    started.stream.destroy();
    await container.remove({ force: true }).catch(() => {});
    throw err;
  }
  let stopped: Promise<void> | undefined;
  let exitedEarly = false;
  started.waited.then(() => {
    if (!stopped) exitedEarly = true;
  });
  return {
    from: "container",
    networks: bridges.map((b) => ({ network: b.network, interfaceName: b.interfaceName, ...(host ? { host } : {}) })),
    stop() {
      stopped ??= (async () => {
        // Closing stdin is the signal: the script stops every tcpdump and exits.
        (started.stream as Duplex & { end(): void }).end();
        await withTimeout(started.waited, STOP_MS, "the capture container's exit").catch(async () => {
          await container.kill({ signal: "SIGINT" }).catch(() => {});
          await withTimeout(started.waited, STOP_MS, "the capture container's exit").catch(() => {});
        });
      })();
      return stopped;
    },
    async collect(dir: string) {
      const archive = (await onEngine("copy the capture out of", { kind: "container", name: started.id, role: "recording the lab's networks" }, () =>
        container.getArchive({ path: "/capture" }),
      )) as NodeJS.ReadableStream;
      const files = await extractFiles(archive, dir);
      return Object.fromEntries(bridges.map((b) => [b.network, files.filter((f) => f.slice(f.lastIndexOf("/") + 1).startsWith(`${b.network}.pcap`))]));
    },
    problems: () => (exitedEarly ? [`the capture container${host ? ` on host ${host}` : ""} ended early: ${errorLines(stderr.lines).at(-1) ?? "no reason given"}`] : []),
    async remove() {
      started.stream.destroy();
      await container.remove({ force: true }).catch(() => {});
    },
  };
}

/**
 * Record the lab's networks on this engine until stopped, each in a ring of files: on this host
 * when it can, else in a capture container of `image` (asked for only then).
 */
export async function recordNetworks(docker: Engine, lab: string, networks: string[], ring: Ring, image: () => Promise<string>, host?: string): Promise<Recording> {
  const bridges = await Promise.all(networks.map((n) => bridgeOf(docker, lab, n)));
  // An overlay's bridge is in its own namespace, which only a container can enter.
  if (bridges.every((b) => !b.namespace) && (await recordsOnHost(docker))) {
    try {
      return await recordOnHost(lab, bridges, ring);
    } catch {
      // tcpdump here could not capture (no permission on the bridge): the container can.
    }
  }
  return recordInContainer(docker, lab, bridges, ring, await image(), host);
}

/**
 * Stream one network live as pcap (`node` given: that node's interface on it, from the node's own
 * network namespace). tcpdump here where it can, else in a capture container.
 */
export async function streamNetwork(docker: Engine, lab: string, network: string, node: string | undefined, image: () => Promise<string>): Promise<LiveCapture> {
  if (node === undefined && (await recordsOnHost(docker))) {
    const bridge = await bridgeOf(docker, lab, network);
    if (!bridge.namespace) {
      const setpriv = onPath("setpriv");
      const argv = ["tcpdump", "-i", bridge.interfaceName, "-n", "-U", "--immediate-mode", "-w", "-"];
      const command = setpriv ? [setpriv, "--pdeathsig", "TERM", "--", ...argv] : argv;
      const child = spawn(command[0]!, command.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
      const stderr = watchStderr(child.stderr!, 1);
      const exited = new Promise<number | null>((resolve) => {
        child.on("exit", (code) => resolve(code));
        child.on("error", () => resolve(-1));
      });
      try {
        await withTimeout(stderr.ready, READY_MS, "tcpdump listening");
      } catch (err) {
        child.kill("SIGKILL");
        if (!/ENOENT|permission|not permitted/i.test(describe(err))) throw err;
        return streamInContainer(docker, lab, network, node, await image());
      }
      return {
        from: "host",
        interfaceName: bridge.interfaceName,
        output: child.stdout!,
        ended: exited.then((code) => (code === 0 || code === null ? undefined : (errorLines(stderr.lines).at(-1) ?? `tcpdump exit ${code}`))),
        async stop() {
          child.kill("SIGINT");
          await withTimeout(exited, STOP_MS, "tcpdump's exit").catch(() => child.kill("SIGKILL"));
        },
      };
    }
  }
  return streamInContainer(docker, lab, network, node, await image());
}

async function streamInContainer(docker: Engine, lab: string, network: string, node: string | undefined, image: string): Promise<LiveCapture> {
  // A node's interface is named after its network (an altname zmqlab gives it): tcpdump finds it by that name in the node's namespace.
  const bridge = node === undefined ? await bridgeOf(docker, lab, network) : { network, interfaceName: network };
  const namespaced = "namespace" in bridge && bridge.namespace;
  const hostConfig =
    node !== undefined
      ? { NetworkMode: `container:${containerName(lab, node)}` }
      : namespaced
        ? { NetworkMode: "host", Binds: ["/var/run/docker/netns:/netns"], CapAdd: ["NET_ADMIN", "NET_RAW", "SYS_ADMIN"], SecurityOpt: ["apparmor=unconfined", "seccomp=unconfined"] }
        : { NetworkMode: "host" };
  const script = namespaced ? STREAM_SCRIPT.replace('tcpdump -i "$1"', 'nsenter --net="$2" tcpdump -i "$1"') : STREAM_SCRIPT;
  const args = namespaced ? [bridge.interfaceName, `/netns/${bridge.namespace!.split("/").pop()}`] : [bridge.interfaceName];
  const started = await startContainer(docker, lab, image, script, args, hostConfig, `streaming network ${network}${node ? ` at node ${node}` : ""}`, true);
  const stderr = watchStderr(started.stderr, 1);
  const container = docker.getContainer(started.id);
  // Removed by the engine as it exits (AutoRemove), or by us: either way, gone before we return.
  const remove = async () => {
    await container.remove({ force: true }).catch(() => {});
    for (let i = 0; i < 50; i++) {
      if (
        !(await container.inspect().then(
          () => true,
          (err: unknown) => !isNotFound(err),
        ))
      )
        return;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  try {
    await withTimeout(stderr.ready, READY_MS, "tcpdump listening in the capture container");
  } catch (err) {
    started.stream.destroy();
    await remove();
    throw err;
  }
  let stopping = false;
  return {
    from: "container",
    interfaceName: bridge.interfaceName,
    output: started.stdout,
    ended: started.waited.then((r) => {
      const code = (r as { StatusCode?: number } | undefined)?.StatusCode;
      return stopping || !code ? undefined : (errorLines(stderr.lines).at(-1) ?? `the capture container exited with ${code}`);
    }),
    async stop() {
      stopping = true;
      (started.stream as Duplex & { end(): void }).end();
      await withTimeout(started.waited, STOP_MS, "the capture container's exit").catch(() => {});
      started.stream.destroy();
      await remove();
    },
  };
}
