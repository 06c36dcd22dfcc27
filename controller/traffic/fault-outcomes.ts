// What each fault did: when it took effect and was done, or why it failed, told as the report's
// fault events (ms since time 0).
import type { Command, FaultPlan } from "../plan/types.js";
import { kernelHint } from "../provision/configure/failure.js";
import type { ListRun } from "./armed.js";
import type { FaultEvent } from "./types.js";
import { waitedText } from "../report/traffic-text.js";

/** One fault's outcome (ms since the epoch): when it surely took effect, when it was done, or why it failed. */
export interface Outcome {
  actual?: number;
  done?: number;
  error?: string;
  /** The earlier fault on a node of this one that was done only after this one's work had to begin. */
  waitedFor?: { fault: string; node: string; done: number };
}

export const NOT_RUN = "it did not run: the traffic phase ended before its time";

/** A fault that took effect within this of its plan is on time (ms; docs/faults.md). */
export const ON_TIME_MS = 50;

/** What a fault waited for, told only where it landed late (a start begun seconds ahead waits for a stop and is still on time). */
function lateWait(fault: FaultPlan, o: Outcome, t0: number): Outcome["waitedFor"] {
  return o.actual !== undefined && o.actual - (t0 + fault.atMs) > ON_TIME_MS ? o.waitedFor : undefined;
}

/** Each fault as it happened, times since time 0 (`t0`, ms since the epoch). */
export function faultEvents(faults: FaultPlan[], outcomes: Map<string, Outcome>, t0: number): FaultEvent[] {
  const since = (ms: number | undefined) => (ms === undefined ? undefined : Math.round((ms - t0) * 10) / 10);
  return faults.map((f) => {
    const o = outcomes.get(f.name);
    if (!o) return { name: f.name, atMs: f.atMs, ok: false, error: NOT_RUN };
    const actualMs = since(o.actual);
    const doneMs = since(o.done);
    const waited = lateWait(f, o, t0);
    return {
      name: f.name,
      atMs: f.atMs,
      ...(actualMs !== undefined ? { actualMs } : {}),
      ...(doneMs !== undefined ? { doneMs } : {}),
      ...(waited ? { waitedFor: { fault: waited.fault, node: waited.node, doneMs: since(waited.done)! } } : {}),
      ok: o.error === undefined,
      ...(o.error !== undefined ? { error: o.error } : {}),
    };
  });
}

/** The last fault so far on a node, and when it is over (ms since the epoch): faults on one node run in order. */
export type Chain = { fault: string; node: string; over: Promise<number> };

/**
 * Of the earlier faults on this one's nodes, the one over last, where that was after `begin` (when
 * this one's work was to start): what made it begin late.
 */
export async function waitedFor(earlier: Chain[], begin: number): Promise<Outcome["waitedFor"]> {
  let last: Outcome["waitedFor"];
  for (const e of earlier) {
    const done = await e.over;
    if (done > begin && (!last || done > last.done)) last = { fault: e.fault, node: e.node, done };
  }
  return last;
}

/** The line the run prints when a fault is over. */
export function faultLine(fault: FaultPlan, o: Outcome, t0: number): string {
  const when = o.actual !== undefined ? `took effect at ${Math.round(o.actual - t0)} ms` : "did not take effect";
  const w = lateWait(fault, o, t0);
  const waited = w ? ` (${waitedText({ ...w, doneMs: w.done - t0 })})` : "";
  return `fault ${fault.name}: planned at ${fault.atMs} ms, ${when}${waited}: ${fault.description}${o.error !== undefined ? ` FAILED: ${o.error}` : ""}`;
}

/** Why a node's part of a fault failed (a string: it did not run), naming the command and why it was planned; none when it did not. */
export function stepFailure(node: string, commands: Command[], run: ListRun | string): string | undefined {
  if (typeof run === "string") return run;
  const index = run.commands.findIndex((c) => c.exitCode !== 0);
  if (index < 0) return undefined;
  const command = commands[index]!;
  const failed = run.commands[index]!;
  const output = (failed.stderr.trim() || failed.stdout.trim()).slice(0, 2000);
  const hint = /netem/.test(command.argv.join(" ")) ? ` (${kernelHint(command.argv, output)})` : "";
  return `in node ${node}, \`${command.argv.join(" ")}\` (${command.why}) failed with exit code ${failed.exitCode}${output ? `: ${output}` : ""}${hint}`;
}

/** The commands of a list up to the one that takes effect (all of them where none is marked). */
export function effectCount(commands: Command[]): number {
  const i = commands.findIndex((c) => c.effect);
  return i < 0 ? commands.length : i + 1;
}

/** When a node's list had surely taken effect: the end of its command marked `effect`, else its own end. */
export function effectEnd(commands: Command[], run: ListRun): number {
  return run.commands[effectCount(commands) - 1]?.end ?? run.end;
}
