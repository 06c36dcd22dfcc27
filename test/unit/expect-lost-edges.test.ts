// lost's edges left after the sender paths were tested: a push that also received is still a
// sharing sender, a timeline with no sample, and the hint for a program endpoint.
import t from "tap";
import { lost, unreceived } from "../../controller/expect/kinds/lost.js";
import type { ExpectationSpec, Lab } from "../../controller/lab/types.js";
import { validateLab } from "../../controller/lab/validate.js";
import { endpoint, observations } from "./expect-cases.js";

t.test("a push that received too is judged as a sharing sender, not a requester", async (t) => {
  const o = observations([endpoint("jobs", "a", { socket: "push", sent: 10, received: 9 }), endpoint("w", "b", { socket: "pull", received: 10, from: { jobs: 10 } })]);
  t.match(lost({ endpoint: "jobs", atMost: 0 }, o), { ok: true, message: "jobs lost 0 (10 sent, 10 received by the lab's endpoints)" });
});

t.test("a timeline with no sample: nothing unreceived", async (t) => {
  const reader = endpoint("reader", "b", { timeline: { tickMs: 100, silenceMs: 250, samples: [], counts: { start: 0, values: [] }, silences: [], handshakes: [], disconnects: [], peers: [] } });
  t.equal(unreceived(reader, observations([endpoint("feed", "a", { socket: "pub", sent: 5 }), reader])), 0);
});

t.test("lost on a program: the hint says what to judge instead", async (t) => {
  const lab = {
    name: "lost-edges",
    networks: { n: { subnet: "198.19.73.0/24" } },
    nodes: { a: { interfaces: { n: "198.19.73.10" } } },
    traffic: { prog: { node: "a", command: ["true"] } },
    expect: [{ lost: { endpoint: "prog", atMost: 0 } }] as ExpectationSpec[],
  } as Lab;
  t.same(
    validateLab(lab).map((f) => [f.at.join("."), f.message, f.hint]),
    [["expect.0.lost.endpoint", 'endpoint "prog" is a program', "lost reads zmqlab's agent's sequence numbers; for a program, judge its output"]],
  );
});
