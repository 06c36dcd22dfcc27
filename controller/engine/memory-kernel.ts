// The network side of a node's kernel in the in-memory engine (memory-runtime.ts): interfaces with
// their addresses and alternative names, routes of every table, policy rules and zmqlab's flow
// counters. The few `ip` and `nft` commands a lab's plan uses change it as the kernel would
// (refusing as it would: an address that is there, a device that is not), and it reads back as
// `ip -j` prints it, so what provision/ plans, applies and checks meets a kernel that does what it
// is told. A command it does not know is not the kernel's: the caller decides what it answers.
import type { ExecResult } from "./exec.js";
import { formatAddress, parseAddress, type Family } from "../lab/ip.js";
import { FLOW_TABLE } from "../plan/plan.js";

export interface MemoryInterface {
  name: string;
  altnames: string[];
  mac: string;
  /** With prefix length, e.g. `198.18.1.10/24`. */
  addresses: string[];
}

export interface MemoryRoute {
  /** `default`, an address (a host route) or a subnet, as `ip` prints it. */
  to: string;
  family: Family;
  via: string[];
  /** Kernel interface names. */
  dev: string[];
  table: string;
  /** A connected route, the kernel's own. */
  connected?: boolean;
}

export interface MemoryRule {
  family: Family;
  priority: number;
  /** An address, or a subnet with its prefix. */
  from: string;
  table: string;
}

/** One network a container is attached to, as Docker attaches it. */
export interface Attachment {
  /** Docker's addresses, with the network's prefix length. */
  ipv4: string;
  ipv6?: string;
  gateway4: string;
  gateway6?: string;
}

const ok = (stdout = ""): ExecResult => ({ exitCode: 0, stdout, stderr: "" });
const refused = (exitCode: number, stderr: string): ExecResult => ({ exitCode, stdout: "", stderr: `${stderr}\n` });
const EXISTS = refused(2, "RTNETLINK answers: File exists");
const NO_SUCH = refused(2, "RTNETLINK answers: No such process");

/** `198.18.1.10/24` -> `198.18.1.0/24`. */
function networkOf(address: string): { cidr: string; family: Family; first: bigint; last: bigint } {
  const [text, prefixText] = address.split("/") as [string, string];
  const parsed = parseAddress(text)!;
  const host = BigInt((parsed.family === 4 ? 32 : 128) - Number(prefixText));
  const first = (parsed.value >> host) << host;
  return { cidr: `${formatAddress(first, parsed.family)}/${prefixText}`, family: parsed.family, first, last: first + (1n << host) - 1n };
}

/** `ip` prints a host route without its prefix. */
const routeTarget = (to: string): string => (to === "0.0.0.0/0" || to === "::/0" ? "default" : to.replace(/\/(32|128)$/, ""));

export class MemoryKernel {
  interfaces: MemoryInterface[] = [];
  routes: MemoryRoute[] = [];
  rules: MemoryRule[] = [];
  /** zmqlab's flow counter table (inet FLOW_TABLE). */
  counters = false;

  /** A fresh network namespace as Docker makes it: eth0, eth1, ... in attach order, its default route via the first network. */
  static fresh(attachments: Attachment[]): MemoryKernel {
    const kernel = new MemoryKernel();
    attachments.forEach((a, i) => {
      const name = `eth${i}`;
      const addresses = [a.ipv4, ...(a.ipv6 ? [a.ipv6] : [])];
      const bytes = a.ipv4
        .split("/")[0]!
        .split(".")
        .map((b) => Number(b).toString(16).padStart(2, "0"));
      kernel.interfaces.push({ name, altnames: [], mac: ["02", "42", ...bytes].join(":"), addresses });
      for (const address of addresses) {
        const net = networkOf(address);
        kernel.routes.push({ to: net.cidr, family: net.family, via: [], dev: [name], table: "main", connected: true });
      }
    });
    const first = attachments[0];
    if (first) kernel.routes.push({ to: "default", family: 4, via: [first.gateway4], dev: ["eth0"], table: "main" });
    const v6 = attachments.findIndex((a) => a.gateway6 !== undefined);
    if (v6 >= 0) kernel.routes.push({ to: "default", family: 6, via: [attachments[v6]!.gateway6!], dev: [`eth${v6}`], table: "main" });
    return kernel;
  }

  private device(name: string): MemoryInterface | undefined {
    return this.interfaces.find((i) => i.name === name || i.altnames.includes(name));
  }

  /** The command's effect and answer, or undefined when it is not an `ip` or `nft` command this kernel knows. */
  run(argv: string[]): ExecResult | undefined {
    if (argv[0] === "nft") return this.nft(argv.slice(1));
    if (argv[0] !== "ip") return undefined;
    const words = argv.slice(1);
    let family: Family | undefined;
    let json = false;
    while (words[0]?.startsWith("-")) {
      const flag = words.shift()!;
      if (flag === "-4") family = 4;
      else if (flag === "-6") family = 6;
      else if (flag === "-j") json = true;
    }
    const [object, verb = "show", ...rest] = words;
    if (object === "addr") return this.addr(verb, rest, family, json);
    if (object === "route") return this.route(verb, rest, family ?? (rest.some((w) => w.includes(":")) ? 6 : 4));
    if (object === "rule") return this.rule(verb, rest, family ?? (rest.some((w) => w.includes(":")) ? 6 : 4));
    if (object === "link") return this.link(verb, rest);
    if (object === "neigh") return ok();
    return undefined;
  }

  private addr(verb: string, rest: string[], family: Family | undefined, json: boolean): ExecResult | undefined {
    if (verb === "show") return json ? ok(this.showAddr()) : undefined;
    const [address, , dev] = rest;
    const iface = this.device(dev ?? "");
    if (!address || !iface) return refused(1, `Cannot find device "${dev}"`);
    const has = iface.addresses.includes(address);
    if (verb === "add" && has) return EXISTS;
    if (verb === "del") {
      if (!has) return refused(2, "RTNETLINK answers: Cannot assign requested address");
      iface.addresses = iface.addresses.filter((a) => a !== address);
      this.routes = this.routes.filter((r) => !(r.connected && r.dev[0] === iface.name && r.to === networkOf(address).cidr && !iface.addresses.some((a) => networkOf(a).cidr === r.to)));
      return ok();
    }
    if (verb !== "add" && verb !== "replace") return undefined;
    if (!has) {
      iface.addresses.push(address);
      const net = networkOf(address);
      if (!this.routes.some((r) => r.connected && r.to === net.cidr && r.dev[0] === iface.name)) {
        this.routes.push({ to: net.cidr, family: family ?? net.family, via: [], dev: [iface.name], table: "main", connected: true });
      }
    }
    return ok();
  }

  private route(verb: string, rest: string[], family: Family): ExecResult | undefined {
    if (verb === "show") {
      const all = rest[0] === "table" && rest[1] === "all";
      return ok(this.showRoutes(family, all));
    }
    if (verb === "flush") {
      // `flush exact 0.0.0.0/0`: the default route of the main table.
      const to = routeTarget(rest[rest.length - 1] ?? "");
      this.routes = this.routes.filter((r) => !(r.family === family && r.table === "main" && r.to === to));
      return ok();
    }
    const route: MemoryRoute = { to: routeTarget(rest[0] ?? ""), family, via: [], dev: [], table: "main" };
    for (let i = 1; i < rest.length; i++) {
      const word = rest[i]!;
      if (word === "nexthop") continue;
      const value = rest[++i] ?? "";
      if (word === "via") route.via.push(value);
      else if (word === "table") route.table = value;
      else if (word === "dev") {
        const iface = this.device(value);
        if (!iface) return refused(1, `Cannot find device "${value}"`);
        route.dev.push(iface.name);
      }
    }
    const same = (r: MemoryRoute) => r.family === route.family && r.table === route.table && r.to === route.to;
    const existing = this.routes.find(same);
    if (verb === "del") {
      if (!existing) return NO_SUCH;
      this.routes = this.routes.filter((r) => r !== existing);
      return ok();
    }
    if (verb !== "add" && verb !== "replace") return undefined;
    if (verb === "add" && existing) return EXISTS;
    for (const via of route.via) {
      const gateway = parseAddress(via);
      const reachable =
        gateway &&
        this.interfaces.some((i) =>
          i.addresses.some((a) => {
            const net = networkOf(a);
            return net.family === gateway.family && gateway.value >= net.first && gateway.value <= net.last;
          }),
        );
      if (!reachable) return refused(2, "Error: Nexthop has invalid gateway.");
    }
    this.routes = [...this.routes.filter((r) => r !== existing), route];
    return ok();
  }

  private rule(verb: string, rest: string[], family: Family): ExecResult | undefined {
    if (verb === "show") return ok(this.showRules(family));
    const at = (word: string) => (rest.includes(word) ? rest[rest.indexOf(word) + 1] : undefined);
    const rule: MemoryRule = { family, from: at("from") ?? "all", table: at("table") ?? "main", priority: Number(at("priority") ?? 32765) };
    const same = (r: MemoryRule) => r.family === rule.family && r.from === rule.from && r.table === rule.table && r.priority === rule.priority;
    if (verb === "del") {
      if (!this.rules.some(same)) return refused(2, "RTNETLINK answers: No such file or directory");
      this.rules = this.rules.filter((r) => !same(r));
      return ok();
    }
    if (verb !== "add") return undefined;
    if (this.rules.some(same)) return EXISTS;
    this.rules.push(rule);
    return ok();
  }

  private link(verb: string, rest: string[]): ExecResult | undefined {
    const dev = rest[rest.indexOf("dev") + 1] ?? "";
    const iface = this.device(dev);
    if (!iface) return refused(1, `Cannot find device "${dev}"`);
    if (verb === "property" && rest[0] === "add") {
      const altname = rest[rest.indexOf("altname") + 1]!;
      if (this.device(altname)) return EXISTS;
      iface.altnames.push(altname);
      return ok();
    }
    if (verb === "del") {
      this.interfaces = this.interfaces.filter((i) => i !== iface);
      this.routes = this.routes.filter((r) => !r.dev.includes(iface.name));
      return ok();
    }
    return verb === "set" ? ok() : undefined;
  }

  private nft(words: string[]): ExecResult | undefined {
    const json = words[0] === "-j";
    if (json) words = words.slice(1);
    const ours = words.includes(FLOW_TABLE);
    if (!ours) return undefined;
    const [verb, object] = words;
    if (verb === "add" && object === "table") this.counters = true;
    else if (verb === "delete" && object === "table") {
      if (!this.counters) return refused(1, "Error: No such file or directory");
      this.counters = false;
    } else if (!this.counters) return refused(1, `Error: No such file or directory; did you mean table ‘${FLOW_TABLE}’ in family inet?`);
    if (verb === "list")
      return ok(
        json ? JSON.stringify({ nftables: [{ metainfo: { json_schema_version: 1 } }, { set: { family: "inet", name: "flows4", table: FLOW_TABLE, elem: [] } }] }) : `table inet ${FLOW_TABLE} {\n}\n`,
      );
    return ok();
  }

  showAddr(): string {
    const entries = [{ ifindex: 1, ifname: "lo", address: "00:00:00:00:00:00", addr_info: [{ family: "inet", local: "127.0.0.1", prefixlen: 8, scope: "host" }] }];
    this.interfaces.forEach((i, n) =>
      entries.push({
        ifindex: n + 2,
        ifname: i.name,
        ...(i.altnames.length ? { altnames: i.altnames } : {}),
        address: i.mac,
        addr_info: i.addresses.map((a) => ({ family: a.includes(":") ? "inet6" : "inet", local: a.split("/")[0]!, prefixlen: Number(a.split("/")[1]), scope: "global" })),
      }),
    );
    return JSON.stringify(entries);
  }

  /** The main table's routes, or every table's (`table all`: the main table's without a table name). */
  showRoutes(family: Family, all: boolean): string {
    return JSON.stringify(
      this.routes
        .filter((r) => r.family === family && (all || r.table === "main"))
        .map((r) => ({
          dst: r.to,
          ...(r.via.length === 1 ? { gateway: r.via[0], dev: r.dev[0] } : r.via.length > 1 ? { nexthops: r.via.map((via, i) => ({ gateway: via, dev: r.dev[i] ?? r.dev[0] })) } : { dev: r.dev[0] }),
          ...(r.connected ? { protocol: "kernel", scope: "link" } : {}),
          ...(r.table !== "main" ? { table: r.table } : {}),
          flags: [],
        })),
    );
  }

  showRules(family: Family): string {
    const fixed = [{ priority: 0, src: "all", table: "local" }, { priority: 32766, src: "all", table: "main" }, ...(family === 4 ? [{ priority: 32767, src: "all", table: "default" }] : [])];
    const added = this.rules
      .filter((r) => r.family === family)
      .map((r) => {
        const [src, len] = r.from.split("/");
        return { priority: r.priority, src, ...(len !== undefined ? { srclen: Number(len) } : {}), table: r.table };
      });
    return JSON.stringify([...fixed, ...added].sort((a, b) => a.priority - b.priority));
  }
}
