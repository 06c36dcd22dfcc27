// The expectation kinds of program endpoints, judged from hand-made observations: exited and
// output, and the registry that finds every kind's judge.
import t from "tap";
import { EXPECTATION_KINDS, evaluateOne, exited, output, type Observations } from "../../controller/expect/index.js";
import type { EndpointReport, ProgramOutcome } from "../../controller/traffic/types.js";

function program(name: string, outcome: Partial<ProgramOutcome> = {}, fields: Partial<EndpointReport> = {}): EndpointReport {
  return {
    name,
    node: "client",
    socket: "program",
    program: { command: ["python3", "/app/sub.py"], exitCode: 0, stopped: false, killed: false, durationMs: 1500, lastLines: ["received 500 from 198.18.1.10"], ...outcome },
    bind: [],
    connect: ["tcp://198.18.1.10:0;198.18.2.10:5556"],
    sent: 0,
    received: 0,
    from: {},
    gaps: 0,
    duplicates: 0,
    reordered: 0,
    peers: [],
    handshakes: [],
    noHandshake: [],
    errors: [],
    ...fields,
  };
}

function observations(endpoints: EndpointReport[], outputs?: Record<string, string[]>): Observations {
  return {
    traffic: { lab: "unit", started: "2026-01-01T00:00:00.000Z", durationMs: 1000, clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 }, endpoints },
    flows: {},
    addresses: {},
    ...(outputs ? { outputs } : {}),
  };
}

t.test("exited: the exit code, by itself", async (t) => {
  const ok = exited({ endpoint: "sub" }, observations([program("sub")]));
  t.equal(ok.ok, true, ok.message);
  t.equal(ok.kind, "exited");
  t.equal(ok.description, "sub exits with code 0");
  t.equal(ok.expected, "exit 0");
  t.equal(ok.observed, "exit 0 after 1.5 s");
  t.equal(ok.message, "sub exited with 0 after 1.5 s");
  t.same(ok.evidence, { exitCode: 0, stopped: false, killed: false, durationMs: 1500 });

  const one = exited({ endpoint: "sub" }, observations([program("sub", { exitCode: 1, lastLines: ["a", "b", "received 3 of 500", "timeout"] })]));
  t.equal(one.ok, false, "exit 1 where 0 is expected fails");
  t.equal(one.message, "sub exited with 1, not 0; its last lines: b | received 3 of 500 | timeout", "with its last three lines");
  t.equal(one.observed, "exit 1 after 1.5 s");

  const wanted = exited({ endpoint: "sub", code: 1 }, observations([program("sub", { exitCode: 1 })]));
  t.equal(wanted.ok, true, "an expected non-zero code holds");
  t.equal(wanted.description, "sub exits with code 1");
  t.equal(exited({ endpoint: "sub", code: 1 }, observations([program("sub", { exitCode: 0 })])).ok, false, "0 where 1 is expected fails");

  const missing = exited({ endpoint: "sub" }, observations([program("sub", { exitCode: 127, lastLines: [] })]));
  t.equal(missing.message, "sub exited with 127, not 0 (127: the command was not found in the node's image); it printed nothing");
});

t.test("exited: stopped at the deadline", async (t) => {
  const stopped = program("pub", { exitCode: 143, stopped: true, durationMs: 20_000, lastLines: ["sent 10"] });
  const plain = exited({ endpoint: "pub", code: 0 }, observations([stopped]));
  t.equal(plain.ok, false, "a stopped program did not exit by itself, whatever its code");
  t.equal(plain.observed, "stopped after 20.0 s");
  t.equal(plain.message, "pub did not end by itself: zmqlab stopped it after 20.0 s (its timeout or the end of the traffic phase); its last lines: sent 10");
  const sigkill = exited({ endpoint: "pub", code: 0 }, observations([{ ...stopped, program: { ...stopped.program!, killed: true } }]));
  t.equal(sigkill.observed, "stopped after 20.0 s (SIGKILL)");

  const wanted = exited({ endpoint: "pub", stopped: true }, observations([stopped]));
  t.equal(wanted.ok, true, "stopped: true holds for a stopped program");
  t.equal(wanted.description, "pub still runs at its deadline (zmqlab stops it)");
  t.equal(wanted.expected, "stopped at its deadline");
  t.equal(wanted.message, "pub ran until zmqlab stopped it after 20.0 s");
  const early = exited({ endpoint: "pub", stopped: true }, observations([program("pub", { exitCode: 0 })]));
  t.equal(early.ok, false, "stopped: true fails for a program that ended by itself");
  t.match(early.message, /^pub ended by itself with exit 0 after 1\.5 s, before its deadline/);
});

t.test("exited: a program that never started, or no program at all", async (t) => {
  const never = exited({ endpoint: "sub" }, observations([program("sub", { exitCode: null, durationMs: 0, lastLines: [] }, { errors: ["could not start python3 in client: no such container"] })]));
  t.equal(never.ok, false);
  t.equal(never.observed, "never started");
  t.equal(never.message, "sub never started: could not start python3 in client: no such container");
  t.equal(exited({ endpoint: "sub", stopped: true }, observations([program("sub", { exitCode: null })])).ok, false, "a program that never started was not stopped either");

  const agent = exited({ endpoint: "sub" }, observations([{ ...program("sub"), socket: "sub", program: undefined } as EndpointReport]));
  t.equal(agent.ok, false, "an agent endpoint is no program");
  t.equal(agent.message, "no program endpoint sub in the traffic report");
  t.equal(exited({ endpoint: "nope" }, observations([])).observed, "no such program in the report");
});

t.test("output: a line matches, or with not, none does", async (t) => {
  const lines = ["starting", "received 500 from 198.18.1.10", "bye"];
  const hit = output({ endpoint: "sub", matches: "received 500" }, observations([program("sub")], { sub: lines }));
  t.equal(hit.ok, true, hit.message);
  t.equal(hit.kind, "output");
  t.equal(hit.description, "sub's output matches /received 500/");
  t.equal(hit.expected, "a line matching /received 500/");
  t.equal(hit.observed, "1 line matched, first: received 500 from 198.18.1.10");
  t.equal(hit.message, "matched: received 500 from 198.18.1.10");
  t.same(hit.evidence, { matching: ["received 500 from 198.18.1.10"], lines: 3 });

  const miss = output({ endpoint: "sub", matches: "^received 500$" }, observations([program("sub")], { sub: lines }));
  t.equal(miss.ok, false, "an anchored pattern needs the whole line");
  t.equal(miss.observed, "no match in 3 lines");
  t.equal(miss.message, "no line of sub's output matched /^received 500$/; its last lines: starting | received 500 from 198.18.1.10 | bye");

  const silent = output({ endpoint: "sub", matches: "x" }, observations([program("sub")], { sub: [] }));
  t.equal(silent.observed, "no output");
  t.equal(silent.message, "no line of sub's output matched /x/; it printed nothing");

  const not = output({ endpoint: "sub", matches: "Traceback", not: true }, observations([program("sub")], { sub: lines }));
  t.equal(not.ok, true, "not: no line matches");
  t.equal(not.description, "sub's output never matches /Traceback/");
  t.equal(not.expected, "no line matching /Traceback/");
  t.equal(not.message, "no line of 3 matched");
  const crashed = output({ endpoint: "sub", matches: "Traceback", not: true }, observations([program("sub")], { sub: ["Traceback (most recent call last):", "Traceback again"] }));
  t.equal(crashed.ok, false, "not fails when a line matches");
  t.equal(crashed.message, "2 lines matched, first: Traceback (most recent call last):");

  const fromReport = output({ endpoint: "sub", matches: "received 500" }, observations([program("sub")]));
  t.equal(fromReport.ok, true, "without the whole output, the report's last lines are read");
  t.equal(output({ endpoint: "sub", matches: "x" }, observations([])).message, "no program endpoint sub in the traffic report");
});

t.test("exited and output judge the named program among several, and keep the spec", async (t) => {
  const endpoints = [program("first", { exitCode: 2, lastLines: ["first says hi"] }), program("sub", { exitCode: 0, lastLines: ["sub says hi"] })];
  const byName = exited({ endpoint: "sub" }, observations(endpoints));
  t.equal(byName.ok, true, "sub's own exit 0 is judged, not the first program's 2");
  t.same(byName.spec, { endpoint: "sub" }, "the result carries the spec as written");
  t.same(exited({ endpoint: "sub", code: 2 }, observations(endpoints)).spec, { endpoint: "sub", code: 2 });
  const said = output({ endpoint: "sub", matches: "sub says" }, observations(endpoints));
  t.equal(said.ok, true, "sub's own lines are read, not the first program's");
  t.same(said.spec, { endpoint: "sub", matches: "sub says" });
  t.equal(output({ endpoint: "sub", matches: "first says" }, observations(endpoints)).ok, false, "another program's line is not sub's");

  const none = output({ endpoint: "nope", matches: "." }, observations(endpoints));
  t.equal(none.ok, false, "no such program fails");
  t.equal(none.observed, "no such program in the report");
  t.same(none.evidence, {});
  const agent = output({ endpoint: "sub", matches: "." }, observations([{ ...program("sub"), socket: "sub", program: undefined } as EndpointReport], { sub: ["x"] }));
  t.equal(agent.ok, false, "an agent endpoint's lines are no program output");
});

t.test("exited: never started, with every error or none", async (t) => {
  const two = exited({ endpoint: "sub" }, observations([program("sub", { exitCode: null, lastLines: [] }, { errors: ["no node", "no image"] })]));
  t.equal(two.message, "sub never started: no node; no image");
  const bare = exited({ endpoint: "sub" }, observations([program("sub", { exitCode: null, lastLines: [] }, { errors: [] })]));
  t.equal(bare.message, "sub never started");
});

t.test("output: the last three lines in the message, ten matches in the evidence", async (t) => {
  const lines = Array.from({ length: 12 }, (_, i) => `line ${i}`);
  const miss = output({ endpoint: "sub", matches: "nothing" }, observations([program("sub")], { sub: lines }));
  t.equal(miss.message, "no line of sub's output matched /nothing/; its last lines: line 9 | line 10 | line 11");
  const many = output({ endpoint: "sub", matches: "line" }, observations([program("sub")], { sub: lines }));
  t.same(many.evidence, { matching: lines.slice(0, 10), lines: 12 }, "at most ten matching lines are kept");
});

t.test("the registry: every kind has a judge, evaluateOne finds it", async (t) => {
  t.same(
    EXPECTATION_KINDS.map((k) => k.kind),
    ["delivered", "sourceSeen", "path", "unreachable", "balanced", "exited", "output", "recovered", "lost", "reconnected", "latency"],
    "every kind of the lab file, in the docs' order",
  );
  const obs = observations([program("sub", { exitCode: 3 })], { sub: ["hello"] });
  t.equal(evaluateOne({ exited: { endpoint: "sub", code: 3 } }, obs).ok, true, "exited is found");
  t.equal(evaluateOne({ output: { endpoint: "sub", matches: "hel+o" } }, obs).ok, true, "output is found");
  t.throws(() => evaluateOne({ nonsense: {} } as never, obs), /unknown expectation kind: nonsense/);
});
