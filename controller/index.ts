// The package's main entry ("zmqlab"): bring a lab up, use its nodes, run and check it, take it
// down; the report and its types; the errors. The words are the CLI's: `zmqlab up`, `run`,
// `check`, `down`. Lower-level pieces (loading and planning, the engine, traffic sessions and
// agents, judges, report formats) are in "zmqlab/advanced".
export { up } from "./provision/up.js";
export { attach } from "./provision/attach.js";
export { down, type Removed } from "./provision/down.js";
export { run, runLab, check, type LabReport, type RunOptions, type CheckOptions } from "./run/index.js";
export { RunningLab, type Disposal } from "./provision/running-lab.js";
export { LabNode, type SpawnOptions } from "./provision/lab-node.js";
export type { LabOptions, UpOptions } from "./provision/lifecycle.js";
export type { Placement } from "./provision/placement.js";
export { ZmqlabError, LabError, EnvironmentError, Cancelled, type Problem } from "./errors.js";
export { VERSION } from "./version.js";

// Types that the functions and objects above take or return.
export type { LoadedLab } from "./lab/load.js";
export type * from "./lab/types.js";
export type { Relocation } from "./lab/relocate.js";
export type * from "./plan/types.js";
export type { Program, ProgramResult } from "./engine/program.js";
export type { ExecResult, Process, Started, Stdio, Terminal } from "./engine/exec.js";
export type { Runtime, NodeHandle, NodeStatus, ActionEffect, CreatedNode, EngineSubnet, HostRoute, LabResources } from "./engine/runtime.js";
export type { KernelState, InterfaceState, RouteState, RuleState } from "./observe/kernel.js";
export type { FlowCount } from "./observe/flows.js";
export type * from "./traffic/types.js";
export type { ExpectationKind, ExpectationResult, Observations, Phase } from "./expect/index.js";
export type { Peer } from "../shared/protocol.js";
export type { TcpEntry, SockAddr } from "../shared/proc-net.js";
export type { CaptureOptions } from "./capture/settings.js";
export type { CaptureMode, CaptureReport, CapturedConnection } from "./capture/types.js";

// Many runs of a lab: `zmqlab run --repeat N` and `zmqlab sweep`, as instances, J at once.
export { repeat, type RepeatOptions, type RepeatReport, type RepeatedExpectation } from "./runs/repeat.js";
export { sweep, type SweepOptions, type SweepReport, type SweepRow, type SweepCell } from "./runs/sweep.js";
export type { PoolProgress, RunOutcome } from "./runs/pool.js";
export type { Distribution } from "./runs/figures.js";
