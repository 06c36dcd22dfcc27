// The package's second entry ("zmqlab/advanced"): the pieces the main entry ("zmqlab") is made
// of, for who builds on them. A lab file loaded, validated and planned (pure); the engine; a node
// found by hand; the traffic phase, its sessions and agents; the routers' counters; observing and
// judging a run apart; the expectations' judges (the capture check's too); a live capture
// (`zmqlab capture`); the report formats; the in-memory engine.
export { loadLab, parseLab } from "./lab/load.js";
export { validateLab, type Finding } from "./lab/validate.js";
export { planLab, type PlanOptions } from "./plan/plan.js";
export { connectRuntime, type ConnectOptions } from "./engine/connect.js";
export { MemoryEngine, MemoryRuntime, dockerError, type Mishap, type Operation, type Call, type Answer } from "./engine/memory-runtime.js";
export { findNode, RunningNode } from "./provision/find-node.js";
export { runTraffic, trafficSession, TrafficSession, type TrafficOptions, type TrafficResult, type SessionState } from "./traffic/session.js";
export { startAgent, jobsFor, Agent } from "./traffic/agent.js";
export type { FaultHook } from "./traffic/fault-runner.js";
export type { AgentJob, EndpointJob, AgentEvent, EndpointResult } from "../shared/protocol.js";
export { readFlows, readCounters, zeroFlows } from "./observe/counters.js";
export { observe, judge, labAddresses } from "./run/index.js";
export { evaluate, evaluateOne, endpointFailures, captureFailures } from "./expect/index.js";
export { captureLive, type LiveOptions } from "./capture/live.js";
export { expectationsText } from "./report/expectations-text.js";
export { jsonReport, writeJsonReport, reportSchema } from "./report/json.js";
export { junitXml, writeJunitReport } from "./report/junit.js";
export { tapText } from "./report/tap.js";
// Many runs: the pool both are made of, the pure summaries, and their report formats.
export { runMany, runFileName, type RunJob, type RunFiles, type PoolOptions, type RunPage } from "./runs/pool.js";
export { summarize } from "./runs/repeat.js";
export { planSweep, differential, type SweepPlan } from "./runs/sweep.js";
export { distribution, distributions, numbersIn, NOT_FIGURES } from "./runs/figures.js";
export { repeatText } from "./report/repeat-text.js";
export { repeatJunitXml } from "./report/repeat-junit.js";
export { repeatHtml } from "./report/repeat-html.js";
export { sweepText } from "./report/sweep-text.js";
export { sweepJunitXml } from "./report/sweep-junit.js";
export { sweepHtml } from "./report/sweep-html.js";
export { runPageHtml } from "./report/html.js";
export { repeatSchema, sweepSchema } from "./report/schema.js";
