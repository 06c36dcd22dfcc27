// latency's edges the main file leaves open: bounds given as numbers to the ns, or with more than
// one decimal, and what the lab file's check tells a user who points latency at a program.
import t from "tap";
import { boundMs } from "../../controller/expect/kinds/latency.js";
import type { ExpectationSpec, Lab } from "../../controller/lab/types.js";
import { validateLab } from "../../controller/lab/validate.js";

t.test("a bound as a number is taken as it is: no rounding, no spelling", async (t) => {
  t.equal(boundMs(1.23456789), 1.23456789, "not rounded to the ns as a string is");
  t.equal(boundMs(1e-7), 1e-7, "a number JavaScript spells with an exponent");
  t.equal(boundMs(1e21), 1e21);
});

t.test("a bound as a string: any number of decimals", async (t) => {
  t.equal(boundMs("1.25ms"), 1.25);
  t.equal(boundMs("0.125"), 0.125);
  t.equal(boundMs("2.5s"), 2500);
  t.equal(boundMs("1.2.3ms"), undefined);
});

t.test("latency on a program: the hint says who measures it", async (t) => {
  const lab = {
    name: "latency-edges",
    networks: { n: { subnet: "198.19.72.0/24" } },
    nodes: { a: { interfaces: { n: "198.19.72.10" } }, b: { interfaces: { n: "198.19.72.11" } } },
    traffic: {
      feed: { node: "a", socket: "pub", bind: "tcp://198.19.72.10:5556", send: { count: 10 } },
      prog: { node: "b", command: ["true"] },
    },
    expect: [{ latency: { endpoint: "prog", p99: 1 } }] as ExpectationSpec[],
  } as Lab;
  const [finding, ...rest] = validateLab(lab);
  t.same(rest, []);
  t.equal(finding?.at.join("."), "expect.0.latency.endpoint");
  t.equal(finding?.message, 'endpoint "prog" is a program');
  t.equal(finding?.hint, 'latency is measured by zmqlab\'s agent as it receives; let an agent endpoint receive the stream (a program may send it, with "t" in its header)');
});
