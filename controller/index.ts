// The public TypeScript API: load a lab, bring it up, use it, take it down.
export { loadLab, parseLab, type LoadedLab } from "./lab/load.js";
export type * from "./lab/types.js";
export { validateLab, type Finding } from "./lab/validate.js";
export { planLab } from "./plan/plan.js";
export type * from "./plan/types.js";
export { up, attach, down, RunningLab, Cancelled, type UpOptions } from "./provision/running.js";
export type { KernelState, InterfaceState, RouteState, RuleState } from "./observe/kernel.js";
export type { FlowCount } from "./observe/flows.js";
export type { ExecResult } from "./engine/exec.js";
export { LabError, EnvironmentError, UsageError, ZmqlabError, type Problem } from "./errors.js";
export { runTraffic, startAgent, jobsFor, Agent, type TrafficOptions } from "./traffic/run.js";
export type * from "./traffic/types.js";
export type { AgentJob, EndpointJob, AgentEvent, EndpointResult, Peer } from "./agent/protocol.js";
