// `zmqlab sweep`: which failure breaks the lab. The lab runs as written (the baseline, with a
// fault that does nothing where the failure would go), then once per failure with that failure
// injected as the fault `sweep` (lab/sweep.ts), all as instances, J at once. The report is
// differential: rows are failures, columns the lab's expectations (and zmqlab's own checks);
// a cell that differs from the baseline, either way, is marked; per failure, every flow whose
// path moved (by the routers' counters after the failure) and each receiver's outage and losses.
import Type, { type Static } from "typebox";
import { parseDuration } from "../../shared/duration.js";
import { LabError, type Problem } from "../errors.js";
import { lost } from "../expect/kinds/lost.js";
import { recovered } from "../expect/kinds/recovered.js";
import type { Observations } from "../expect/types.js";
import { loadLab, type LoadedLab } from "../lab/load.js";
import { reverse, translateValue } from "../lab/relocate.js";
import {
  caseText,
  defaultFailures,
  failureProblem,
  failureText,
  labWithFailure,
  labWithMarkers,
  pairsOf,
  parseFailure,
  sample,
  SWEEP_FAULT,
  sweepAt,
  timelineProblem,
  type Failure,
} from "../lab/sweep.js";
import type { Lab } from "../lab/types.js";
import type { FlowCount } from "../observe/flows.js";
import { faultsObserved, type LabReport } from "../run/index.js";
import { runMany, type PoolOptions, type RunOutcome } from "./pool.js";

export interface SweepOptions extends Omit<PoolOptions, "reports"> {
  /** When each failure goes in: ms or a duration (default: the lab's sweep.at, else a third of the way into the traffic). */
  at?: number | string;
  /** Undo each failure this long after it (default: the lab's sweep.restore, else never). */
  restore?: number | string;
  /** Nodes to stop (or pause, with `pause`); with links and partitions, instead of the lab's or the default failures. */
  nodes?: string[];
  /** Interfaces to take down, as NODE:NETWORK. */
  links?: string[];
  /** Partitions, each as A,B/C (node sets split by /). */
  partitions?: string[];
  /** Failures as the rows write them (`stop r1`, `down r1:servers`, ...). */
  failures?: string[];
  /** Pause nodes instead of stopping them. */
  pause?: boolean;
  /** 2: every pair of failures at once (on different nodes), instead of each alone. */
  k?: 1 | 2;
  /** With k 2: try this many of the pairs, chosen by `seed` (default 1). */
  sample?: number;
  seed?: number;
  /** Failures not to try (as the rows write them); with k 2, no pair that holds one. */
  exclude?: string[];
  /** Keep every run's own report in this folder (JSON, and HTML with `page`). */
  reports?: string;
  page?: NonNullable<PoolOptions["reports"]>["page"];
}

/** What a sweep will try, worked out from the lab and the options before any run. */
export interface SweepPlan {
  at: number;
  restore?: number;
  cases: { failures: Failure[]; text: string }[];
  /** Failures of the default set that cannot happen at `at` on the lab's own fault timeline. */
  skipped: { failure: string; why: string }[];
  /** With --sample: how many cases there were, and the seed. */
  sampled?: { of: number; seed: number };
}

const problem = (path: string, message: string, hint: string): Problem => ({ path, message, hint });

/**
 * The failures to try and when. Options win over the lab file's `sweep:`, which wins over the
 * default. Failures given explicitly must be possible (exit 2 otherwise); of the default set,
 * those the lab's own faults rule out are skipped, with why.
 */
export function planSweep(lab: Lab, options: Omit<SweepOptions, keyof PoolOptions> = {}): SweepPlan {
  const problems: Problem[] = [];
  const duration = (value: number | string | undefined, path: string): number | undefined => {
    if (value === undefined) return undefined;
    const ms = parseDuration(value);
    if (ms === undefined) problems.push(problem(path, `"${value}" is not a duration`, "ms, or 1500ms, 4s"));
    return ms;
  };
  const at = duration(options.at, "--at") ?? sweepAt(lab);
  const restore = duration(options.restore, "--restore") ?? (lab.sweep?.restore !== undefined ? parseDuration(lab.sweep.restore) : undefined);
  if (at === undefined && options.at === undefined)
    problems.push(problem("--at", "no time for the failures: the lab's traffic has no sender with a rate and a duration", "say when: --at 4s (or sweep: { at: 4s } in the lab file)"));
  const parseAll = (texts: string[], path: string): Failure[] =>
    texts.flatMap((text, i) => {
      const parsed = parseFailure(text);
      const where = `${path}[${i}]`;
      if (typeof parsed === "string") return (problems.push(problem(where, parsed, "stop NODE, pause NODE, down NODE:NETWORK or partition A,B/C")), []);
      const wrong = failureProblem(lab, parsed);
      if (wrong) return (problems.push(problem(where, wrong.message, wrong.hint)), []);
      return [parsed];
    });
  const nodeAction = options.pause ? "pause" : "stop";
  const chosen = [
    ...parseAll(options.failures ?? [], "--failures"),
    ...parseAll(
      (options.nodes ?? []).map((n) => `${nodeAction} ${n}`),
      "--nodes",
    ),
    ...parseAll(
      (options.links ?? []).map((l) => `down ${l}`),
      "--links",
    ),
    ...parseAll(
      (options.partitions ?? []).map((p) => `partition ${p}`),
      "--partition",
    ),
  ];
  const explicit = chosen.length > 0 || options.failures !== undefined;
  const fromFile =
    !explicit && lab.sweep?.failures
      ? lab.sweep.failures.map((t) => parseFailure(t) as Failure).map((f) => (options.pause && f.action === "stop" ? { ...f, action: "pause" as const } : f))
      : undefined;
  const failures = explicit ? chosen : (fromFile ?? defaultFailures(lab, nodeAction));
  const excluded = [...(lab.sweep?.exclude ?? []), ...parseAll(options.exclude ?? [], "--exclude").map(failureText)].map((t) => failureText(parseFailure(t) as Failure));
  for (const [i, text] of (options.exclude ?? []).entries()) {
    const parsed = parseFailure(text);
    if (typeof parsed !== "string" && !failureProblem(lab, parsed) && !failures.some((f) => failureText(f) === failureText(parsed))) {
      problems.push(problem(`--exclude[${i}]`, `${failureText(parsed)} is not among the failures of this sweep`, `they are: ${failures.map(failureText).join(", ") || "none"}`));
    }
  }
  if (options.k !== undefined && options.k !== 1 && options.k !== 2) problems.push(problem("--k", `k ${options.k}`, "1 (each failure alone) or 2 (every pair)"));
  if (options.sample !== undefined && (!Number.isInteger(options.sample) || options.sample < 1))
    problems.push(problem("--sample", `${options.sample} is not a number of cases`, "a whole number, 1 or more"));
  if (problems.length > 0 || at === undefined) throw new LabError(problems);

  const skipped: SweepPlan["skipped"] = [];
  const kept = failures.filter((f) => !excluded.includes(failureText(f)));
  let cases = (options.k === 2 ? pairsOf(kept) : kept.map((f) => [f])).map((failures) => ({ failures, text: caseText(failures) }));
  // Each case on the lab's own fault timeline: a failure it rules out (a node the lab stops
  // itself then) is an error when asked for, and skipped from the default set.
  cases = cases.filter((c) => {
    const why = timelineProblem(lab, c.failures, at, restore);
    if (why === undefined) return true;
    if (explicit || fromFile) problems.push(problem("--at", `${c.text} at ${at} ms: ${why}`, "another time (--at), or leave that failure out (--exclude)"));
    else skipped.push({ failure: c.text, why });
    return false;
  });
  if (problems.length > 0) throw new LabError(problems);
  if (cases.length === 0)
    throw new LabError([
      problem(
        "",
        "nothing to sweep: no failure is left to try",
        skipped.length ? `the lab's own faults rule out ${skipped.map((s) => s.failure).join(", ")}` : "name some: --nodes r1, --links r1:servers, or sweep: { failures: [...] } in the lab file",
      ),
    ]);
  const seed = options.seed ?? 1;
  const total = cases.length;
  if (options.sample !== undefined && options.sample < total) cases = sample(cases, options.sample, seed);
  return { at, ...(restore !== undefined ? { restore } : {}), cases, skipped, ...(cases.length < total ? { sampled: { of: total, seed } } : {}) };
}

// --- the report ---

const CELL = Type.Object(
  {
    ok: Type.Boolean(),
    differs: Type.Boolean({ description: "Held in the baseline and failed here, or the other way round." }),
    observed: Type.String(),
    message: Type.String(),
  },
  { additionalProperties: false, description: "One expectation in one run (`checks`: zmqlab's own checks together, their messages joined)." },
);

const MOVED_FLOW = Type.Object(
  {
    from: Type.String(),
    to: Type.String({ description: "The destination the routers' counters show (a load balancer's backend, after its translation)." }),
    baseline: Type.Array(Type.String(), { description: "Forwarding nodes that carried it in the baseline, from the sweep's time on." }),
    now: Type.Array(Type.String(), { description: "Those that carried it with the failure: empty is no path." }),
  },
  { additionalProperties: false },
);

const RECEIVER = Type.Object(
  {
    endpoint: Type.String(),
    outageMs: Type.Union([Type.Number(), Type.Null()], { description: "The outage that belongs to the failure (as `recovered` measures it, after: sweep); null: it never ended." }),
    recoveredAfterMs: Type.Union([Type.Number(), Type.Null()], { description: "From the failure to the first message after the outage; null: never." }),
    lost: Type.Integer({ minimum: 0, description: "Messages that went missing in the whole run (as `lost` counts them)." }),
    received: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false, description: "A receiver (an endpoint of zmqlab's agent with a receive timeline) in one run." },
);

const ROW = Type.Object(
  {
    failure: Type.String({ description: "`baseline`, or the failure as the options write it (`stop r1`, `down r1:servers`; a pair joined by +)." }),
    ok: Type.Boolean({ description: "Every column that held in the baseline held here too (for the baseline: it was made)." }),
    error: Type.Optional(Type.String({ description: "Why the run could not be made: it has no cells." })),
    cells: Type.Array(CELL, { description: "Per column, in the columns' order." }),
    broke: Type.Array(Type.Integer({ minimum: 0 }), { description: "Columns that held in the baseline and failed here." }),
    fixed: Type.Array(Type.Integer({ minimum: 0 }), { description: "Columns that failed in the baseline and held here." }),
    flows: Type.Array(MOVED_FLOW, { description: "Flows whose path differs from the baseline's, after the failure." }),
    receivers: Type.Array(RECEIVER),
    durationMs: Type.Integer({ minimum: 0 }),
    instance: Type.Optional(Type.String()),
    report: Type.Optional(Type.Object({ json: Type.String(), html: Type.Optional(Type.String()) }, { additionalProperties: false, description: "The run's own report files." })),
  },
  { additionalProperties: false },
);

export const SWEEP_REPORT = Type.Object(
  {
    lab: Type.String(),
    started: Type.String({ description: "ISO time the sweep started." }),
    durationMs: Type.Integer({ minimum: 0 }),
    jobs: Type.Integer({ minimum: 1 }),
    at: Type.Integer({ minimum: 0, description: "When each failure went in: ms since time 0 (the fault `sweep`)." }),
    restore: Type.Optional(Type.Integer({ minimum: 0, description: "How long after it each failure was undone (the fault `sweep-restore`)." })),
    k: Type.Integer({ minimum: 1, maximum: 2, description: "Failures at once." }),
    sampled: Type.Optional(
      Type.Object({ of: Type.Integer(), seed: Type.Integer() }, { additionalProperties: false, description: "With --sample: how many cases there were, and the seed that chose these." }),
    ),
    columns: Type.Array(Type.Object({ kind: Type.String(), description: Type.String() }, { additionalProperties: false }), {
      description: "The lab file's expectations in its order, then `checks`: zmqlab's own (every endpoint started, every fault ran, the failure itself too).",
    }),
    baseline: ROW,
    failures: Type.Array(ROW),
    skipped: Type.Array(Type.Object({ failure: Type.String(), why: Type.String() }, { additionalProperties: false }), {
      description: "Failures of the default set the lab's own faults rule out at that time.",
    }),
    ok: Type.Boolean({ description: "Every failure kept every column the baseline held (exit 0; 1 otherwise)." }),
    complete: Type.Boolean({ description: "Every run was made (false: exit 3)." }),
  },
  { additionalProperties: false },
);
export type SweepReport = Static<typeof SWEEP_REPORT>;
export type SweepRow = Static<typeof ROW>;
export type SweepCell = Static<typeof CELL>;

/**
 * A router is on a flow's path when it carried at least this share of the most any router carried
 * of that flow, here or in the baseline: a stray packet, or the few in flight when a link went down,
 * are no path.
 */
const PATH_SHARE = 0.1;

/** Per (source, destination), the packets each forwarding node carried. */
export function flowCounts(flows: Record<string, FlowCount[]>): Map<string, Map<string, number>> {
  const counts = new Map<string, Map<string, number>>();
  for (const [node, list] of Object.entries(flows)) {
    for (const f of list) {
      const key = `${f.from} -> ${f.to}`;
      const byNode = counts.get(key) ?? new Map<string, number>();
      byNode.set(node, (byNode.get(node) ?? 0) + f.packets);
      counts.set(key, byNode);
    }
  }
  return counts;
}

const most = (byNode: Map<string, number> | undefined) => Math.max(0, ...(byNode?.values() ?? []));

/** The routers on a flow's path: those that carried at least PATH_SHARE of `reference` packets (and some). */
function pathOf(byNode: Map<string, number> | undefined, reference: number): string[] {
  return [...(byNode ?? [])]
    .filter(([, n]) => n > 0 && n >= reference * PATH_SHARE)
    .map(([node]) => node)
    .sort();
}

/** The counters of the phase that opens at the sweep's fault (to the next fault or the end), at the lab file's addresses. */
function flowsAfterSweep(report: LabReport): Record<string, FlowCount[]> {
  const phase = report.phases?.find((p) => p.from === SWEEP_FAULT);
  const flows = phase?.flows ?? {};
  return report.instance?.relocations.length ? translateValue(flows, reverse(report.instance.relocations)) : flows;
}

/** Flows whose path differs between the baseline and a failure's run, from the sweep's fault on. */
export function movedFlows(baseline: LabReport, run: LabReport): Static<typeof MOVED_FLOW>[] {
  const before = flowCounts(flowsAfterSweep(baseline));
  const after = flowCounts(flowsAfterSweep(run));
  const keys = [...new Set([...before.keys(), ...after.keys()])];
  return keys.flatMap((key) => {
    const reference = Math.max(most(before.get(key)), most(after.get(key)));
    const [was, now] = [pathOf(before.get(key), most(before.get(key))), pathOf(after.get(key), reference)];
    if (was.join() === now.join()) return [];
    const [from, to] = key.split(" -> ") as [string, string];
    return [{ from, to, baseline: was, now }];
  });
}

/**
 * Each receiver's outage after the sweep's fault and its losses, by the same judges as `recovered`
 * and `lost`: the endpoints of zmqlab's agent with a receive timeline that received something in
 * the baseline (`receivers`; one that got nothing there, a backend the balancer did not choose,
 * has no outage to speak of).
 */
export function receiversOf(report: LabReport, receivers: string[]): Static<typeof RECEIVER>[] {
  const observations: Observations = { traffic: report, flows: report.flows, addresses: {}, ...faultsObserved(report, {}) };
  return report.endpoints
    .filter((e) => receivers.includes(e.name) && e.timeline && !e.program)
    .map((e) => {
      const outage = recovered({ endpoint: e.name, after: SWEEP_FAULT, within: Number.MAX_SAFE_INTEGER }, observations).evidence;
      const missing = lost({ endpoint: e.name, atMost: Number.MAX_SAFE_INTEGER }, observations).evidence;
      const number = (v: unknown) => (typeof v === "number" ? v : null);
      return { endpoint: e.name, outageMs: number(outage["outageMs"]), recoveredAfterMs: number(outage["recoveredAfterMs"]), lost: Number(missing["lost"] ?? 0), received: e.received };
    });
}

/** The cells of one run: the lab's expectations, then zmqlab's checks together. */
function cellsOf(lab: Lab, report: LabReport): { ok: boolean; observed: string; message: string }[] {
  const count = lab.expect?.length ?? 0;
  const own = report.expectations.slice(0, count).map((e) => ({ ok: e.ok, observed: e.observed, message: e.message }));
  const checks = report.expectations.slice(count);
  const failed = checks.filter((c) => !c.ok);
  return [
    ...own,
    {
      ok: failed.length === 0,
      observed: failed.length ? failed.map((c) => c.observed).join("; ") : "every endpoint started, every fault ran",
      message: failed.length ? failed.map((c) => c.message).join("; ") : "zmqlab's own checks held",
    },
  ];
}

/** The differential report of finished runs (the baseline first). Pure. */
export function differential(lab: Lab, plan: SweepPlan, outcomes: RunOutcome[], meta: { jobs: number; started: string; durationMs: number; k: number }): SweepReport {
  const [baselineRun, ...failureRuns] = outcomes as [RunOutcome, ...RunOutcome[]];
  const base = baselineRun.report;
  const baseCells = base ? cellsOf(lab, base) : undefined;
  const receivers = (base?.endpoints ?? []).filter((e) => e.timeline && e.received > 0 && e.socket !== "pub" && e.socket !== "xpub").map((e) => e.name);
  const rowOf = (failure: string, o: RunOutcome): Static<typeof ROW> => {
    const common = {
      failure,
      durationMs: o.durationMs,
      ...(o.report?.instance ? { instance: o.report.instance.name } : {}),
      ...(o.files ? { report: o.files } : {}),
    };
    if (!o.report) return { ...common, ok: false, error: o.error ?? "no report", cells: [], broke: [], fixed: [], flows: [], receivers: [] };
    const cells = cellsOf(lab, o.report).map((c, i) => ({ ...c, differs: baseCells !== undefined && o !== baselineRun && baseCells[i]!.ok !== c.ok }));
    const broke = cells.flatMap((c, i) => (c.differs && !c.ok ? [i] : []));
    const fixed = cells.flatMap((c, i) => (c.differs && c.ok ? [i] : []));
    const flows = base && o !== baselineRun ? movedFlows(base, o.report) : [];
    // Without a baseline nothing can be said to hold: a failure's row is ok only against one.
    return { ...common, ok: o === baselineRun ? true : baseCells !== undefined && broke.length === 0, cells, broke, fixed, flows, receivers: receiversOf(o.report, receivers) };
  };
  const baseline = rowOf("baseline", baselineRun);
  const failures = failureRuns.map((o, i) => rowOf(plan.cases[i]!.text, o));
  const complete = outcomes.every((o) => o.report !== undefined);
  // Described as any run that was made describes them (every run names them by the lab file).
  const described = outcomes.find((o) => o.report)?.report;
  const columns = [
    ...(described?.expectations.slice(0, lab.expect?.length ?? 0).map((e) => ({ kind: e.kind, description: e.description })) ??
      (lab.expect ?? []).map((s) => ({ kind: Object.keys(s)[0]!, description: Object.keys(s)[0]! }))),
    { kind: "checks", description: "zmqlab's own checks: every endpoint started, every fault ran" },
  ];
  return {
    lab: lab.name,
    started: meta.started,
    durationMs: meta.durationMs,
    jobs: meta.jobs,
    at: plan.at,
    ...(plan.restore !== undefined ? { restore: plan.restore } : {}),
    k: meta.k,
    ...(plan.sampled ? { sampled: plan.sampled } : {}),
    columns,
    baseline,
    failures,
    skipped: plan.skipped,
    ok: complete && failures.every((f) => f.ok),
    complete,
  };
}

/** Sweep a lab: its baseline and every failure, J at once. */
export async function sweep(target: string | LoadedLab, options: SweepOptions = {}): Promise<SweepReport> {
  const loaded = typeof target === "string" ? loadLab(target) : target;
  const { jobs: wanted, runtime, cluster, signal, onProgress, reports, page, ...choices } = options;
  const plan = planSweep(loaded.lab, choices);
  const jobs = Math.max(1, wanted ?? 1);
  const runs = [
    { name: "baseline", loaded: { ...loaded, lab: labWithMarkers(loaded.lab, plan.at, plan.restore) } },
    ...plan.cases.map((c) => ({ name: c.text, loaded: { ...loaded, lab: labWithFailure(loaded.lab, c.failures, plan.at, plan.restore) } })),
  ];
  const started = new Date();
  const t0 = performance.now();
  const outcomes = await runMany(runs, {
    jobs,
    ...(runtime ? { runtime } : {}),
    ...(cluster !== undefined ? { cluster } : {}),
    ...(signal ? { signal } : {}),
    ...(onProgress ? { onProgress } : {}),
    ...(reports !== undefined ? { reports: { dir: reports, ...(page ? { page } : {}) } } : {}),
  });
  return differential(loaded.lab, plan, outcomes, { jobs, started: started.toISOString(), durationMs: Math.round(performance.now() - t0), k: options.k ?? 1 });
}
