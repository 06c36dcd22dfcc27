// Validation of phases (before/after/between) and of the kinds recovered, lost, reconnected:
// each problem at its path, with what to do. The lab is given as data (the fault timeline's
// own key, faults:, is validated on its own; these faults are valid).
import t from "tap";
import { validateLab } from "../../controller/lab/validate.js";
import type { ExpectationSpec, Lab } from "../../controller/lab/types.js";

type Faults = NonNullable<Lab["faults"]>;

function lab(expect: unknown[], faults: Faults = { cut: { at: "1s", node: "a", exec: ["true"] }, back: { at: 3000, node: "a", exec: ["true"] }, same: { at: "3s", node: "b", exec: ["true"] } }): Lab {
  return {
    name: "phases",
    networks: { n: { subnet: "198.19.70.0/24" } },
    nodes: { a: { interfaces: { n: "198.19.70.10" } }, b: { interfaces: { n: "198.19.70.11" } } },
    traffic: {
      pub: { node: "a", socket: "pub", bind: "tcp://198.19.70.10:5556", send: { count: 10 } },
      sub: { node: "b", socket: "sub", connect: "tcp://198.19.70.10:5556" },
      raw: { node: "b", socket: "sub", connect: "tcp://198.19.70.10:5556", format: "raw" },
      prog: { node: "b", command: ["true"] },
    },
    expect: expect as ExpectationSpec[],
    faults,
  } as Lab;
}

const findings = (expect: unknown[], faults?: Faults) => validateLab(lab(expect, faults)).map((f) => ({ at: f.at.join("."), message: f.message, hint: f.hint }));

t.test("a valid lab with phases and the timed kinds has no findings", async (t) => {
  t.same(
    findings([
      { delivered: { endpoint: "sub", atLeast: 1, after: "cut" } },
      { delivered: { endpoint: "sub", atLeast: 1, before: "cut" } },
      { delivered: { endpoint: "sub", atLeast: 1, between: ["cut", "back"] } },
      { recovered: { endpoint: "sub", after: "cut", within: "5s" } },
      { lost: { endpoint: "sub", atMost: 0, after: "back" } },
      { reconnected: { endpoint: "sub", after: "back" } },
    ]),
    [],
  );
});

t.test("a phase names a fault that exists", async (t) => {
  t.same(findings([{ delivered: { endpoint: "sub", after: "cutt" } }]), [{ at: "expect.0.delivered.after", message: 'no fault "cutt" in this lab', hint: 'did you mean "cut"?' }]);
  t.same(
    findings([{ path: { from: "198.19.70.11", to: "198.19.70.10", via: "a", before: "zzz" } }]).filter((f) => f.at.endsWith("before")),
    [{ at: "expect.0.path.before", message: 'no fault "zzz" in this lab', hint: "faults: cut, back, same" }],
  );
  t.same(findings([{ reconnected: { endpoint: "sub", after: "x" } }], {}), [
    { at: "expect.0.reconnected.after", message: 'no fault "x" in this lab', hint: "declare it under faults: (e.g. faults: { cut: { at: 2s, node: r1, network: servers, action: down } })" },
  ]);
  t.same(findings([{ delivered: { endpoint: "sub", between: ["cut", "nope"] } }]), [{ at: "expect.0.delivered.between.1", message: 'no fault "nope" in this lab', hint: "faults: cut, back, same" }]);
});

t.test("between is in time order, two different faults", async (t) => {
  t.same(findings([{ delivered: { endpoint: "sub", between: ["back", "cut"] } }]), [
    { at: "expect.0.delivered.between", message: "back (at 3000 ms) is not before cut (at 1000 ms)", hint: "name the earlier fault first: between: [cut, back]" },
  ]);
  t.same(
    findings([{ delivered: { endpoint: "sub", between: ["back", "same"] } }]),
    [{ at: "expect.0.delivered.between", message: "back (at 3000 ms) is not before same (at 3000 ms)", hint: "name the earlier fault first: between: [back, same] (or give them different times)" }],
    "equal times are not ordered",
  );
  t.same(findings([{ delivered: { endpoint: "sub", between: ["cut", "cut"] } }]), [
    { at: "expect.0.delivered.between", message: "between names cut twice", hint: "two faults: the phase runs from the first to the second" },
  ]);
});

t.test("one phase per expectation; the timed kinds take only after", async (t) => {
  t.same(findings([{ delivered: { endpoint: "sub", before: "back", after: "cut" } }]), [
    { at: "expect.0.delivered", message: "before and after together", hint: "one phase per expectation: before: F, after: F or between: [F, G]" },
  ]);
  t.same(findings([{ recovered: { endpoint: "sub", after: "cut", within: 10, before: "back" } }]), [
    { at: "expect.0.recovered.before", message: "recovered takes no before", hint: "recovered is judged from its fault on: after: FAULT names it" },
  ]);
  t.same(findings([{ reconnected: { endpoint: "sub", after: "cut", between: ["cut", "back"] } }]), [
    { at: "expect.0.reconnected.between", message: "reconnected takes no between", hint: "reconnected is judged from its fault on: after: FAULT names it" },
  ]);
});

t.test("the timed kinds name an agent endpoint; lost needs sequence numbers; within is a duration", async (t) => {
  t.same(findings([{ lost: { endpoint: "subb", atMost: 0 } }]), [{ at: "expect.0.lost.endpoint", message: 'no endpoint "subb" under traffic', hint: 'did you mean "sub"?' }]);
  t.same(findings([{ recovered: { endpoint: "prog", after: "cut", within: 10 } }]), [
    { at: "expect.0.recovered.endpoint", message: 'endpoint "prog" is a program', hint: "recovered reads zmqlab's agent's receive timeline; for a program, judge its output" },
  ]);
  t.same(findings([{ lost: { endpoint: "raw", atMost: 0 } }]), [
    { at: "expect.0.lost.endpoint", message: "raw reads raw messages: they carry no sequence numbers", hint: "lost counts gaps in zmqlab's sequence numbers: let the sender use zmqlab's framing" },
  ]);
  t.same(findings([{ recovered: { endpoint: "raw", after: "cut", within: 10 } }]), [], "recovered needs no sequence numbers");
  t.same(findings([{ recovered: { endpoint: "sub", after: "cut", within: "soon" } }]), [
    { at: "expect.0.recovered.within", message: '"soon" is not a duration', hint: "ms as a number, or a string such as 1500ms or 5s" },
  ]);
});
