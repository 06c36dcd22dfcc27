#!/usr/bin/env node
// The zmqlab command line: thin commands over the public API.
import { Command, CommanderError } from "commander";
import { clusterFlag, connectRuntime } from "./engine/connect.js";
import { dockerNames } from "./engine/naming.js";
import { describeOwner } from "./engine/lock.js";
import { closest, EnvironmentError, LabError, ZmqlabError } from "./errors.js";
import { engineFailure } from "./engine/failures.js";
import { parseDuration } from "../shared/duration.js";
import { loadLab, type LoadedLab } from "./lab/load.js";
import { planLab } from "./plan/plan.js";
import { interfacesText, planText, table } from "./report/plan-text.js";
import { attach } from "./provision/attach.js";
import { down, namesLabFile } from "./provision/down.js";
import { findNode } from "./provision/find-node.js";
import { up } from "./provision/up.js";
import type { Terminal } from "./engine/exec.js";
import { VERSION } from "./version.js";
import { check, hostsOf, run, type LabReport } from "./run/index.js";
import { loadCluster, placeNodes } from "./lab/cluster.js";
import { trafficText } from "./report/traffic-text.js";
import { topologyMermaid } from "./report/mermaid.js";
import { expectationsText } from "./report/expectations-text.js";
import { instanceText, relocationText } from "./report/instance-text.js";
import { writeJsonReport } from "./report/json.js";
import { writeJunitReport } from "./report/junit.js";
import { tapText } from "./report/tap.js";
import { runPageHtml } from "./report/html.js";
import { plainText, progress } from "./report/progress.js";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { CAPTURE_MODES, type CaptureMode } from "./capture/types.js";
import type { CaptureOptions } from "./capture/settings.js";
import { captureText } from "./report/capture-text.js";
import { captureLive } from "./capture/live.js";
import { repeat } from "./runs/repeat.js";
import { sweep } from "./runs/sweep.js";
import type { PoolProgress } from "./runs/pool.js";
import { repeatText } from "./report/repeat-text.js";
import { writeRepeatJunit } from "./report/repeat-junit.js";
import { repeatHtml } from "./report/repeat-html.js";
import { sweepText } from "./report/sweep-text.js";
import { writeSweepJunit } from "./report/sweep-junit.js";
import { sweepHtml } from "./report/sweep-html.js";
import type { Lab } from "./lab/types.js";
import type { NodePlan } from "./plan/types.js";

// A log that is not a terminal (CI) gets no escape sequences, e.g. an image build's colours in an error.
const stderr = (line: string) => process.stderr.write((process.stderr.isTTY ? line : plainText(line)) + "\n");
const stdout = (line: string) => process.stdout.write(line + "\n");

/** Ctrl-C aborts the current operation, which then removes what it created. */
function interruptible(): AbortSignal {
  const controller = new AbortController();
  process.once("SIGINT", () => {
    stderr("interrupted: removing what was created ...");
    controller.abort();
    process.once("SIGINT", () => process.exit(130));
  });
  process.once("SIGTERM", () => controller.abort());
  return controller.signal;
}

/** --wait: `90s`, `10m`, `1h`, `1500ms`; a bare number is seconds. */
function waitOption(text: string): number {
  const ms = parseDuration(text, "s");
  if (ms === undefined) throw new LabError([{ path: "--wait", message: `"${text}" is not a duration`, hint: "write it like 90s, 10m or 1h" }]);
  return ms;
}

interface InstanceOptions {
  instance?: string;
  wait?: number;
}

/** --instance NAME, or ZMQLAB_INSTANCE; --wait. */
function labOptions(opts: InstanceOptions): { instance?: string; wait?: number } {
  const instance = opts.instance ?? (process.env["ZMQLAB_INSTANCE"] || undefined);
  return { ...(instance !== undefined ? { instance } : {}), ...(opts.wait !== undefined ? { wait: opts.wait } : {}) };
}

const INSTANCE_HELP = "run a separate copy of the lab under this name, its subnets moved to free blocks (auto: a unique name; default $ZMQLAB_INSTANCE)";
const WAIT_HELP = "how long to wait while another zmqlab process uses the lab (e.g. 90s, 10m; default 10m)";

const program = new Command()
  .name("zmqlab")
  .description("Containerised network labs for ZeroMQ and layer-3 routing")
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program.version(VERSION, "-V, --version", "print zmqlab's version");

/** Where `scripts/cluster.sh up` writes its cluster file (relative to the folder it ran in). */
const DEFAULT_CLUSTER_FILE = ".zmqlab/cluster.yaml";
// Every command that talks to an engine takes it, before or after the command's name.
program
  .option("--cluster [file]", `run across the engines of a Docker Swarm named in a cluster file (default $ZMQLAB_CLUSTER, else ${DEFAULT_CLUSTER_FILE}, which scripts/cluster.sh up writes)`)
  .hook("preAction", () => {
    const cluster = program.opts<{ cluster?: string | true }>().cluster;
    if (cluster !== undefined) process.env["ZMQLAB_CLUSTER"] = cluster === true ? process.env["ZMQLAB_CLUSTER"] || DEFAULT_CLUSTER_FILE : cluster;
  });

program
  .command("validate")
  .argument("<lab>", "lab file, or a folder holding lab.yaml")
  .description("check a lab file without touching Docker")
  .action((target: string) => {
    const { lab, file } = loadLab(target);
    stdout(`${file}: lab ${lab.name} is valid (${Object.keys(lab.networks).length} networks, ${Object.keys(lab.nodes).length} nodes)`);
  });

program
  .command("up")
  .argument("<lab>", "lab file, or a folder holding lab.yaml")
  .option("--dry-run", "print the plan (networks, containers, every command per node) and create nothing")
  .option("--instance <name>", INSTANCE_HELP)
  .option("--wait <duration>", WAIT_HELP, waitOption)
  .description("bring a lab up and print its nodes with every address per interface")
  .action(async (target: string, opts: { dryRun?: boolean } & InstanceOptions) => {
    const loaded = loadLab(target);
    if (opts.dryRun) {
      const hosts = clusterHosts(loaded.lab);
      const plan = planLab(loaded.lab, hosts ? { hosts } : {});
      stdout(planText(plan, dockerNames(plan)));
      return;
    }
    const started = performance.now();
    const steps = progress();
    const lab = await up(loaded, { signal: interruptible(), log: steps.step, command: "up", ...labOptions(opts) }).finally(steps.stop);
    // Interfaces in the lab file's order, then anything else the kernel has.
    const order = (n: NodePlan, altnames: string[]) => {
      const i = n.interfaces.findIndex((x) => altnames.includes(x.network));
      return i < 0 ? n.interfaces.length : i;
    };
    const nodes = await Promise.all(lab.nodes.map(async (n) => ({ name: n.name, interfaces: (await n.interfaces()).sort((a, b) => order(n.plan, a.altnames) - order(n.plan, b.altnames)) })));
    if (lab.reconciled)
      stdout(
        lab.repairs.length ? `lab ${lab.name} was up already; repaired:\n${lab.repairs.map((r) => `  ${r}`).join("\n")}` : `lab ${lab.name} was up already, as its file declares: nothing to repair`,
      );
    stdout(`lab ${lab.name} is up: ${lab.plan.networks.length} networks, ${lab.plan.nodes.length} nodes, ${((performance.now() - started) / 1000).toFixed(1)} s`);
    stdout(interfacesText(nodes));
    await lab.release();
    if (lab.instance !== undefined) stdout(`instance ${lab.instance}: ${relocationText(lab.relocations)}`);
    const hosts = hostsOf(lab.plan.nodes);
    if (hosts) stdout(hostsText(hosts));
    stdout(`\nremove it with: zmqlab down ${target}${lab.instance !== undefined ? ` --instance ${lab.instance}` : ""}${clusterFlag()}`);
  });

/** With a cluster file (--cluster, $ZMQLAB_CLUSTER): where each node of the lab would run. No engine is asked. */
function clusterHosts(lab: Lab): Record<string, string> | undefined {
  const cluster = process.env["ZMQLAB_CLUSTER"] || undefined;
  return cluster === undefined ? undefined : placeNodes(loadCluster(cluster), Object.keys(lab.nodes));
}

/** "nodes on hosts: h1: client, server; h2: r1" (a cluster run). */
const hostsText = (hosts: Record<string, string>): string => {
  const byHost = new Map<string, string[]>();
  for (const [node, host] of Object.entries(hosts)) byHost.set(host, [...(byHost.get(host) ?? []), node]);
  return `nodes on hosts: ${[...byHost].map(([host, nodes]) => `${host}: ${nodes.join(", ")}`).join("; ")}`;
};

interface ReportOptions {
  html?: string;
  json?: string;
  junit?: string;
  tap?: boolean;
  capture?: CaptureMode;
  captureWindow?: number;
  captureDir?: string;
}

/** --capture failed|always|off. */
function captureMode(text: string): CaptureMode {
  if (!(CAPTURE_MODES as readonly string[]).includes(text))
    throw new LabError([{ path: "--capture", message: `"${text}" is not a capture mode`, hint: "failed (keep the capture when the run fails; the default), always, or off" }]);
  return text as CaptureMode;
}

/** --capture-window: `2s`, `500ms`; a bare number is ms. */
function windowOption(text: string): number {
  const ms = parseDuration(text, "ms");
  if (ms === undefined) throw new LabError([{ path: "--capture-window", message: `"${text}" is not a duration`, hint: "write it like 2s or 500ms" }]);
  return ms;
}

/**
 * The run's capture options: the command line's over the lab file's settings. Its files go beside
 * the report files (a capture/ folder next to the first of --junit, --json, --html), unless
 * --capture-dir says where.
 */
function captureOptions(opts: ReportOptions): CaptureOptions {
  const beside = opts.junit ?? opts.json ?? opts.html;
  const dir = opts.captureDir ?? (beside !== undefined ? join(dirname(beside), "capture") : undefined);
  return { ...(opts.capture ? { mode: opts.capture } : {}), ...(opts.captureWindow !== undefined ? { window: opts.captureWindow } : {}), ...(dir !== undefined ? { dir } : {}) };
}

/** The run/test options that record the lab's networks. */
function withCaptureOptions(command: Command): Command {
  return command
    .option("--capture <when>", "record every network of the lab and keep the pcapng files: failed (when the run fails; the default, or settings.capture), always, off", captureMode)
    .option("--capture-window <duration>", "with faults, also cut the capture to this much on either side of each fault (default 2s, or settings.captureWindow)", windowOption)
    .option("--capture-dir <dir>", "where the capture's files go (default: a capture/ folder beside the --junit, --json or --html file, else .zmqlab/capture)");
}

/** Print and write a lab report; exit code 1 when an expectation fails. */
function report(lab: Lab, result: LabReport, opts: ReportOptions): void {
  // With --tap, stdout carries TAP alone; the tables go to stderr.
  const human = opts.tap ? stderr : stdout;
  human(`lab ${result.lab}: ${result.endpoints.length} endpoints, traffic ${(result.durationMs / 1000).toFixed(1)} s`);
  if (result.instance) human(instanceText(result.instance));
  if (result.hosts) human(hostsText(result.hosts));
  human(trafficText(result));
  human("");
  // The verdict stays the last line (scripts and the workshop's checks read it): the capture's files before it.
  if (result.capture) human(`${captureText(result.capture)}\n`);
  human(expectationsText(result.expectations));
  if (opts.tap) stdout(tapText(result).trimEnd());
  if (opts.json) writeJsonReport(opts.json, result);
  if (opts.junit) writeJunitReport(opts.junit, result);
  // An instance's page shows the addresses it ran at, which its flows and peers carry.
  if (opts.html) writeFileSync(opts.html, runPageHtml(lab, result, dirname(opts.html)));
  if (!result.ok) process.exitCode = 1;
}

withCaptureOptions(program.command("run"))
  .argument("<lab>", "lab file, or a folder holding lab.yaml")
  .option("--keep", "leave the lab up afterwards")
  .option("--instance <name>", INSTANCE_HELP)
  .option("--wait <duration>", WAIT_HELP, waitOption)
  .option("--json <file>", "write the report as JSON (format: controller/report/report.schema.json)")
  .option("--junit <file>", "write the expectations as JUnit XML, one test case each")
  .option("--tap", "print the expectations as TAP on stdout (the tables go to stderr)")
  .option("--html <file>", "write one self-contained page: topology, each flow along its observed path, expectations")
  .option("--repeat <n>", "run the lab N times, as instances (--jobs at once), and judge the distribution: each expectation's pass count, every figure as min / p50 / p95 / max", count("--repeat"))
  .option("--jobs <n>", "with --repeat: runs at once (default 1)", count("--jobs"))
  .option("--quorum <share>", "with --repeat: the share of the runs an expectation must hold in, e.g. 0.95 (default 1: every run; an expectation's own quorum: wins)", share)
  .option("--reports <dir>", "with --repeat: where failing runs keep their own reports (default .zmqlab/runs/LAB-repeat-TIME)")
  .description(
    "bring the lab up (or use it if it is up), drive its traffic, judge its expectations, take it down; exit 1 when one fails. With --repeat N: N runs, exit 1 when an expectation misses its quorum",
  )
  .action(async (target: string, opts: ReportOptions & InstanceOptions & RepeatCliOptions & { keep?: boolean }) => {
    const loaded = loadLab(target);
    if (opts.repeat !== undefined) return repeatCommand(loaded, opts);
    for (const [flag, given] of [
      ["--jobs", opts.jobs],
      ["--quorum", opts.quorum],
      ["--reports", opts.reports],
    ] as const) {
      if (given !== undefined) throw new LabError([{ path: flag, message: `${flag} without --repeat`, hint: `add --repeat N (N runs), or leave ${flag} out` }]);
    }
    const steps = progress();
    // Reported as soon as judged, before the teardown: the files are written even if it fails.
    const onReport = (result: LabReport) => {
      steps.stop();
      report(loaded.lab, result, opts);
    };
    await run(loaded, { reuse: true, log: steps.step, signal: interruptible(), onReport, capture: captureOptions(opts), ...labOptions(opts), ...(opts.keep ? { keep: true } : {}) }).finally(
      steps.stop,
    );
  });

interface RepeatCliOptions {
  repeat?: number;
  jobs?: number;
  quorum?: number;
  reports?: string;
}

/** A whole number of runs or jobs, at least 1. */
function count(flag: string): (text: string) => number {
  return (text) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1) throw new LabError([{ path: flag, message: `"${text}" is not a whole number of 1 or more`, hint: `e.g. ${flag} 4` }]);
    return n;
  };
}

/** --quorum: a share of the runs, above 0 and at most 1. */
function share(text: string): number {
  const n = Number(text);
  if (!(n > 0 && n <= 1)) throw new LabError([{ path: "--quorum", message: `"${text}" is not a share of the runs`, hint: "a number above 0 and at most 1: 0.95 is 19 of 20 runs" }]);
  return n;
}

/** Where many runs keep their own reports unless told: `.zmqlab/runs/LAB-WHAT-20261206-142501`. */
function reportsDir(lab: string, what: string, given?: string): string {
  if (given !== undefined) return given;
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
  return join(".zmqlab", "runs", `${lab}-${what}-${stamp}`);
}

/** The progress line of many runs: done, running, left, failures so far. */
function poolLine(what: string): { onProgress: (p: PoolProgress, ended?: unknown) => void; stop: () => void } {
  const steps = progress();
  let started = false;
  return {
    onProgress: (p, ended) => {
      const text = `${what}: ${p.done} done, ${p.running} running, ${p.left} left; ${p.failed} failed so far`;
      if (!started) steps.step(text);
      // A log that is not a terminal gets a line per run that ended, not per run that started.
      else if (process.stderr.isTTY || ended) steps.update(text);
      started = true;
    },
    stop: steps.stop,
  };
}

function writeFile(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

async function repeatCommand(loaded: LoadedLab, opts: ReportOptions & InstanceOptions & RepeatCliOptions & { keep?: boolean }): Promise<void> {
  for (const [flag, given] of [
    ["--keep", opts.keep],
    ["--instance", opts.instance],
    ["--tap", opts.tap],
  ] as const) {
    if (given !== undefined)
      throw new LabError([{ path: flag, message: `${flag} with --repeat`, hint: "every run of --repeat is an instance of its own, taken down afterwards, and reported together: leave it out" }]);
  }
  const dir = reportsDir(loaded.lab.name, "repeat", opts.reports);
  const line = poolLine(`${loaded.lab.name} x ${opts.repeat}`);
  const result = await repeat(loaded, {
    times: opts.repeat!,
    ...(opts.jobs !== undefined ? { jobs: opts.jobs } : {}),
    ...(opts.quorum !== undefined ? { quorum: opts.quorum } : {}),
    reports: dir,
    page: runPageHtml,
    signal: interruptible(),
    onProgress: line.onProgress,
  }).finally(line.stop);
  stdout(repeatText(result));
  if (result.results.some((r) => r.report)) stdout(`reports of the failing runs: ${dir}`);
  if (opts.json) writeFile(opts.json, `${JSON.stringify(result, null, 2)}\n`);
  if (opts.junit) writeRepeatJunit(opts.junit, result);
  if (opts.html) writeFile(opts.html, repeatHtml(result, opts.html));
  if (!result.complete) process.exitCode = 3;
  else if (!result.ok) process.exitCode = 1;
}

/** A comma-separated list option. */
const commaList = (text: string, previous: string[] = []) => [
  ...previous,
  ...text
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean),
];
/** A repeatable option. */
const repeated = (text: string, previous: string[] = []) => [...previous, text];

program
  .command("sweep")
  .argument("<lab>", "lab file, or a folder holding lab.yaml")
  .option("--at <duration>", "when each failure goes in, after time 0 (default: the lab's sweep.at, else a third of the way into the traffic)")
  .option("--restore <duration>", "undo each failure this long after it: start, unpause, up, heal (the fault sweep-restore)")
  .option("--nodes <nodes>", "stop these nodes, one at a time (comma-separated): instead of the default failures", commaList)
  .option("--links <interfaces>", "take these interfaces down, one at a time: NODE:NETWORK,...", commaList)
  .option("--pause", "pause nodes instead of stopping them")
  .option("--partition <sets>", "a partition between node sets, A,B/C (repeatable)", repeated)
  .option("--failures <list>", 'failures as the rows write them, split by ; (e.g. "stop r1;down r1:servers")', (t: string, p: string[] = []) => [
    ...p,
    ...t
      .split(";")
      .map((x) => x.trim())
      .filter(Boolean),
  ])
  .option("--exclude <failure>", 'leave this failure out, as the rows write it: "down r1:servers" (repeatable)', repeated)
  .option("--k <n>", "2: every pair of failures at once (on different nodes)", count("--k"))
  .option("--sample <n>", "with --k 2: try only this many of the pairs", count("--sample"))
  .option("--seed <n>", "with --sample: which pairs (default 1)", count("--seed"))
  .option("--jobs <n>", "runs at once, each an instance (default 1)", count("--jobs"))
  .option("--reports <dir>", "where every run keeps its own report (default .zmqlab/runs/LAB-sweep-TIME)")
  .option("--json <file>", "write the sweep as JSON (format: controller/report/sweep.schema.json)")
  .option("--junit <file>", "write the sweep as JUnit XML: a test suite per failure, a test case per expectation")
  .option("--html <file>", "write one self-contained page: the matrix as a heat map, every cell's reason, links to every run's report")
  .description(
    "run the lab as written (the baseline), then once per failure injected as the fault `sweep` (default: every forwarding node stopped, every interface of one taken down); print which failure breaks which expectation; exit 1 when a failure breaks one the baseline held",
  )
  .action(async (target: string, opts: SweepCliOptions) => {
    const loaded = loadLab(target);
    const dir = reportsDir(loaded.lab.name, "sweep", opts.reports);
    const line = poolLine(`sweep of ${loaded.lab.name}`);
    const { partition, k, json, junit, html, reports: _r, ...choices } = opts;
    const result = await sweep(loaded, {
      ...choices,
      ...(partition ? { partitions: partition } : {}),
      ...(k !== undefined ? { k: k as 1 | 2 } : {}),
      reports: dir,
      page: runPageHtml,
      signal: interruptible(),
      onProgress: line.onProgress,
    }).finally(line.stop);
    stdout(sweepText(result));
    stdout(`every run's own report: ${dir}`);
    if (json) writeFile(json, `${JSON.stringify(result, null, 2)}\n`);
    if (junit) writeSweepJunit(junit, result);
    if (html) writeFile(html, sweepHtml(result, html));
    if (!result.complete) process.exitCode = 3;
    else if (!result.ok) process.exitCode = 1;
  });

interface SweepCliOptions {
  at?: string;
  restore?: string;
  nodes?: string[];
  links?: string[];
  pause?: boolean;
  partition?: string[];
  failures?: string[];
  exclude?: string[];
  k?: number;
  sample?: number;
  seed?: number;
  jobs?: number;
  reports?: string;
  json?: string;
  junit?: string;
  html?: string;
}

/** `check`, and `test`, its former name (hidden): the API's `check`. */
for (const [name, hidden] of [
  ["check", false],
  ["test", true],
] as const) {
  withCaptureOptions(program.command(name, { hidden }))
    .argument("<lab>", "lab file, or a folder holding lab.yaml, of a lab that is up")
    .option("--json <file>", "write the report as JSON (format: controller/report/report.schema.json)")
    .option("--junit <file>", "write the expectations as JUnit XML, one test case each")
    .option("--tap", "print the expectations as TAP on stdout (the tables go to stderr)")
    .option("--html <file>", "write one self-contained page: topology, each flow along its observed path, expectations")
    .option("--instance <name>", "the instance to check (default $ZMQLAB_INSTANCE)")
    .option("--wait <duration>", WAIT_HELP, waitOption)
    .description(
      `check a lab that is already up, as it is now (changed by hand or not): drive its traffic again, judge its expectations, leave it up; exit 1 when one fails${hidden ? " (check's former name)" : ""}`,
    )
    .action(checkCommand);
}

async function checkCommand(target: string, opts: ReportOptions & InstanceOptions): Promise<void> {
  const loaded = loadLab(target);
  const signal = interruptible();
  const steps = progress();
  const lab = await attach(loaded, { command: "check", log: steps.step, signal, ...labOptions(opts) }).catch((err) => {
    steps.stop();
    throw err;
  });
  stderr(`lab ${lab.name} is up: checking it as it is`);
  const result = await check(lab, { log: steps.step, signal, capture: captureOptions(opts) }).finally(() => {
    steps.stop();
    return lab.release();
  });
  report(loaded.lab, result, opts);
}

program
  .command("graph")
  .argument("<lab>", "lab file, or a folder holding lab.yaml")
  .description("print the topology as Mermaid: networks, nodes, every address per interface, endpoints (with --cluster: each node's host)")
  .action((target: string) => {
    const lab = loadLab(target).lab;
    stdout(topologyMermaid(lab, [], clusterHosts(lab)));
  });

program
  .command("down")
  .argument("<lab>", "lab file, folder, or lab name")
  .option("--instance <name>", "the instance to remove (default $ZMQLAB_INSTANCE)")
  .option("--wait <duration>", WAIT_HELP, waitOption)
  .description("remove a lab's containers and networks (by file: idempotent; a lab name no engine has exits 3); waits while another zmqlab process uses it")
  .action(async (target: string, opts: InstanceOptions) => {
    // A lab file is read first: a broken one is exit 2 before any engine is asked.
    const byFile = namesLabFile(target);
    const loaded = byFile ? loadLab(target) : undefined;
    const runtime = await connectRuntime();
    const removed = await down(loaded ?? target, { runtime, command: "down", log: stderr, signal: interruptible(), ...labOptions(opts) });
    if (removed.found) {
      stdout(`removed ${removed.containers} containers and ${removed.networks} networks`);
      return;
    }
    // A lab file whose lab is not up: nothing to do (down after down). A name nothing carries is likely a typo.
    if (byFile) {
      stdout(`lab ${removed.lab} is not up: nothing to remove`);
      return;
    }
    const labs = (await runtime.listLabs()).map((l) => l.lab);
    const likely = closest(removed.lab, labs);
    const where = process.env["ZMQLAB_CLUSTER"] ? "on any engine of the cluster" : "on this engine";
    throw new EnvironmentError(`No lab ${removed.lab} ${where}: nothing removed.`, `${likely ? `did you mean ${likely}? ` : ""}labs there: ${labs.join(", ") || "none"} (zmqlab ls)`);
  });

program
  .command("capture")
  .argument("<lab>", "lab file, folder, or lab name, of a lab that is up")
  .argument("<network>", "a network of the lab (its bridge: every node's packets on it), or NODE:NETWORK (that node's interface on it)")
  .option("-w, --write <file>", "write the pcap to a file instead of stdout")
  .option("--instance <name>", "the instance (default $ZMQLAB_INSTANCE)")
  .description("capture a network of a lab that is up, live, as pcap on stdout (zmqlab capture LAB clients | wireshark -k -i -) or to a file; Ctrl-C ends it")
  .action(async (target: string, network: string, opts: { write?: string } & InstanceOptions) => {
    if (!opts.write && process.stdout.isTTY)
      throw new LabError([{ path: "capture", message: "pcap is binary: stdout is a terminal", hint: "pipe it into a reader (| wireshark -k -i -, | tcpdump -r -) or write a file: -w FILE" }]);
    const controller = new AbortController();
    process.once("SIGINT", () => controller.abort());
    process.once("SIGTERM", () => controller.abort());
    const output = opts.write ? createWriteStream(opts.write) : process.stdout;
    await captureLive(target, network, output, { signal: controller.signal, log: stderr, ...labOptions(opts) });
    if (opts.write) await new Promise<void>((resolve) => (output as ReturnType<typeof createWriteStream>).end(resolve));
  });

program
  .command("ls")
  .description("list labs on the engine, including ones a crashed run left")
  .action(async () => {
    const labs = await (await connectRuntime()).listLabs();
    if (labs.length === 0) {
      stdout(process.env["ZMQLAB_CLUSTER"] ? "no labs on any engine of the cluster" : "no labs on this engine");
      return;
    }
    const user = (l: (typeof labs)[number]) =>
      l.locks.map((k) => (k.state === "running" && k.owner ? describeOwner(k.owner) : k.state === "running" ? "a zmqlab process" : "nobody (a killed run's lock)")).join("; ") || "-";
    stdout(
      table([
        ["lab", "instance", "containers", "networks", "in use by", "nodes"],
        ...labs.map((l) => [
          l.instance !== undefined ? l.lab.slice(0, -l.instance.length - 1) : l.lab,
          l.instance ?? "-",
          String(l.containers.length),
          String(l.networks.length),
          user(l),
          l.containers.map((c) => `${c.node}(${c.state}${c.host !== undefined ? ` on ${c.host}` : ""})`).join(" "),
        ]),
      ]),
    );
  });

program
  .command("clean")
  .description("remove every lab of zmqlab's from the engine")
  .action(async () => {
    const runtime = await connectRuntime();
    const labs = await runtime.listLabs();
    for (const l of labs) {
      const removed = await runtime.removeLab(l.lab);
      stdout(`removed lab ${l.lab}: ${removed.containers} containers, ${removed.networks} networks`);
    }
    const locks = await runtime.removeStaleLocks();
    if (locks) stdout(`removed ${locks} locks that killed zmqlab processes left`);
    if (labs.length === 0) stdout("nothing to clean");
  });

/** Exit code of an internal error (our bug): never 1, which means an expectation failed. */
const INTERNAL_ERROR = 4;

program
  .command("exec")
  .argument("<lab>", "lab file, folder, or lab name, of a lab that is up")
  .argument("<node>", "node name, as in the lab file")
  .argument("<argv...>", "the command and its arguments, after --")
  .usage("[--instance NAME] <lab> <node> -- <argv...>")
  .option("--instance <name>", "the instance (default $ZMQLAB_INSTANCE)")
  .description("run a command in a node of a lab that is up; its output and exit code are the command's own (input too, when it is not a terminal)")
  .action(async (target: string, node: string, argv: string[], opts: InstanceOptions) => {
    const found = await findNode(target, node, labOptions(opts));
    const stdin = process.stdin.isTTY ? undefined : process.stdin;
    process.exitCode = await found.attach(argv, { ...(stdin ? { stdin } : {}), stdout: process.stdout, stderr: process.stderr });
  });

/** Bash where the image has it, else the POSIX shell. A constant: nothing from the lab goes in. */
const ANY_SHELL = ["/bin/sh", "-c", "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi"];

/** The terminal zmqlab runs in, when both its input and its output are one. */
function terminal(): Terminal | undefined {
  if (!process.stdin.isTTY || !process.stdout.isTTY) return undefined;
  return {
    rows: process.stdout.rows,
    columns: process.stdout.columns,
    onResize: (listener) => {
      const resized = () => listener(process.stdout.rows, process.stdout.columns);
      process.stdout.on("resize", resized);
      return () => process.stdout.off("resize", resized);
    },
  };
}

program
  .command("shell")
  .argument("<lab>", "lab file, folder, or lab name, of a lab that is up")
  .argument("<node>", "node name, as in the lab file")
  .option("--shell <program>", "the shell to start (default: bash where the image has it, else sh)")
  .option("--instance <name>", "the instance (default $ZMQLAB_INSTANCE)")
  .description("open a shell in a node of a lab that is up (a terminal when zmqlab runs in one; else it reads commands from stdin); exits with the shell's exit code")
  .action(async (target: string, node: string, opts: { shell?: string } & InstanceOptions) => {
    const found = await findNode(target, node, labOptions(opts));
    const argv = opts.shell ? [opts.shell] : ANY_SHELL;
    const tty = terminal();
    if (!tty) {
      process.exitCode = await found.attach(argv, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
      return;
    }
    // Raw input: keys (Ctrl-C, arrows, tab) go to the shell, not to this process.
    process.stdin.setRawMode(true);
    try {
      process.exitCode = await found.attach(argv, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, tty }, [`TERM=${process.env.TERM ?? "xterm"}`]);
    } finally {
      process.stdin.setRawMode(false);
    }
  });

/** A word as a POSIX shell reads it back: quoted when it holds anything but safe characters. */
const shellWord = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`);

/**
 * `zmqlab exec LAB NODE ip -br addr` without `--`: the command's own options reach commander,
 * which knows none of them. The same line with `--` before the command, or undefined when the
 * words are not an exec with its lab and node.
 */
function execWithSeparator(argv: string[]): string | undefined {
  const words = argv.slice(2);
  // The command: the first word that is neither an option of zmqlab's nor --cluster's file.
  const at = words.findIndex((w, i) => !w.startsWith("-") && words[i - 1] !== "--cluster");
  if (words[at] !== "exec" || words.includes("--")) return undefined;
  // --instance is exec's own wherever it stands (commander reads options anywhere); the rest in order.
  const options: string[] = [];
  const operands: string[] = [];
  for (let i = at + 1; i < words.length; i++) {
    const word = words[i]!;
    if (word === "--instance") (options.push(word, ...words.slice(i + 1, i + 2)), i++);
    else if (word.startsWith("--instance=")) options.push(word);
    else operands.push(word);
  }
  if (operands.length < 3) return undefined;
  return ["zmqlab", ...words.slice(0, at + 1), ...options, ...operands.slice(0, 2), "--", ...operands.slice(2)].map(shellWord).join(" ");
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (caught) {
    // An engine error that slipped past engine/ is still the environment's, not our bug.
    const err = engineFailure(caught, "talk to");
    if (err instanceof CommanderError && err.code === "commander.unknownOption") {
      const fixed = execWithSeparator(argv);
      if (fixed) stderr(`  hint: the command's options went to zmqlab; put the command after --: ${fixed}`);
    }
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof ZmqlabError) {
      stderr(err.message);
      return err.exitCode;
    }
    throw err;
  }
}

function internalError(err: unknown): never {
  const known = engineFailure(err, "talk to");
  if (known instanceof ZmqlabError) {
    stderr(known.message);
    process.exit(known.exitCode);
  }
  stderr(`zmqlab: internal error (a bug, please report it):\n${(err as Error).stack ?? String(err)}`);
  process.exit(INTERNAL_ERROR);
}

// A promise nobody awaited still ends the command with its own exit code, never Node's 1.
process.on("unhandledRejection", internalError);
process.on("uncaughtException", internalError);

main(process.argv).then((code) => process.exit(code), internalError);
