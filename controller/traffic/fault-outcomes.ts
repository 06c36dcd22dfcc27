// What each fault did: when it took effect and was done, or why it failed, told as the report's
// fault events (ms since time 0).
import type { Command, FaultPlan } from "../plan/types.js";
import { kernelHint } from "../provision/configure/failure.js";
import type { ListRun } from "./armed.js";
import type { FaultEvent } from "./types.js";

/** One fault's outcome (ms since the epoch): when it surely took effect, when it was done, or why it failed. */
export interface Outcome {
  actual?: number;
  done?: number;
  error?: string;
}

export const NOT_RUN = "it did not run: the traffic phase ended before its time";

/** Each fault as it happened, times since time 0 (`t0`, ms since the epoch). */
export function faultEvents(faults: FaultPlan[], outcomes: Map<string, Outcome>, t0: number): FaultEvent[] {
  const since = (ms: number | undefined) => (ms === undefined ? undefined : Math.round((ms - t0) * 10) / 10);
  return faults.map((f) => {
    const o = outcomes.get(f.name);
    if (!o) return { name: f.name, atMs: f.atMs, ok: false, error: NOT_RUN };
    const actualMs = since(o.actual);
    const doneMs = since(o.done);
    return {
      name: f.name,
      atMs: f.atMs,
      ...(actualMs !== undefined ? { actualMs } : {}),
      ...(doneMs !== undefined ? { doneMs } : {}),
      ok: o.error === undefined,
      ...(o.error !== undefined ? { error: o.error } : {}),
    };
  });
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
