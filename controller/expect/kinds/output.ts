// output: a regular expression matches a line of a program endpoint's stdout or stderr (with
// `not: true`, no line matches).
import Type, { type Static } from "typebox";
import { endpointName, expectation } from "../kind.js";
import { plural, type ExpectationResult, type Observations } from "../types.js";

const body = Type.Object(
  {
    endpoint: endpointName("The program endpoint."),
    matches: Type.String({ minLength: 1, description: "A JavaScript regular expression, matched against each line of its stdout and stderr." }),
    not: Type.Optional(Type.Boolean({ description: "No line may match." })),
  },
  { additionalProperties: false, description: "A regular expression that matches a line of a program endpoint's stdout or stderr (not: true, no line)." },
);
type Spec = Static<typeof body>;

/** Why the text is no regular expression, or undefined when it is one. */
export function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

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
    ? spec.not
      ? `no line of ${lines.length} matched`
      : `matched: ${matching[0]}`
    : spec.not
      ? `${plural(matching.length, "line")} matched, first: ${matching[0]}`
      : `no line of ${spec.endpoint}'s output matched /${spec.matches}/${lines.length ? `; its last lines: ${last}` : "; it printed nothing"}`;
  return { ...base, ok, observed, message, evidence: { matching: matching.slice(0, 10), lines: lines.length } };
}

export const outputKind = expectation({
  kind: "output",
  body,
  doc: { holds: "a line of the program's stdout or stderr matches the regular expression; `not: true`: no line does", observedFrom: "the program's whole output" },
  needs: { endpoint: { of: "program", hint: "output judges a program endpoint (command:); for the agent, use delivered" } },
  validate(spec, check, at) {
    const problem = regexProblem(spec.matches);
    if (problem) check.problem([...at, "matches"], `not a regular expression: ${problem}`, 'a JavaScript regular expression, e.g. "received 500"');
  },
  judge: output,
});
