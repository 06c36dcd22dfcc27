// ZeroMQ traffic in lab nodes on the real engine: every socket pair delivers exactly what was
// sent, and the binding side's kernel shows the source each connect chose.
import t from "tap";
import { up, type EndpointReport, type TrafficReport } from "../../controller/index.js";
import { jobsFor, runTraffic, startAgent, type AgentEvent } from "../../controller/advanced.js";

const endpoint = (report: TrafficReport, name: string): EndpointReport => report.endpoints.find((e) => e.name === name)!;
const peersOf = (report: TrafficReport, name: string) => [...new Set(endpoint(report, name).peers.map((p) => p.address))].sort();

t.test("every socket type, several binds and connects, sources by address, interface name and IPv6", async (t) => {
  const lab = await up("test/fixtures/sockets");
  t.teardown(() => lab.down());
  const report = await runTraffic(lab);
  const delivered: [string, Record<string, number>][] = [
    ["sub-a", { quotes: 500 }],
    ["sub-b", { quotes: 500 }],
    ["by-name", { ticks: 300 }],
    ["worker", { work: 300 }],
    ["service", { asker: 100 }],
    ["asker", { service: 100 }],
    ["hub", { dealer: 200 }],
    ["dealer", { hub: 200 }],
    ["pair-s", { "pair-c": 100 }],
    ["pair-c", { "pair-s": 100 }],
    ["sub6", { quotes6: 200 }],
    ["collector", { "push-a": 100, "push-b": 100 }],
    ["both", { quotes: 500, quotes6: 200 }],
    ["by-iface", { "to-iface": 50 }],
  ];
  for (const [name, from] of delivered) {
    const e = endpoint(report, name);
    t.same(e.from, from, `${name} (${e.socket}) received exactly what was sent`);
    t.same([e.gaps, e.duplicates, e.reordered], [0, 0, 0], `${name}: no gaps, duplicates or reordering`);
  }
  t.same(peersOf(report, "quotes"), ["198.18.40.10", "198.18.40.11", "198.18.40.12"], "the pub's kernel saw each subscriber's chosen source");
  t.same(peersOf(report, "ticks"), ["198.18.40.10"], "a source given as the network's interface name uses its primary address");
  t.same(peersOf(report, "work"), ["198.18.40.10"], "a source given as the kernel's interface name too");
  t.same(peersOf(report, "quotes6"), ["2001:2:0:40::10", "2001:2:0:40::11"], "IPv6 sources, as chosen");
  t.same(peersOf(report, "collector"), ["198.18.40.12", "2001:2:0:40::10"], "a socket bound twice sees both families");
  t.same(peersOf(report, "service"), ["198.18.40.12"]);
  t.same(peersOf(report, "by-iface"), ["198.18.40.11"], "a bind on an interface (by its network's name) accepts, and its kernel shows the source");
  t.same(peersOf(report, "hub"), ["198.18.40.11"]);
  t.equal(report.endpoints.flatMap((e) => e.noHandshake).length, 0, "every connect completed its handshake");
});

t.test("source-ip: the server sees exactly the two client sources; wrong-ip gets nothing", async (t) => {
  const lab = await up("labs/source-ip");
  t.teardown(() => lab.down());
  const report = await runTraffic(lab);
  t.same(endpoint(report, "via-r1").from, { quotes: 1000 }, "via-r1 got all 1000");
  t.same(endpoint(report, "via-r2").from, { quotes: 1000 }, "via-r2 got all 1000");
  t.equal(endpoint(report, "wrong-ip").received, 0, "wrong-ip received nothing");
  t.same(peersOf(report, "quotes"), ["198.18.1.10", "198.18.1.11"], "the server's kernel shows peers .10 and .11 and nothing else");
  t.match(endpoint(report, "wrong-ip").noHandshake[0]?.message ?? "", /no ZeroMQ handshake with 198\.18\.2\.11:5556 from 198\.18\.1\.10/);
  t.equal(endpoint(report, "wrong-ip").noHandshake[0]?.route, "the node sends it via 198.18.1.2 on clients (table 100)", "says how the client's kernel routes it (its policy table)");

  // Take the source address away by hand: the connect from it must be reported, not hang.
  const del = await lab.node("client").exec(["ip", "addr", "del", "198.18.1.11/24", "dev", "clients"]);
  t.equal(del.exitCode, 0, "removed 198.18.1.11 from the client");
  const broken = await runTraffic(lab);
  const viaR2 = endpoint(broken, "via-r2");
  t.equal(viaR2.received, 0, "nothing arrives from a source the node does not own");
  t.match(viaR2.noHandshake[0]?.message ?? "", /source 198\.18\.1\.11 is not an address of client \(it has 198\.18\.1\.10 \(clients\)\)/, "the report names the source and the node's real addresses");
  t.same(endpoint(broken, "via-r1").from, { quotes: 1000 }, "the other subscriber is unaffected");
});

t.test("after the server's agent restarts, the subscriber reconnects from the same source", async (t) => {
  const lab = await up("labs/source-ip");
  t.teardown(() => lab.down());
  const jobs = await jobsFor(lab);
  const server = jobs.find((j) => j.node === "server")!;
  const client = jobs.find((j) => j.node === "client")!;
  const subscriber = { ...client, endpoints: client.endpoints.filter((e) => e.name === "via-r1"), deadline: 60000 };
  const publisher = { ...server, endpoints: server.endpoints.map((e) => ({ ...e, send: { ...e.send!, count: 10 }, expectPeers: 1 })), deadline: 30000 };

  const handshakes: AgentEvent[] = [];
  const sub = await startAgent(lab, subscriber);
  sub.onEvent((e) => e.type === "handshake" && handshakes.push(e));
  const waitFor = async (what: () => boolean) => {
    for (let i = 0; i < 300 && !what(); i++) await new Promise((r) => setTimeout(r, 50));
  };

  const first = await startAgent(lab, publisher);
  await waitFor(() => first.events.some((e) => e.type === "sent"));
  first.stop();
  await first.finished;
  const firstPeers = (first.events.find((e) => e.type === "final") as Extract<AgentEvent, { type: "final" }>).result.peers;

  const second = await startAgent(lab, publisher);
  await waitFor(() => second.events.some((e) => e.type === "sent"));
  await new Promise((r) => setTimeout(r, 300));
  second.stop();
  await second.finished;
  const secondPeers = (second.events.find((e) => e.type === "final") as Extract<AgentEvent, { type: "final" }>).result.peers;
  sub.stop();
  await sub.finished;

  t.ok(handshakes.length >= 2, `the subscriber completed a handshake with each server agent (${handshakes.length})`);
  t.same([...new Set(firstPeers.map((p) => p.address))], ["198.18.1.10"], "first server saw 198.18.1.10");
  t.same([...new Set(secondPeers.map((p) => p.address))], ["198.18.1.10"], "the restarted server saw the same source again");
  const final = sub.events.find((e) => e.type === "final") as Extract<AgentEvent, { type: "final" }>;
  t.equal(final.result.from.quotes, 20, "messages from both server runs arrived");
});
