// The sweep's failures: what `zmqlab sweep` tries one at a time (or two at a time) on live
// traffic, written the same way on the command line, in the lab file's `sweep:` section and in
// the report's rows:
//   stop NODE          the node's container stopped (no grace time)
//   pause NODE         its processes frozen
//   down NODE:NETWORK  its interface on that network taken down
//   partition A,B/C    node sets that can no longer reach each other
// A failure becomes faults of the lab: `sweep` at the sweep's time and, with a restore, its undoing
// `sweep-restore` that long after (start, unpause, up, heal); of a pair, the second one is
// `sweep-2` (with `sweep-2-restore`), 100 ms earlier, so that whatever either does has happened
// when `sweep` takes effect. Pure: labs in, labs and findings out.
import Type, { type Static } from "typebox";
import { parseDuration } from "../../shared/duration.js";
import { closest } from "../errors.js";
import { longestSending } from "./send.js";
import type { FaultSpec, Lab } from "./types.js";
import { walkFaults } from "../faults/timeline.js";

export const SWEEP_FAULT = "sweep";
export const SWEEP_RESTORE = "sweep-restore";
/** The second failure of a pair, and its undoing. */
const PARTNER = "sweep-2";
const PARTNER_RESTORE = "sweep-2-restore";
/** How much earlier the second failure of a pair is planned. */
export const PARTNER_LEAD_MS = 100;
/** The fault names a lab can scope expectations to without declaring them. */
export const SWEEP_PHASES = [SWEEP_FAULT, SWEEP_RESTORE] as const;

const failureString = (description: string) => Type.String({ minLength: 1, description });

/** The lab file's `sweep:` section. */
export const SWEEP = Type.Object(
  {
    at: Type.Optional(
      Type.Unsafe<number | string>({
        type: ["integer", "string"],
        description: "When each failure is injected: ms (a number) or 1500ms, 4s after time 0 (default: a third of the way into the traffic).",
      }),
    ),
    restore: Type.Optional(
      Type.Unsafe<number | string>({ type: ["integer", "string"], description: "Undo each failure this long after it (start, unpause, up, heal): the fault `sweep-restore`. Default: never." }),
    ),
    failures: Type.Optional(
      Type.Array(failureString("`stop NODE`, `pause NODE`, `down NODE:NETWORK` or `partition A,B/C`."), {
        minItems: 1,
        description: "The failures to try, instead of the default (every forwarding node stopped, every interface of a forwarding node taken down).",
      }),
    ),
    exclude: Type.Optional(
      Type.Array(failureString("A failure as the sweep's rows write it: `down r1:servers`."), { minItems: 1, description: "Failures not to try (with --k 2, no pair that holds one)." }),
    ),
  },
  { additionalProperties: false, description: "What `zmqlab sweep` tries (see docs/sweep.md); a plain run ignores it, except that expectations may name the fault `sweep` (and `sweep-restore`)." },
);
export type SweepSpec = Static<typeof SWEEP>;

export type Failure = { action: "stop" | "pause"; node: string } | { action: "down"; node: string; network: string } | { action: "partition"; sets: string[][] };

/** A failure as rows, options and the lab file write it. */
export function failureText(f: Failure): string {
  if (f.action === "partition") return `partition ${f.sets.map((s) => s.join(",")).join("/")}`;
  if (f.action === "down") return `down ${f.node}:${f.network}`;
  return `${f.action} ${f.node}`;
}

/** One case of a sweep: a failure, or two at once (`--k 2`). */
export const caseText = (failures: Failure[]): string => failures.map(failureText).join(" + ");

const FORMS = "stop NODE, pause NODE, down NODE:NETWORK or partition A,B/C";

/** A failure from its text, or what is wrong with it (without knowing the lab). */
export function parseFailure(text: string): Failure | string {
  const m = /^\s*(stop|pause|down|partition)\s+(\S.*?)\s*$/.exec(text);
  if (!m) return `"${text}" is not a failure`;
  const [, action, target] = m as unknown as [string, string, string];
  if (action === "partition") {
    const sets = target.split("/").map((s) =>
      s
        .split(",")
        .map((n) => n.trim())
        .filter(Boolean),
    );
    if (sets.length < 2 || sets.some((s) => s.length === 0)) return `"${text}": a partition names two node sets or more, split by /`;
    return { action, sets };
  }
  if (action === "down") {
    const [node, network, ...rest] = target.split(":");
    if (!node || !network || rest.length > 0) return `"${text}": down names an interface as NODE:NETWORK`;
    return { action, node: node.trim(), network: network.trim() };
  }
  if (/[\s:,/]/.test(target)) return `"${text}": ${action} names one node`;
  return { action: action as "stop" | "pause", node: target };
}

/** What is wrong with a failure in this lab: nodes and networks it names that the lab has not. */
export function failureProblem(lab: Lab, f: Failure): { message: string; hint: string } | undefined {
  const nodes = Object.keys(lab.nodes);
  const unknown = (node: string) => {
    const near = closest(node, nodes);
    return { message: `no node "${node}" in this lab`, hint: near ? `did you mean "${near}"?` : `nodes: ${nodes.join(", ")}` };
  };
  if (f.action === "partition") {
    const seen = new Set<string>();
    for (const member of f.sets.flat()) {
      if (!lab.nodes[member]) return unknown(member);
      if (seen.has(member)) return { message: `node "${member}" is in two sets`, hint: "each node is in at most one set of a partition" };
      seen.add(member);
    }
    return undefined;
  }
  if (!lab.nodes[f.node]) return unknown(f.node);
  if (f.action === "down" && !(f.network in lab.nodes[f.node]!.interfaces)) {
    const own = Object.keys(lab.nodes[f.node]!.interfaces);
    const near = closest(f.network, own);
    return { message: `node "${f.node}" is not on network "${f.network}"`, hint: near ? `did you mean "${f.node}:${near}"?` : `its networks: ${own.join(", ")}` };
  }
  return undefined;
}

/** The default failures: every forwarding node stopped (or paused), then each of its interfaces taken down; node by node. */
export function defaultFailures(lab: Lab, nodeAction: "stop" | "pause" = "stop"): Failure[] {
  return Object.entries(lab.nodes)
    .filter(([, n]) => n.forward === true)
    .flatMap(([node, n]): Failure[] => [{ action: nodeAction, node }, ...Object.keys(n.interfaces).map((network): Failure => ({ action: "down", node, network }))]);
}

/** The nodes a failure acts on. */
const nodesOf = (f: Failure): string[] => (f.action === "partition" ? f.sets.flat() : [f.node]);

/** Every pair of failures that act on different nodes (two failures of one node say little more than one), in order. */
export function pairsOf(failures: Failure[]): Failure[][] {
  const pairs: Failure[][] = [];
  failures.forEach((a, i) =>
    failures.slice(i + 1).forEach((b) => {
      if (!nodesOf(a).some((n) => nodesOf(b).includes(n))) pairs.push([a, b]);
    }),
  );
  return pairs;
}

/** A repeatable choice of `n` of `items`, in their order (mulberry32 seeded by `seed`). */
export function sample<T>(items: T[], n: number, seed: number): T[] {
  if (n >= items.length) return items;
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const indexes = items.map((_, i) => i);
  for (let i = indexes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indexes[i], indexes[j]] = [indexes[j]!, indexes[i]!];
  }
  return indexes
    .slice(0, n)
    .sort((a, b) => a - b)
    .map((i) => items[i]!);
}

/** The fault that makes a failure happen, and the one that undoes it. */
export function faultsFor(f: Failure, at: number): { fault: FaultSpec; undo: (at: number) => FaultSpec } {
  if (f.action === "partition") return { fault: { at, partition: f.sets }, undo: (u) => ({ at: u, action: "heal" }) };
  if (f.action === "down") return { fault: { at, node: f.node, network: f.network, action: "down" }, undo: (u) => ({ at: u, node: f.node, network: f.network, action: "up" }) };
  return { fault: { at, node: f.node, action: f.action }, undo: (u) => ({ at: u, node: f.node, action: f.action === "stop" ? "start" : "unpause" }) };
}

/** Whether a fault name is the sweep's own. */
export const isSweepFault = (name: string): boolean => name === SWEEP_FAULT || name.startsWith(`${SWEEP_FAULT}-`);

/** The lab without the sweep's faults (the markers a plain run adds). */
export function withoutSweepFaults(lab: Lab): Lab {
  if (!lab.faults) return lab;
  const faults = Object.fromEntries(Object.entries(lab.faults).filter(([name]) => !isSweepFault(name)));
  const { faults: _f, ...rest } = lab;
  return Object.keys(faults).length ? { ...rest, faults } : rest;
}

/** The lab with one case of the sweep injected: `sweep` (and `sweep-2`) at `at`, undone after `restore` when given. */
export function labWithFailure(lab: Lab, failures: Failure[], at: number, restore?: number): Lab {
  const base = withoutSweepFaults(lab);
  const faults: Record<string, FaultSpec> = { ...(base.faults ?? {}) };
  const [first, second] = failures;
  const main = faultsFor(first!, at);
  faults[SWEEP_FAULT] = main.fault;
  if (restore !== undefined) faults[SWEEP_RESTORE] = main.undo(at + restore);
  if (second) {
    const lead = Math.max(0, at - PARTNER_LEAD_MS);
    const partner = faultsFor(second, lead);
    faults[PARTNER] = partner.fault;
    if (restore !== undefined) faults[PARTNER_RESTORE] = partner.undo(lead + restore);
  }
  return { ...base, faults };
}

/**
 * The lab as it runs without a failure (a plain run, the sweep's baseline): where the failure
 * would go, a fault that does nothing (`true` in a node that runs then), so that expectations
 * scoped to `sweep` (and `sweep-restore`) are judged on the same phases as in the failure's runs.
 */
export function labWithMarkers(lab: Lab, at: number, restore?: number): Lab {
  const base = withoutSweepFaults(lab);
  const node = markerNode(base, at);
  const faults: Record<string, FaultSpec> = { ...(base.faults ?? {}), [SWEEP_FAULT]: { at, node, exec: ["true"] } };
  if (restore !== undefined) faults[SWEEP_RESTORE] = { at: at + restore, node, exec: ["true"] };
  return { ...base, faults };
}

/** A node that runs at `at` (no fault of the lab stopped or paused it), preferring zmqlab's own image. */
function markerNode(lab: Lab, at: number): string {
  const down = new Set<string>();
  for (const step of walkFaults(lab)) {
    if (step.atMs > at) break;
    const { action, node } = step.spec;
    if (node === undefined) continue;
    if (action === "stop" || action === "pause") down.add(node);
    if (action === "start" || action === "unpause" || action === "restart") down.delete(node);
  }
  const running = Object.entries(lab.nodes).filter(([name]) => !down.has(name));
  const plain = running.find(([, n]) => n.image === undefined && n.build === undefined);
  return (plain ?? running[0] ?? Object.entries(lab.nodes)[0]!)[0];
}

/**
 * A lab whose expectations name the sweep's faults, as a plain run runs it: with the markers at
 * the sweep's times (the file's), so that those expectations are judged as in the sweep's baseline.
 */
export function markSweep(lab: Lab): Lab {
  const times = sweepTimes(lab);
  const at = times[SWEEP_FAULT];
  if (at === undefined || !namesSweep(lab)) return lab;
  const restore = times[SWEEP_RESTORE];
  return labWithMarkers(lab, at, restore === undefined ? undefined : restore - at);
}

/** Whether any expectation of the lab is scoped to the sweep's faults. */
export function namesSweep(lab: Lab): boolean {
  return (lab.expect ?? []).some((spec) => {
    const body = Object.values(spec)[0] as { before?: string; after?: string; between?: string[] };
    return [body.before, body.after, ...(body.between ?? [])].some((name) => name !== undefined && isSweepFault(name));
  });
}

/** When the sweep's failure goes in (ms), by the file, else a third of the way into the traffic; undefined when neither says. */
export function sweepAt(lab: Lab): number | undefined {
  if (lab.sweep?.at !== undefined) return parseDuration(lab.sweep.at);
  const sending = longestSending(lab);
  return sending > 0 ? Math.round(sending / 3) : undefined;
}

export interface SweepFinding {
  at: (string | number)[];
  message: string;
  hint: string;
}

/**
 * The `sweep:` section's own rules, and the names it keeps: times that parse and fall inside the
 * traffic, failures that parse and name the lab's nodes and networks, each possible on the lab's
 * fault timeline at the sweep's time; exclusions that parse; no fault of the lab named like the
 * sweep's. An expectation that names `sweep` needs a time for it.
 */
export function validateSweep(lab: Lab): SweepFinding[] {
  const findings: SweepFinding[] = [];
  for (const name of Object.keys(lab.faults ?? {})) {
    if (isSweepFault(name))
      findings.push({
        at: ["faults", name],
        message: `the fault name "${name}" is zmqlab sweep's`,
        hint: `rename it: sweep and sweep-… name the failure zmqlab sweep injects (expectations may name it: after: sweep)`,
      });
  }
  const spec = lab.sweep;
  const bound = lab.settings?.trafficTimeout ?? 60000;
  const durationAt = (key: "at" | "restore"): number | undefined => {
    const value = spec?.[key];
    if (value === undefined) return undefined;
    const ms = parseDuration(value);
    if (ms === undefined) findings.push({ at: ["sweep", key], message: `"${value}" is not a duration`, hint: "ms (a number), or 1500ms, 4s" });
    return ms;
  };
  const at = durationAt("at");
  const restore = durationAt("restore");
  if (at !== undefined && at >= bound)
    findings.push({
      at: ["sweep", "at"],
      message: `${at} ms is past the traffic phase's bound (settings.trafficTimeout, ${bound} ms)`,
      hint: "move it into the traffic (default: a third of the way in)",
    });
  if (at !== undefined && restore !== undefined && at + restore >= bound)
    findings.push({ at: ["sweep", "restore"], message: `the restore at ${at + restore} ms is past the traffic phase's bound (${bound} ms)`, hint: "a shorter restore, or an earlier at" });
  const when = at ?? sweepAt(lab);
  (spec?.failures ?? []).forEach((text, i) => {
    const where = ["sweep", "failures", i];
    const parsed = parseFailure(text);
    if (typeof parsed === "string") return void findings.push({ at: where, message: parsed, hint: FORMS });
    const problem = failureProblem(lab, parsed);
    if (problem) return void findings.push({ at: where, ...problem });
    if (when === undefined) return;
    const conflict = timelineProblem(lab, [parsed], when, restore);
    if (conflict) findings.push({ at: where, message: `${text} at ${when} ms: ${conflict}`, hint: "the lab's own faults leave it impossible then: another time (at:), or another failure" });
  });
  (spec?.exclude ?? []).forEach((text, i) => {
    const parsed = parseFailure(text);
    if (typeof parsed === "string") findings.push({ at: ["sweep", "exclude", i], message: parsed, hint: FORMS });
    else {
      const problem = failureProblem(lab, parsed);
      if (problem) findings.push({ at: ["sweep", "exclude", i], ...problem });
    }
  });
  if (when === undefined && namesSweep(lab))
    findings.push({
      at: ["expect"],
      message: "expectations name the fault sweep, which has no time",
      hint: "say when it goes in: sweep: { at: 4s } (the default, a third of the way into the traffic, needs a sender with a rate and a duration)",
    });
  return findings;
}

/** Why a case cannot happen at `at` on the lab's fault timeline (a node already stopped by the lab, ...), or undefined. */
export function timelineProblem(lab: Lab, failures: Failure[], at: number, restore?: number): string | undefined {
  const step = walkFaults(labWithFailure(lab, failures, at, restore)).find((s) => s.problem && isSweepFault(s.name));
  return step?.problem?.message;
}

/** The sweep's times of the phases it names, for ordering `between` (ms), from the file. */
export function sweepTimes(lab: Lab): Record<string, number> {
  const at = sweepAt(lab);
  if (at === undefined) return {};
  const restore = lab.sweep?.restore !== undefined ? parseDuration(lab.sweep.restore) : undefined;
  return { [SWEEP_FAULT]: at, ...(restore !== undefined ? { [SWEEP_RESTORE]: at + restore } : {}) };
}
