// Every verdict path of every expectation kind, pinned field by field: ok, expected, observed,
// the message naming the cause, and the evidence. The full results are golden files under
// test/golden/expect/ (reviewed by hand); the points a wrong verdict would hinge on are also
// asserted here by name.
import t from "tap";
import { evaluate } from "../../controller/expect/index.js";
import { evaluateOne } from "../../controller/expect/index.js";
import type { ExpectationResult } from "../../controller/expect/types.js";
import { andList, byAddress, destinations, normalAddress, packets, plural } from "../../controller/expect/types.js";
import { golden } from "../support/golden.js";
import { balancedCases, deliveredCases, endpoint, flow, observations, pathCases, sourceSeenCases, unreachableCases, type Case } from "./expect-cases.js";

function render(cases: Case[]): string {
  return cases
    .map((c) => {
      const r: ExpectationResult = evaluateOne(c.spec, c.observations);
      const body = Object.values(c.spec)[0];
      return [
        `## ${c.name}`,
        `spec:        ${JSON.stringify(body)}`,
        `kind:        ${r.kind}`,
        `ok:          ${r.ok}`,
        `description: ${r.description}`,
        `expected:    ${r.expected}`,
        `observed:    ${r.observed}`,
        `message:     ${r.message}`,
        `evidence:    ${JSON.stringify(r.evidence)}`,
        `spec echoed: ${JSON.stringify(r.spec) === JSON.stringify(body) && r.spec !== body}`,
        "",
      ].join("\n");
    })
    .join("\n");
}

t.test("golden verdicts", async (t) => {
  golden(t, "expect/delivered.txt", render(deliveredCases));
  golden(t, "expect/source-seen.txt", render(sourceSeenCases));
  golden(t, "expect/path.txt", render(pathCases));
  golden(t, "expect/unreachable.txt", render(unreachableCases));
  golden(t, "expect/balanced.txt", render(balancedCases));
});

const verdict = (cases: Case[], name: string) => {
  const c = cases.find((x) => x.name === name);
  if (!c) throw new Error(`no case ${name}`);
  return evaluateOne(c.spec, c.observations);
};

t.test("delivered: the boundaries a verdict hinges on", async (t) => {
  t.equal(verdict(deliveredCases, "at least, exactly reached").ok, true, "atLeast equal to the received count holds");
  const short = verdict(deliveredCases, "at least, one short");
  t.equal(short.ok, false, "atLeast one above the received count fails");
  t.equal(short.message, "s received 3, expected at least 4", "the message gives both counts");
  t.equal(verdict(deliveredCases, "exactly, one too many").message, "s received 3, expected 2", "exactly: one more fails too");
  t.equal(verdict(deliveredCases, "at least one (the default), none came").message, "s received 0, expected at least 1");
  t.equal(verdict(deliveredCases, "at least one (the default), one came").ok, true, "one message satisfies the default of at least one");
  const counted = verdict(deliveredCases, "exactly, from one of two senders");
  t.equal(counted.ok, true, "2 from a of 3 in all");
  t.same(counted.evidence, { received: 3, from: { a: 2, b: 1 }, gaps: 0, duplicates: 0, counted: 2 }, "evidence counts the named sender only");
  const allowed = verdict(deliveredCases, "gaps and duplicates allowed");
  t.equal(allowed.ok, true, "allowGaps allows duplicates as well as gaps");
  const lossy = verdict(deliveredCases, "gaps and duplicates fail");
  t.equal(lossy.message, "2 messages missing in the sequence (gaps): lost on the way or sent before the subscription arrived; 1 duplicate", "gaps and duplicates are both named, in that order");
});

t.test("sourceSeen, path, balanced: the reasons a verdict hinges on", async (t) => {
  const two = verdict(sourceSeenCases, "two extra sources with only");
  t.equal(two.ok, false);
  t.match(two.message, /^server saw 198\.18\.1\.10, 198\.18\.1\.12 and 198\.18\.1\.13; 198\.18\.1\.12 and 198\.18\.1\.13 are not among/, "extra sources listed, sorted");
  const zero = verdict(pathCases, "to a virtual address, translated");
  t.same(zero.evidence["destinations"], ["198.18.20.100", "198.18.21.10"], "a flow with zero packets is no DNAT target");
  t.equal(zero.evidence["packets"] && (zero.evidence["packets"] as Record<string, number>)["lb"], 7, "only the packets towards the translated destination count");
  const snat = verdict(balancedCases, "one backend took some sources, another saw a rewritten one");
  t.equal(snat.ok, false);
  t.match(snat.message, "b2's kernel saw 198.18.21.2 instead (not among the sources: SNAT", "the SNAT hint stays when another backend took some sources");
  const stranger = verdict(balancedCases, "every source landed but a backend also saw a stranger");
  t.equal(stranger.ok, true, "a stranger alone does not fail a balance that holds");
});

t.test("evaluate dispatches each kind and refuses an unknown one", async (t) => {
  const obs = observations([endpoint("w", "client", { noHandshake: [{ connect: "c", destination: "d", afterMs: 5, nodeAddresses: [], message: "m" }] })], { r1: [flow("1.1.1.1", "2.2.2.2", 1)] });
  const kinds = evaluate(
    [
      { balanced: { sources: ["1.1.1.1"], to: "2.2.2.2", over: ["r1"] } },
      { unreachable: { endpoint: "w" } },
      { path: { from: "1.1.1.1", to: "2.2.2.2", via: "r1" } },
      { sourceSeen: { endpoint: "w", source: "1.1.1.1" } },
      { delivered: { endpoint: "w", atLeast: 1 } },
    ],
    obs,
  ).map((r) => `${r.kind}:${r.ok}`);
  t.same(kinds, ["balanced:true", "unreachable:true", "path:true", "sourceSeen:false", "delivered:false"], "each spec goes to its own kind, in the lab's order");
  t.same(evaluate(undefined, obs), [], "no expectations: no results");
  t.throws(() => evaluateOne({ nonsense: {} } as never, obs), { message: "unknown expectation kind: nonsense" }, "an unknown kind is our bug, named");
});

t.test("helpers", async (t) => {
  t.equal(normalAddress("::FFFF:198.18.1.10"), "198.18.1.10", "IPv4-mapped becomes IPv4");
  t.equal(normalAddress("x::ffff:198.18.1.10"), "x::ffff:198.18.1.10", "only a whole mapped address is unmapped");
  t.equal(normalAddress("::ffff:198.18.1.10x"), "::ffff:198.18.1.10x");
  t.equal(normalAddress("2001:DB8::1"), "2001:db8::1", "lower case");
  t.equal(plural(1, "packet"), "1 packet");
  t.equal(plural(0, "packet"), "0 packets");
  t.equal(plural(2, "packet"), "2 packets");
  t.equal(andList([]), "");
  t.equal(andList(["a"]), "a");
  t.equal(andList(["a", "b"]), "a and b");
  t.equal(andList(["a", "b", "c"]), "a, b and c");
  t.equal(packets(undefined, "1.1.1.1", new Set(["2.2.2.2"])), 0, "a node without counters counted nothing");
  t.equal(
    packets([flow("1.1.1.1", "2.2.2.2", 2), flow("::ffff:1.1.1.1", "::FFFF:2.2.2.2", 3), flow("1.1.1.2", "2.2.2.2", 5), flow("1.1.1.1", "2.2.2.3", 7)], "1.1.1.1", new Set(["2.2.2.2"])),
    5,
    "only this source to these destinations, spellings normalised",
  );
  const obs = observations([], { lb: [flow("1.1.1.1", "3.3.3.3", 1), flow("1.1.1.2", "3.3.3.4", 1), flow("1.1.1.1", "3.3.3.5", 0)], r: [flow("1.1.1.1", "3.3.3.6", 1)] }, { lb: ["::ffff:2.2.2.2"] });
  t.same([...destinations(obs, "1.1.1.1", "2.2.2.2")], ["2.2.2.2", "3.3.3.3"], "a forwarding node's own address: its translated destinations for this source with packets");
  t.same([...destinations(obs, "1.1.1.1", "9.9.9.9")], ["9.9.9.9"], "any other address: itself");
  const sorted = ["2001:db8::10", "198.18.1.10", "2001:db8::9", "198.18.1.9", "10.0.0.1", "198.18.1.9"].sort(byAddress);
  t.same(sorted, ["10.0.0.1", "198.18.1.9", "198.18.1.9", "198.18.1.10", "2001:db8::9", "2001:db8::10"], "numeric within a family, IPv4 first");
  t.equal(byAddress("198.18.1.9", "198.18.1.9"), 0);
  t.ok(byAddress("198.18.1", "198.18.1.0") < 0, "a shorter key sorts first");
  t.ok(byAddress("198.18.1.0", "198.18.1") > 0);
  t.ok(byAddress("::1", "::2") < 0, "empty groups read as 0");
});
