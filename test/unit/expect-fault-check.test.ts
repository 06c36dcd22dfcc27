// The built-in `fault` check (controller/expect/fault.ts): a fault that failed or did not run fails
// the run with its reason and its planned and actual times; a fault that ran adds nothing.
import t from "tap";
import { faultCheck, faultFailures } from "../../controller/expect/fault.js";
import type { FaultEvent } from "../../controller/traffic/types.js";
import { observations } from "./expect-cases.js";

const ran: FaultEvent = { name: "r1-down", atMs: 2000, actualMs: 2004, ok: true };
const failed: FaultEvent = { name: "oops", atMs: 500, actualMs: 503, ok: false, error: "false exited with code 1" };
const notRun: FaultEvent = { name: "later", atMs: 9000, ok: false };

t.test("a fault that ran: its check holds and says when", async (t) => {
  t.same(faultCheck(ran), {
    kind: "fault",
    description: "fault r1-down runs at 2000 ms",
    ok: true,
    expected: "done as the lab declares",
    observed: "planned at 2000 ms, took effect at 2004 ms",
    message: "r1-down ran (planned at 2000 ms, took effect at 2004 ms)",
    spec: { fault: "r1-down" },
    evidence: ran,
  });
});

t.test("a fault that failed: why, and when it was planned and took effect", async (t) => {
  const check = faultCheck(failed);
  t.equal(check.ok, false);
  t.equal(check.observed, "failed: false exited with code 1");
  t.equal(check.message, "fault oops failed (planned at 500 ms, took effect at 503 ms): false exited with code 1");
  t.same(check.evidence, failed);
  t.not(check.evidence, failed, "a copy: the report's event is not shared");
});

t.test("a fault that did not run: no time it took effect, no reason given", async (t) => {
  const check = faultCheck(notRun);
  t.equal(check.observed, "failed: no reason given");
  t.equal(check.message, "fault later failed (planned at 9000 ms): no reason given");
});

t.test("faultFailures: one check per fault that failed or did not run, in order; none otherwise", async (t) => {
  const o = observations([]);
  t.same(faultFailures(o), [], "no faults in the run");
  t.same(faultFailures({ ...o, traffic: { ...o.traffic, faults: [ran] } }), [], "every fault ran");
  const checks = faultFailures({ ...o, traffic: { ...o.traffic, faults: [failed, ran, notRun] } });
  t.same(
    checks.map((c) => [c.kind, c.spec, c.ok]),
    [
      ["fault", { fault: "oops" }, false],
      ["fault", { fault: "later" }, false],
    ],
  );
});
