// Every expectation kind judged from hand-made observations: what passes, what fails, and that
// a failure's message points at the cause.
import t from "tap";
import { balanced, delivered, evaluate, path, sourceSeen, unreachable, type Observations } from "../../controller/expect/index.js";
import { judge } from "../../controller/run/index.js";
import type { Lab } from "../../controller/lab/types.js";
import type { EndpointReport, TrafficReport } from "../../controller/traffic/types.js";
import type { FlowCount } from "../../controller/observe/flows.js";

function endpoint(name: string, node: string, fields: Partial<EndpointReport> = {}): EndpointReport {
  return {
    name,
    node,
    socket: "sub",
    bind: [],
    connect: [],
    sent: 0,
    received: 0,
    from: {},
    gaps: 0,
    duplicates: 0,
    reordered: 0,
    peers: [],
    handshakes: [],
    noHandshake: [],
    errors: [],
    ...fields,
  };
}

const flow = (from: string, to: string, packets: number): FlowCount => ({ from, to, packets, bytes: packets * 60 });

function observations(endpoints: EndpointReport[], flows: Record<string, FlowCount[]> = {}, addresses: Record<string, string[]> = {}): Observations {
  const traffic: TrafficReport = { lab: "unit", started: "2025-01-01T00:00:00.000Z", durationMs: 1000, clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 }, endpoints };
  return { traffic, flows, addresses };
}

// The source-ip lab's run, as it goes when everything holds.
const quotes = endpoint("quotes", "server", {
  socket: "pub",
  bind: ["tcp://198.18.2.10:5556"],
  sent: 1000,
  peers: [
    { local: "198.18.2.10:5556", address: "198.18.1.10", port: 40001 },
    { local: "198.18.2.10:5556", address: "198.18.1.11", port: 40002 },
  ],
});
const viaR1 = endpoint("via-r1", "client", { connect: ["tcp://198.18.1.10:0;198.18.2.10:5556"], handshakes: ["tcp://198.18.1.10:0;198.18.2.10:5556"], received: 1000, from: { quotes: 1000 } });
const wrongIp = endpoint("wrong-ip", "client", {
  connect: ["tcp://198.18.1.10:0;198.18.2.11:5556"],
  noHandshake: [
    {
      connect: "tcp://198.18.1.10:0;198.18.2.11:5556",
      source: "198.18.1.10",
      destination: "198.18.2.11:5556",
      afterMs: 2000,
      nodeAddresses: ["198.18.1.10 (clients)", "198.18.1.11 (clients)"],
      message: "wrong-ip on client: no ZeroMQ handshake with 198.18.2.11:5556 from 198.18.1.10 within 2000 ms",
    },
  ],
});
const good = observations([quotes, viaR1, wrongIp], {
  r1: [flow("198.18.1.10", "198.18.2.10", 40), flow("198.18.2.10", "198.18.1.10", 38)],
  r2: [flow("198.18.1.11", "198.18.2.10", 41)],
});

t.test("delivered", async (t) => {
  const exact = delivered({ endpoint: "via-r1", count: 1000, from: "quotes" }, good);
  t.ok(exact.ok, exact.message);
  t.equal(exact.kind, "delivered");
  t.match(exact.description, /via-r1 receives exactly 1000 messages from quotes, no gaps or duplicates/);
  t.equal(exact.observed, "1000 from quotes, 0 gaps, 0 duplicates");

  t.ok(delivered({ endpoint: "via-r1", atLeast: 900 }, good).ok, "at least");
  t.ok(delivered({ endpoint: "via-r1", atLeast: 1000 }, good).ok, "at least, exactly the received count");
  t.equal(delivered({ endpoint: "via-r1", atLeast: 1001 }, good).message, "via-r1 received 1000, expected at least 1001", "at least, not reached by one");
  t.ok(delivered({ endpoint: "via-r1" }, good).ok, "neither count nor atLeast: at least one");
  t.equal(delivered({ endpoint: "via-r1", count: 999 }, good).message, "via-r1 received 1000, expected 999", "exactly means exactly");

  const other = delivered({ endpoint: "via-r1", count: 1000, from: "news" }, good);
  t.notOk(other.ok);
  t.match(other.message, /received 0 from news, expected 1000: it heard from quotes \(1000\) instead/);

  const noSource = endpoint("via-r2", "client", {
    connect: ["tcp://198.18.1.11:0;198.18.2.10:5556"],
    noHandshake: [
      {
        connect: "tcp://198.18.1.11:0;198.18.2.10:5556",
        source: "198.18.1.11",
        destination: "198.18.2.10:5556",
        afterMs: 2000,
        nodeAddresses: ["198.18.1.10 (clients)"],
        message: "via-r2 on client: no ZeroMQ handshake with 198.18.2.10:5556 within 2000 ms: the source 198.18.1.11 is not an address of client (it has 198.18.1.10 (clients))",
      },
    ],
  });
  const missing = delivered({ endpoint: "via-r2", count: 1000, from: "quotes" }, observations([noSource]));
  t.notOk(missing.ok);
  t.match(missing.message, /via-r2 received 0 from quotes, expected 1000: .*the source 198\.18\.1\.11 is not an address of client/, "names the cause: the source address is gone");

  const lossy = observations([endpoint("s", "n", { received: 990, from: { p: 990 }, gaps: 10 })]);
  const gaps = delivered({ endpoint: "s", atLeast: 900 }, lossy);
  t.notOk(gaps.ok, "gaps fail unless allowed");
  t.match(gaps.message, /10 messages missing in the sequence \(gaps\)/);
  t.ok(delivered({ endpoint: "s", atLeast: 900, allowGaps: true }, lossy).ok, "allowGaps");
  t.match(delivered({ endpoint: "s", atLeast: 900, allowGaps: true }, lossy).description, /gaps allowed/);

  const dup = delivered({ endpoint: "s", count: 3 }, observations([endpoint("s", "n", { received: 3, from: { p: 3 }, duplicates: 1 })]));
  t.notOk(dup.ok);
  t.match(dup.message, /1 duplicate/);

  const none = delivered({ endpoint: "nope", count: 1 }, good);
  t.notOk(none.ok);
  t.match(none.message, /no endpoint nope/);
});

t.test("sourceSeen", async (t) => {
  const both = sourceSeen({ endpoint: "quotes", source: ["198.18.1.10", "198.18.1.11"], only: true }, good);
  t.ok(both.ok, both.message);
  t.equal(both.description, "connections to quotes come only from 198.18.1.10 and 198.18.1.11");
  t.equal(both.observed, "198.18.1.10, 198.18.1.11");

  const one = endpoint("quotes", "server", { bind: ["tcp://198.18.2.10:5556"], peers: [{ local: "198.18.2.10:5556", address: "198.18.1.10", port: 1 }] });
  const lost = sourceSeen({ endpoint: "quotes", source: ["198.18.1.10", "198.18.1.11"], only: true }, observations([one]));
  t.notOk(lost.ok);
  t.match(lost.message, "server saw 198.18.1.10 only; 198.18.1.11 missing");

  const extra = endpoint("quotes", "server", {
    bind: ["tcp://198.18.2.10:5556"],
    peers: [
      { local: "198.18.2.10:5556", address: "::ffff:198.18.1.10", port: 1 },
      { local: "198.18.2.10:5556", address: "198.18.1.12", port: 2 },
    ],
  });
  t.ok(sourceSeen({ endpoint: "quotes", source: "198.18.1.10" }, observations([extra])).ok, "without only, others may come too (and IPv4-mapped addresses count as IPv4)");
  const strict = sourceSeen({ endpoint: "quotes", source: "198.18.1.10", only: true }, observations([extra]));
  t.notOk(strict.ok);
  t.match(strict.message, /198\.18\.1\.12 is not among the expected sources/);

  const nobody = sourceSeen({ endpoint: "quotes", source: "198.18.1.10" }, observations([endpoint("quotes", "server", { bind: ["tcp://198.18.2.10:5556"] })]));
  t.notOk(nobody.ok);
  t.match(nobody.message, /server saw no connection on tcp:\/\/198\.18\.2\.10:5556; 198\.18\.1\.10 missing/);
  t.equal(nobody.observed, "no connection");

  const why = sourceSeen(
    { endpoint: "quotes", source: ["198.18.1.10", "198.18.1.11"] },
    observations([
      one,
      endpoint("via-r2", "client", {
        noHandshake: [
          { connect: "c", source: "198.18.1.11", destination: "198.18.2.10:5556", afterMs: 2000, nodeAddresses: [], message: "via-r2: the source 198.18.1.11 is not an address of client" },
        ],
      }),
    ]),
  );
  t.match(why.message, /198\.18\.1\.11 missing \(via-r2: the source 198\.18\.1\.11 is not an address of client\)/, "a missing source's failed connect is named");

  const connector = sourceSeen({ endpoint: "via-r1", source: "198.18.2.10" }, good);
  t.notOk(connector.ok);
  t.match(connector.message, /binds nothing/);
});

t.test("sourceSeen with atLeast: some of the sources, and with only, none but them", async (t) => {
  const six = ["198.18.20.10", "198.18.20.11", "198.18.20.12", "198.18.20.13", "198.18.20.14", "198.18.20.15"];
  const peers = (...addresses: string[]) => endpoint("pub-b1", "b1", { bind: ["tcp://198.18.21.10:5556"], peers: addresses.map((a, i) => ({ local: "198.18.21.10:5556", address: a, port: i + 1 })) });
  const some = sourceSeen({ endpoint: "pub-b1", source: six, only: true, atLeast: 1 }, observations([peers("198.18.20.10", "198.18.20.14")]));
  t.ok(some.ok, some.message);
  t.equal(some.description, "connections to pub-b1 come only from at least 1 of 198.18.20.10, 198.18.20.11 and 4 more");
  t.equal(some.expected, `at least 1 of ${six.join(", ")} (only)`);
  t.equal(some.message, "b1 saw 198.18.20.10 and 198.18.20.14 on tcp://198.18.21.10:5556");

  const two = sourceSeen({ endpoint: "pub-b1", source: six, atLeast: 2 }, observations([peers("198.18.20.10", "198.18.20.14")]));
  t.ok(two.ok, "exactly atLeast sources seen holds");
  const three = sourceSeen({ endpoint: "pub-b1", source: six, atLeast: 3 }, observations([peers("198.18.20.10", "198.18.20.14")]));
  t.notOk(three.ok, "one fewer than atLeast fails");
  t.equal(three.message, "b1 saw 198.18.20.10 and 198.18.20.14; 2 of the sources seen, at least 3 expected");
  t.same(three.evidence["missing"], ["198.18.20.11", "198.18.20.12", "198.18.20.13", "198.18.20.15"], "the unseen ones are the evidence");

  const snat = sourceSeen({ endpoint: "pub-b1", source: six, only: true, atLeast: 1 }, observations([peers("198.18.21.2")]));
  t.notOk(snat.ok, "a balancer's own address (SNAT) fails it");
  t.match(snat.message, /^b1 saw 198\.18\.21\.2 only; 0 of the sources seen, at least 1 expected; 198\.18\.21\.2 is not among the expected sources/);
  const mixed = sourceSeen({ endpoint: "pub-b1", source: six, only: true, atLeast: 1 }, observations([peers("198.18.20.10", "198.18.21.2")]));
  t.notOk(mixed.ok, "with only, one stranger fails it although enough sources were seen");
  t.equal(mixed.observed, "198.18.20.10, 198.18.21.2");

  const all = sourceSeen({ endpoint: "pub-b1", source: ["198.18.20.10", "198.18.20.11"], atLeast: 2 }, observations([peers("198.18.20.10", "198.18.20.11")]));
  t.equal(all.description, "connections to pub-b1 come from 198.18.20.10 and 198.18.20.11", "atLeast of all of them reads as all");
  t.equal(all.expected, "198.18.20.10, 198.18.20.11");

  const threeSources = sourceSeen({ endpoint: "pub-b1", source: six.slice(0, 3) }, observations([peers(...six.slice(0, 3))]));
  t.equal(threeSources.description, "connections to pub-b1 come from 198.18.20.10, 198.18.20.11 and 198.18.20.12", "three sources are all named");
  const fourSources = sourceSeen({ endpoint: "pub-b1", source: six.slice(0, 4) }, observations([peers(...six.slice(0, 4))]));
  t.equal(fourSources.description, "connections to pub-b1 come from 198.18.20.10, 198.18.20.11 and 2 more", "from four on, two are named and the rest counted");
});

t.test("path", async (t) => {
  const r1 = path({ from: "198.18.1.10", to: "198.18.2.10", via: "r1", not: "r2" }, good);
  t.ok(r1.ok, r1.message);
  t.equal(r1.description, "198.18.1.10 -> 198.18.2.10 crosses r1, not r2");
  t.equal(r1.observed, "r1: 40 packets, r2: 0 packets");
  t.same(r1.evidence["packets"], { r1: 40, r2: 0 });

  // Policy routes swapped: .10 goes through r2.
  const swapped = observations([], { r1: [], r2: [flow("198.18.1.10", "198.18.2.10", 12)] });
  const wrong = path({ from: "198.18.1.10", to: "198.18.2.10", via: "r1", not: ["r2"] }, swapped);
  t.notOk(wrong.ok);
  t.equal(wrong.message, "198.18.1.10 -> 198.18.2.10 crossed r2 (12 packets), not r1 (0)");

  const both = path({ from: "198.18.1.10", to: "198.18.2.10", via: "r1", not: "r2" }, observations([], { r1: [flow("198.18.1.10", "198.18.2.10", 5)], r2: [flow("198.18.1.10", "198.18.2.10", 3)] }));
  t.notOk(both.ok);
  t.match(both.message, "crossed r1 (5 packets) but also r2 (3 packets)");

  const nothing = path({ from: "198.18.1.11", to: "198.18.2.10", via: "r2", not: "r1" }, observations([], { r1: [], r2: [] }));
  t.notOk(nothing.ok);
  t.match(nothing.message, /crossed no forwarding node: r2 counted 0 packets, r1 0/);

  const elsewhere = path({ from: "198.18.1.10", to: "198.18.2.10", via: "r1" }, observations([], { r1: [], r2: [flow("198.18.1.10", "198.18.2.10", 7)] }));
  t.notOk(elsewhere.ok, "without not, crossing only another router still fails");
  t.same(elsewhere.evidence["packets"], { r1: 0 }, "only the named router is counted as evidence");
  t.match(elsewhere.message, "crossed r2 (7 packets), not r1 (0)");

  const server = path({ from: "198.18.1.10", to: "198.18.2.10", via: "server" }, good);
  t.notOk(server.ok, "a node without counters cannot be crossed");
  t.equal(server.message, "server is not a forwarding node: it has no packet counters", "and says so");

  // A virtual address on a load balancer: the balancer forwards to the backend it chose.
  const lb = observations([], { lb: [flow("198.18.20.10", "198.18.21.10", 20), flow("198.18.20.11", "198.18.21.11", 20)] }, { lb: ["198.18.20.2", "198.18.20.100"], b1: ["198.18.21.10"] });
  const vip = path({ from: "198.18.20.10", to: "198.18.20.100", via: "lb" }, lb);
  t.ok(vip.ok, vip.message);
  t.match(vip.message, "198.18.20.10 -> 198.18.20.100 (translated to 198.18.21.10) crossed lb (20 packets)");
  const another = path({ from: "198.18.20.12", to: "198.18.20.100", via: "lb" }, lb);
  t.notOk(another.ok, "another source is not counted");
  t.match(another.message, /^198\.18\.20\.12 -> 198\.18\.20\.100 crossed no forwarding node: lb counted 0 packets/, "because nothing from it was counted");
});

t.test("unreachable", async (t) => {
  const ok = unreachable({ endpoint: "wrong-ip" }, good);
  t.ok(ok.ok, ok.message);
  t.equal(ok.description, "wrong-ip never completes a handshake (198.18.1.10:0 -> 198.18.2.11:5556)");
  t.equal(ok.observed, "no handshake within 2000 ms");

  const connected = unreachable({ endpoint: "via-r1" }, good);
  t.notOk(connected.ok);
  t.equal(connected.observed, "handshake completed");
  t.match(connected.message, /^handshake completed: 198\.18\.1\.10:0 -> 198\.18\.2\.10:5556, and 1000 messages arrived/);

  const silent = unreachable({ endpoint: "x" }, observations([endpoint("x", "client", { connect: ["tcp://1.2.3.4:5"], errors: ["the agent on client reported no result for x"] })]));
  t.notOk(silent.ok, "no result is not proof of unreachability");
  t.match(silent.message, /no result for x: the agent on client reported no result/);
});

t.test("balanced over routers and over backends", async (t) => {
  const sources = ["198.18.3.10", "198.18.3.11", "198.18.3.12", "198.18.3.13"];
  const spread = observations([], {
    r1: [flow("198.18.3.10", "198.18.4.10", 9), flow("198.18.3.12", "198.18.4.10", 9), flow("198.18.4.10", "198.18.3.11", 9)],
    r2: [flow("198.18.3.11", "198.18.4.10", 9), flow("198.18.3.13", "198.18.4.10", 9)],
  });
  const spec = { sources, to: "198.18.4.10", over: ["r1", "r2"] };
  const ok = balanced(spec, spread);
  t.ok(ok.ok, ok.message);
  t.equal(ok.observed, "r1: 198.18.3.10 198.18.3.12; r2: 198.18.3.11 198.18.3.13");
  t.equal(ok.description, "4 sources -> 198.18.4.10 spread over r1 and r2, each source on exactly one");

  const pinned = balanced({ ...spec, mapping: { "198.18.3.10": "r1", "198.18.3.11": "r1" } }, spread);
  t.notOk(pinned.ok);
  t.match(pinned.message, "mapping differs: 198.18.3.11 went to r2, not r1");

  // r2 stopped forwarding: its sources reach nothing, and it carries nothing.
  const stopped = observations([], { r1: spread.flows["r1"]!, r2: [] });
  const broken = balanced(spec, stopped);
  t.notOk(broken.ok);
  t.match(broken.message, "198.18.3.11 and 198.18.3.13 reached none of r1 and r2; r2 got no source");

  const split = balanced(spec, observations([], { r1: [...spread.flows["r1"]!, flow("198.18.3.13", "198.18.4.10", 1)], r2: spread.flows["r2"]! }));
  t.notOk(split.ok);
  t.match(split.message, "198.18.3.13 split over r1 and r2");

  // Backends: the sources their endpoints' kernels showed.
  const peer = (address: string) => ({ local: "198.18.21.10:5556", address, port: 1 });
  const backends = observations([
    endpoint("pub-b1", "b1", { bind: ["tcp://198.18.21.10:5556"], peers: [peer("198.18.20.10"), peer("198.18.20.12")] }),
    endpoint("pub-b2", "b2", { bind: ["tcp://198.18.21.11:5556"], peers: [peer("198.18.20.11")] }),
  ]);
  const lb = { sources: ["198.18.20.10", "198.18.20.11", "198.18.20.12"], to: "198.18.20.100", over: ["b1", "b2"] };
  const fine = balanced(lb, backends);
  t.ok(fine.ok, fine.message);
  t.match(fine.message, "every source on one backend");

  // SNAT on the balancer: the backends see its address, not the clients'.
  const hidden = observations([endpoint("pub-b1", "b1", { peers: [peer("198.18.21.2")] }), endpoint("pub-b2", "b2", { peers: [peer("198.18.21.2")] })]);
  const snat = balanced(lb, hidden);
  t.notOk(snat.ok);
  t.match(snat.message, "198.18.20.10, 198.18.20.11 and 198.18.20.12 reached none of b1 and b2; b1 and b2 got no source");
  t.match(snat.message, "b1's kernel saw 198.18.21.2 instead (not among the sources: SNAT on the way hides them", "says what the backends saw instead");
  const mapped = balanced({ ...lb, mapping: { "198.18.20.10": "b1", "198.18.20.11": "b2", "198.18.20.12": "b1" } }, backends);
  t.ok(mapped.ok, mapped.message);
  t.equal(mapped.expected, "b1: 198.18.20.10 198.18.20.12; b2: 198.18.20.11", "a mapping reads like the observation");
  t.equal(mapped.observed, "b1: 198.18.20.10 198.18.20.12; b2: 198.18.20.11");
});

t.test("judge an instance: at the actual addresses, named by the lab file, the actual ones beside", async (t) => {
  const relocations = [{ from: "198.18.0.0/22", to: "198.18.8.0/22" }];
  const fileLab = { name: "source-ip", networks: {}, nodes: {}, expect: [{ path: { from: "198.18.1.10", to: "198.18.2.10", via: "r1" } }, { delivered: { endpoint: "via-r1", count: 1000 } }] } as Lab;
  const moved = { ...fileLab, name: "source-ip.ci", expect: [{ path: { from: "198.18.9.10", to: "198.18.10.10", via: "r1" } }, fileLab.expect![1]!] } as Lab;
  const flows = { r1: [flow("198.18.9.10", "198.18.10.10", 5)], r2: [] };
  const report = judge(moved, observations([], flows), { fileLab, instance: "ci", relocations });
  t.equal(report.expectations[0]!.ok, true, "judged at the actual addresses");
  t.equal(report.expectations[0]!.description, "198.18.1.10 -> 198.18.2.10 crosses r1", "named in the lab file's addresses");
  t.same(report.expectations[0]!.actual, { description: "198.18.9.10 -> 198.18.10.10 crosses r1" }, "the actual ones beside");
  t.equal(report.expectations[1]!.actual, undefined, "a description without addresses needs no second form");
  t.equal(report.expectations[1]!.description, "via-r1 receives exactly 1000 messages, no gaps or duplicates");
  t.equal(report.lab, "source-ip", "the lab file's name, not the instance's (source-ip.ci)");
  t.same(report.instance, { name: "ci", lab: "source-ip", relocations });
  const other = judge(
    { ...moved, name: "source-ip.other", expect: [{ path: { from: "198.18.13.10", to: "198.18.14.10", via: "r1" } }, fileLab.expect![1]!] } as Lab,
    observations([], { r1: [flow("198.18.13.10", "198.18.14.10", 5)], r2: [] }),
    { fileLab, instance: "other", relocations: [{ from: "198.18.0.0/22", to: "198.18.12.0/22" }] },
  );
  t.same([other.lab, ...other.expectations.map((e) => e.description)], [report.lab, ...report.expectations.map((e) => e.description)], "another instance elsewhere: the same names");
  t.notSame(other.expectations[0]!.actual, report.expectations[0]!.actual, "but its own actual addresses");
  const unmoved = judge(moved, observations([], flows), { fileLab, instance: "ci", relocations: [] });
  t.equal(unmoved.expectations[0]!.actual, undefined, "nothing moved: nothing to translate");
  t.equal(unmoved.lab, "source-ip");
  t.same(unmoved.instance, { name: "ci", lab: "source-ip", relocations: [] });
});

t.test("evaluate keeps the lab's order; judge sums up", async (t) => {
  const lab: Lab = {
    name: "unit",
    networks: {},
    nodes: {},
    expect: [{ unreachable: { endpoint: "wrong-ip" } }, { delivered: { endpoint: "via-r1", count: 1000 } }, { path: { from: "198.18.1.10", to: "198.18.2.10", via: "r2" } }],
  };
  t.same(
    evaluate(lab.expect, good).map((r) => [r.kind, r.ok]),
    [
      ["unreachable", true],
      ["delivered", true],
      ["path", false],
    ],
  );
  const report = judge(lab, good);
  t.equal(report.ok, false);
  t.equal(report.lab, "unit");
  t.equal(report.expectations.length, 3);
  t.same(report.flows, good.flows);
  t.equal(judge({ ...lab, expect: [] }, good).ok, true, "no expectations: ok");
  t.equal(report.instance, undefined, "a plain run has no instance");
  t.equal(report.expectations[0]!.actual, undefined, "nor actual descriptions");
  t.equal(judge({ ...lab, expect: undefined }, good).expectations.length, 0);
});
