// Senders that span a time: `send: { rate, duration }` and its relatives, from the lab file a
// user writes to the agent job and the traffic phase's bound. No Docker.
import t from "tap";
import { parseLab } from "../../controller/lab/load.js";
import { longestSending, plannedSend } from "../../controller/lab/send.js";
import { agentJobs, settingsOf } from "../../controller/traffic/jobs.js";
import { problemsIn } from "../support/problems.js";

/** A publisher and a subscriber; SEND is the publisher's send, SETTINGS any settings lines. */
const lab = (send: string, settings = "") => `name: spans
networks:
  lan: { subnet: 198.18.1.0/24 }
nodes:
  server: { interfaces: { lan: 198.18.1.10 } }
  client: { interfaces: { lan: 198.18.1.11 } }
traffic:
  ticks: { node: server, socket: pub, bind: tcp://198.18.1.10:5556, send: ${send} }
  reader: { node: client, socket: sub, connect: tcp://198.18.1.10:5556 }
${settings}`;

const jobOf = (text: string) =>
  agentJobs(parseLab(text, "lab.yaml").lab, (_n, name) => name)
    .flatMap((j) => j.endpoints)
    .find((e) => e.name === "ticks")!;

t.test("rate and duration: that rate for that long, so count = rate x duration", async (t) => {
  t.same(problemsIn(lab("{ rate: 100, duration: 5s }")), []);
  t.same(jobOf(lab("{ rate: 100, duration: 5s }")).send, { count: 500, size: 16, rate: 100 });
  t.same(jobOf(lab("{ rate: 100, duration: 1500 }")).send, { count: 150, size: 16, rate: 100 }, "a bare number is ms");
  t.same(jobOf(lab("{ rate: 3, duration: 1s }")).send, { count: 3, size: 16, rate: 3 });
  t.same(jobOf(lab("{ rate: 2.5, duration: 1s }")).send?.count, 2, "rounded down: never more than the rate allows");
});

t.test("a count given with rate and duration caps it", async (t) => {
  t.same(jobOf(lab("{ rate: 100, duration: 5s, count: 120 }")).send, { count: 120, size: 16, rate: 100 });
  t.same(jobOf(lab("{ rate: 100, duration: 5s, count: 9000 }")).send, { count: 500, size: 16, rate: 100 }, "a cap above rate x duration changes nothing");
  t.same(plannedSend({ rate: 100, duration: "5s", count: 120 }), { count: 120, rate: 100, ms: 1200 }, "the sending then ends early");
});

t.test("count and duration without a rate: the count spread evenly over the duration", async (t) => {
  t.same(jobOf(lab("{ count: 50, duration: 5s }")).send, { count: 50, size: 16, rate: 10 });
  t.same(plannedSend({ count: 50, duration: "5s" }), { count: 50, rate: 10, ms: 5000 });
});

t.test("count alone is as before: as fast as possible, or at the rate", async (t) => {
  t.same(jobOf(lab("{ count: 10, size: 4, topic: q }")).send, { count: 10, size: 4, topic: "q" });
  t.same(plannedSend({ count: 10 }), { count: 10 });
  t.same(plannedSend({ count: 600, rate: 100 }), { count: 600, rate: 100, ms: 6000 });
});

t.test("validation: a duration needs a rate or a count, parses, and fits an explicit traffic bound", async (t) => {
  const only = (text: string) => {
    const problems = problemsIn(text);
    t.equal(problems.length, 1, "exactly one problem", { problems });
    return problems[0]!;
  };
  let p = only(lab("{ duration: 5s }"));
  t.equal(p.path, "traffic.ticks.send.duration");
  t.match(p.message, /a duration needs a rate \(or a count to spread over it\)/);
  t.match(p.hint!, /add rate: 100/);
  t.equal(p.line, 8, "located on the endpoint's line");

  p = only(lab("{ rate: 10, duration: soon }"));
  t.equal(p.path, "traffic.ticks.send.duration");
  t.match(p.message, /"soon" is not a duration/);
  t.match(only(lab("{ rate: 10, duration: 0s }")).message, /"0s" is not a duration/, "zero is no time to send in");

  p = only(lab("{ size: 8 }"));
  t.equal(p.path, "traffic.ticks.send");
  t.match(p.message, /neither count nor duration/);
  t.match(p.hint!, /rate: 100 with duration: 5s/);

  p = only(lab("{ rate: 10, duration: 90s }", "settings: { trafficTimeout: 60000 }"));
  t.equal(p.path, "traffic.ticks.send.duration");
  t.match(p.message, /sends for 90000 ms, longer than settings\.trafficTimeout \(60000 ms\)/);
  t.match(p.hint!, /raise settings\.trafficTimeout above 90000/);
  t.same(problemsIn(lab("{ rate: 10, duration: 50s }", "settings: { trafficTimeout: 60000 }")), [], "within the bound");
  t.same(problemsIn(lab("{ rate: 10, duration: 90s }")), [], "no bound of the lab's own: the default makes room");

  p = only(lab("{ rate: 10, duration: [5] }"));
  t.equal(p.path, "traffic.ticks.send.duration", "the schema: a number or a string");
  p = only(lab("{ count: 5, every: 1s }"));
  t.match(p.message, /unknown key "every"/);
});

t.test("the traffic bound makes room for the longest paced sender when the lab sets none", async (t) => {
  const parsed = (text: string) => parseLab(text, "lab.yaml").lab;
  t.equal(settingsOf(parsed(lab("{ rate: 100, duration: 5s }"))).trafficTimeout, 60000, "short senders keep the default");
  t.equal(longestSending(parsed(lab("{ rate: 10, duration: 2m }"))), 120000);
  t.equal(settingsOf(parsed(lab("{ rate: 10, duration: 2m }"))).trafficTimeout, 120000 + 3000 + 10000, "sending, the handshake timeout and slack");
  t.equal(settingsOf(parsed(lab("{ rate: 10, duration: 2m }", "settings: { handshakeTimeout: 500 }"))).trafficTimeout, 120000 + 500 + 10000);
  t.equal(settingsOf(parsed(lab("{ count: 1000, rate: 10 }"))).trafficTimeout, 100000 + 3000 + 10000, "count at a rate spans a time too");
  t.equal(settingsOf(parsed(lab("{ count: 100000 }"))).trafficTimeout, 60000, "unpaced: nothing to derive");
  t.equal(settingsOf(parsed(lab("{ rate: 10, duration: 20s }", "settings: { trafficTimeout: 25000 }"))).trafficTimeout, 25000, "the lab's own bound wins");
  const job = agentJobs(parsed(lab("{ rate: 10, duration: 2m }")), (_n, name) => name)[0]!;
  t.equal(job.deadline, 133000 + 3000 + 500, "the agent's own deadline follows the bound");
});
