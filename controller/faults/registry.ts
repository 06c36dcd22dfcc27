// Every fault kind, one line each. The lab file's fault schema, validation, the timeline walk,
// planning and the docs' table are all made from this list.
import Type, { type TOptional, type TSchema } from "typebox";
import type { FaultKind, FaultSpec } from "./kind.js";
import { execKind } from "./kinds/exec.js";
import { downKind, upKind } from "./kinds/link.js";
import { pauseKind, restartKind, startKind, stopKind, unpauseKind } from "./kinds/node-actions.js";
import { healKind, partitionKind } from "./kinds/partition.js";
import { clearKind, delayKind, lossKind, rateKind } from "./kinds/shaping.js";

export const FAULT_KINDS = [stopKind, startKind, restartKind, pauseKind, unpauseKind, downKind, upKind, lossKind, rateKind, delayKind, clearKind, partitionKind, healKind, execKind] as const;

type Kind = (typeof FAULT_KINDS)[number];
export type FaultKindName = Kind["kind"];
/** The kinds written `action: KIND`. */
export type FaultAction = Extract<Kind, { written: "action" }>["kind"];
type Keyed = Extract<Kind, { written: { key: string } }>;

const ACTIONS = FAULT_KINDS.filter((k) => k.written === "action").map((k) => k.kind) as FaultAction[];
const KEYED = FAULT_KINDS.filter((k): k is Keyed => k.written !== "action");

/** The keys a fault may say what it does with: `action`, and each keyed kind's own. */
export const FAULT_KEYS = ["action", ...KEYED.map((k) => k.written.key)] as const;

/**
 * The kinds a fault states: the one its `action` names, and one per key of its own it has. A
 * valid fault states exactly one; an unknown action states none.
 */
export function kindsOf(spec: FaultSpec): FaultKind[] {
  const byAction = spec.action === undefined ? [] : FAULT_KINDS.filter((k) => k.written === "action" && k.kind === spec.action);
  return [...byAction, ...KEYED.filter((k) => spec[k.written.key] !== undefined)] as FaultKind[];
}

/** Whether a fault stops, starts, restarts, pauses or unpauses its node. */
export const isNodeAction = (action: string | undefined): boolean => ["stop", "start", "restart", "pause", "unpause"].includes(action ?? "");

type KeyedFields = { [K in Keyed as K["written"]["key"]]: TOptional<K["written"]["value"]> };

/** One fault in the lab file's schema: its time, target, and the one key that says what it does. */
export const FAULT_SCHEMA = Type.Object(
  {
    at: Type.Unsafe<number | string>({ type: ["number", "string"], description: "When: ms (a number) or 1500ms, 2s after time 0, when the senders are released." }),
    node: Type.Optional(Type.String({ description: "The node the fault acts on." })),
    network: Type.Optional(Type.String({ description: "With node: the node's interface on this network." })),
    action: Type.Optional(Type.Unsafe<FaultAction>({ enum: ACTIONS, description: `One of ${ACTIONS.join(", ")}.` })),
    ...(Object.fromEntries(KEYED.map((k) => [k.written.key, Type.Optional(k.written.value)])) as KeyedFields),
  },
  { additionalProperties: false, description: `One fault: at a time after time 0 (when the senders are released), exactly one of ${FAULT_KEYS.join(", ")}.` },
);

/** How the docs write each kind, for the table: `action: stop` on `node`, `loss: N` on `node` + `network`. */
export function writtenAs(kind: FaultKind): string {
  const on = { node: " on `node`", interface: " on `node` + `network`", sets: "", lab: "" }[kind.target];
  if (kind.written === "action") return `\`action: ${kind.kind}\`${on}`;
  const example = { loss: "loss: N", rate: "rate: 1mbit", delay: "delay: 20ms", partition: "partition: [[a, b], [c]]", exec: "exec: [argv]" }[kind.written.key];
  return `\`${example}\`${on}`;
}

export type { FaultKind, FaultSpec, TSchema };
