// Every expectation kind, one line each. The lab file's expectation types and schema, validation,
// judging, the report's kinds and the docs' table are all made from this list.
import Type, { type Static, type TObject, type TSchema } from "typebox";
import { faultName, type ExpectationKind as KindModule } from "./kind.js";
import { EXPECTATION_RESULT } from "./types.js";
import { balancedKind } from "./kinds/balanced.js";
import { deliveredKind } from "./kinds/delivered.js";
import { exitedKind } from "./kinds/exited.js";
import { latencyKind } from "./kinds/latency.js";
import { lostKind } from "./kinds/lost.js";
import { outputKind } from "./kinds/output.js";
import { pathKind } from "./kinds/path.js";
import { reconnectedKind } from "./kinds/reconnected.js";
import { recoveredKind } from "./kinds/recovered.js";
import { sourceSeenKind } from "./kinds/source-seen.js";
import { unreachableKind } from "./kinds/unreachable.js";

export const EXPECTATION_KINDS = [deliveredKind, sourceSeenKind, pathKind, unreachableKind, balancedKind, exitedKind, outputKind, recoveredKind, lostKind, reconnectedKind, latencyKind] as const;

type Kind = (typeof EXPECTATION_KINDS)[number];

/** Every kind a lab file can state. */
export type LabExpectationKind = Kind["kind"];

/**
 * Any expectation can be judged on one phase of the fault timeline (faults:) only: what happened
 * before a fault, after it, or between two. At most one of the three.
 */
export interface PhaseScope {
  before?: string;
  after?: string;
  between?: [string, string];
}

/** What every body takes for repeated runs (`zmqlab run --repeat`): the share of runs it must hold in. */
export interface RepeatScope {
  quorum?: number;
}

/** The body of an expectation of kind K (what follows `K:` in the lab file), with its phase and quorum. */
export type BodyOf<K extends LabExpectationKind> = Static<Extract<Kind, { kind: K }>["body"]> & PhaseScope & RepeatScope;

/** One expectation of the lab file: one kind and its body. */
export type ExpectationSpec = { [K in LabExpectationKind]: { [P in K]: BodyOf<K> } }[LabExpectationKind];

/**
 * The kinds a report holds: the lab file's, and zmqlab's built-in checks: `endpoint` (an endpoint
 * started), `fault` (a fault did what the lab says) and `capture` (the packets agree with the
 * kernels and counters).
 */
export type ExpectationKind = LabExpectationKind | "endpoint" | "fault" | "capture";

/** One expectation's verdict in the report's schema: the fields every verdict has, its kind one of the registry's. */
export function expectationResultSchema(kinds: Kinds = REGISTERED): TSchema {
  return {
    ...EXPECTATION_RESULT,
    properties: {
      ...EXPECTATION_RESULT.properties,
      kind: {
        enum: [...kinds.map((k) => k.kind), "endpoint", "fault", "capture"],
        description:
          "The expectation's kind; `endpoint`, `fault` and `capture` are zmqlab's built-in checks that an endpoint bound, connected and started, that a fault did what the lab says, and that the recorded packets agree with what the kernels and counters showed (listed only when they failed).",
      },
    },
  } as unknown as TSchema;
}

/** A list of kinds to work with: the registry's, or (in a test) the registry's and one more. */
export type Kinds = readonly KindModule[];
const REGISTERED = EXPECTATION_KINDS as unknown as Kinds;

/** The kind an expectation states, and its body. */
export function kindOf(spec: ExpectationSpec, kinds: Kinds = REGISTERED): { kind: KindModule; body: PhaseScope & Record<string, unknown> } {
  const kind = kinds.find((k) => k.kind in spec);
  // The schema admits registered kinds only: anything else is our bug.
  if (kind === undefined) throw new Error(`unknown expectation kind: ${Object.keys(spec).join(", ")}`);
  return { kind, body: (spec as Record<string, unknown>)[kind.kind] as PhaseScope & Record<string, unknown> };
}

export { faultName } from "./kind.js";

/** The phase keys every body takes (a timed kind's `after` is its own, and it takes no other). */
export const PHASE_SCHEMA = {
  before: Type.Optional(faultName("Judge only what happened before this fault ran.")),
  after: Type.Optional(faultName("Judge only what happened from this fault on.")),
  between: Type.Optional(Type.Array(faultName(), { minItems: 2, maxItems: 2, description: "Judge only what happened from the first fault to the second." })),
};

/** The key every body takes for repeated runs. */
export const REPEAT_SCHEMA = {
  quorum: Type.Optional(
    Type.Number({
      exclusiveMinimum: 0,
      maximum: 1,
      description: "With `zmqlab run --repeat N`: the share of the runs this expectation must hold in (0.95: 19 of 20; default 1, or --quorum). A single run ignores it.",
    }),
  ),
};

/** An expectation in the lab file's schema: exactly one kind, each body with the phase keys and the quorum. */
export function expectationSchema(kinds: Kinds = REGISTERED): TSchema {
  const properties = Object.fromEntries(
    kinds.map((k) => {
      const body = k.body as TObject;
      const phase = Object.fromEntries(Object.entries(PHASE_SCHEMA).filter(([key]) => !(key in body.properties)));
      return [k.kind, { ...body, properties: { ...body.properties, ...phase, ...REPEAT_SCHEMA } }];
    }),
  );
  return { type: "object", minProperties: 1, maxProperties: 1, additionalProperties: false, properties } as unknown as TSchema;
}
