// recovered on hand-made timelines: which silence is the fault's outage (one that spans it, one
// that begins while only messages sent before it arrive, a trickle after it), which is not (a
// hiccup of a stream that went on, the end of the traffic, the next fault's), and every bound a
// verdict hinges on, on both sides.
import t from "tap";
import { evaluateOne } from "../../controller/expect/index.js";
import { endOfTraffic } from "../../controller/expect/kinds/recovered.js";
import type { Observations } from "../../controller/expect/types.js";
import type { ExpectationSpec } from "../../controller/lab/types.js";
import type { Silence, Timeline } from "../../controller/traffic/types.js";
import { endpoint, observations } from "./expect-cases.js";

const CUT = 10_000;
const BACK = 12_000;

function timeline(fields: Partial<Timeline> = {}): Timeline {
  return { tickMs: 100, silenceMs: 100, samples: [], counts: { start: 0, values: [] }, silences: [], handshakes: [], disconnects: [], peers: [], ...fields };
}

const phased = (o: Observations): Observations => ({ ...o, faults: { cut: CUT, back: BACK }, snapshots: {} });
const receiver = (tl: Partial<Timeline>, fields = {}) => phased(observations([endpoint("s", "client", { received: 300, from: { a: 300 }, ...fields, timeline: timeline(tl) })]));
const judge = (spec: ExpectationSpec, o: Observations) => evaluateOne(spec, o);
const recovered = (o: Observations, within: number | string = 60_000, after = "cut") => judge({ recovered: { endpoint: "s", after, within } }, o);
const outage = (o: Observations) => [recovered(o).evidence["outageMs"], recovered(o).evidence["recoveredAfterMs"]];

t.test("a silence that spans the fault: the outage is all of it, recovery counts from the fault; within equal holds, one ms less fails", async (t) => {
  const o = receiver({ silences: [{ start: CUT - 50, end: CUT + 2000 }], firstMessage: 1000, lastMessage: 20_000 });
  const pass = recovered(o, 2000);
  t.equal(pass.ok, true, "messages again exactly `within` after the fault: holds");
  t.equal(pass.observed, "outage 2050 ms, messages again 2000 ms after cut");
  t.same([pass.evidence["outageMs"], pass.evidence["recoveredAfterMs"], pass.evidence["faultAt"]], [2050, 2000, CUT]);
  t.equal(pass.description, "s receives messages again within 2000 ms after cut");
  t.equal(pass.message, "s received again 2000 ms after cut (outage 2050 ms)");
  const fail = recovered(o, 1999);
  t.equal(fail.ok, false, "one ms less than the recovery: fails");
  t.equal(fail.message, "s received again only 2000 ms after cut, 1 ms past the 1999 ms allowed (outage 2050 ms)");
  t.equal(recovered(o, "2s").ok, true, "within as a duration string");
  t.equal(recovered(o, "2s").expected, "messages again within 2000 ms of cut");
  t.same(recovered(o).evidence["silences"], [{ start: -50, end: 2000 }], "silences relative to the fault");
});

t.test("a silence that begins after the fault belongs to it when what arrived in between was sent before it", async (t) => {
  const inFlight = receiver({ silences: [{ start: CUT + 400, end: CUT + 3000, lastSent: CUT - 1 }], lastMessage: 20_000 });
  t.same(outage(inFlight), [2600, 3000], "messages on their way arrived first; the outage from the silence's start, recovery from the fault");
  const atTheFault = receiver({ silences: [{ start: CUT + 400, end: CUT + 3000, lastSent: CUT }], lastMessage: 20_000 });
  t.same(outage(atTheFault), [0, 0], "a message sent at the fault exactly: the stream went on, a later silence is a hiccup");
  const hiccup = receiver({ silences: [{ start: CUT + 6000, end: CUT + 6109, lastSent: CUT + 5999 }], lastMessage: 20_000 });
  t.same(outage(hiccup), [0, 0], "a hiccup long after the fault, of a stream that never stopped: outage 0");
  t.equal(recovered(hiccup, 0).message, "s kept receiving across cut (no silence over 100 ms)");
  t.equal(recovered(hiccup, 0).observed, "no silence over 100 ms");
});

t.test("without send times, a silence belongs to the fault when it begins within one silence threshold of it", async (t) => {
  t.same(outage(receiver({ silences: [{ start: CUT + 100, end: CUT + 900 }], lastMessage: 20_000 })), [800, 900], "100 ms after: the fault's");
  t.same(outage(receiver({ silences: [{ start: CUT + 101, end: CUT + 900 }], lastMessage: 20_000 })), [0, 0], "101 ms after: a hiccup");
  t.same(
    outage(
      receiver({
        silences: [
          { start: CUT + 50, end: CUT + 900 },
          { start: CUT + 950, end: CUT + 3000 },
        ],
        lastMessage: 20_000,
      }),
    ),
    [850, 900],
    "without send times the trickle after it cannot be told from a stream going on: the first silence alone",
  );
});

t.test("a trickle of old messages between silences is still the outage; the first message sent after the fault ends it", async (t) => {
  const silences: Silence[] = [
    { start: CUT + 10, end: CUT + 230, lastSent: CUT - 5, nextSent: CUT - 4 },
    { start: CUT + 240, end: CUT + 4000, lastSent: CUT - 3, nextSent: CUT + 3900 },
    { start: CUT + 4200, end: CUT + 4400, lastSent: CUT + 4100 },
  ];
  const o = receiver({ silences, lastMessage: 20_000 });
  t.same(outage(o), [3990, 4000], "the two silences and the retransmitted messages between them; the hiccup after is not part of it");
  t.equal(recovered(o, 4000).ok, true);
  t.equal(recovered(o, 3999).ok, false);
  const shuffled = receiver({ silences: [silences[2]!, silences[0]!, silences[1]!], lastMessage: 20_000 });
  t.same(outage(shuffled), [3990, 4000], "in time order, whatever the order of the list");
});

t.test("silences over before the fault, or ending exactly at it, are not its outage", async (t) => {
  const o = receiver({
    silences: [
      { start: 5000, end: 6000 },
      { start: CUT - 300, end: CUT },
    ],
    lastMessage: CUT + 1,
  });
  t.same(outage(o), [0, 0], "no outage after the fault");
  t.same(recovered(o).evidence["silences"], [
    { start: -5000, end: -4000 },
    { start: -300, end: 0 },
  ]);
  const one = receiver({ silences: [{ start: CUT - 300, end: CUT + 1 }], lastMessage: CUT + 1 });
  t.equal(recovered(one, 0).ok, false, "a silence ending one ms after the fault is the outage");
  t.equal(recovered(one, 1).ok, true);
  t.same(outage(receiver({ silences: [{ start: CUT, end: CUT + 500 }], lastMessage: 20_000 })), [500, 500], "one starting exactly at the fault is its");
});

t.test("a silence that begins at the next fault is that fault's outage", async (t) => {
  const next = receiver({ silences: [{ start: BACK, end: BACK + 700 }], lastMessage: 20_000 });
  t.same(outage(next), [0, 0], "not this fault's");
  t.equal(recovered(next, 700, "back").ok, true, "the next fault's: 700 ms");
  t.equal(recovered(next, 699, "back").ok, false);
  const edge = receiver({ silences: [{ start: BACK - 1, end: BACK + 700, lastSent: CUT - 5 }], lastMessage: 20_000 });
  t.same(outage(edge), [701, 2700], "one ms before the next fault, and old messages before it: this fault's");
  const both = (start: number, lastSent: number) => receiver({ silences: [{ start, end: BACK + 900, lastSent }], lastMessage: 20_000 });
  t.same(outage(both(BACK + 50, CUT - 1)), [850, 2900], "begun after the next fault, but the stream had stopped before this one: this fault's");
  t.same(outage(both(BACK + 50, BACK - 1)), [0, 0], "the stream went on after this fault and stopped before the next: the next fault's");
  t.same([recovered(both(BACK + 50, BACK - 1), 900, "back").evidence["outageMs"], recovered(both(BACK + 50, BACK - 1), 900, "back").ok], [850, true], "as the next fault sees it");
  t.same(outage(both(BACK + 50, BACK)), [0, 0], "the last message sent at the next fault exactly: not this fault's either");
});

t.test("an outage that never ended fails; the end of the traffic is no outage", async (t) => {
  const open = recovered(receiver({ silences: [{ start: CUT - 10, end: null }], lastMessage: CUT - 10 }));
  t.equal(open.ok, false);
  t.equal(open.observed, "no message since");
  t.equal(open.message, "s received nothing from -10 ms (relative to cut) until the traffic stopped: it never recovered");
  t.same([open.evidence["outageMs"], open.evidence["recoveredAfterMs"], open.evidence["silenceStart"]], [null, null, -10]);
  const troubled = phased(observations([endpoint("s", "client", { errors: ["receive: EAGAIN", "x"], timeline: timeline({ silences: [{ start: CUT - 10, end: null }] }) })]));
  t.equal(recovered(troubled, 1).message, "s received nothing from -10 ms (relative to cut) until the traffic stopped: it never recovered (receive: EAGAIN; x)", "the endpoint's errors as the cause");
  const chained = receiver({
    silences: [
      { start: CUT + 10, end: CUT + 200, lastSent: CUT - 1 },
      { start: CUT + 210, end: null, lastSent: CUT - 1 },
    ],
    lastMessage: CUT + 210,
  });
  t.equal(recovered(chained).observed, "no message since", "a trickle, then nothing: never recovered");
  t.equal(recovered(chained).evidence["silenceStart"], 10, "from the first silence of the outage");
  const withSender = (ended: number, silenceStart: number) =>
    phased(
      observations([
        endpoint("s", "client", { received: 300, from: { p: 300 }, timeline: timeline({ silences: [{ start: silenceStart, end: null }], lastMessage: silenceStart }) }),
        endpoint("p", "server", { socket: "pub", sent: 300, timeline: timeline({ sendingEnded: ended }) }),
      ]),
    );
  const done = recovered(withSender(CUT + 50, CUT + 50), 10);
  t.equal(done.ok, true, "it began when sending had ended: the end of the traffic; a message after the fault came");
  t.equal(done.evidence["outageMs"], 0);
  t.equal(recovered(withSender(CUT + 51, CUT + 50), 10).ok, false, "one ms before the sender finished: an outage that never ended");
  const after = recovered(withSender(CUT - 20, CUT - 10), 10);
  t.equal(after.message, "s received no message after cut (its last came 10 ms before it)", "the traffic had ended before the fault");
});

t.test("no silence: the stream went on (outage 0), or nothing came after the fault", async (t) => {
  t.same(outage(receiver({ firstMessage: 1000, lastMessage: CUT + 50 })), [0, 0]);
  const none = recovered(receiver({ lastMessage: CUT }));
  t.equal(none.ok, false, "a last message exactly at the fault is not after it");
  t.equal(none.observed, "no message after the fault");
  t.equal(none.message, "s received no message after cut (its last came 0 ms before it)");
  t.same([none.evidence["outageMs"], none.evidence["recoveredAfterMs"], none.evidence["faultAt"]], [null, null, CUT]);
  t.equal(recovered(receiver({})).message, "s received no message after cut (nor before it)");
});

t.test("with nothing before the fault, the first message after it ends the outage", async (t) => {
  const o = receiver({ firstMessage: CUT + 300, lastMessage: CUT + 5000 });
  t.equal(recovered(o, 300).ok, true, "first message exactly within");
  const late = recovered(o, 299);
  t.equal(late.ok, false, "one ms over fails");
  t.equal(late.observed, "outage 300 ms, messages again 300 ms after cut");
  t.same(outage(receiver({ firstMessage: CUT, lastMessage: CUT + 5000 })), [0, 0], "a first message at the fault: nothing to wait for");
});

t.test("the end of the traffic: the senders it heard from and itself; else every sender; else never", async (t) => {
  const o = (fields: object, others: [string, number | undefined][]) =>
    observations([endpoint("s", "client", fields), ...others.map(([name, end]) => endpoint(name, "server", { socket: "pub", timeline: timeline(end === undefined ? {} : { sendingEnded: end }) }))]);
  const end = (obs: Observations) => endOfTraffic(obs.traffic.endpoints[0]!, obs);
  t.equal(
    end(
      o({ from: { p0: 1, p1: 1 } }, [
        ["p0", 400],
        ["p1", 450],
        ["q", 900],
      ]),
    ),
    450,
    "the later of the senders it heard from",
  );
  t.equal(
    end(
      o({ from: { p0: 1, x: 1 } }, [
        ["p0", 400],
        ["q", 900],
      ]),
    ),
    400,
    "a sender that says nothing (a program) is left out",
  );
  t.equal(
    end(
      o({ from: { x: 1 } }, [
        ["p0", 400],
        ["q", 900],
      ]),
    ),
    900,
    "none it heard from says: every agent sender",
  );
  t.equal(end(o({ from: {} }, [["p0", undefined]])), Infinity, "no sender says: never");
  const requester = observations([
    endpoint("s", "client", { socket: "req", from: { rep: 5 }, timeline: timeline({ sendingEnded: 700 }) }),
    endpoint("rep", "server", { socket: "rep", timeline: timeline() }),
  ]);
  t.equal(end(requester), 700, "a requester: its own last request (its replies end with them)");
});

t.test("a requester behind a stopped worker: its replies stop at the fault and come back after its reply timeout", async (t) => {
  const o = phased(
    observations([
      endpoint("s", "client", {
        socket: "req",
        sent: 200,
        received: 199,
        from: { w: 199 },
        timeline: timeline({ silences: [{ start: CUT - 15, end: CUT + 2990, lastSent: CUT - 20, nextSent: CUT + 2985 }], lastMessage: 20_000, sendingEnded: 19_990 }),
      }),
      endpoint("w", "server", { socket: "rep", timeline: timeline() }),
    ]),
  );
  t.same(outage(o), [3005, 2990]);
  t.equal(recovered(o, "3s").ok, true);
});
