// Phases (before/after/between) and the timed kinds recovered, lost, reconnected, judged on
// hand-made timelines: every boundary a verdict hinges on is pinned on both sides.
import t from "tap";
import { evaluateOne } from "../../controller/expect/index.js";
import { endpointIn, flowDifference, phasesOf, scopeOf, scoped, windowOf } from "../../controller/expect/phases.js";
import type { Observations } from "../../controller/expect/types.js";
import type { ExpectationSpec } from "../../controller/lab/types.js";
import type { Timeline, TimelineSample } from "../../controller/traffic/types.js";
import { countsPerInterval, sampleAt, timelineOf } from "../../controller/traffic/timeline.js";
import { Silences } from "../../agent/timeline.js";
import type { AgentEvent } from "../../shared/protocol.js";
import { endpoint, flow, observations, peer } from "./expect-cases.js";

const CUT = 10_000;
const BACK = 12_000;

function timeline(fields: Partial<Timeline> = {}): Timeline {
  return { tickMs: 100, silenceMs: 100, samples: [], counts: { start: 0, values: [] }, silences: [], handshakes: [], disconnects: [], peers: [], ...fields };
}

const sample = (ms: number, received: number, gaps = 0, from: Record<string, number> = { a: received }, duplicates = 0): TimelineSample => ({ ms, received, gaps, duplicates, from });

/** Observations with faults `cut` (10 000) and `back` (12 000), and their snapshots. */
function phased(o: Observations, snapshots: Observations["snapshots"] = {}): Observations {
  return { ...o, faults: { cut: CUT, back: BACK }, snapshots: { cut: { ms: CUT, flows: {} }, back: { ms: BACK, flows: {} }, ...snapshots } };
}

const receiver = (tl: Partial<Timeline>, fields = {}) => phased(observations([endpoint("s", "client", { received: 300, from: { a: 300 }, ...fields, timeline: timeline(tl) })]));
const judge = (spec: ExpectationSpec, o: Observations) => evaluateOne(spec, o);

t.test("recovered, reconnected: a fault that did not run, an unknown endpoint, no timeline", async (t) => {
  const o = receiver({ lastMessage: 20_000 });
  const missing = judge({ recovered: { endpoint: "s", after: "other", within: 10 } }, o);
  t.equal(missing.ok, false);
  t.match(missing.message, /the fault other did not run/);
  t.equal(judge({ recovered: { endpoint: "x", after: "cut", within: 10 } }, o).message, "no endpoint x in the traffic report");
  const bare = phased(observations([endpoint("s", "client")]));
  t.match(judge({ recovered: { endpoint: "s", after: "cut", within: 10 } }, bare).message, /s has no receive timeline/);
  t.match(judge({ reconnected: { endpoint: "s", after: "cut" } }, bare).message, /s has no timeline/);
  t.match(judge({ reconnected: { endpoint: "s", after: "other" } }, o).message, /the fault other did not run/);
  t.equal(judge({ reconnected: { endpoint: "x", after: "cut" } }, o).message, "no endpoint x in the traffic report");
  t.equal(judge({ lost: { endpoint: "x", atMost: 0 } }, o).message, "no endpoint x in the traffic report");
});

t.test("reconnected: a handshake exactly at the fault counts; one ms before does not", async (t) => {
  const at = judge(
    { reconnected: { endpoint: "s", after: "cut" } },
    receiver({
      handshakes: [
        { ms: 1000, address: "tcp://a" },
        { ms: CUT, address: "tcp://b" },
      ],
    }),
  );
  t.equal(at.ok, true);
  t.equal(at.observed, "handshake 0 ms after cut");
  t.equal(at.message, "s completed 1 handshake after cut, the first 0 ms after it (tcp://b)");
  t.same(at.evidence["handshakes"], [-9000, 0]);
  const before = judge({ reconnected: { endpoint: "s", after: "cut" } }, receiver({ handshakes: [{ ms: CUT - 1, address: "tcp://a" }] }));
  t.equal(before.ok, false);
  t.equal(before.observed, "no handshake after cut (1 before)");
  t.equal(before.message, "s completed no handshake at or after cut: 1 handshake before it, no disconnect after it (the connection lived through the fault, or nothing reconnected)");
  const dropped = judge(
    { reconnected: { endpoint: "s", after: "cut" } },
    receiver({
      handshakes: [
        { ms: 1, address: "a" },
        { ms: 2, address: "a" },
      ],
      disconnects: [
        { ms: CUT + 5, address: "a" },
        { ms: CUT - 5, address: "a" },
      ],
    }),
  );
  t.equal(dropped.message, "s completed no handshake at or after cut: 2 handshakes before it, 1 disconnect after it");
  t.equal(dropped.evidence["disconnectsAfter"], 1);
});

t.test("lost: atMost equal holds, one over fails; scoped by phase", async (t) => {
  const o = receiver({ samples: [sample(0, 0), sample(CUT, 100, 1), sample(BACK, 150, 3)] }, { gaps: 4 });
  const whole = judge({ lost: { endpoint: "s", atMost: 4 } }, o);
  t.equal(whole.ok, true, "4 lost, at most 4");
  t.equal(whole.observed, "4 lost (300 messages received)");
  t.equal(whole.message, "s lost 4 (4 gaps in the senders' sequences)");
  const over = judge({ lost: { endpoint: "s", atMost: 3 } }, o);
  t.equal(over.ok, false, "4 lost, at most 3");
  t.equal(over.message, "s lost 4 messages (4 gaps in the senders' sequences), 1 more than the 3 allowed");
  t.equal(over.description, "s loses at most 3 messages");
  t.same(whole.evidence, { lost: 4, gaps: 4, unreceived: 0, received: 300, duplicates: 0 });
  t.equal(judge({ lost: { endpoint: "s", atMost: 3, after: "cut" } }, o).ok, true, "after cut: 4 - 1 = 3 lost");
  t.equal(judge({ lost: { endpoint: "s", atMost: 2, after: "cut" } }, o).ok, false);
  t.equal(judge({ lost: { endpoint: "s", atMost: 1, before: "cut" } }, o).ok, true, "before cut: 1 lost");
  t.equal(judge({ lost: { endpoint: "s", atMost: 0, before: "cut" } }, o).ok, false);
  const between = judge({ lost: { endpoint: "s", atMost: 1, between: ["cut", "back"] } }, o);
  t.equal(between.ok, false, "between: 3 - 1 = 2 lost");
  t.equal(between.observed, "2 lost (50 messages received)");
  t.equal(between.description, "s loses at most 1 message, between cut and back");
  t.same(between.spec, { endpoint: "s", atMost: 1, between: ["cut", "back"] }, "the spec as written, phase included");
  t.same(between.evidence["phase"], { from: "cut", to: "back", start: CUT, end: BACK });
});

t.test("lost: a publisher's messages after the last that arrived count; a pusher's do not", async (t) => {
  const last = { ...sample(BACK + 1000, 300, 2), highest: { p: 301, q: 50 } };
  const o = (socket: "pub" | "push") =>
    phased(
      observations([
        endpoint("s", "client", { received: 300, gaps: 2, timeline: timeline({ samples: [sample(0, 0), sample(CUT, 100, 1), last] }) }),
        endpoint("p", "server", { socket, sent: 310 }),
        endpoint("q", "server", { socket: "xpub", sent: 50 }),
      ]),
    );
  const pub = judge({ lost: { endpoint: "s", atMost: 10 } }, o("pub"));
  t.equal(pub.ok, true, "2 gaps + 310 - 302 = 10 lost, at most 10");
  t.same(pub.evidence, { lost: 10, gaps: 2, unreceived: 8, received: 300, duplicates: 0 });
  t.equal(pub.message, "s lost 10 (2 gaps in the senders' sequences, 8 sent after the last that arrived)");
  t.equal(judge({ lost: { endpoint: "s", atMost: 9 } }, o("pub")).ok, false, "one over");
  t.same(judge({ lost: { endpoint: "s", atMost: 9 } }, o("push")).evidence["unreceived"], 0, "a pusher's messages may have gone to another receiver");
  t.equal(judge({ lost: { endpoint: "s", atMost: 9, after: "cut" } }, o("pub")).evidence["unreceived"], 8, "a phase that reaches the end counts them");
  const before = judge({ lost: { endpoint: "s", atMost: 1, before: "back" } }, o("pub"));
  t.same(before.evidence, { lost: 1, gaps: 1, unreceived: 0, received: 100, duplicates: 0, phase: { to: "back", end: BACK } }, "a phase that ends at a fault: only its gaps");
  t.equal(before.ok, true);
});

t.test("delivered in phases: receive counts at the window's ends, a sample at the fault's time belongs before it", async (t) => {
  const samples = [sample(0, 0), sample(9000, 50, 0, { a: 40, b: 10 }), sample(CUT, 100, 0, { a: 80, b: 20 }), sample(CUT + 100, 110, 0, { a: 80, b: 30 })];
  const o = receiver({ samples }, { received: 300, from: { a: 250, b: 50 } });
  t.equal(judge({ delivered: { endpoint: "s", count: 100, before: "cut" } }, o).ok, true, "100 by the sample at the fault's time");
  t.equal(judge({ delivered: { endpoint: "s", count: 101, before: "cut" } }, o).ok, false);
  const after = judge({ delivered: { endpoint: "s", count: 200, after: "cut" } }, o);
  t.equal(after.ok, true, "final 300 minus 100");
  t.equal(after.description, "s receives exactly 200 messages, no gaps or duplicates, after cut");
  t.equal(judge({ delivered: { endpoint: "s", atLeast: 201, after: "cut" } }, o).ok, false);
  t.equal(judge({ delivered: { endpoint: "s", count: 170, from: "a", after: "cut" } }, o).ok, true, "per sender: 250 - 80");
  t.equal(judge({ delivered: { endpoint: "s", count: 30, from: "b", after: "cut" } }, o).ok, true, "per sender: 50 - 20");
  t.equal(judge({ delivered: { endpoint: "s", count: 10, between: ["cut", "back"] } }, o).ok, true, "110 by back (its last sample before), minus 100");
  const unrun = judge({ delivered: { endpoint: "s", count: 300, after: "nope" } }, o);
  t.equal(unrun.ok, false, "a phase whose fault did not run fails even when the whole run would hold");
  t.equal(unrun.observed, "the fault did not run");
  t.match(unrun.message, /the fault nope did not run/);
  t.equal(unrun.description, "s receives exactly 300 messages, no gaps or duplicates, after nope");
  t.equal(judge({ delivered: { endpoint: "s", count: 300 } }, o).ok, true, "without a phase: the whole run");
});

t.test("path in phases: counters from the snapshots, a counter reset by a restart", async (t) => {
  const base = observations([], { r1: [flow("198.18.1.10", "198.18.2.10", 100)], r2: [flow("198.18.1.10", "198.18.2.10", 40)] });
  const o = phased(base, {
    cut: { ms: CUT, flows: { r1: [flow("198.18.1.10", "198.18.2.10", 100)], r2: [] } },
    back: { ms: BACK, flows: { r1: [flow("198.18.1.10", "198.18.2.10", 100)], r2: [flow("198.18.1.10", "198.18.2.10", 40)] } },
  });
  const path = (via: string, scope: object) => judge({ path: { from: "198.18.1.10", to: "198.18.2.10", via, ...scope } } as ExpectationSpec, o);
  t.equal(path("r1", { before: "cut" }).ok, true, "before the cut: r1");
  t.equal(path("r2", { before: "cut" }).ok, false, "before the cut: not r2");
  const after = path("r2", { after: "cut" });
  t.equal(after.ok, true, "after the cut: r2");
  t.same(after.evidence["packets"], { r2: 40 });
  const r1after = path("r1", { after: "cut" });
  t.equal(r1after.ok, false, "after the cut: r1 forwarded nothing more");
  t.equal(r1after.observed, "r1: 0 packets");
  t.equal(path("r2", { between: ["cut", "back"] }).ok, true);
  t.equal(path("r2", { after: "back" }).ok, false, "after back: nothing new on r2");
  // r1 could not be read at `back` (stopped): windows ending there count nothing for it, and after it all its counters show.
  const unread = phased(base, { cut: { ms: CUT, flows: { r1: [flow("198.18.1.10", "198.18.2.10", 60)], r2: [] } }, back: { ms: BACK, flows: { r2: [] } } });
  const during = judge({ path: { from: "198.18.1.10", to: "198.18.2.10", via: "r1", between: ["cut", "back"] } }, unread);
  t.equal(during.observed, "r1: 0 packets", "still a forwarding node, with nothing counted");
  t.same(judge({ path: { from: "198.18.1.10", to: "198.18.2.10", via: "r1", after: "back" } }, unread).evidence["packets"], { r1: 100 });
  t.same(Object.keys(scoped(unread, { from: "cut", to: "back" }, { start: CUT, end: BACK }).flows), ["r1", "r2"], "every forwarding node stays a key");
  // r1 stopped for good after the cut: its final counters could not be read, its snapshot at the cut was.
  const gone = phased(
    { ...observations([], { r2: [flow("198.18.1.10", "198.18.2.10", 40)] }), flowsUnavailable: { r1: "stopped" } },
    { cut: { ms: CUT, flows: { r1: [flow("198.18.1.10", "198.18.2.10", 60)], r2: [] } } },
  );
  const beforeGone = judge({ path: { from: "198.18.1.10", to: "198.18.2.10", via: "r1", before: "cut" } }, gone);
  t.equal(beforeGone.ok, true, `before the cut: r1 by its snapshot, though it could not be read at the end (${beforeGone.message})`);
  t.same(beforeGone.evidence["packets"], { r1: 60 });
  t.same(judge({ path: { from: "198.18.1.10", to: "198.18.2.10", via: "r1", after: "cut" } }, gone).evidence["packets"], { r1: 0 }, "after the cut: nothing read for it");
  t.same(Object.keys(scoped(gone, { to: "cut" }, { end: CUT }).flows), ["r2", "r1"], "a node unread at the end is still a key");
  t.same(flowDifference([flow("x", "y", 100)], [flow("x", "y", 30), flow("x", "z", 5)]), [flow("x", "y", 30), flow("x", "z", 5)], "a counter lower than before was reset: its later value counts");
  t.same(flowDifference([flow("x", "y", 10)], [flow("x", "y", 10)]), [], "nothing new: no entry");
  t.same(flowDifference([flow("x", "y", 10)], [flow("x", "y", 11)]), [{ from: "x", to: "y", packets: 1, bytes: 60 }]);
});

t.test("peers and handshakes in a window", async (t) => {
  const a = peer("198.18.1.10");
  const b = { ...peer("198.18.1.11"), port: 40001 };
  const e = endpoint("srv", "server", {
    bind: ["tcp://198.18.2.10:5556"],
    peers: [a, b],
    connect: ["tcp://c1", "tcp://c2"],
    handshakes: ["tcp://c1", "tcp://c2"],
    timeline: timeline({
      peers: [
        { ms: 5000, established: [a] },
        { ms: CUT, established: [b] },
        { ms: BACK, established: [] },
      ],
      handshakes: [
        { ms: 5000, address: "tcp://c1", connect: "tcp://c1" },
        { ms: CUT, address: "tcp://c2", connect: "tcp://c2" },
      ],
    }),
  });
  t.same(endpointIn(e, { end: CUT }).peers, [a], "before: the set seen at 5000; the change at the fault's time is after it");
  t.same(endpointIn(e, { start: CUT }).peers, [a, b], "after: what was established when it opened, and what came");
  t.same(endpointIn(e, { start: CUT + 1, end: BACK }).peers, [b], "between: the set at its opening");
  t.same(endpointIn(e, { start: BACK + 1 }).peers, [], "after everything closed: none");
  t.same(endpointIn(e, { end: CUT }).handshakes, ["tcp://c1"]);
  t.same(endpointIn(e, { start: CUT }).handshakes, ["tcp://c2"], "a handshake at the fault's time is after it");
  const o = phased(observations([e]));
  t.equal(judge({ sourceSeen: { endpoint: "srv", source: "198.18.1.11", before: "cut" } }, o).ok, false, "198.18.1.11 came at the fault");
  t.equal(judge({ sourceSeen: { endpoint: "srv", source: "198.18.1.11", after: "cut" } }, o).ok, true);
  const plain = endpoint("p", "x", { received: 5 });
  t.equal(endpointIn(plain, { start: CUT }), plain, "no timeline: left whole");
});

t.test("scopes, windows and phases", async (t) => {
  t.same(scopeOf({ before: "a" }), { to: "a" });
  t.same(scopeOf({ after: "a" }), { from: "a" });
  t.same(scopeOf({ between: ["a", "b"] }), { from: "a", to: "b" });
  t.equal(scopeOf({}), undefined);
  const o = receiver({ samples: [sample(0, 0), sample(CUT, 100), sample(BACK, 150)] });
  t.same(windowOf({ from: "cut", to: "back" }, o), { start: CUT, end: BACK });
  t.same(windowOf({ to: "back" }, o), { end: BACK });
  t.equal(windowOf({ from: "cut", to: "x" }, o), "the fault x did not run, so there is no such phase to judge (see the report's faults)");
  const phases = phasesOf({ ...o, flows: { r1: [flow("a", "b", 7)] }, snapshots: { cut: { ms: CUT, flows: { r1: [flow("a", "b", 2)] } }, back: { ms: BACK, flows: { r1: [flow("a", "b", 5)] } } } });
  t.same(
    phases.map((p) => [p.from, p.to, p.received["s"]]),
    [
      ["start", "cut", 100],
      ["cut", "back", 50],
      ["back", "end", 150],
    ],
    "each phase's messages",
  );
  t.same(
    phases.map((p) => p.flows["r1"]![0]!.packets),
    [2, 3, 2],
    "each phase's packets",
  );
  t.same([phases[1]!.start, phases[1]!.end], [CUT, BACK]);
  t.same(phasesOf(observations([])), [], "no faults: no phases");
});

t.test("the agent's silences and the controller's timeline", async (t) => {
  const s = new Silences(100);
  t.equal(s.arrival(1000), undefined, "the first message ends no silence");
  t.equal(s.arrival(1100), undefined, "a gap of exactly the threshold is no silence");
  t.same(s.arrival(1201), { start: 1100, end: 1201 }, "one ms over is");
  t.equal(s.open(1301), undefined, "at stop, exactly the threshold after the last message: none going on");
  t.same(s.open(1302), { start: 1201, end: null });
  t.same([s.first, s.last], [1000, 1201]);
  t.equal(new Silences().open(5000), undefined, "no message at all: no silence");
  t.same(countsPerInterval([sample(1000, 0), sample(1100, 5), sample(1150, 7), sample(1400, 10)], 100), { start: 1000, values: [0, 7, 0, 0, 3] }, "each increase in the interval of its sample");
  t.same(countsPerInterval([], 100), { start: 0, values: [] });
  t.same(sampleAt([sample(10, 1), sample(20, 2)], 19).received, 1);
  t.same(sampleAt([sample(10, 1), sample(20, 2)], 20).received, 2);
  t.same(sampleAt([sample(10, 1)], 9).received, 0, "before the first sample: zeros");
  const events: AgentEvent[] = [
    { type: "sent", endpoint: "s", count: 3, elapsed: 5, wall: 1300 },
    { type: "tick", endpoint: "s", wall: 1000, sent: 0, received: 0, gaps: 0, duplicates: 0, reordered: 0, from: {}, highest: {} },
    { type: "handshake", endpoint: "s", address: "tcp://x", wall: 1001, connect: "tcp://x" },
    { type: "tick", endpoint: "s", wall: 1100, sent: 0, received: 3, gaps: 1, duplicates: 0, reordered: 0, from: { a: 3 }, highest: { a: 3 }, first: 1020, last: 1090 },
    { type: "silence", endpoint: "s", start: 1090, end: null },
    { type: "disconnect", endpoint: "s", address: "tcp://x", wall: 1200 },
    { type: "peers", endpoint: "s", wall: 1005, peers: [peer("198.18.1.10")] },
    { type: "tick", endpoint: "other", wall: 1100, sent: 0, received: 9, gaps: 0, duplicates: 0, reordered: 0, from: {}, highest: {} },
  ];
  const tl = timelineOf(events, "s", 0)!;
  t.same(
    tl.samples.map((x) => x.received),
    [0, 3],
    "only this endpoint's ticks",
  );
  t.same(tl.samples[1]!.highest, { a: 3 }, "the highest sequence number per sender");
  t.equal(tl.samples[0]!.highest, undefined, "none while nothing came");
  t.equal(tl.sendingEnded, 1300, "when it finished sending");
  t.same(tl.silences, [{ start: 1090, end: null }]);
  t.same(tl.handshakes, [{ ms: 1001, address: "tcp://x", connect: "tcp://x" }]);
  t.same(tl.disconnects, [{ ms: 1200, address: "tcp://x" }]);
  t.same(tl.peers, [{ ms: 1005, established: [peer("198.18.1.10")] }]);
  t.same([tl.firstMessage, tl.lastMessage], [1020, 1090]);
  t.same(tl.counts, { start: 1000, values: [0, 3] });
  t.equal(timelineOf([{ type: "ready", endpoint: "s" }], "s", 0), undefined, "no ticks or handshakes: no timeline");
});

t.test("what each failure says, field by field", async (t) => {
  const o = receiver({ lastMessage: CUT - 250 });
  const none = judge({ recovered: { endpoint: "s", after: "cut", within: 10 } }, o);
  t.equal(none.observed, "no message after the fault");
  t.equal(none.message, "s received no message after cut (its last came 250 ms before it)");
  t.same(none.evidence, { faultAt: CUT, outageMs: null, recoveredAfterMs: null, silences: [] });
  for (const [kind, spec] of [
    ["recovered", { endpoint: "x", after: "cut", within: 1 }],
    ["reconnected", { endpoint: "x", after: "cut" }],
    ["lost", { endpoint: "x", atMost: 0 }],
  ] as const) {
    const r = judge({ [kind]: spec } as ExpectationSpec, o);
    t.same([r.ok, r.observed, r.evidence], [false, "no such endpoint in the report", {}], `${kind}: an unknown endpoint`);
  }
  const bare = phased(observations([endpoint("s", "client")]));
  t.same([judge({ recovered: { endpoint: "s", after: "cut", within: 1 } }, bare).observed, judge({ reconnected: { endpoint: "s", after: "cut" } }, bare).observed], ["no timeline", "no timeline"]);
  t.same(
    [judge({ recovered: { endpoint: "s", after: "zz", within: 1 } }, o).observed, judge({ reconnected: { endpoint: "s", after: "zz" } }, o).observed],
    ["the fault did not run", "the fault did not run"],
  );
  const troubled = phased(observations([endpoint("s", "client", { errors: ["receive: EAGAIN", "x"], timeline: timeline({ silences: [{ start: CUT - 10, end: null }] }) })]));
  t.equal(
    judge({ recovered: { endpoint: "s", after: "cut", within: 1 } }, troubled).message,
    "s received nothing from -10 ms (relative to cut) until the traffic stopped: it never recovered (receive: EAGAIN; x)",
    "the endpoint's errors as the cause",
  );
  t.match(windowOf({ from: "a", to: "b" }, o), /^the fault a and b did not run/);
});

t.test("reconnected: a disconnect exactly at the fault is after it", async (t) => {
  const r = judge({ reconnected: { endpoint: "s", after: "cut" } }, receiver({ handshakes: [{ ms: 1, address: "a" }], disconnects: [{ ms: CUT, address: "a" }] }));
  t.equal(r.evidence["disconnectsAfter"], 1);
});

t.test("lost: an xpub is a publisher too", async (t) => {
  const o = phased(
    observations([
      endpoint("s", "client", { received: 6, timeline: timeline({ samples: [sample(1, 6, 0, { q: 6 })].map((x) => ({ ...x, highest: { q: 5 } })) }) }),
      endpoint("q", "server", { socket: "xpub", sent: 10 }),
    ]),
  );
  t.same(judge({ lost: { endpoint: "s", atMost: 4 } }, o).evidence["unreceived"], 4);
});

t.test("a window's counts: senders with nothing in it are left out; duplicates are the window's", async (t) => {
  const e = endpoint("s", "client", { received: 20, duplicates: 5, from: { a: 12, b: 8 }, timeline: timeline({ samples: [sample(CUT, 10, 0, { a: 2, b: 8 }, 2)] }) });
  const w = endpointIn(e, { start: CUT });
  t.same(w.from, { a: 10 }, "b sent nothing more after the fault");
  t.equal(w.duplicates, 3);
  t.equal(w.received, 10);
});

t.test("phases: in time order whatever the order of the faults; only receivers counted", async (t) => {
  const o: Observations = {
    ...observations([
      endpoint("s", "client", { received: 4, timeline: timeline({ samples: [sample(0, 0), sample(CUT, 1), sample(BACK, 3)] }) }),
      endpoint("p", "server", { socket: "pub", timeline: timeline({ samples: [sample(0, 0)] }) }),
      endpoint("x", "server", { socket: "xpub", timeline: timeline({ samples: [sample(0, 0)] }) }),
      endpoint("e", "server", { timeline: timeline() }),
      endpoint("n", "server"),
    ]),
    faults: { back: BACK, cut: CUT },
    snapshots: {},
  };
  const phases = phasesOf(o);
  t.same(
    phases.map((p) => [p.from, p.to, p.received]),
    [
      ["start", "cut", { s: 1 }],
      ["cut", "back", { s: 2 }],
      ["back", "end", { s: 1 }],
    ],
  );
});

t.test("timelineOf: several ticks, other endpoints' events, a sender's end", async (t) => {
  const tick = (wall: number, received: number, first?: number, last?: number): AgentEvent => ({
    type: "tick",
    endpoint: "s",
    wall,
    sent: 0,
    received,
    gaps: 0,
    duplicates: 0,
    reordered: 0,
    from: {},
    highest: {},
    ...(first !== undefined ? { first, last } : {}),
  });
  const events: AgentEvent[] = [
    tick(1000, 0),
    { type: "handshake", endpoint: "x", address: "tcp://y", wall: 1001 },
    { type: "silence", endpoint: "x", start: 1, end: 2 },
    { type: "done" },
    tick(1100, 2, 1020, 1090),
    tick(1300, 5, 1020, 1290),
  ];
  const tl = timelineOf(events, "s", 0)!;
  t.same([tl.firstMessage, tl.lastMessage], [1020, 1290], "the first message's time from the earliest tick, the last from the latest");
  t.same(tl.handshakes, [], "another endpoint's handshake is not this one's");
  t.same(tl.silences, [], "nor its silences");
  t.same(
    tl.samples.map((s) => s.highest),
    [undefined, undefined, undefined],
    "an empty highest is left out",
  );
  t.same(tl.counts, { start: 1000, values: [0, 2, 0, 3] });
  t.equal(tl.firstMessage !== undefined && tl.sendingEnded, undefined, "no sent event: no end of sending");
  const sender = timelineOf([{ type: "sent", endpoint: "p", count: 3, elapsed: 1, wall: 500 }], "p", 0);
  t.same(
    sender,
    { tickMs: 100, silenceMs: 100, samples: [], counts: { start: 0, values: [] }, silences: [], handshakes: [], disconnects: [], peers: [], sendingEnded: 500 },
    "a sender's timeline from its sent event alone",
  );
  t.equal(timelineOf([{ type: "handshake", endpoint: "h", address: "a", wall: 7 }], "h", 0)?.handshakes.length, 1, "handshakes alone make a timeline");
  t.equal(timelineOf([{ type: "sent", endpoint: "p", count: 3, elapsed: 1, wall: 500 }], "q", 0), undefined, "nothing of its own: none");
});
