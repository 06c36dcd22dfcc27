// A fault that could begin only when an earlier fault on its node was over (a start planned 1 s
// after a stop, on an engine that takes 2 s to stop and start a node) says so: in the line the run
// prints, in the terminal's fault list and in the JSON report, instead of only landing late.
import t from "tap";
import { Ajv } from "ajv";
import { faultEvents, faultLine, waitedFor, type Chain, type Outcome } from "../../controller/traffic/fault-outcomes.js";
import { faultText } from "../../controller/report/traffic-text.js";
import { FAULT_EVENT } from "../../controller/traffic/types.js";
import type { FaultPlan } from "../../controller/plan/types.js";

const chain = (fault: string, node: string, over: number): Chain => ({ fault, node, over: Promise.resolve(over) });

t.test("the earlier fault over last, and only when it was over after this one's work was to begin", async (t) => {
  t.same(await waitedFor([], 1000), undefined, "nothing earlier: it began in time");
  t.same(await waitedFor([chain("r2-down", "r2", 900)], 1000), undefined, "over before the begin: no wait");
  t.same(await waitedFor([chain("r2-down", "r2", 1000)], 1000), undefined, "over at the begin: no wait");
  t.same(await waitedFor([chain("r2-down", "r2", 1001)], 1000), { fault: "r2-down", node: "r2", done: 1001 });
  t.same(await waitedFor([chain("cut", "a", 1500), chain("r2-down", "r2", 1800), chain("lossy", "b", 1200)], 1000), { fault: "r2-down", node: "r2", done: 1800 }, "of several, the one over last");
  t.same(await waitedFor([chain("late", "a", 1800), chain("early", "b", 1500)], 1000), { fault: "late", node: "a", done: 1800 }, "whatever their order");
});

const plan = (name: string, atMs: number): FaultPlan => ({ name, atMs, description: `start node r2`, steps: [] }) as unknown as FaultPlan;

t.test("the run's line, the terminal's list and the JSON say what it waited for", async (t) => {
  const t0 = 1_000_000;
  const outcome: Outcome = { actual: t0 + 10_362.4, done: t0 + 14_810, waitedFor: { fault: "r2-down", node: "r2", done: t0 + 7_205.2 } };
  t.equal(faultLine(plan("r2-up", 7000), outcome, t0), "fault r2-up: planned at 7000 ms, took effect at 10362 ms (it began after fault r2-down on r2 was over, at 7205 ms): start node r2");
  t.equal(faultLine(plan("r2-up", 7000), { actual: t0 + 7003 }, t0), "fault r2-up: planned at 7000 ms, took effect at 7003 ms: start node r2", "in time: nothing more");
  const [event] = faultEvents([plan("r2-up", 7000)], new Map([["r2-up", outcome]]), t0);
  t.same(event, { name: "r2-up", atMs: 7000, actualMs: 10362.4, doneMs: 14810, waitedFor: { fault: "r2-down", node: "r2", doneMs: 7205.2 }, ok: true });
  t.ok(new Ajv({ strict: false }).validate(FAULT_EVENT, event), "the report's schema takes it");
  t.equal(faultText(event!), "r2-up planned 7000, took effect 10362 (it began after fault r2-down on r2 was over, at 7205 ms)");
  const onTime: Outcome = { ...outcome, actual: t0 + 7050 };
  t.equal(faultLine(plan("r2-up", 7000), onTime, t0), "fault r2-up: planned at 7000 ms, took effect at 7050 ms: start node r2", "on time (50 ms): what it waited for is not told");
  t.notOk("waitedFor" in faultEvents([plan("r2-up", 7000)], new Map([["r2-up", onTime]]), t0)[0]!, "nor in the JSON");
  const justLate: Outcome = { ...outcome, actual: t0 + 7050.2 };
  t.match(faultLine(plan("r2-up", 7000), justLate, t0), /\(it began after fault r2-down/, "past 50 ms it is");
  t.match(faultEvents([plan("r2-up", 7000)], new Map([["r2-up", justLate]]), t0)[0], { waitedFor: { fault: "r2-down" } });
  const [plain] = faultEvents([plan("r2-up", 7000)], new Map([["r2-up", { actual: t0 + 7003 }]]), t0);
  t.notOk("waitedFor" in plain!, "absent when it began in time");
  t.equal(faultText(plain!), "r2-up planned 7000, took effect 7003");
});
