// The built-in check behind every lab's faults: each fault did what the lab says, when it says.
// It is not written in the lab file; it shows (and fails the run) only for a fault that failed
// or did not run: a run whose fault did not happen did not do what the lab says.
import type { FaultEvent } from "../traffic/types.js";
import type { ExpectationResult, Observations } from "./types.js";

export function faultCheck(fault: FaultEvent): ExpectationResult {
  const when = fault.actualMs !== undefined ? `planned at ${fault.atMs} ms, took effect at ${fault.actualMs} ms` : `planned at ${fault.atMs} ms`;
  return {
    kind: "fault",
    description: `fault ${fault.name} runs at ${fault.atMs} ms`,
    ok: fault.ok,
    expected: "done as the lab declares",
    observed: fault.ok ? when : `failed: ${fault.error ?? "no reason given"}`,
    message: fault.ok ? `${fault.name} ran (${when})` : `fault ${fault.name} failed (${when}): ${fault.error ?? "no reason given"}`,
    spec: { fault: fault.name },
    evidence: { ...fault },
  };
}

/** One failed check per fault that failed or did not run, in the timeline's order; none when all ran. */
export function faultFailures(observations: Observations): ExpectationResult[] {
  return (observations.traffic.faults ?? []).filter((f) => !f.ok).map(faultCheck);
}
