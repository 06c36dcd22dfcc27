// The lab's own rules, beyond what the JSON Schema can say. Pure: a lab in, findings out.
import { canonicalAddress } from "../../shared/address.js";
import { closest, formatPath } from "../errors.js";
import { addressesOf } from "./addresses.js";
import { parseTcpEndpoint, type HostPort } from "../../shared/endpoint.js";
import { list } from "../../shared/list.js";
import { contains, formatAddress, gatewayOf, overlaps, parseAddress, parseSubnet, type Address, type Subnet } from "./ip.js";
import { parseDuration } from "../../shared/duration.js";
import type { EndpointSpec, Lab, NodeSpec, SendSpec } from "./types.js";
import { kindOf, type Kinds } from "../expect/registry.js";
import type { Check, EndpointView } from "../expect/kind.js";
import { regexProblem } from "../expect/kinds/output.js";
import type { FaultCheck } from "../faults/kind.js";
import { FAULT_KEYS, FAULT_KINDS, isNodeAction, kindsOf } from "../faults/registry.js";
import { walkFaults } from "../faults/timeline.js";
import { MAX_CAPTURE_LIMIT, MIN_CAPTURE_LIMIT, parseSize } from "../capture/settings.js";
import { SWEEP_FAULT, SWEEP_RESTORE, sweepTimes, validateSweep } from "./sweep.js";

export interface Finding {
  at: (string | number)[];
  message: string;
  hint?: string;
}

const KERNEL_NAMES = /^(lo|eth\d+|sit\d+|tunl\d+|ip6tnl\d+|gre\d+|bond\d+|dummy\d+)$/;

/** Every problem of a lab; `kinds`: the expectation kinds it may state (the registry's; a test may add one). */
export function validateLab(lab: Lab, kinds?: Kinds): Finding[] {
  const findings: Finding[] = [];
  const subnets = validateNetworks(lab, findings);
  const owners = validateNodes(lab, subnets, findings);
  validateRouting(lab, findings);
  validateTraffic(lab, findings);
  validateExpectations(lab, owners, findings, kinds);
  validateFaults(lab, findings);
  validateCapture(lab, findings);
  findings.push(...validateSweep(lab));
  return findings;
}

function validateCapture(lab: Lab, findings: Finding[]): void {
  const settings = lab.settings;
  if (settings?.captureLimit !== undefined) {
    const bytes = parseSize(settings.captureLimit);
    if (bytes === undefined) findings.push({ at: ["settings", "captureLimit"], message: `"${settings.captureLimit}" is not a size`, hint: "bytes as a number, or a size such as 64MB, 1GB, 512MiB" });
    else if (bytes < MIN_CAPTURE_LIMIT)
      findings.push({
        at: ["settings", "captureLimit"],
        message: `${settings.captureLimit} is below the smallest capture ring (2MB)`,
        hint: "tcpdump's ring files are whole megabytes: give at least 2MB",
      });
    else if (bytes > MAX_CAPTURE_LIMIT)
      findings.push({ at: ["settings", "captureLimit"], message: `${settings.captureLimit} is more than 100GB per network`, hint: "a ring that large is a disk filled: give a limit such as 1GB" });
  }
  if (settings?.captureWindow !== undefined && parseDuration(settings.captureWindow) === undefined) {
    findings.push({ at: ["settings", "captureWindow"], message: `"${settings.captureWindow}" is not a duration`, hint: "ms as a number, or a duration such as 2s or 500ms" });
  }
}

/** Each network's subnets by family, as far as they are valid; `invalid` when one was not (and was reported). */
export type NetworkSubnets = Map<string, { v4?: Subnet; v6?: Subnet; invalid?: true }>;

function validateNetworks(lab: Lab, findings: Finding[]): NetworkSubnets {
  const result: NetworkSubnets = new Map();
  const all: { name: string; subnet: Subnet; at: (string | number)[] }[] = [];
  for (const [name, network] of Object.entries(lab.networks)) {
    const at = ["networks", name];
    if (KERNEL_NAMES.test(name)) {
      findings.push({ at, message: `"${name}" is a kernel interface name`, hint: 'network names become interface names inside nodes; pick another, e.g. "lan"' });
    }
    const entry: { v4?: Subnet; v6?: Subnet; invalid?: true } = {};
    const texts = list(network.subnet);
    texts.forEach((text, i) => {
      const subAt = Array.isArray(network.subnet) ? [...at, "subnet", i] : [...at, "subnet"];
      const parsed = parseSubnet(text);
      if (typeof parsed === "string") {
        findings.push({ at: subAt, message: `"${text}" ${parsed}`, hint: "e.g. 198.18.1.0/24 or 2001:2:0:1::/64" });
        entry.invalid = true;
        return;
      }
      const key = parsed.family === 4 ? "v4" : "v6";
      if (entry[key]) {
        findings.push({ at: subAt, message: `a second IPv${parsed.family} subnet`, hint: "a network has one IPv4 subnet and at most one IPv6 subnet" });
        return;
      }
      const maxPrefix = parsed.family === 4 ? 29 : 125;
      if (parsed.prefix > maxPrefix) {
        findings.push({ at: subAt, message: `/${parsed.prefix} is too small for a lab network`, hint: `use /${maxPrefix} or larger (room for Docker's gateway and its own allocation range)` });
        entry.invalid = true;
        return;
      }
      entry[key] = parsed;
      for (const other of all) {
        if (overlaps(other.subnet, parsed)) {
          findings.push({ at: subAt, message: `${parsed.cidr} overlaps ${other.subnet.cidr} of network "${other.name}"`, hint: "give each network its own subnet, e.g. 198.18.1.0/24, 198.18.2.0/24" });
        }
      }
      all.push({ name, subnet: parsed, at: subAt });
    });
    if (
      texts.length > 0 &&
      texts.every((t) => {
        const s = parseSubnet(t);
        return typeof s !== "string" && s.family === 6;
      })
    ) {
      findings.push({ at: [...at, "subnet"], message: "no IPv4 subnet", hint: 'Docker bridge networks always carry IPv4: add one, e.g. subnet: [198.18.1.0/24, "2001:2:0:1::/64"]' });
    }
    result.set(name, entry);
  }
  return result;
}

/** Every valid lab address, mapped to the node that owns it. */
export type Owners = Map<bigint, string>;

function validateNodes(lab: Lab, subnets: NetworkSubnets, findings: Finding[]): Owners {
  const owners: Owners = new Map();
  const ownByNode = new Map<string, Address[]>();
  /** Networks with an address reported as wrong: whose a next hop there is, nobody can tell. */
  const doubtful = new Set<string>();
  for (const [nodeName, node] of Object.entries(lab.nodes)) {
    const own: Address[] = [];
    ownByNode.set(nodeName, own);
    for (const [network, value] of Object.entries(node.interfaces)) {
      const at = ["nodes", nodeName, "interfaces", network];
      const net = subnets.get(network);
      if (!(network in lab.networks)) {
        const near = closest(network, Object.keys(lab.networks));
        // Its addresses are on no known network: any next hop might have been meant as one.
        doubtful.add("*");
        findings.push({
          at,
          message: `no network "${network}" in this lab`,
          hint: near ? `did you mean "${near}"?` : `declare it under networks, or use one of: ${Object.keys(lab.networks).join(", ")}`,
        });
        continue;
      }
      const texts = list(value);
      let hasV4 = false;
      texts.forEach((text, i) => {
        const addrAt = Array.isArray(value) ? [...at, i] : at;
        const address = parseAddress(String(text));
        if (!address) {
          doubtful.add(network);
          findings.push({ at: addrAt, message: `"${text}" is not an IP address`, hint: "write the address alone, without a prefix: the network gives it (e.g. 198.18.1.10)" });
          return;
        }
        const subnet = address.family === 4 ? net?.v4 : net?.v6;
        if (!subnet && address.family === 6 && !net?.invalid) {
          doubtful.add(network);
          findings.push({ at: addrAt, message: `IPv6 address ${text} on network "${network}", which has no IPv6 subnet`, hint: `add an IPv6 subnet to networks.${network}.subnet` });
          return;
        }
        hasV4 ||= address.family === 4;
        // Where the network's subnet is invalid (reported there), the address is still the node's:
        // routes, traffic and expectations that name it must not report it again.
        const problem = subnet && addressProblem(address, subnet);
        if (problem) {
          doubtful.add(network);
          findings.push({ at: addrAt, message: `${text} ${problem.message}`, hint: problem.hint });
          return;
        }
        const owner = owners.get(address.value);
        if (owner !== undefined) {
          doubtful.add(network);
          findings.push({ at: addrAt, message: `${address.text} is already used by node "${owner}"`, hint: "every address in a lab is unique" });
          return;
        }
        owners.set(address.value, nodeName);
        own.push(address);
      });
      if (net?.v4 && texts.length > 0 && !hasV4 && texts.every((t) => parseAddress(String(t)))) {
        findings.push({
          at,
          message: `no IPv4 address on network "${network}"`,
          hint: `Docker gives every interface an IPv4 address; name it so the lab stays exact, e.g. add ${exampleHost(net.v4)}`,
        });
      }
      const hasV6 = texts.some((t) => parseAddress(String(t))?.family === 6);
      if (net?.v6 && texts.length > 0 && !hasV6 && texts.every((t) => parseAddress(String(t)))) {
        findings.push({
          at,
          message: `no IPv6 address on dual-stack network "${network}"`,
          hint: `Docker gives every interface on a dual-stack network an IPv6 address; name it so the lab stays exact, e.g. add "${exampleHost(net.v6)}"`,
        });
      }
    }
  }
  // Next hops are checked once every node's addresses are known: a via names a neighbour.
  for (const [nodeName, node] of Object.entries(lab.nodes)) validateRoutes(lab, nodeName, node, subnets, ownByNode.get(nodeName)!, owners, doubtful, findings);
  return owners;
}

function addressProblem(address: Address, subnet: Subnet): { message: string; hint: string } | undefined {
  if (!contains(subnet, address)) return { message: `is outside the network's subnet ${subnet.cidr}`, hint: `pick an address inside ${subnet.cidr}, e.g. ${exampleHost(subnet)}` };
  if (address.value === subnet.first) return { message: `is the network address of ${subnet.cidr}`, hint: `pick a host address, e.g. ${exampleHost(subnet)}` };
  if (subnet.family === 4 && address.value === subnet.last) return { message: `is the broadcast address of ${subnet.cidr}`, hint: `pick a host address, e.g. ${exampleHost(subnet)}` };
  if (address.value === gatewayOf(subnet).value)
    return { message: `is taken by Docker's gateway (the host's side of the bridge) on ${subnet.cidr}`, hint: `the first host address belongs to Docker; pick another, e.g. ${exampleHost(subnet)}` };
  return undefined;
}

/** A host address to suggest: .10 (or ::10) of the subnet, or its second host where that is outside. */
function exampleHost(subnet: Subnet): string {
  const offset = subnet.family === 4 ? 10n : 16n;
  const value = subnet.first + offset < subnet.last ? subnet.first + offset : subnet.first + 2n;
  return formatAddress(value, subnet.family);
}

function validateRoutes(lab: Lab, nodeName: string, node: NodeSpec, subnets: NetworkSubnets, own: Address[], owners: Owners, doubtful: Set<string>, findings: Finding[]): void {
  const attached = Object.keys(node.interfaces).map((n) => ({ name: n, ...subnets.get(n) }));
  (node.routes ?? []).forEach((route, r) => {
    const at = ["nodes", nodeName, "routes", r];
    let family: 4 | 6 | undefined;
    if (route.to !== "default") {
      const asAddress = parseAddress(route.to);
      const asSubnet = asAddress ?? parseSubnet(route.to);
      if (typeof asSubnet !== "string") family = asSubnet.family;
      else findings.push({ at: [...at, "to"], message: `"${route.to}" ${asSubnet}`, hint: "a CIDR (198.18.2.0/24), one address, or default" });
    }
    const vias = list(route.via);
    if (new Set(vias.map((v) => parseAddress(v)?.text ?? v)).size !== vias.length) findings.push({ at: [...at, "via"], message: "the same next hop twice", hint: "list each next hop once" });
    vias.forEach((via, v) => {
      const viaAt = Array.isArray(route.via) ? [...at, "via", v] : [...at, "via"];
      const address = parseAddress(via);
      if (!address) {
        findings.push({ at: viaAt, message: `"${via}" is not an IP address`, hint: "a next hop is the address of a neighbour on one of the node's networks" });
        return;
      }
      if (family !== undefined && address.family !== family) {
        findings.push({ at: viaAt, message: `next hop ${via} is IPv${address.family} but the destination is IPv${family}`, hint: "use a next hop of the destination's family" });
        return;
      }
      family ??= address.family;
      const onNetwork = attached.find((n) => (address.family === 4 ? n.v4 : n.v6) && contains((address.family === 4 ? n.v4 : n.v6)!, address));
      if (!onNetwork) {
        // A network with an invalid subnet (or an unknown one) was reported already; next hops on it cannot be judged.
        if (attached.some((n) => n.invalid || !n.v4)) return;
        findings.push({
          at: viaAt,
          message: `next hop ${via} is not on a network "${nodeName}" is attached to`,
          hint: `attached: ${attached.map((n) => `${n.name} (${[n.v4?.cidr, n.v6?.cidr].filter(Boolean).join(", ")})`).join("; ")}`,
        });
        return;
      }
      const subnet = (address.family === 4 ? onNetwork.v4 : onNetwork.v6)!;
      if (address.value === gatewayOf(subnet).value) {
        findings.push({ at: viaAt, message: `next hop ${via} is Docker's gateway, the host itself`, hint: "lab traffic stays inside the lab: route through a lab node with forward: true" });
      } else if (own.some((a) => a.value === address.value)) {
        findings.push({ at: viaAt, message: `next hop ${via} is one of "${nodeName}"'s own addresses`, hint: "the next hop is a neighbour's address" });
      } else if (!owners.has(address.value) && !doubtful.has(onNetwork.name) && !doubtful.has("*")) {
        const neighbours = Object.entries(lab.nodes)
          .filter(([name]) => name !== nodeName)
          .flatMap(([name, n]) =>
            addressesOf(n, onNetwork.name)
              .filter((a) => parseAddress(a)?.family === address.family)
              .map((a) => `${a} (${name})`),
          );
        findings.push({
          at: viaAt,
          message: `next hop ${via} is no node's address: nothing in the lab would forward this traffic`,
          hint: `lab traffic never leaves the lab: route via a lab node on network "${onNetwork.name}"${neighbours.length ? `: ${neighbours.join(", ")}` : " (none is there yet: add one with forward: true)"}`,
        });
      }
    });
    if (route.from !== undefined) {
      const from = parseAddress(route.from);
      if (!from || !own.some((a) => a.value === from.value)) {
        findings.push({
          at: [...at, "from"],
          message: `${route.from} is not one of "${nodeName}"'s addresses`,
          hint: `a policy route's source is an own address: ${own.map((a) => a.text).join(", ") || "(none)"}`,
        });
      } else if (family !== undefined && from.family !== family) {
        findings.push({ at: [...at, "from"], message: `source ${route.from} is IPv${from.family} but the route is IPv${family}`, hint: "use a source of the route's family" });
      }
    }
  });
}

// --- dynamic routing (issue 9, point 4) ---

/**
 * `routing:` on a node: one of ospf and frr; OSPF only on the node's own networks, each once,
 * costs only for those; FRR runs in zmqlab's node-frr image, so not with image: or build:. A node
 * that runs OSPF on two networks is a transit router to its neighbours: it must forward, or it
 * would draw traffic into a black hole. (Whether a raw frr.conf exists is checked by the loader.)
 */
function validateRouting(lab: Lab, findings: Finding[]): void {
  for (const [nodeName, node] of Object.entries(lab.nodes)) {
    const routing = node.routing;
    if (routing === undefined) continue;
    const at = ["nodes", nodeName, "routing"];
    if (routing.ospf === undefined && routing.frr === undefined) {
      findings.push({ at, message: "neither ospf nor frr", hint: "routing: { ospf: { networks: [clients, servers] } }, or a raw configuration: routing: { frr: ./frr.conf }" });
    }
    if (routing.ospf !== undefined && routing.frr !== undefined) {
      findings.push({ at: [...at, "frr"], message: "both ospf and frr", hint: "ospf: zmqlab writes FRR's configuration; frr: your own frr.conf. Keep one" });
    }
    for (const key of ["image", "build"] as const) {
      if (node[key] !== undefined) {
        findings.push({
          at: [...at],
          message: `routing with ${key}:`,
          hint: `FRR runs in zmqlab's node-frr image (zmqlab's node image plus Debian's frr); remove ${key}, or drop routing and start your own routing daemon with run:`,
        });
      }
    }
    const ospf = routing.ospf;
    if (ospf === undefined) continue;
    const own = Object.keys(node.interfaces);
    ospf.networks.forEach((network, i) => {
      const nAt = [...at, "ospf", "networks", i];
      if (!own.includes(network)) {
        const near = closest(network, own);
        findings.push({
          at: nAt,
          message: `"${nodeName}" has no interface on network "${network}"`,
          hint: near ? `did you mean "${near}"? OSPF runs on the node's own networks: ${own.join(", ")}` : `OSPF runs on the node's own networks: ${own.join(", ")}`,
        });
      } else if (ospf.networks.indexOf(network) !== i) {
        findings.push({ at: nAt, message: `network "${network}" listed twice`, hint: "list each network once" });
      }
    });
    for (const network of Object.keys(ospf.cost ?? {})) {
      if (!ospf.networks.includes(network)) {
        findings.push({
          at: [...at, "ospf", "cost", network],
          message: `a cost for "${network}", which is not among the OSPF networks`,
          hint: `costs are for the networks OSPF runs on: ${ospf.networks.join(", ")}`,
        });
      }
    }
    const onNetworks = new Set(ospf.networks.filter((n) => own.includes(n)));
    if (onNetworks.size >= 2 && node.forward !== true) {
      findings.push({
        at: [...at, "ospf", "networks"],
        message: `"${nodeName}" runs OSPF on ${onNetworks.size} networks but does not forward`,
        hint: `its neighbours would route through it and their traffic would be dropped: set forward: true on ${nodeName}, or run OSPF on one network`,
      });
    }
  }
}

/** One bind of a node: what it takes (every address for `*`), for finding two that collide. */
interface Bound {
  at: (string | number)[];
  text: string;
  port: string;
  /** `*`, the addresses it binds (an address, or an interface by its network's primary one), or a kernel interface name. */
  takes: "*" | { addresses: string[] } | { kernelName: string };
}

function collide(a: Bound, b: Bound): boolean {
  if (a.port !== b.port) return false;
  if (a.takes === "*" || b.takes === "*") return true;
  if ("kernelName" in a.takes || "kernelName" in b.takes) return "kernelName" in a.takes && "kernelName" in b.takes && a.takes.kernelName === b.takes.kernelName;
  const mine = a.takes.addresses;
  return b.takes.addresses.some((x) => mine.includes(x));
}

function boundBy(node: NodeSpec, host: string): Bound["takes"] {
  if (host === "*") return "*";
  const address = parseAddress(host);
  if (address) return { addresses: [address.text] };
  // libzmq binds an interface's first address (the one Docker assigns: first in the lab file).
  if (host in node.interfaces) return { addresses: addressesOf(node, host).slice(0, 1) };
  return { kernelName: host };
}

function validateTraffic(lab: Lab, findings: Finding[]): void {
  const boundOn = new Map<string, Bound[]>();
  for (const [name, endpoint] of Object.entries(lab.traffic ?? {})) {
    const at = ["traffic", name];
    const node = lab.nodes[endpoint.node];
    if (!node) {
      const near = closest(endpoint.node, Object.keys(lab.nodes));
      findings.push({ at: [...at, "node"], message: `no node "${endpoint.node}" in this lab`, hint: near ? `did you mean "${near}"?` : `one of: ${Object.keys(lab.nodes).join(", ")}` });
      continue;
    }
    const own = new Set(addressesOf(node));
    const interfaces = Object.keys(node.interfaces);
    /** `*` is every address of the node: a bind may take it, a source may not. */
    const hostProblem = (hp: HostPort, wildcardAllowed: boolean): string | undefined => {
      if (hp.host === "*" && wildcardAllowed) return undefined;
      const address = parseAddress(hp.host);
      if (address) return own.has(address.text) ? undefined : `${hp.host} is not an address of node "${endpoint.node}" (${[...own].join(", ")})`;
      if (interfaces.includes(hp.host) || /^eth\d+$/.test(hp.host)) return undefined;
      return `"${hp.host}" is neither an address nor an interface of node "${endpoint.node}" (interfaces: ${interfaces.join(", ")})`;
    };
    const binds = list(endpoint.bind);
    const connects = list(endpoint.connect);
    // A program may declare neither: then it is judged by its exit and output alone.
    if (binds.length === 0 && connects.length === 0 && endpoint.command === undefined) {
      findings.push({ at, message: "neither bind nor connect", hint: "an endpoint binds, connects, or both" });
    }
    binds.forEach((text, i) => {
      const bAt = Array.isArray(endpoint.bind) ? [...at, "bind", i] : [...at, "bind"];
      const parsed = parseTcpEndpoint(text);
      if (typeof parsed === "string") return void findings.push({ at: bAt, message: `"${text}" ${parsed}`, hint: "e.g. tcp://198.18.2.10:5556" });
      if (parsed.source) return void findings.push({ at: bAt, message: "a bind has no source part", hint: "tcp://ADDRESS:PORT" });
      if (parsed.destination.port === "*" || parsed.destination.port === "0")
        return void findings.push({ at: bAt, message: "bind on an ephemeral port", hint: "give a fixed port so that others can connect, e.g. :5556" });
      const problem = hostProblem(parsed.destination, true);
      if (problem) return void findings.push({ at: bAt, message: problem, hint: "bind on one of the node's own addresses, an interface name, or *" });
      const bound: Bound = { at: bAt, text, port: parsed.destination.port, takes: boundBy(node, parsed.destination.host) };
      const earlier = boundOn.get(endpoint.node) ?? [];
      const taken = earlier.find((b) => collide(b, bound));
      if (taken) {
        const wildcard = taken.takes === "*" || bound.takes === "*";
        findings.push({
          at: bAt,
          message: `${text} takes the port that ${formatPath(taken.at)} (${taken.text}) binds on node "${endpoint.node}": the second bind would fail with "Address already in use"`,
          hint: wildcard
            ? `tcp://*:${bound.port} takes port ${bound.port} on every address of the node (IPv4 and IPv6): give one of the two another port`
            : `give one of the two another port, or bind them on different addresses of "${endpoint.node}"`,
        });
      }
      boundOn.set(endpoint.node, [...earlier, bound]);
    });
    connects.forEach((text, i) => {
      const cAt = Array.isArray(endpoint.connect) ? [...at, "connect", i] : [...at, "connect"];
      const parsed = parseTcpEndpoint(text);
      if (typeof parsed === "string")
        return void findings.push({ at: cAt, message: `"${text}" ${parsed}`, hint: "e.g. tcp://198.18.2.10:5556 or, with a chosen source, tcp://198.18.1.11:0;198.18.2.10:5556" });
      if (!parseAddress(parsed.destination.host)) return void findings.push({ at: cAt, message: `destination "${parsed.destination.host}" is not an IP address`, hint: "connect to a lab address" });
      if (parsed.destination.port === "*" || parsed.destination.port === "0") return void findings.push({ at: cAt, message: "connect to an ephemeral port", hint: "name the port the peer binds" });
      if (!parsed.source) return;
      if (parsed.source.port !== "0" && parsed.source.port !== "*") {
        findings.push({ at: cAt, message: `fixed source port ${parsed.source.port}`, hint: "a fixed source port collides with itself on reconnect; use :0" });
      }
      const problem = hostProblem(parsed.source, false);
      if (problem) findings.push({ at: cAt, message: `source ${problem}`, hint: "connect from one of the node's own addresses (or an interface name)" });
      const src = parseAddress(parsed.source.host);
      const dst = parseAddress(parsed.destination.host);
      if (src && dst && src.family !== dst.family)
        findings.push({ at: cAt, message: `source is IPv${src.family} but destination is IPv${dst.family}`, hint: "source and destination are of one family" });
    });
    if (endpoint.socket === undefined || endpoint.command !== undefined) {
      validateProgram(endpoint, at, findings);
      continue;
    }
    if (endpoint.format === "raw" && !RAW_SOCKETS.includes(endpoint.socket)) {
      findings.push({
        at: [...at, "format"],
        message: `format raw is for ${RAW_SOCKETS.join(", ")} sockets`,
        hint: "a raw receiver counts a foreign sender's messages; a raw sender sends plain payloads",
      });
    }
    if (endpoint.subscribe !== undefined && !["sub", "xsub"].includes(endpoint.socket)) {
      findings.push({ at: [...at, "subscribe"], message: `a ${endpoint.socket} socket does not subscribe`, hint: "subscribe is for sub and xsub sockets" });
    }
    if (endpoint.send && ["sub", "pull"].includes(endpoint.socket)) {
      findings.push({ at: [...at, "send"], message: `a ${endpoint.socket} socket cannot send`, hint: "send from pub, xpub, push, req, dealer, router or pair" });
    }
    if (endpoint.send?.topic !== undefined && !["pub", "xpub"].includes(endpoint.socket)) {
      findings.push({ at: [...at, "send", "topic"], message: `topics are for pub and xpub sockets`, hint: "remove topic" });
    }
    if (endpoint.send) validateSend(lab, endpoint.send, [...at, "send"], findings);
  }
}

/** How much a sender sends: a count, or a duration with a rate (or a count to spread); within the traffic bound. */
function validateSend(lab: Lab, send: SendSpec, at: (string | number)[], findings: Finding[]): void {
  if (send.duration === undefined) {
    if (send.count === undefined) findings.push({ at, message: "neither count nor duration", hint: "count: 1000 (that many messages), or rate: 100 with duration: 5s (100 a second for 5 s)" });
    return;
  }
  const ms = parseDuration(send.duration);
  if (ms === undefined || ms <= 0) {
    findings.push({ at: [...at, "duration"], message: `"${send.duration}" is not a duration`, hint: "milliseconds, or 1500ms, 5s, 2m (more than 0)" });
    return;
  }
  if (send.rate === undefined && send.count === undefined) {
    findings.push({
      at: [...at, "duration"],
      message: "a duration needs a rate (or a count to spread over it)",
      hint: `add rate: 100 (messages a second, for ${send.duration}); as fast as possible for a time would flood the receivers`,
    });
    return;
  }
  const bound = lab.settings?.trafficTimeout;
  if (bound !== undefined && ms > bound) {
    findings.push({
      at: [...at, "duration"],
      message: `sends for ${ms} ms, longer than settings.trafficTimeout (${bound} ms), which ends the traffic phase`,
      hint: `raise settings.trafficTimeout above ${ms} (with room for handshakes and linger), or remove it: the default makes room for the longest sender`,
    });
  }
}

const RAW_SOCKETS = ["pub", "xpub", "push", "sub", "xsub", "pull"];
const AGENT_ONLY = ["send", "subscribe", "reply", "format"] as const;

/** A program endpoint: exactly one of socket and command, the agent's keys left out, ready and timeout sound. */
function validateProgram(endpoint: EndpointSpec, at: (string | number)[], findings: Finding[]): void {
  // Called for an endpoint without a socket or with a command: a socket here means both.
  if (endpoint.socket !== undefined) {
    findings.push({ at: [...at, "command"], message: "both socket and command", hint: "socket: zmqlab's agent opens that socket; command: your own program runs. Keep one" });
    return;
  }
  if (endpoint.command === undefined) {
    findings.push({ at, message: "neither socket nor command", hint: "socket: pub (zmqlab's agent), or command: [python3, /app/pub.py] (your own program)" });
    return;
  }
  if (endpoint.command.length === 0) findings.push({ at: [...at, "command"], message: "an empty command", hint: "an argument list: [python3, /app/pub.py, tcp://198.18.2.10:5556]" });
  for (const key of AGENT_ONLY) {
    if (endpoint[key] !== undefined)
      findings.push({ at: [...at, key], message: `${key} is for zmqlab's agent (socket:), not a program`, hint: "a program does its own sending and receiving: pass what it needs in command or env" });
  }
  if (endpoint.ready === "listen" && list(endpoint.bind).length === 0) {
    findings.push({
      at: [...at, "ready"],
      message: "ready: listen but the program declares no bind",
      hint: "declare the bind it listens on (bind: tcp://ADDRESS:PORT), or wait for its output: ready: { output: PATTERN }",
    });
  }
  if (typeof endpoint.ready === "object") {
    const problem = regexProblem(endpoint.ready.output);
    if (problem) findings.push({ at: [...at, "ready", "output"], message: `not a regular expression: ${problem}`, hint: 'a JavaScript regular expression, e.g. "^listening"' });
  }
  if (endpoint.timeout !== undefined && parseDuration(endpoint.timeout) === undefined) {
    findings.push({ at: [...at, "timeout"], message: `"${endpoint.timeout}" is not a duration`, hint: "milliseconds, or 1500ms, 20s, 2m" });
  }
}

/** The lab as an expectation's checks see it, reporting into `findings`. */
function checkFor(lab: Lab, owners: Owners, findings: Finding[]): Check {
  const endpoints = Object.keys(lab.traffic ?? {});
  const nodes = Object.keys(lab.nodes);
  const lookup = (name: string): EndpointView | undefined => {
    const e = lab.traffic?.[name];
    return e
      ? { node: e.node, program: e.command !== undefined, ...(e.socket ? { socket: e.socket } : {}), ...(e.format ? { format: e.format } : {}), bind: list(e.bind), connect: list(e.connect) }
      : undefined;
  };
  const problem = (at: (string | number)[], message: string, hint?: string) => void findings.push({ at, message, ...(hint !== undefined ? { hint } : {}) });
  return {
    lookup,
    endpoint(name, at) {
      const found = lookup(name);
      if (!found) {
        const near = closest(name, endpoints);
        problem(at, `no endpoint "${name}" under traffic`, near ? `did you mean "${near}"?` : `endpoints: ${endpoints.join(", ") || "(none)"}`);
      }
      return found;
    },
    node(name, at) {
      const node = lab.nodes[name];
      if (!node) {
        const near = closest(name, nodes);
        problem(at, `no node "${name}" in this lab`, near ? `did you mean "${near}"?` : `nodes: ${nodes.join(", ")}`);
        return undefined;
      }
      return { forward: node.forward === true };
    },
    address(text, at) {
      const a = parseAddress(text);
      if (!a) problem(at, `"${text}" is not an IP address`, "e.g. 198.18.1.10");
      else if (!owners.has(a.value)) problem(at, `${text} is not an address of any node in this lab`, "name an address declared under nodes.*.interfaces");
    },
    isAddress: (text) => parseAddress(text) !== undefined,
    problem,
  };
}

/**
 * Each expectation: the checks every kind gets (the endpoint it names, of the kind it reads; its
 * phase: the faults named, one phase, in time order), then its kind's own.
 */
function validateExpectations(lab: Lab, owners: Owners, findings: Finding[], kinds?: Kinds): void {
  const check = checkFor(lab, owners, findings);
  const faults = new Map(Object.entries(lab.faults ?? {}).map(([name, f]) => [name, parseDuration(f.at)]));
  const names = [...faults.keys()];
  // The sweep's failure (and its undoing) is a fault of every run of `zmqlab sweep`, and of a plain run as a marker.
  for (const [name, ms] of Object.entries(sweepTimes(lab))) faults.set(name, ms);
  const needFault = (name: string, at: (string | number)[]) => {
    if (faults.has(name)) return;
    if (name === SWEEP_RESTORE) return void findings.push({ at, message: `${SWEEP_RESTORE} happens only with a restore`, hint: "say how long after the failure it is undone: sweep: { restore: 3s }" });
    // A sweep without a time is reported once, by the sweep's own rules.
    if (name === SWEEP_FAULT) return;
    const near = closest(name, [...names, SWEEP_FAULT]);
    findings.push({
      at,
      message: `no fault "${name}" in this lab`,
      hint: near ? `did you mean "${near}"?` : names.length ? `faults: ${names.join(", ")}` : "declare it under faults: (e.g. faults: { cut: { at: 2s, node: r1, network: servers, action: down } })",
    });
  };
  (lab.expect ?? []).forEach((spec, i) => {
    const { kind, body } = kindOf(spec, kinds);
    const at = ["expect", i, kind.kind];
    const needs = kind.needs?.endpoint;
    if (needs) {
      const name = String(body["endpoint"] ?? "");
      const endpoint = check.endpoint(name, [...at, "endpoint"]);
      // An endpoint with neither socket nor command is reported where it is declared.
      const wrong = needs.of === "program" ? endpoint?.socket !== undefined && !endpoint.program : endpoint?.program === true;
      if (endpoint && wrong) {
        findings.push({ at: [...at, "endpoint"], message: needs.of === "program" ? `endpoint "${name}" is zmqlab's agent, not a program` : `endpoint "${name}" is a program`, hint: needs.hint });
      }
    }
    const given = (["before", "after", "between"] as const).filter((k) => body[k] !== undefined);
    if (kind.timed) {
      for (const k of given.filter((g) => g !== "after"))
        findings.push({ at: [...at, k], message: `${kind.kind} takes no ${k}`, hint: `${kind.kind} is judged from its fault on: after: FAULT names it` });
    } else if (given.length > 1) {
      findings.push({ at, message: `${given.join(" and ")} together`, hint: "one phase per expectation: before: F, after: F or between: [F, G]" });
    }
    if (body.before !== undefined) needFault(body.before, [...at, "before"]);
    if (body.after !== undefined) needFault(body.after, [...at, "after"]);
    if (body.between !== undefined) {
      const [first, second] = body.between;
      needFault(first, [...at, "between", 0]);
      needFault(second, [...at, "between", 1]);
      const [a, b] = [faults.get(first), faults.get(second)];
      if (first === second) findings.push({ at: [...at, "between"], message: `between names ${first} twice`, hint: "two faults: the phase runs from the first to the second" });
      else if (a !== undefined && b !== undefined && a >= b)
        findings.push({
          at: [...at, "between"],
          message: `${first} (at ${a} ms) is not before ${second} (at ${b} ms)`,
          hint: `name the earlier fault first: between: [${a > b ? `${second}, ${first}` : `${first}, ${second}`}]${a === b ? " (or give them different times)" : ""}`,
        });
    }
    kind.validate?.(body as never, check, at);
  });
}

// --- faults (issue 9) ---

/**
 * Each fault on its own (its time; one kind; the target its kind acts on: a node, a node's
 * interface, node sets, the whole lab; its kind's checks of its value), then the timeline as a
 * whole, each kind saying whether it can happen then.
 */
function validateFaults(lab: Lab, findings: Finding[]): void {
  const nodes = Object.keys(lab.nodes);
  const trafficTimeout = lab.settings?.trafficTimeout ?? 60000;
  const check: FaultCheck = {
    node(name, at) {
      if (lab.nodes[name]) return true;
      const near = closest(name, nodes);
      findings.push({ at, message: `no node "${name}" in this lab`, hint: near ? `did you mean "${near}"?` : `nodes: ${nodes.join(", ")}` });
      return false;
    },
    problem: (at, message, hint) => void findings.push({ at, message, hint }),
  };
  for (const [name, spec] of Object.entries(lab.faults ?? {})) {
    const at = ["faults", name];
    const atMs = parseDuration(spec.at);
    if (atMs === undefined) findings.push({ at: [...at, "at"], message: `"${spec.at}" is not a duration`, hint: "ms since time 0, when the senders are released (a number), or 1500ms, 2s" });
    else if (atMs >= trafficTimeout)
      findings.push({
        at: [...at, "at"],
        message: `${atMs} ms is past the traffic phase's bound (settings.trafficTimeout, ${trafficTimeout} ms)`,
        hint: "raise settings.trafficTimeout, or move the fault earlier",
      });
    const kinds = kindsOf(spec);
    const stated = FAULT_KEYS.filter((k) => spec[k] !== undefined);
    if (stated.length === 0) {
      findings.push({ at, message: "a fault that does nothing", hint: `give exactly one of ${FAULT_KEYS.join(", ")}, e.g. action: stop` });
      continue;
    }
    if (stated.length > 1) {
      findings.push({ at: [...at, stated[1]!], message: `both ${stated[0]} and ${stated[1]} in one fault`, hint: "one fault does one thing: split it into two faults (they may have the same time)" });
      continue;
    }
    const kind = kinds[0];
    if (!kind) {
      findings.push({
        at: [...at, "action"],
        message: `unknown action "${spec.action}"`,
        hint: FAULT_KINDS.filter((k) => k.written === "action")
          .map((k) => k.kind)
          .join(", "),
      });
      continue;
    }
    const needsNode = kind.target === "node" || kind.target === "interface";
    const needsNetwork = kind.target === "interface";
    const what = kind.written === "action" ? `action ${kind.kind}` : kind.kind;
    if (needsNode && spec.node === undefined)
      findings.push({ at, message: `${what} without a node`, hint: needsNetwork ? "name the node and its network: node: r1, network: servers" : "name the node: node: r1" });
    if (!needsNode && spec.node !== undefined)
      findings.push({
        at: [...at, "node"],
        message: `${what} takes no node`,
        hint: kind.target === "sets" ? "a partition names its node sets: partition: [[a, b], [c]]" : "heal ends the partition in force on every node it touched",
      });
    if (needsNetwork && spec.network === undefined && spec.node !== undefined)
      findings.push({ at, message: `${what} without a network`, hint: `name the interface by its network: network: ${Object.keys(lab.nodes[spec.node]?.interfaces ?? {})[0] ?? "NAME"}` });
    if (!needsNetwork && spec.network !== undefined)
      findings.push({
        at: [...at, "network"],
        message: `${what} takes no network`,
        hint: isNodeAction(kind.kind) ? "a node action acts on the whole node; for one interface use action: down / up" : "remove network",
      });
    if (spec.node !== undefined && needsNode && check.node(spec.node, [...at, "node"]) && needsNetwork && spec.network !== undefined) {
      const own = Object.keys(lab.nodes[spec.node]!.interfaces);
      if (!own.includes(spec.network)) {
        const near = closest(spec.network, own);
        findings.push({ at: [...at, "network"], message: `node "${spec.node}" is not on network "${spec.network}"`, hint: near ? `did you mean "${near}"?` : `its networks: ${own.join(", ")}` });
      }
    }
    kind.validate?.(spec, check, at);
  }
  for (const step of walkFaults(lab)) {
    if (step.problem) findings.push({ at: ["faults", step.name, step.problem.key], message: step.problem.message, hint: step.problem.hint });
  }
}
