// One run's capture: every network of the lab recorded from before the traffic to its end (the
// runtime's recorders, engine/capture.ts), read back after it (connections, handshakes, which
// router each frame left), and, when the run failed or always, written out as one pcapng file per
// network with marks at the faults and at the failed expectations, plus a window around each fault.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseDuration } from "../../shared/duration.js";
import type { Recording, Runtime } from "../engine/runtime.js";
import { describe } from "../engine/docker.js";
import type { CaptureObservation } from "../expect/capture.js";
import type { ExpectationResult } from "../expect/types.js";
import type { LabPlan } from "../plan/types.js";
import type { TrafficReport } from "../traffic/types.js";
import { analyze, ringOrder, writeNetworkFile, writeWindows, type Mark, type NetworkRecording } from "./files.js";
import type { CaptureSettings } from "./settings.js";
import type { CaptureReport } from "./types.js";

/** The built-in checks' kinds: their failures are no moment of the lab's to mark. */
const BUILT_IN = new Set(["endpoint", "fault", "capture"]);

/** ms since time 0 when the traffic phase began and ended (it begins before time 0, as the agents start). */
export function trafficSpan(traffic: Pick<TrafficReport, "started" | "durationMs" | "clock">): { start: number; end: number } {
  const start = Date.parse(traffic.started) - traffic.clock.epochMs;
  return { start, end: start + traffic.durationMs };
}

/**
 * When a failed expectation failed, to mark it in the capture: a `recovered` at its deadline (the
 * fault plus `within`), anything timed at its fault, a phased one at its phase's start, anything
 * else (judged on the whole run) at the end of the traffic.
 */
export function momentOf(result: ExpectationResult, trafficEnd: number): number {
  const faultAt = result.evidence["faultAt"];
  if (typeof faultAt === "number") {
    const within = result.kind === "recovered" ? parseDuration(result.spec["within"] as string | number) : undefined;
    return faultAt + (within ?? 0);
  }
  const phase = result.evidence["phase"] as { start?: number; end?: number } | undefined;
  if (phase) return phase.start ?? 0;
  return trafficEnd;
}

/** The moments marked in the files: each fault (as it happened, or that it failed), each failed expectation of the lab. */
export function marksOf(traffic: Pick<TrafficReport, "faults" | "started" | "durationMs" | "clock">, expectations: ExpectationResult[]): Mark[] {
  const marks: Mark[] = [];
  for (const f of traffic.faults ?? []) {
    if (f.ok && f.actualMs !== undefined) marks.push({ ms: round(f.actualMs), text: `fault ${f.name} took effect at ${f.actualMs} ms (planned at ${f.atMs} ms)` });
    else marks.push({ ms: f.actualMs ?? f.atMs, text: `fault ${f.name} FAILED (planned at ${f.atMs} ms): ${f.error ?? "no reason given"}` });
  }
  const end = trafficSpan(traffic).end;
  expectations.forEach((e, i) => {
    if (e.ok || BUILT_IN.has(e.kind)) return;
    const phase = e.evidence["phase"] as { start?: number; end?: number } | undefined;
    const judged = phase ? ` (judged from ${phase.start ?? "the start"} to ${phase.end ?? "the end"})` : "";
    marks.push({ ms: round(momentOf(e, end)), text: `FAIL ${i + 1} (${e.kind})${judged}: ${e.message}` });
  });
  return marks.sort((a, b) => a.ms - b.ms);
}

/** Whether a ring dropped its oldest file: the earliest packet is not in its first file (`NAME.pcap0`). */
export function wrapped(files: string[]): boolean {
  const first = ringOrder(files)[0];
  return first !== undefined && !/\.pcap0*$/.test(basename(first));
}

/** A recording of the lab's networks for one run. */
export class LabCapture {
  private collected: NetworkRecording[] = [];
  private scratch: string | undefined;
  private stopped = false;
  /** Why the recording could not be read back, if it could not. */
  private failure: string | undefined;

  private constructor(
    readonly settings: CaptureSettings,
    private readonly runtime: Runtime,
    private readonly plan: LabPlan,
    private readonly recordings: Recording[],
    readonly unavailable?: string,
  ) {}

  /**
   * Start recording every network of the lab. Never throws: a capture that cannot start (no
   * engine support, an image that cannot be built) is reported as unavailable and the run goes on.
   */
  static async start(runtime: Runtime, plan: LabPlan, settings: CaptureSettings, log: (line: string) => void = () => {}): Promise<LabCapture> {
    const networks = plan.networks.map((n) => {
      const hosts = [...new Set(plan.nodes.filter((node) => node.host !== undefined && node.interfaces.some((i) => i.network === n.name)).map((node) => node.host!))];
      return { name: n.name, ...(hosts.length ? { hosts } : {}) };
    });
    try {
      const recordings = await runtime.record(plan.lab, networks, settings.ring, log);
      if (recordings.length === 0) return new LabCapture(settings, runtime, plan, [], "this engine carries no packets to record");
      const from = recordings[0]!.from;
      log(
        `recording ${plan.networks.length} network${plan.networks.length === 1 ? "" : "s"} (${from === "host" ? "tcpdump on the engine's host" : "a capture container"}; files kept ${settings.mode === "always" ? "always" : "if the run fails"})`,
      );
      return new LabCapture(settings, runtime, plan, recordings);
    } catch (err) {
      const why = describe(err).split("\n")[0]!;
      log(`the lab's networks cannot be recorded (${why}): the run goes on without a capture`);
      return new LabCapture(settings, runtime, plan, [], why);
    }
  }

  /** Stop the recorders, bring their files here and read them: what the `capture` check reads. */
  async observe(traffic: TrafficReport): Promise<CaptureObservation | undefined> {
    if (this.recordings.length === 0) return undefined;
    try {
      return await this.readBack(traffic);
    } catch (err) {
      this.failure = `the recording could not be read back: ${describe(err).split("\n")[0]}`;
      return undefined;
    }
  }

  private async readBack(traffic: TrafficReport): Promise<CaptureObservation> {
    await this.stop();
    this.scratch = mkdtempSync(join(tmpdir(), "zmqlab-capture-"));
    const collected = await Promise.all(
      this.recordings.map((r, i) => {
        const dir = join(this.scratch!, String(i));
        mkdirSync(dir);
        return r.collect(dir).then((files) => r.networks.map((n) => ({ network: n.network, interfaceName: n.interfaceName, files: files[n.network] ?? [], ...(n.host ? { host: n.host } : {}) })));
      }),
    );
    this.collected = collected.flat();
    const analysis = await analyze(this.collected, traffic.clock.epochMs);
    const networks = Object.fromEntries(this.plan.nodes.map((n) => [n.name, [...new Set(n.interfaces.map((i) => i.network))]]));
    return { analysis, macs: await this.macs(), trafficMs: trafficSpan(traffic), problems: this.recordings.flatMap((r) => r.problems()), networks };
  }

  /** Each node's MAC address per lab network, from the engine (a node stopped now has none listed). */
  private async macs(): Promise<Record<string, Record<string, string>>> {
    const [found] = await this.runtime.listLabs(this.plan.lab).catch(() => []);
    if (!found) return {};
    const labNetwork = new Map(found.networks.map((n) => [n.name, n.network]));
    return Object.fromEntries(
      found.containers.map((c) => [
        c.node,
        Object.fromEntries(Object.entries(c.macs ?? {}).flatMap(([engineName, mac]) => (labNetwork.has(engineName) && mac ? [[labNetwork.get(engineName)!, mac.toLowerCase()]] : []))),
      ]),
    );
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.all(this.recordings.map((r) => r.stop()));
  }

  /** The report's `capture`: the files written when the run failed (or always), and what the packets showed. */
  async finish(traffic: TrafficReport, expectations: ExpectationResult[], ok: boolean, observed: CaptureObservation | undefined): Promise<CaptureReport> {
    const { mode, limitBytes, windowMs, dir } = this.settings;
    const base = {
      mode: mode === "always" ? ("always" as const) : ("failed" as const),
      limitBytes,
      windowMs,
      ...(this.recordings[0] ? { from: this.recordings[0].from } : {}),
      ...(this.unavailable !== undefined || this.failure !== undefined ? { unavailable: (this.unavailable ?? this.failure)! } : {}),
      ...(observed?.problems.length ? { problems: observed.problems } : {}),
      connections: observed?.analysis.connections ?? [],
    };
    const kept = observed !== undefined && (mode === "always" || !ok);
    const marks = marksOf(traffic, expectations);
    if (!kept) return { ...base, kept: false, files: [], windows: [], marks };
    mkdirSync(dir, { recursive: true });
    // A previous run's files in this folder are not this run's.
    for (const old of readdirSync(dir).filter((f) => f.endsWith(".pcapng"))) rmSync(join(dir, old), { force: true });
    const t0 = traffic.clock.epochMs;
    const files = [];
    for (const r of this.collected) {
      const path = join(dir, `${r.network}${r.host ? `.${r.host}` : ""}.pcapng`);
      const written = await writeNetworkFile(r, path, marks, t0);
      const cover = observed!.analysis.coverage[r.network];
      files.push({
        network: r.network,
        path,
        interface: r.interfaceName,
        ...(r.host ? { host: r.host } : {}),
        packets: written.packets,
        bytes: written.bytes,
        ...(cover?.firstMs !== undefined ? { firstMs: round(cover.firstMs), lastMs: round(cover.lastMs!) } : {}),
        wrapped: wrapped(r.files),
      });
    }
    const faults = (traffic.faults ?? []).filter((f) => f.actualMs !== undefined);
    const windows = faults.map((f) => ({ fault: f.name, fromMs: round(f.actualMs! - windowMs), toMs: round(f.actualMs! + windowMs), path: join(dir, `fault-${f.name}.pcapng`) }));
    const written = await writeWindows(this.collected, windows, marks, t0);
    return { ...base, kept: true, files, windows: windows.map((w, i) => ({ ...w, packets: written[i]!.packets })), marks };
  }

  /** Remove the recorders and the copies of their files. Idempotent. */
  async remove(): Promise<void> {
    await Promise.all(this.recordings.map((r) => r.remove().catch(() => {})));
    if (this.scratch && existsSync(this.scratch)) rmSync(this.scratch, { recursive: true, force: true });
    this.scratch = undefined;
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;
