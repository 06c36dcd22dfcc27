// delivered with atMost: an upper bound alone ("at most 10 replies after the fault"), or with
// atLeast a range, both ends included; count stays exact. Every verdict path is pinned in
// test/golden/expect/delivered-range.txt, and the bounds a verdict hinges on by name here; the
// lab file's rules for the combinations (count with a bound, atLeast above atMost) below.
import t from "tap";
import { evaluateOne } from "../../controller/expect/index.js";
import { countRange } from "../../controller/expect/kinds/delivered.js";
import type { ExpectationResult } from "../../controller/expect/types.js";
import { golden } from "../support/golden.js";
import { problemsIn } from "../support/problems.js";
import { endpoint, observations, type Case } from "./expect-cases.js";

// 3 in all: 2 from a, 1 from b.
const mixed = endpoint("s", "client", { received: 3, from: { a: 2, b: 1 } });
const silent = endpoint("s", "client");
const failing = endpoint("s", "client", { received: 3, from: { a: 3 }, errors: ["socket error EADDRNOTAVAIL"] });

const cases: Case[] = [
  { name: "at most, exactly reached", spec: { delivered: { endpoint: "s", atMost: 3 } }, observations: observations([mixed]) },
  { name: "at most, one over", spec: { delivered: { endpoint: "s", atMost: 2 } }, observations: observations([mixed]) },
  { name: "at most, none came (holds: at most starts at 0)", spec: { delivered: { endpoint: "s", atMost: 10 } }, observations: observations([silent]) },
  { name: "at most 1 message, from one sender", spec: { delivered: { endpoint: "s", atMost: 1, from: "b" } }, observations: observations([mixed]) },
  { name: "at most, from one sender, one over", spec: { delivered: { endpoint: "s", atMost: 1, from: "a" } }, observations: observations([mixed]) },
  { name: "at most, over, with the endpoint's own errors", spec: { delivered: { endpoint: "s", atMost: 2 } }, observations: observations([failing]) },
  { name: "range, inside", spec: { delivered: { endpoint: "s", atLeast: 2, atMost: 4 } }, observations: observations([mixed]) },
  { name: "range, at its low end", spec: { delivered: { endpoint: "s", atLeast: 3, atMost: 5 } }, observations: observations([mixed]) },
  { name: "range, at its high end", spec: { delivered: { endpoint: "s", atLeast: 1, atMost: 3 } }, observations: observations([mixed]) },
  { name: "range, below it", spec: { delivered: { endpoint: "s", atLeast: 4, atMost: 6 } }, observations: observations([mixed]) },
  { name: "range, above it", spec: { delivered: { endpoint: "s", atLeast: 1, atMost: 2 } }, observations: observations([mixed]) },
  { name: "range from 0", spec: { delivered: { endpoint: "s", atLeast: 0, atMost: 1 } }, observations: observations([silent]) },
  { name: "range of one count reads as exactly", spec: { delivered: { endpoint: "s", atLeast: 3, atMost: 3, allowGaps: true } }, observations: observations([mixed]) },
];

function render(list: Case[]): string {
  return list
    .map((c) => {
      const r: ExpectationResult = evaluateOne(c.spec, c.observations);
      return [
        `## ${c.name}`,
        `spec:        ${JSON.stringify(Object.values(c.spec)[0])}`,
        `ok:          ${r.ok}`,
        `description: ${r.description}`,
        `expected:    ${r.expected}`,
        `observed:    ${r.observed}`,
        `message:     ${r.message}`,
        "",
      ].join("\n");
    })
    .join("\n");
}

const verdict = (name: string) => {
  const c = cases.find((x) => x.name === name);
  if (!c) throw new Error(`no case ${name}`);
  return evaluateOne(c.spec, c.observations);
};

t.test("golden verdicts", async (t) => {
  golden(t, "expect/delivered-range.txt", render(cases));
});

t.test("at most: the bound itself holds, one more fails, none holds", async (t) => {
  const reached = verdict("at most, exactly reached");
  t.equal(reached.ok, true, "atMost equal to the received count holds");
  t.equal(reached.description, "s receives at most 3 messages, no gaps or duplicates");
  t.equal(reached.expected, "at most 3, 0 gaps, 0 duplicates");
  const over = verdict("at most, one over");
  t.equal(over.ok, false, "one above atMost fails");
  t.equal(over.message, "s received 3, expected at most 2", "the message gives both counts");
  t.equal(verdict("at most, none came (holds: at most starts at 0)").ok, true, "atMost alone: no message holds");
  const one = verdict("at most 1 message, from one sender");
  t.equal(one.ok, true, "1 from b, 3 in all: only b's count is bounded");
  t.equal(one.description, "s receives at most 1 message from b, no gaps or duplicates");
  t.equal(verdict("at most, from one sender, one over").message, "s received 2 from a, expected at most 1");
  t.equal(verdict("at most, over, with the endpoint's own errors").message, "s received 3, expected at most 2: socket error EADDRNOTAVAIL");
});

t.test("a range: both ends included", async (t) => {
  const inside = verdict("range, inside");
  t.equal(inside.ok, true);
  t.equal(inside.description, "s receives between 2 and 4 messages, no gaps or duplicates");
  t.equal(inside.expected, "between 2 and 4, 0 gaps, 0 duplicates");
  t.equal(verdict("range, at its low end").ok, true, "the low end holds");
  t.equal(verdict("range, at its high end").ok, true, "the high end holds");
  const below = verdict("range, below it");
  t.equal(below.ok, false, "one below the low end fails");
  t.equal(below.message, "s received 3, expected between 4 and 6");
  const above = verdict("range, above it");
  t.equal(above.ok, false, "one above the high end fails");
  t.equal(above.message, "s received 3, expected between 1 and 2");
  const zero = verdict("range from 0");
  t.equal(zero.ok, true, "atLeast 0: nothing holds");
  t.equal(zero.description, "s receives between 0 and 1 message, no gaps or duplicates");
  const single = verdict("range of one count reads as exactly");
  t.equal(single.description, "s receives exactly 3 messages (gaps allowed)");
  t.equal(single.expected, "exactly 3");
  t.equal(single.ok, true);
});

t.test("the counts that hold", async (t) => {
  t.same(countRange({ endpoint: "s" }), { low: 1, high: Infinity }, "neither: at least one");
  t.same(countRange({ endpoint: "s", count: 4 }), { low: 4, high: 4 }, "count: exactly");
  t.same(countRange({ endpoint: "s", count: 4, atLeast: 1, atMost: 9 }), { low: 4, high: 4 }, "count wins over bounds (the lab file refuses both)");
  t.same(countRange({ endpoint: "s", atLeast: 2 }), { low: 2, high: Infinity });
  t.same(countRange({ endpoint: "s", atMost: 7 }), { low: 0, high: 7 }, "atMost alone starts at 0");
  t.same(countRange({ endpoint: "s", atLeast: 2, atMost: 7 }), { low: 2, high: 7 });
});

const LAB = `name: range
networks:
  n:
    subnet: 198.18.1.0/24
nodes:
  a:
    interfaces:
      n: 198.18.1.10
  b:
    interfaces:
      n: 198.18.1.11
traffic:
  feed:
    node: a
    socket: push
    bind: tcp://198.18.1.10:5556
    send:
      count: 10
  reader:
    node: b
    socket: pull
    connect: tcp://198.18.1.10:5556
expect:
  - delivered:
      endpoint: reader
      BOUNDS
`;
const lab = (bounds: string) => LAB.replace("BOUNDS", bounds);
/** The 1-based line of the first line holding `needle`. */
const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

t.test("the lab file: atMost alone, a range, and the combinations that cannot hold", async (t) => {
  t.same(problemsIn(lab("atMost: 10")), [], "atMost alone");
  t.same(problemsIn(lab("atLeast: 2\n      atMost: 10")), [], "a range");
  t.same(problemsIn(lab("atLeast: 5\n      atMost: 5")), [], "a range of one count");
  const bothText = lab("count: 10\n      atMost: 12");
  const both = problemsIn(bothText);
  t.equal(both.length, 1, "count with atMost: one problem");
  t.equal(both[0]?.path, "expect[0].delivered");
  t.equal(both[0]?.message, "both count and atMost");
  t.match(both[0]?.hint, /atMost for N or fewer/);
  t.equal(both[0]?.line, lineOf(bothText, "- delivered:"), "points at the expectation");
  const all = problemsIn(lab("count: 10\n      atLeast: 1\n      atMost: 12"));
  t.same(
    all.map((p) => p.message),
    ["both count and atLeast", "both count and atMost"],
    "each bound beside count said once",
  );
  const upsideText = lab("atLeast: 10\n      atMost: 5");
  const upside = problemsIn(upsideText);
  t.equal(upside.length, 1, "atLeast above atMost: one problem");
  t.equal(upside[0]?.path, "expect[0].delivered.atLeast");
  t.equal(upside[0]?.message, "atLeast 10 is more than atMost 5: no count can hold");
  t.equal(upside[0]?.hint, "swap them (atLeast: 5, atMost: 10), or count: N for exactly N");
  t.equal(upside[0]?.line, lineOf(upsideText, "atLeast: 10"), "the atLeast line");
  const negative = problemsIn(lab("atMost: -1"));
  t.equal(negative.length, 1, "a negative atMost is refused by the schema");
  t.equal(negative[0]?.path, "expect[0].delivered.atMost");
  const typo = problemsIn(lab("atmost: 3"));
  t.ok(typo.length >= 1, "an unknown key is refused");
});
