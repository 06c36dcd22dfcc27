// `zmqlab run --repeat N`: one lab run N times (J at once, as instances) and judged as a
// distribution: each expectation's pass count against its quorum (every run, unless --quorum or
// the expectation's own `quorum:` says what share must hold), and every figure of the runs as
// min / p50 / p95 / max. A run that fails keeps its own report.
import Type, { type Static } from "typebox";
import { kindOf } from "../expect/registry.js";
import { loadLab, type LoadedLab } from "../lab/load.js";
import { reverse, translateValue } from "../lab/relocate.js";
import type { Lab } from "../lab/types.js";
import type { LabReport } from "../run/index.js";
import { DISTRIBUTION, distributions, NOT_FIGURES, numbersIn } from "./figures.js";
import { runMany, type PoolOptions, type RunOutcome } from "./pool.js";

const RUN_FILES = Type.Object({ json: Type.String(), html: Type.Optional(Type.String()) }, { additionalProperties: false, description: "The run's own report files (paths as written)." });

const FAILED_RUN = Type.Object(
  { run: Type.Integer({ minimum: 1 }), observed: Type.String(), message: Type.String() },
  { additionalProperties: false, description: "A run this expectation failed in (runs count from 1), and why." },
);

export const REPEATED_EXPECTATION = Type.Object(
  {
    kind: Type.String(),
    description: Type.String({ minLength: 1, description: "As in each run's report (the lab file's addresses)." }),
    quorum: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: "The share of the runs it must hold in: its own `quorum:`, else --quorum, else 1 (every run)." }),
    passed: Type.Integer({ minimum: 0, description: "Runs it held in." }),
    runs: Type.Integer({ minimum: 0, description: "Runs made (a run that could not be made counts as one it did not hold in)." }),
    ok: Type.Boolean({ description: "passed / runs is at least the quorum." }),
    failures: Type.Array(FAILED_RUN),
    figures: Type.Record(Type.String(), DISTRIBUTION, { description: "Every number of the verdicts' evidence (by its dotted path: outageMs, packets.r1, counted), over the runs that gave it." }),
  },
  { additionalProperties: false },
);

export const REPEAT_REPORT = Type.Object(
  {
    lab: Type.String(),
    started: Type.String({ description: "ISO time the first run started." }),
    durationMs: Type.Integer({ minimum: 0, description: "Wall time of all the runs." }),
    runs: Type.Integer({ minimum: 1 }),
    jobs: Type.Integer({ minimum: 1, description: "Runs at once." }),
    quorum: Type.Number({ exclusiveMinimum: 0, maximum: 1, description: "The share of the runs an expectation without its own quorum must hold in." }),
    ok: Type.Boolean({ description: "Every run was made, every expectation met its quorum, and zmqlab's own checks held in every run." }),
    complete: Type.Boolean({ description: "Every run was made (false: some could not be, see results' error; exit 3)." }),
    expectations: Type.Array(REPEATED_EXPECTATION, { description: "The lab file's expectations, in its order." }),
    checks: Type.Object(
      { passed: Type.Integer({ minimum: 0 }), failures: Type.Array(FAILED_RUN) },
      { additionalProperties: false, description: "zmqlab's own checks (every endpoint started, every fault ran): runs where they all held, and the failures." },
    ),
    endpoints: Type.Record(Type.String(), Type.Record(Type.String(), DISTRIBUTION), { description: "Each endpoint's numbers (sent, received, gaps, from.SENDER, ...) over the runs." }),
    routers: Type.Record(Type.String(), DISTRIBUTION, { description: "Packets each forwarding node forwarded during the traffic, over the runs that could read its counters." }),
    results: Type.Array(
      Type.Object(
        {
          run: Type.Integer({ minimum: 1 }),
          ok: Type.Boolean(),
          durationMs: Type.Integer({ minimum: 0 }),
          instance: Type.Optional(Type.String()),
          error: Type.Optional(Type.String({ description: "Why the run could not be made." })),
          report: Type.Optional(RUN_FILES),
        },
        { additionalProperties: false },
      ),
      { description: "Each run: its verdict, its instance, and its own report when it failed." },
    ),
  },
  { additionalProperties: false },
);
export type RepeatReport = Static<typeof REPEAT_REPORT>;
export type RepeatedExpectation = Static<typeof REPEATED_EXPECTATION>;

export interface RepeatOptions extends Omit<PoolOptions, "reports" | "onProgress"> {
  /** How many runs (at least 1). */
  times: number;
  /** The share of runs an expectation without its own `quorum:` must hold in (default 1: every run). */
  quorum?: number;
  /** Keep each failing run's own report in this folder (JSON, and HTML with `page`). */
  reports?: string;
  page?: NonNullable<PoolOptions["reports"]>["page"];
  onProgress?: PoolOptions["onProgress"];
}

/** A report as the lab file writes its addresses (an instance's moved back). */
function atFileAddresses<T>(value: T, report: LabReport): T {
  return report.instance?.relocations.length ? translateValue(value, reverse(report.instance.relocations)) : value;
}

/** The repeat report of finished runs. Pure. */
export function summarize(lab: Lab, outcomes: RunOutcome[], options: { jobs: number; quorum: number; started: string; durationMs: number }): RepeatReport {
  const specs = lab.expect ?? [];
  const reports = outcomes.map((o) => o.report);
  const expectations = specs.map((spec, i): RepeatedExpectation => {
    const own = kindOf(spec).body as { quorum?: number };
    const quorum = own.quorum ?? options.quorum;
    const verdicts = reports.map((r) => r?.expectations[i]);
    const first = verdicts.find((v) => v !== undefined);
    const passed = verdicts.filter((v) => v?.ok).length;
    const failures = verdicts.flatMap((v, run) => (v && !v.ok ? [{ run: run + 1, observed: v.observed, message: v.message }] : []));
    const figures = distributions(verdicts.flatMap((v, run) => (v ? [numbersIn(atFileAddresses(v.evidence, reports[run]!), NOT_FIGURES.evidence)] : [])));
    return {
      kind: first?.kind ?? kindOf(spec).kind.kind,
      description: first?.description ?? kindOf(spec).kind.kind,
      quorum,
      passed,
      runs: outcomes.length,
      ok: passed >= quorum * outcomes.length - 1e-9,
      failures,
      figures,
    };
  });
  const checkFailures = reports.flatMap((r, run) =>
    r
      ? r.expectations
          .slice(specs.length)
          .filter((e) => !e.ok)
          .map((e) => ({ run: run + 1, observed: e.observed, message: e.message }))
      : [],
  );
  const checksPassed = reports.filter((r) => r && r.expectations.slice(specs.length).every((e) => e.ok)).length;
  const endpointNames = [...new Set(reports.flatMap((r) => r?.endpoints.map((e) => e.name) ?? []))];
  const endpoints = Object.fromEntries(
    endpointNames.map((name) => [name, distributions(reports.flatMap((r) => r?.endpoints.filter((e) => e.name === name).map((e) => numbersIn(e, NOT_FIGURES.endpoint)) ?? []))]),
  );
  const routerNames = [...new Set(reports.flatMap((r) => Object.keys(r?.flows ?? {})))];
  const routers = Object.fromEntries(
    routerNames
      .map((name) => [name, distributions(reports.flatMap((r) => (r?.flows[name] ? [{ packets: r.flows[name]!.reduce((n, f) => n + f.packets, 0) }] : [])))["packets"]!])
      .filter(([, d]) => d !== undefined),
  );
  const complete = outcomes.every((o) => o.report !== undefined);
  return {
    lab: lab.name,
    started: options.started,
    durationMs: options.durationMs,
    runs: outcomes.length,
    jobs: options.jobs,
    quorum: options.quorum,
    ok: complete && expectations.every((e) => e.ok) && checksPassed === outcomes.length,
    complete,
    expectations,
    checks: { passed: checksPassed, failures: checkFailures },
    endpoints,
    routers,
    results: outcomes.map((o) => ({
      run: o.index + 1,
      ok: o.report?.ok ?? false,
      durationMs: o.durationMs,
      ...(o.report?.instance ? { instance: o.report.instance.name } : {}),
      ...(o.error !== undefined ? { error: o.error } : {}),
      ...(o.files ? { report: o.files } : {}),
    })),
  };
}

/** Run a lab `times` times, `jobs` at once, and judge the distribution. */
export async function repeat(target: string | LoadedLab, options: RepeatOptions): Promise<RepeatReport> {
  const loaded = typeof target === "string" ? loadLab(target) : target;
  const jobs = Math.max(1, options.jobs ?? 1);
  const quorum = options.quorum ?? 1;
  const started = new Date();
  const t0 = performance.now();
  const { reports, page, onProgress, times, ...pool } = options;
  const outcomes = await runMany(
    Array.from({ length: times }, (_, i) => ({ name: `run-${i + 1}`, loaded })),
    {
      ...pool,
      jobs,
      ...(onProgress ? { onProgress } : {}),
      ...(reports !== undefined ? { reports: { dir: reports, keep: (r: LabReport) => !r.ok, ...(page ? { page } : {}) } } : {}),
    },
  );
  return summarize(loaded.lab, outcomes, { jobs, quorum, started: started.toISOString(), durationMs: Math.round(performance.now() - t0) });
}
