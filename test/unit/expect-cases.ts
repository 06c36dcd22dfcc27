// Hand-made observations for every verdict path of every expectation kind. Shared by
// expect-verdicts.test.ts, which pins each result field by field. Not a test file itself.
import type { Observations } from "../../controller/expect/index.js";
import type { ExpectationSpec } from "../../controller/lab/types.js";
import type { FlowCount } from "../../controller/observe/flows.js";
import type { EndpointReport, NoHandshake } from "../../controller/traffic/types.js";

export function endpoint(name: string, node: string, fields: Partial<EndpointReport> = {}): EndpointReport {
  return { name, node, socket: "sub", bind: [], connect: [], sent: 0, received: 0, from: {}, gaps: 0, duplicates: 0, reordered: 0, peers: [], handshakes: [], noHandshake: [], errors: [], ...fields };
}

export const flow = (from: string, to: string, packets: number): FlowCount => ({ from, to, packets, bytes: packets * 60 });

export function observations(endpoints: EndpointReport[], flows: Record<string, FlowCount[]> = {}, addresses: Record<string, string[]> = {}): Observations {
  return { traffic: { lab: "unit", started: "2025-01-01T00:00:00.000Z", durationMs: 1000, clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 }, endpoints }, flows, addresses };
}

export const peer = (address: string, local = "198.18.2.10:5556") => ({ local, address, port: 40000 });

export function noHandshake(source: string | undefined, destination: string, message: string, afterMs = 2000): NoHandshake {
  return { connect: `tcp://${source ?? "x"}:0;${destination}`, ...(source !== undefined ? { source } : {}), destination, afterMs, nodeAddresses: [], message };
}

export interface Case {
  name: string;
  spec: ExpectationSpec;
  observations: Observations;
}

// A receiver that heard 2 from "a" and 1 from "b": asymmetric, so a swapped count shows.
const mixed = endpoint("s", "client", { received: 3, from: { a: 2, b: 1 }, connect: ["tcp://198.18.1.10:0;198.18.2.10:1"], handshakes: ["tcp://198.18.1.10:0;198.18.2.10:1"] });
const silentConnected = endpoint("s", "client", {
  connect: ["tcp://198.18.1.10:0;198.18.2.10:1", "tcp://198.18.1.11:0;198.18.2.10:1"],
  handshakes: ["tcp://198.18.1.10:0;198.18.2.10:1", "tcp://198.18.1.11:0;198.18.2.10:1"],
});
const halfConnected = endpoint("s", "client", { connect: ["tcp://198.18.1.10:0;198.18.2.10:1", "tcp://198.18.1.11:0;198.18.2.10:1"], handshakes: ["tcp://198.18.1.10:0;198.18.2.10:1"] });
const troubled = endpoint("s", "client", {
  received: 1,
  from: { a: 1 },
  connect: ["tcp://198.18.1.10:0;198.18.2.10:1"],
  noHandshake: [noHandshake("198.18.1.10", "198.18.2.10:1", "no handshake from 198.18.1.10")],
  errors: ["socket error EADDRNOTAVAIL"],
});
const lossy = endpoint("s", "client", { received: 8, from: { a: 8 }, gaps: 2, duplicates: 1 });
const oneDup = endpoint("s", "client", { received: 1, from: { a: 1 }, gaps: 1, duplicates: 2 });

export const deliveredCases: Case[] = [
  { name: "exactly, from one of two senders", spec: { delivered: { endpoint: "s", count: 2, from: "a" } }, observations: observations([mixed]) },
  { name: "exactly, counting all senders", spec: { delivered: { endpoint: "s", count: 3 } }, observations: observations([mixed]) },
  { name: "exactly, one too many", spec: { delivered: { endpoint: "s", count: 2 } }, observations: observations([mixed]) },
  { name: "exactly one message", spec: { delivered: { endpoint: "s", count: 1, from: "b" } }, observations: observations([mixed]) },
  { name: "at least, exactly reached", spec: { delivered: { endpoint: "s", atLeast: 3 } }, observations: observations([mixed]) },
  { name: "at least, one short", spec: { delivered: { endpoint: "s", atLeast: 4 } }, observations: observations([mixed]) },
  { name: "at least one (the default), none came", spec: { delivered: { endpoint: "s" } }, observations: observations([endpoint("s", "client")]) },
  { name: "at least one (the default), one came", spec: { delivered: { endpoint: "s", from: "b" } }, observations: observations([mixed]) },
  { name: "at least 1 message, said once", spec: { delivered: { endpoint: "s", atLeast: 1 } }, observations: observations([mixed]) },
  { name: "from a sender that sent nothing here", spec: { delivered: { endpoint: "s", count: 2, from: "c" } }, observations: observations([mixed]) },
  { name: "from the only sender: no total", spec: { delivered: { endpoint: "s", count: 8, from: "a", allowGaps: true } }, observations: observations([lossy]) },
  { name: "every connect shook hands, nothing came", spec: { delivered: { endpoint: "s", count: 5 } }, observations: observations([silentConnected]) },
  { name: "one connect of two shook hands, nothing came", spec: { delivered: { endpoint: "s", count: 5 } }, observations: observations([halfConnected]) },
  { name: "the endpoint's own failures are the causes", spec: { delivered: { endpoint: "s", count: 5, from: "a" } }, observations: observations([troubled]) },
  { name: "gaps and duplicates fail", spec: { delivered: { endpoint: "s", atLeast: 8 } }, observations: observations([lossy]) },
  { name: "gaps and duplicates allowed", spec: { delivered: { endpoint: "s", atLeast: 8, allowGaps: true } }, observations: observations([lossy]) },
  { name: "a count, a gap and duplicates at once", spec: { delivered: { endpoint: "s", count: 2 } }, observations: observations([oneDup]) },
  { name: "no such endpoint", spec: { delivered: { endpoint: "nope", count: 1, from: "a" } }, observations: observations([mixed]) },
];

const bound = (name: string, node: string, addresses: string[], bind = ["tcp://198.18.2.10:5556"]) => endpoint(name, node, { socket: "pub", bind, peers: addresses.map((a) => peer(a)) });

export const sourceSeenCases: Case[] = [
  {
    name: "both sources, only",
    spec: { sourceSeen: { endpoint: "q", source: ["198.18.1.11", "198.18.1.10"], only: true } },
    observations: observations([bound("q", "server", ["198.18.1.11", "198.18.1.10", "198.18.1.10"])]),
  },
  {
    name: "one source, IPv4-mapped, others allowed",
    spec: { sourceSeen: { endpoint: "q", source: "198.18.1.10" } },
    observations: observations([bound("q", "server", ["::FFFF:198.18.1.10", "198.18.1.12"])]),
  },
  {
    name: "one extra source with only",
    spec: { sourceSeen: { endpoint: "q", source: "198.18.1.10", only: true } },
    observations: observations([bound("q", "server", ["198.18.1.10", "198.18.1.12"])]),
  },
  {
    name: "two extra sources with only",
    spec: { sourceSeen: { endpoint: "q", source: "198.18.1.10", only: true } },
    observations: observations([bound("q", "server", ["198.18.1.13", "198.18.1.10", "198.18.1.12"])]),
  },
  {
    name: "one of two missing, its failed connect named",
    spec: { sourceSeen: { endpoint: "q", source: ["198.18.1.10", "198.18.1.11"] } },
    observations: observations([
      bound("q", "server", ["198.18.1.10"]),
      endpoint("c", "client", {
        noHandshake: [
          noHandshake("::ffff:198.18.1.11", "198.18.2.10:5556", "c: 198.18.1.11 is not an address of client"),
          noHandshake("198.18.1.12", "198.18.2.10:5556", "c: unrelated"),
          noHandshake(undefined, "198.18.2.10:5556", "c: no source given"),
        ],
      }),
    ]),
  },
  {
    name: "two missing, none seen",
    spec: { sourceSeen: { endpoint: "q", source: ["198.18.1.10", "198.18.1.11", "198.18.1.12", "198.18.1.13"], only: true } },
    observations: observations([bound("q", "server", [], ["tcp://198.18.2.10:5556", "tcp://198.18.3.10:5556"])]),
  },
  {
    name: "seen two, one of them not wanted, one wanted missing",
    spec: { sourceSeen: { endpoint: "q", source: ["198.18.1.10", "198.18.1.11"], only: true } },
    observations: observations([bound("q", "server", ["198.18.1.10", "198.18.1.12"])]),
  },
  { name: "an endpoint that binds nothing", spec: { sourceSeen: { endpoint: "c", source: "198.18.2.10" } }, observations: observations([endpoint("c", "client", { peers: [peer("198.18.2.10")] })]) },
  {
    name: "IPv6 sources sorted after IPv4",
    spec: { sourceSeen: { endpoint: "q", source: ["2001:db8::10", "198.18.1.10"] } },
    observations: observations([bound("q", "server", ["2001:DB8::10", "2001:db8::9", "198.18.1.10", "198.18.1.9"])]),
  },
  { name: "no such endpoint", spec: { sourceSeen: { endpoint: "nope", source: "198.18.1.10" } }, observations: observations([]) },
];

export const pathCases: Case[] = [
  {
    name: "via r1, not r2",
    spec: { path: { from: "198.18.1.10", to: "198.18.2.10", via: "r1", not: "r2" } },
    observations: observations([], {
      r1: [flow("198.18.1.10", "198.18.2.10", 3), flow("198.18.1.10", "198.18.2.10", 2), flow("198.18.2.10", "198.18.1.10", 9), flow("198.18.1.10", "198.18.2.11", 4)],
      r2: [flow("198.18.1.11", "198.18.2.10", 6)],
    }),
  },
  { name: "via r1 with no not", spec: { path: { from: "::ffff:198.18.1.10", to: "198.18.2.10", via: "r1" } }, observations: observations([], { r1: [flow("198.18.1.10", "::ffff:198.18.2.10", 1)] }) },
  {
    name: "crossed the other one",
    spec: { path: { from: "198.18.1.10", to: "198.18.2.10", via: "r1", not: ["r2", "r3"] } },
    observations: observations([], { r1: [], r2: [flow("198.18.1.10", "198.18.2.10", 1)], r3: [flow("198.18.1.10", "198.18.2.10", 2)] }),
  },
  {
    name: "crossed both",
    spec: { path: { from: "198.18.1.10", to: "198.18.2.10", via: "r1", not: ["r2", "r3"] } },
    observations: observations([], { r1: [flow("198.18.1.10", "198.18.2.10", 1)], r2: [], r3: [flow("198.18.1.10", "198.18.2.10", 2)] }),
  },
  {
    name: "crossed one not named",
    spec: { path: { from: "198.18.1.10", to: "198.18.2.10", via: "r1", not: "r2" } },
    observations: observations([], { r1: [], r2: [], r3: [flow("198.18.1.10", "198.18.2.10", 1)] }),
  },
  {
    name: "crossed nothing",
    spec: { path: { from: "198.18.1.10", to: "198.18.2.10", via: "r1", not: ["r2", "r3"] } },
    observations: observations([], { r1: [], r2: [flow("198.18.1.11", "198.18.2.10", 5)], r3: [] }),
  },
  { name: "crossed nothing, no not", spec: { path: { from: "198.18.1.10", to: "198.18.2.10", via: "r1" } }, observations: observations([], { r1: [] }) },
  {
    name: "via a node without counters",
    spec: { path: { from: "198.18.1.10", to: "198.18.2.10", via: "server", not: "r2" } },
    observations: observations([], { r1: [flow("198.18.1.10", "198.18.2.10", 5)], r2: [] }),
  },
  {
    name: "to a virtual address, translated",
    spec: { path: { from: "198.18.20.10", to: "198.18.20.100", via: "lb" } },
    observations: observations(
      [],
      { lb: [flow("198.18.20.10", "198.18.21.10", 7), flow("198.18.20.10", "198.18.21.12", 0), flow("198.18.20.11", "198.18.21.11", 5)], r9: [flow("198.18.20.10", "198.18.21.10", 3)] },
      { lb: ["198.18.20.2", "198.18.20.100"], r9: ["198.18.21.1"], b1: ["198.18.21.10"] },
    ),
  },
  {
    name: "to a virtual address, another source",
    spec: { path: { from: "198.18.20.12", to: "198.18.20.100", via: "lb" } },
    observations: observations([], { lb: [flow("198.18.20.10", "198.18.21.10", 7)] }, { lb: ["198.18.20.100"] }),
  },
];

export const unreachableCases: Case[] = [
  {
    name: "no handshake on two connects",
    spec: { unreachable: { endpoint: "w" } },
    observations: observations([
      endpoint("w", "client", {
        connect: ["tcp://198.18.1.10:0;198.18.2.11:5556", "tcp://198.18.2.12:5556"],
        noHandshake: [noHandshake("198.18.1.10", "198.18.2.11:5556", "first", 2000), noHandshake(undefined, "198.18.2.12:5556", "second", 3000)],
      }),
    ]),
  },
  {
    name: "handshake completed, nothing received",
    spec: { unreachable: { endpoint: "w" } },
    observations: observations([
      endpoint("w", "client", {
        connect: ["tcp://198.18.1.10:0;198.18.2.11:5556"],
        handshakes: ["tcp://198.18.1.10:0;198.18.2.11:5556"],
        noHandshake: [noHandshake("198.18.1.11", "198.18.2.11:5556", "other")],
      }),
    ]),
  },
  {
    name: "handshake completed, messages received",
    spec: { unreachable: { endpoint: "w" } },
    observations: observations([endpoint("w", "client", { connect: ["tcp://a:1", "tcp://b:2"], handshakes: ["tcp://a:1", "tcp://b:2"], received: 4 })]),
  },
  { name: "no result at all", spec: { unreachable: { endpoint: "w" } }, observations: observations([endpoint("w", "client", { connect: ["tcp://a:1"] })]) },
  { name: "no result, with errors", spec: { unreachable: { endpoint: "w" } }, observations: observations([endpoint("w", "client", { errors: ["e1", "e2"] })]) },
  { name: "no such endpoint", spec: { unreachable: { endpoint: "nope" } }, observations: observations([endpoint("w", "client", { connect: ["tcp://a:1"] })]) },
];

const src = ["198.18.3.10", "198.18.3.11", "198.18.3.12"];
export const balancedCases: Case[] = [
  {
    name: "routers, 2 and 1",
    spec: { balanced: { sources: src, to: "198.18.4.10", over: ["r1", "r2"] } },
    observations: observations([], {
      r1: [flow("198.18.3.10", "198.18.4.10", 4), flow("198.18.3.12", "198.18.4.10", 1), flow("198.18.3.11", "198.18.4.11", 4)],
      r2: [flow("198.18.3.11", "198.18.4.10", 4), flow("198.18.4.10", "198.18.3.10", 4)],
    }),
  },
  {
    name: "routers, one source each, one router",
    spec: { balanced: { sources: ["198.18.3.10"], to: "198.18.4.10", over: ["r1"] } },
    observations: observations([], { r1: [flow("198.18.3.10", "198.18.4.10", 1)] }),
  },
  {
    name: "routers, as mapped and not",
    spec: { balanced: { sources: src, to: "198.18.4.10", over: ["r1", "r2", "r3"], mapping: { "198.18.3.10": "r1", "::ffff:198.18.3.11": "r1", "198.18.3.12": "r3" } } },
    observations: observations([], { r1: [flow("198.18.3.10", "198.18.4.10", 4)], r2: [flow("198.18.3.11", "198.18.4.10", 4)], r3: [flow("198.18.3.12", "198.18.4.10", 0)] }),
  },
  {
    name: "routers, as mapped",
    spec: { balanced: { sources: src, to: "198.18.4.10", over: ["r1", "r2"], mapping: { "198.18.3.10": "r1", "198.18.3.11": "r2", "198.18.3.12": "r1" } } },
    observations: observations([], { r1: [flow("198.18.3.10", "198.18.4.10", 4), flow("198.18.3.12", "198.18.4.10", 4)], r2: [flow("198.18.3.11", "198.18.4.10", 4)] }),
  },
  {
    name: "routers, split and idle",
    spec: { balanced: { sources: src, to: "198.18.4.10", over: ["r1", "r2", "r3"] } },
    observations: observations([], {
      r1: [flow("198.18.3.10", "198.18.4.10", 4), flow("198.18.3.11", "198.18.4.10", 1), flow("198.18.3.12", "198.18.4.10", 1)],
      r2: [flow("198.18.3.11", "198.18.4.10", 4), flow("198.18.3.12", "198.18.4.10", 1)],
      r3: [],
    }),
  },
  {
    name: "through a balancer's virtual address, counted on routers behind it",
    spec: { balanced: { sources: src, to: "198.18.20.100", over: ["r1", "r2"] } },
    observations: observations(
      [],
      {
        lb: [flow("198.18.3.10", "198.18.21.10", 3), flow("198.18.3.11", "198.18.21.11", 3), flow("198.18.3.12", "198.18.21.10", 3)],
        r1: [flow("198.18.3.10", "198.18.21.10", 3), flow("198.18.3.12", "198.18.21.10", 3)],
        r2: [flow("198.18.3.11", "198.18.21.11", 3)],
      },
      { lb: ["198.18.20.100"] },
    ),
  },
  {
    name: "backends, 2 and 1",
    spec: { balanced: { sources: src, to: "198.18.20.100", over: ["b1", "b2"] } },
    observations: observations([bound("p1", "b1", ["198.18.3.10", "198.18.3.12"]), bound("p2", "b2", ["::ffff:198.18.3.11"]), bound("p3", "b3", ["198.18.3.10"])]),
  },
  {
    name: "backend and router mixed",
    spec: { balanced: { sources: src, to: "198.18.20.100", over: ["b1", "r2"] } },
    observations: observations([bound("p1", "b1", ["198.18.3.10", "198.18.3.12"])], { r2: [flow("198.18.3.11", "198.18.20.100", 2)] }),
  },
  {
    name: "backends behind SNAT",
    spec: { balanced: { sources: src, to: "198.18.20.100", over: ["b1", "b2"] } },
    observations: observations([bound("p1", "b1", ["198.18.21.2"]), bound("p2", "b2", ["198.18.21.2", "198.18.21.3"])]),
  },
  {
    name: "one backend took some sources, another saw a rewritten one",
    spec: { balanced: { sources: src, to: "198.18.20.100", over: ["b1", "b2"] } },
    observations: observations([bound("p1", "b1", ["198.18.3.10", "198.18.3.11"]), bound("p2", "b2", ["198.18.21.2"])]),
  },
  {
    name: "every source landed but a backend also saw a stranger",
    spec: { balanced: { sources: src, to: "198.18.20.100", over: ["b1", "b2"] } },
    observations: observations([bound("p1", "b1", ["198.18.3.10", "198.18.3.11", "198.18.9.9"]), bound("p2", "b2", ["198.18.3.12"])]),
  },
  {
    name: "a source went nowhere, a busy backend saw a stranger",
    spec: { balanced: { sources: src, to: "198.18.20.100", over: ["b1", "b2"] } },
    observations: observations([bound("p1", "b1", ["198.18.3.10", "198.18.9.9"]), bound("p2", "b2", ["198.18.3.12"])]),
  },
];
