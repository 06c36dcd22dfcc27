// lost where it is judged at a sender (push, dealer, req: what no receiver got, or requests with no
// reply) and, at a receiver, a publisher's messages sent after the last that arrived, per life of
// a publisher whose node a fault restarted.
import t from "tap";
import { lost, unreceived } from "../../controller/expect/kinds/lost.js";
import type { EndpointLife, EndpointReport, Timeline } from "../../controller/traffic/types.js";
import { endpoint, observations } from "./expect-cases.js";

const timeline = (highest: Record<string, number>): Timeline => ({
  tickMs: 100,
  silenceMs: 250,
  samples: [
    { ms: 0, received: 0, gaps: 0, duplicates: 0, from: {} },
    { ms: 900, received: 10, gaps: 0, duplicates: 0, from: {}, highest },
  ],
  counts: { start: 0, values: [] },
  silences: [],
  handshakes: [],
  disconnects: [],
  peers: [],
});
const life = (n: number, sent: number): EndpointLife => ({ life: n, startMs: 0, sent, received: 0, from: {}, gaps: 0, duplicates: 0, reordered: 0 });

t.test("unreceived: per publisher life, only publishers", async (t) => {
  const feed = endpoint("feed", "a", { socket: "pub", sent: 50, lives: [life(1, 30), life(2, 20)] });
  const other = endpoint("other", "a", { socket: "xpub", sent: 12 });
  const jobs = endpoint("jobs", "a", { socket: "push", sent: 40 });
  const reader = (highest: Record<string, number>) => endpoint("reader", "b", { timeline: timeline(highest) });
  const o = (r: EndpointReport) => observations([feed, other, jobs, r]);
  t.equal(unreceived(reader({ feed: 29, "feed#2": 14 }), o(reader({}))), 5, "its first life all arrived, its second 15 of 20");
  t.equal(unreceived(reader({ feed: 19, "feed#2": 19 }), o(reader({}))), 10, "the first life's last 10 never arrived");
  t.equal(unreceived(reader({ "feed#3": 0 }), o(reader({}))), 0, "a life the report does not know sent nothing");
  t.equal(unreceived(reader({ other: 9 }), o(reader({}))), 2, "an xpub is a publisher; without lives its sent counts");
  t.equal(unreceived(reader({ jobs: 9 }), o(reader({}))), 0, "a push is not: what it sent went to someone");
  t.equal(unreceived(reader({ ghost: 3 }), o(reader({}))), 0, "a sender not in the report");
  t.equal(unreceived(reader({ "a#b": 3 }), o(reader({}))), 0, "a name with # in it and no life");
  t.equal(unreceived(endpoint("reader", "b"), o(reader({}))), 0, "no timeline");
  const named = endpoint("x#y", "a", { socket: "pub", sent: 9, lives: [life(1, 4), life(2, 5)] });
  t.equal(unreceived(reader({ "x#y#2": 1 }), observations([named])), 3, "the life is after the last #");
});

t.test("lost at a sharing sender: what no receiver got", async (t) => {
  const jobs = endpoint("jobs", "a", { socket: "push", sent: 10 });
  const o = observations([jobs, endpoint("w1", "b", { socket: "pull", received: 6, from: { jobs: 6 } }), endpoint("w2", "c", { socket: "pull", received: 3, from: { jobs: 3, other: 5 } })]);
  const ok = lost({ endpoint: "jobs", atMost: 1 }, o);
  t.same([ok.ok, ok.observed, ok.message, ok.evidence], [true, "1 lost (10 messages sent)", "jobs lost 1 (10 sent, 9 received by the lab's endpoints)", { lost: 1, sent: 10, received: 0 }]);
  const over = lost({ endpoint: "jobs", atMost: 0 }, o);
  t.same([over.ok, over.message], [false, "jobs lost 1 message (10 sent, 9 received by the lab's endpoints), 1 more than the 0 allowed"]);
  const self = observations([endpoint("jobs", "a", { socket: "push", sent: 4, from: { jobs: 4 } })]);
  t.equal(lost({ endpoint: "jobs", atMost: 3 }, self).evidence["lost"], 4, "what it got itself is not delivered");
  const more = observations([jobs, endpoint("w1", "b", { socket: "pull", received: 12, from: { jobs: 12 } })]);
  t.equal(lost({ endpoint: "jobs", atMost: 0 }, more).evidence["lost"], 0, "never below 0");
});

t.test("lost at a requester: requests that got no reply", async (t) => {
  const req = lost({ endpoint: "client", atMost: 2 }, observations([endpoint("client", "a", { socket: "req", sent: 10, received: 7 })]));
  t.same([req.ok, req.message, req.evidence], [false, "client lost 3 messages (3 requests of 10 got no reply), 1 more than the 2 allowed", { lost: 3, sent: 10, received: 7 }]);
  const dealer = lost({ endpoint: "client", atMost: 0 }, observations([endpoint("client", "a", { socket: "dealer", sent: 5, received: 5 })]));
  t.same([dealer.ok, dealer.message], [true, "client lost 0 (0 requests of 5 got no reply)"], "a dealer that got replies is a requester");
  const replies = lost({ endpoint: "client", atMost: 0 }, observations([endpoint("client", "a", { socket: "req", sent: 3, received: 4 })]));
  t.equal(replies.evidence["lost"], 0, "never below 0");
  const pushing = observations([endpoint("d", "a", { socket: "dealer", sent: 5, received: 0 }), endpoint("r", "b", { socket: "router", received: 5, from: { d: 5 } })]);
  t.match(lost({ endpoint: "d", atMost: 0 }, pushing), { ok: true, message: "d lost 0 (5 sent, 5 received by the lab's endpoints)" }, "a dealer with no reply shares like a push");
});

t.test("a sharing socket that sent nothing is judged as a receiver", async (t) => {
  const idle = lost({ endpoint: "client", atMost: 0 }, observations([endpoint("client", "a", { socket: "req", sent: 0, received: 0, gaps: 2 })]));
  t.same([idle.ok, idle.observed, idle.evidence["gaps"]], [false, "2 lost (0 messages received)", 2]);
});
