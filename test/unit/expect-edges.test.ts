// Expectation messages where lists have two or more entries, and the edges of the helpers: the
// cases a mutation run found untested (see README, Mutation testing).
import t from "tap";
import { balanced, delivered, evaluateOne, path, sourceSeen } from "../../controller/expect/index.js";
import { byAddress, normalAddress } from "../../controller/expect/types.js";
import { endpoint, flow, noHandshake, observations, peer } from "./expect-cases.js";

t.test("delivered: other senders are named only when they exist", async (t) => {
  const none = delivered({ endpoint: "s", count: 5, from: "a" }, observations([endpoint("s", "client")]));
  t.equal(none.message, "s received 0 from a, expected 5", "nobody sent anything: no 'heard from' note");
  // Inconsistent on purpose (a sender listed with 0 messages): without `from`, other senders are never blamed.
  const all = delivered({ endpoint: "s", count: 5 }, observations([endpoint("s", "client", { from: { b: 0 } })]));
  t.equal(all.message, "s received 0, expected 5", "no sender named when no sender was asked for");
});

t.test("balanced: several wrong mappings; strangers are looked for on backends only", async (t) => {
  const r = balanced(
    { sources: ["198.18.3.10", "198.18.3.11"], to: "198.18.4.10", over: ["r1", "r2"], mapping: { "198.18.3.10": "r2", "198.18.3.11": "r1" } },
    observations([], { r1: [flow("198.18.3.10", "198.18.4.10", 1)], r2: [flow("198.18.3.11", "198.18.4.10", 1)] }),
  );
  t.equal(r.message, "mapping differs: 198.18.3.10 went to r1, not r2, 198.18.3.11 went to r2, not r1");
  const routerWithEndpoint = balanced(
    { sources: ["198.18.3.10", "198.18.3.11"], to: "198.18.4.10", over: ["r1", "b2"] },
    observations([endpoint("e", "r1", { peers: [peer("198.18.9.9")] }), endpoint("p", "b2", { peers: [peer("198.18.3.11")] })], { r1: [] }),
  );
  t.equal(routerWithEndpoint.message, "198.18.3.10 reached none of r1 and b2; r1 got no source", "a router's own endpoint peers are no SNAT hint");
});

t.test("path: lists of two", async (t) => {
  const lb = observations([], { lb: [flow("198.18.20.10", "198.18.21.10", 3), flow("198.18.20.10", "198.18.21.11", 4)] }, { lb: ["198.18.20.100"] });
  t.equal(path({ from: "198.18.20.10", to: "198.18.20.100", via: "lb" }, lb).message, "198.18.20.10 -> 198.18.20.100 (translated to 198.18.21.10, 198.18.21.11) crossed lb (7 packets)");
  const flows = { r1: [flow("198.18.1.10", "198.18.2.10", 2)], r2: [], r3: [] };
  t.equal(path({ from: "198.18.1.10", to: "198.18.2.10", via: "r1", not: ["r2", "r3"] }, observations([], flows)).message, "198.18.1.10 -> 198.18.2.10 crossed r1 (2 packets), not r2 (0), r3 (0)");
  const also = { r1: [flow("198.18.1.10", "198.18.2.10", 2)], r2: [flow("198.18.1.10", "198.18.2.10", 1)], r3: [flow("198.18.1.10", "198.18.2.10", 3)] };
  t.equal(
    path({ from: "198.18.1.10", to: "198.18.2.10", via: "r1", not: ["r2", "r3"] }, observations([], also)).message,
    "198.18.1.10 -> 198.18.2.10 crossed r1 (2 packets) but also r2 (1 packet), r3 (3 packets)",
  );
  const elsewhere = { r1: [], r2: [flow("198.18.1.10", "198.18.2.10", 1)], r3: [flow("198.18.1.10", "198.18.2.10", 3)] };
  t.equal(path({ from: "198.18.1.10", to: "198.18.2.10", via: "r1" }, observations([], elsewhere)).message, "198.18.1.10 -> 198.18.2.10 crossed r2 (1 packet), r3 (3 packets), not r1 (0)");
});

t.test("sourceSeen: each missing source's failed connect, joined", async (t) => {
  const r = sourceSeen(
    { endpoint: "q", source: ["198.18.1.10", "198.18.1.11", "198.18.1.12"] },
    observations([
      endpoint("q", "server", { bind: ["tcp://198.18.2.10:5556"], peers: [peer("198.18.1.12")] }),
      endpoint("c", "client", { noHandshake: [noHandshake("198.18.1.10", "198.18.2.10:5556", "first"), noHandshake("198.18.1.11", "198.18.2.10:5556", "second")] }),
    ]),
  );
  t.equal(r.message, "server saw 198.18.1.12 only; 198.18.1.10 and 198.18.1.11 missing (first; second)");
});

t.test("sourceSeen with atLeast: too few seen, the missing sources' failed connects named (or nothing added)", async (t) => {
  const spec = { endpoint: "q", source: ["198.18.1.10", "198.18.1.11", "198.18.1.12"], atLeast: 2 };
  const server = endpoint("q", "server", { bind: ["tcp://198.18.2.10:5556"], peers: [peer("198.18.1.12")] });
  const withReasons = sourceSeen(
    spec,
    observations([server, endpoint("c", "client", { noHandshake: [noHandshake("198.18.1.10", "198.18.2.10:5556", "first"), noHandshake("198.18.1.11", "198.18.2.10:5556", "second")] })]),
  );
  t.notOk(withReasons.ok, "1 of 3 seen, 2 needed");
  t.equal(withReasons.message, "server saw 198.18.1.12 only; 1 of the sources seen, at least 2 expected (first; second)");
  const withoutReasons = sourceSeen(spec, observations([server]));
  t.equal(withoutReasons.message, "server saw 198.18.1.12 only; 1 of the sources seen, at least 2 expected", "no failed connect: no parentheses");
});

t.test("an unknown kind with several keys names them all", async (t) => {
  t.throws(() => evaluateOne({ a: {}, b: {} } as never, observations([])), { message: "unknown expectation kind: a, b" });
});

t.test("helpers: mapped addresses with long octets, keys of different lengths", async (t) => {
  t.equal(normalAddress("::ffff:198.18.12.10"), "198.18.12.10", "every octet may have several digits");
  t.ok(byAddress("198.18.1", "198.18.1.1") < 0, "a key that ends first sorts first, even against a 1");
  t.ok(byAddress("198.18.1.1", "198.18.1") > 0);
});
