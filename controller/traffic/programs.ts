// Program endpoints: the user's own programs, started in their nodes for the traffic phase and
// observed as zmqlab's agent is, through the kernel (peers on their declared binds) and their
// own words (exit code, output).
import { formatSockAddr, parseProcNetTcp, peersFor, type BindAddr, type TcpEntry } from "../../shared/proc-net.js";
import { parseConnectionSet, type ConnectionSeen } from "../observe/flows.js";
import type { Peer } from "../../shared/protocol.js";
import type { Program, ProgramResult } from "../engine/program.js";
import { parseDuration } from "../../shared/duration.js";
import { parseTcpEndpoint } from "../../shared/endpoint.js";
import { list } from "../../shared/list.js";
import { parseAddress } from "../lab/ip.js";
import type { EndpointSpec } from "../lab/types.js";
import type { RunningLab } from "../provision/running-lab.js";
import type { ProgramOutcome } from "./types.js";

const POLL_MS = 200;
const SAMPLE_END = "zmqlab-sample";
const WATCH = ["sh", "-c", `while :; do cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; echo ${SAMPLE_END}; sleep 0.05; done`];
const LAST_LINES = 20;

/** The binds a program declares, as the kernel's tables show local ends (`*`, names: any address). */
export function declaredBinds(spec: EndpointSpec): BindAddr[] {
  return list(spec.bind).flatMap((text) => {
    const parsed = parseTcpEndpoint(text);
    if (typeof parsed === "string") return [];
    const address = parseAddress(parsed.destination.host);
    return [{ address: address ? address.text : null, port: Number(parsed.destination.port) }];
  });
}

/** How a program counts as started: its own `ready`, else `listen` when it declares a bind. */
export function readinessOf(spec: EndpointSpec): EndpointSpec["ready"] | undefined {
  return spec.ready ?? (list(spec.bind).length > 0 ? "listen" : undefined);
}

/** Every declared bind has a listening socket on the node (state 0A). */
export function listensOn(entries: { local: { address: string; port: number }; state: string }[], binds: BindAddr[]): boolean {
  const wildcard = new Set(["0.0.0.0", "::"]);
  return binds.every((b) => entries.some((e) => e.state === "0A" && e.local.port === b.port && (b.address === null || wildcard.has(e.local.address) || e.local.address === b.address)));
}

const PEERS_TABLE = "zmqlab_peers";
/**
 * Every TCP connection a node's kernel sees start (its SYN), kept in an nftables set: the
 * kernel's own record of who connected, however briefly. Constant text, nothing from the lab.
 */
const CONNECTION_SETS = [
  `add table inet ${PEERS_TABLE}; add chain inet ${PEERS_TABLE} input { type filter hook input priority -5; policy accept; }; ` +
    `add set inet ${PEERS_TABLE} peers4 { type ipv4_addr . inet_service . ipv4_addr . inet_service; flags dynamic; counter; size 65536; }; flush set inet ${PEERS_TABLE} peers4; ` +
    `flush chain inet ${PEERS_TABLE} input; add rule inet ${PEERS_TABLE} input meta nfproto ipv4 tcp flags & (syn | ack) == syn update @peers4 { ip saddr . tcp sport . ip daddr . tcp dport }`,
  `add set inet ${PEERS_TABLE} peers6 { type ipv6_addr . inet_service . ipv6_addr . inet_service; flags dynamic; counter; size 65536; }; flush set inet ${PEERS_TABLE} peers6; ` +
    `add rule inet ${PEERS_TABLE} input meta nfproto ipv6 tcp flags & (syn | ack) == syn update @peers6 { ip6 saddr . tcp sport . ip6 daddr . tcp dport }`,
];

/** Install (and empty) the connection sets in a node; false where its image has no nft. */
export async function recordConnections(lab: RunningLab, node: string): Promise<boolean> {
  const [v4, v6] = CONNECTION_SETS as [string, string];
  const ok =
    (
      await lab
        .node(node)
        .exec(["nft", v4])
        .catch(() => ({ exitCode: -1 }))
    ).exitCode === 0;
  if (ok)
    await lab
      .node(node)
      .exec(["nft", v6])
      .catch(() => undefined);
  return ok;
}

/** The connections the node's kernel saw start since recordConnections. */
export async function connectionsSeen(lab: RunningLab, node: string): Promise<ConnectionSeen[]> {
  const sets = await Promise.all(
    ["peers4", "peers6"].map((set) =>
      lab
        .node(node)
        .exec(["nft", "-j", "list", "set", "inet", PEERS_TABLE, set])
        .catch(() => undefined),
    ),
  );
  return sets.flatMap((r) => (r && r.exitCode === 0 ? parseConnectionSet(r.stdout) : []));
}

/** One program endpoint through the traffic phase. */
export class ProgramEndpoint {
  program: Program | undefined;
  /** Why it could not start, or did not become ready: an endpoint failure. */
  readonly errors: string[] = [];
  readyAfterMs: number | undefined;
  private readonly peers = new Map<string, Peer>();
  private result: ProgramResult | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private watcher: Program | undefined;
  readonly binds: BindAddr[];
  readonly timeoutMs: number;

  constructor(
    private readonly lab: RunningLab,
    readonly name: string,
    readonly spec: EndpointSpec & { command: string[] },
    defaultTimeout: number,
    /** 1, or 2, 3, ... when its node was started again by a fault and it runs again. */
    readonly life = 1,
  ) {
    this.binds = declaredBinds(spec);
    this.timeoutMs = spec.timeout !== undefined ? (parseDuration(spec.timeout) ?? defaultTimeout) : defaultTimeout;
  }

  get node(): string {
    return this.spec.node;
  }

  /** Start it, and stop it at its deadline. Resolves once it runs (or could not start). */
  async start(): Promise<void> {
    try {
      this.program = await this.lab.node(this.spec.node).spawn(this.spec.command, this.spec.env ? { env: this.spec.env } : {});
    } catch (err) {
      this.errors.push(`could not start ${this.spec.command.join(" ")} in ${this.spec.node}: ${(err as Error).message}`);
      return;
    }
    this.deadline = setTimeout(() => void this.program?.stop().catch(() => undefined), this.timeoutMs);
    void this.program.wait().then((r) => {
      this.result = r;
      clearTimeout(this.deadline);
    });
    if (this.binds.length > 0) await this.watchPeers();
  }

  /** Wait until it counts as ready, within `boundMs`; a miss is an endpoint failure. */
  async ready(boundMs: number): Promise<void> {
    const ready = readinessOf(this.spec);
    if (!this.program || ready === undefined) return;
    const program = this.program;
    const started = performance.now();
    const bound = Math.min(boundMs, this.timeoutMs);
    const ended = program.wait().then(() => false);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), bound)));
    let met: Promise<boolean>;
    if (ready === "listen") {
      met = (async () => {
        while (program.running && performance.now() - started < bound) {
          if (
            listensOn(
              await this.lab
                .node(this.node)
                .sockets()
                .catch(() => []),
              this.binds,
            )
          )
            return true;
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
        return false;
      })();
    } else {
      const pattern = new RegExp(ready.output);
      met = new Promise<boolean>((resolve) => {
        if (program.output.some((l) => pattern.test(l))) resolve(true);
        program.onLine((line) => pattern.test(line) && resolve(true));
      });
    }
    const isReady = await Promise.race([met, ended, timeout]);
    clearTimeout(timer);
    if (isReady) {
      this.readyAfterMs = Math.round(performance.now() - started);
      return;
    }
    const what = ready === "listen" ? `the node's kernel never listened on ${list(this.spec.bind).join(", ")}` : `no line of its output matched ${ready.output}`;
    this.errors.push(`${this.name} was not ready ${program.running ? `within ${bound} ms` : "before it ended"}: ${what}`);
  }

  get done(): Promise<void> {
    return this.program ? this.program.wait().then(() => undefined) : Promise.resolve();
  }

  /** Stop it if it still runs (SIGTERM, then SIGKILL), with a last look at its peers. */
  async finish(): Promise<void> {
    clearTimeout(this.deadline);
    if (!this.program) return;
    if (this.binds.length > 0)
      this.record(
        await this.lab
          .node(this.node)
          .sockets()
          .catch(() => []),
      );
    this.result = await this.program.stop().catch(() => this.program!.wait());
    await this.watcher?.stop(0);
    // Connections too short for the watcher to see are in the kernel's connection sets.
    if (this.binds.length > 0) {
      const wildcard = new Set(["0.0.0.0", "::"]);
      for (const c of await connectionsSeen(this.lab, this.node)) {
        const bound = this.binds.some((b) => b.port === c.port && (b.address === null || b.address === c.local || wildcard.has(b.address)));
        if (bound)
          this.peers.set(`${formatSockAddr({ address: c.local, port: c.port })} ${c.source} ${c.sourcePort}`, {
            local: formatSockAddr({ address: c.local, port: c.port }),
            address: c.source,
            port: c.sourcePort,
          });
      }
    }
  }

  /**
   * Connections end with the program, so its node's kernel tables are read while it runs: one
   * watcher in the node prints them every 50 ms (a constant shell loop, nothing from the lab
   * file in it), and every established peer on a declared bind is kept.
   */
  private async watchPeers(): Promise<void> {
    try {
      this.watcher = await this.lab.node(this.node).spawn(WATCH, { keepLines: 0 });
    } catch {
      return; // the program's own failure says more
    }
    let block: string[] = [];
    this.watcher.onLine((line) => {
      if (line !== SAMPLE_END) return void block.push(line);
      this.record(parseProcNetTcp(block.join("\n")));
      block = [];
    });
  }

  private record(entries: TcpEntry[]): void {
    for (const p of peersFor(entries, this.binds)) this.peers.set(`${p.local} ${p.address} ${p.port}`, p);
  }

  peersSeen(): Peer[] {
    return [...this.peers.values()];
  }

  outcome(): ProgramOutcome {
    const r = this.result;
    return {
      command: this.spec.command,
      exitCode: r ? r.exitCode : null,
      stopped: r?.stopped ?? false,
      killed: r?.killed ?? false,
      durationMs: r?.durationMs ?? 0,
      ...(this.readyAfterMs !== undefined ? { readyAfterMs: this.readyAfterMs } : {}),
      lastLines: (r?.output ?? []).slice(-LAST_LINES),
    };
  }

  /** Every line of its output, for the `output` expectation. */
  output(): string[] {
    return this.result?.output ?? this.program?.output ?? [];
  }
}
