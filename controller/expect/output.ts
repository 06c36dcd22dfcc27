// output: a regular expression matches a line of a program endpoint's stdout or stderr (with
// `not: true`, no line matches).
import type { OutputSpec } from "../lab/types.js";
import { plural, type ExpectationResult, type Observations } from "./types.js";

type Spec = OutputSpec["output"];

export function describeOutput(spec: Spec): string {
  return `${spec.endpoint}'s output ${spec.not ? "never matches" : "matches"} /${spec.matches}/`;
}

export function output(spec: Spec, observations: Observations): ExpectationResult {
  const description = describeOutput(spec);
  const base = { kind: "output" as const, description, expected: `${spec.not ? "no line matching" : "a line matching"} /${spec.matches}/`, spec: { ...spec } };
  const endpoint = observations.traffic.endpoints.find((e) => e.name === spec.endpoint);
  if (!endpoint?.program) return { ...base, ok: false, observed: "no such program in the report", message: `no program endpoint ${spec.endpoint} in the traffic report`, evidence: {} };
  const lines = observations.outputs?.[spec.endpoint] ?? endpoint.program.lastLines;
  const pattern = new RegExp(spec.matches);
  const matching = lines.filter((l) => pattern.test(l));
  const ok = spec.not ? matching.length === 0 : matching.length > 0;
  const observed = matching.length ? `${plural(matching.length, "line")} matched, first: ${matching[0]}` : lines.length ? `no match in ${plural(lines.length, "line")}` : "no output";
  const last = lines.slice(-3).join(" | ");
  const message = ok
    ? spec.not ? `no line of ${lines.length} matched` : `matched: ${matching[0]}`
    : spec.not ? `${plural(matching.length, "line")} matched, first: ${matching[0]}` : `no line of ${spec.endpoint}'s output matched /${spec.matches}/${lines.length ? `; its last lines: ${last}` : "; it printed nothing"}`;
  return { ...base, ok, observed, message, evidence: { matching: matching.slice(0, 10), lines: lines.length } };
}
