// exited: a program endpoint ended with the given exit code (0 when not given), by itself; or,
// with `stopped: true`, it was still running at its deadline and zmqlab stopped it.
import Type, { type Static } from "typebox";
import { endpointName, expectation } from "../kind.js";
import { type ExpectationResult, type Observations } from "../types.js";

const body = Type.Object(
  {
    endpoint: endpointName("The program endpoint."),
    code: Type.Optional(Type.Integer({ minimum: 0, maximum: 255, description: "Its exit code (default 0)." })),
    stopped: Type.Optional(Type.Boolean({ description: "It must still run at its deadline (zmqlab stops it)." })),
  },
  { additionalProperties: false, description: "A program endpoint's end: exit code (default 0), or stopped: true when it must still run at its deadline." },
);
type Spec = Static<typeof body>;

export function describeExited(spec: Spec): string {
  return spec.stopped ? `${spec.endpoint} still runs at its deadline (zmqlab stops it)` : `${spec.endpoint} exits with code ${spec.code ?? 0}`;
}

export function exited(spec: Spec, observations: Observations): ExpectationResult {
  const description = describeExited(spec);
  const expected = spec.stopped ? "stopped at its deadline" : `exit ${spec.code ?? 0}`;
  const base = { kind: "exited" as const, description, expected, spec: { ...spec } };
  const endpoint = observations.traffic.endpoints.find((e) => e.name === spec.endpoint);
  const program = endpoint?.program;
  if (!endpoint || !program) return { ...base, ok: false, observed: "no such program in the report", message: `no program endpoint ${spec.endpoint} in the traffic report`, evidence: {} };
  const evidence = { exitCode: program.exitCode, stopped: program.stopped, killed: program.killed, durationMs: program.durationMs };
  const seconds = `${(program.durationMs / 1000).toFixed(1)} s`;
  const observed = program.exitCode === null ? "never started" : program.stopped ? `stopped after ${seconds}${program.killed ? " (SIGKILL)" : ""}` : `exit ${program.exitCode} after ${seconds}`;
  const tail = program.lastLines.length ? `; its last lines: ${program.lastLines.slice(-3).join(" | ")}` : "; it printed nothing";
  let ok: boolean;
  let message: string;
  if (program.exitCode === null) {
    ok = false;
    message = `${spec.endpoint} never started${endpoint.errors.length ? `: ${endpoint.errors.join("; ")}` : ""}`;
  } else if (spec.stopped) {
    ok = program.stopped;
    message = ok ? `${spec.endpoint} ran until zmqlab stopped it after ${seconds}` : `${spec.endpoint} ended by itself with exit ${program.exitCode} after ${seconds}, before its deadline${tail}`;
  } else if (program.stopped) {
    ok = false;
    message = `${spec.endpoint} did not end by itself: zmqlab stopped it after ${seconds} (its timeout or the end of the traffic phase)${tail}`;
  } else {
    ok = program.exitCode === (spec.code ?? 0);
    message = ok
      ? `${spec.endpoint} exited with ${program.exitCode} after ${seconds}`
      : `${spec.endpoint} exited with ${program.exitCode}, not ${spec.code ?? 0}${program.exitCode === 127 ? " (127: the command was not found in the node's image)" : ""}${tail}`;
  }
  return { ...base, ok, observed, message, evidence };
}

export const exitedKind = expectation({
  kind: "exited",
  body,
  doc: { holds: "the program ended by itself with that code (default 0); `stopped: true` instead: it was still running at its deadline and zmqlab stopped it", observedFrom: "the program's exit" },
  needs: { endpoint: { of: "program", hint: "exited judges a program endpoint (command:); for the agent, use delivered" } },
  validate(spec, check, at) {
    if (spec.stopped === true && spec.code !== undefined)
      check.problem(at, "both code and stopped: true", "stopped: true expects the program to be stopped at its deadline; code: N expects it to exit by itself");
  },
  judge: exited,
});
