#!/usr/bin/env node
// The zmqlab command line: thin commands over the public API.
import { Command, CommanderError } from "commander";
import { connectEngine } from "./engine/docker.js";
import { listLabs, removeLab } from "./engine/resources.js";
import { ZmqlabError } from "./errors.js";
import { loadLab } from "./lab/load.js";
import { planLab } from "./plan/plan.js";
import { interfacesText, planText, table } from "./report/plan-text.js";
import { attach, Cancelled, down, findNode, up } from "./provision/running.js";
import type { Terminal } from "./engine/exec.js";
import { VERSION } from "./version.js";
import { check, runLab, type LabReport } from "./run/index.js";
import { trafficText } from "./report/traffic-text.js";
import { topologyMermaid } from "./report/mermaid.js";
import { expectationsText } from "./report/expectations-text.js";
import { writeJsonReport } from "./report/json.js";
import { writeJunitReport } from "./report/junit.js";
import { tapText } from "./report/tap.js";
import { htmlReport } from "./report/html.js";
import { progress } from "./report/progress.js";
import { writeFileSync } from "node:fs";
import type { Lab } from "./lab/types.js";
import type { NodePlan } from "./plan/types.js";

const stderr = (line: string) => process.stderr.write(line + "\n");
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

const program = new Command()
  .name("zmqlab")
  .description("Containerised network labs for ZeroMQ and layer-3 routing")
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

program.version(VERSION, "-V, --version", "print zmqlab's version");

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
  .description("bring a lab up and print its nodes with every address per interface")
  .action(async (target: string, opts: { dryRun?: boolean }) => {
    const loaded = loadLab(target);
    if (opts.dryRun) {
      stdout(planText(planLab(loaded.lab)));
      return;
    }
    const started = performance.now();
    const steps = progress();
    const lab = await up(loaded, { signal: interruptible(), log: steps.step }).finally(steps.stop);
    // Interfaces in the lab file's order, then anything else the kernel has.
    const order = (n: NodePlan, altnames: string[]) => {
      const i = n.interfaces.findIndex((x) => altnames.includes(x.network));
      return i < 0 ? n.interfaces.length : i;
    };
    const nodes = await Promise.all(
      lab.plan.nodes.map(async (n) => ({ name: n.name, interfaces: (await lab.interfaces(n.name)).sort((a, b) => order(n, a.altnames) - order(n, b.altnames)) })),
    );
    stdout(`lab ${lab.name} is up: ${lab.plan.networks.length} networks, ${lab.plan.nodes.length} nodes, ${((performance.now() - started) / 1000).toFixed(1)} s`);
    stdout(interfacesText(nodes));
    stdout(`\nremove it with: zmqlab down ${target}`);
  });

interface ReportOptions {
  html?: string;
  json?: string;
  junit?: string;
  tap?: boolean;
}

/** Print and write a lab report; exit code 1 when an expectation fails. */
function report(lab: Lab, result: LabReport, opts: ReportOptions): void {
  // With --tap, stdout carries TAP alone; the tables go to stderr.
  const human = opts.tap ? stderr : stdout;
  human(`lab ${result.lab}: ${result.endpoints.length} endpoints, traffic ${(result.durationMs / 1000).toFixed(1)} s`);
  human(trafficText(result));
  human("");
  human(expectationsText(result.expectations));
  if (opts.tap) stdout(tapText(result).trimEnd());
  if (opts.json) writeJsonReport(opts.json, result);
  if (opts.junit) writeJunitReport(opts.junit, result);
  if (opts.html) writeFileSync(opts.html, htmlReport(lab, result));
  if (!result.ok) process.exitCode = 1;
}

program
  .command("run")
  .argument("<lab>", "lab file, or a folder holding lab.yaml")
  .option("--keep", "leave the lab up afterwards")
  .option("--json <file>", "write the report as JSON (format: controller/report/report.schema.json)")
  .option("--junit <file>", "write the expectations as JUnit XML, one test case each")
  .option("--tap", "print the expectations as TAP on stdout (the tables go to stderr)")
  .option("--html <file>", "write one self-contained page: topology, each flow along its observed path, expectations")
  .description("bring the lab up (or use it if it is up), drive its traffic, judge its expectations, take it down; exit 1 when one fails")
  .action(async (target: string, opts: ReportOptions & { keep?: boolean }) => {
    const loaded = loadLab(target);
    const steps = progress();
    const result = await runLab(loaded, { reuse: true, log: steps.step, signal: interruptible(), ...(opts.keep ? { keep: true } : {}) }).finally(steps.stop);
    report(loaded.lab, result, opts);
  });

program
  .command("test")
  .argument("<lab>", "lab file, or a folder holding lab.yaml, of a lab that is up")
  .option("--json <file>", "write the report as JSON (format: controller/report/report.schema.json)")
  .option("--junit <file>", "write the expectations as JUnit XML, one test case each")
  .option("--tap", "print the expectations as TAP on stdout (the tables go to stderr)")
  .option("--html <file>", "write one self-contained page: topology, each flow along its observed path, expectations")
  .description("check a lab that is already up, as it is now (changed by hand or not): drive its traffic again, judge its expectations, leave it up; exit 1 when one fails")
  .action(async (target: string, opts: ReportOptions) => {
    const loaded = loadLab(target);
    const lab = await attach(loaded);
    stderr(`lab ${lab.name} is up: checking it as it is`);
    const steps = progress();
    const result = await check(lab, { log: steps.step, signal: interruptible() }).finally(steps.stop);
    report(loaded.lab, result, opts);
  });

program
  .command("graph")
  .argument("<lab>", "lab file, or a folder holding lab.yaml")
  .description("print the topology as Mermaid: networks, nodes, every address per interface, endpoints")
  .action((target: string) => {
    stdout(topologyMermaid(loadLab(target).lab));
  });

program
  .command("down")
  .argument("<lab>", "lab file, folder, or lab name")
  .description("remove a lab's containers and networks (idempotent)")
  .action(async (target: string) => {
    const removed = await down(target);
    stdout(`removed ${removed.containers} containers and ${removed.networks} networks`);
  });

program
  .command("ls")
  .description("list labs on the engine, including ones a crashed run left")
  .action(async () => {
    const labs = await listLabs(await connectEngine());
    if (labs.length === 0) {
      stdout("no labs on this engine");
      return;
    }
    stdout(table([["lab", "containers", "networks", "nodes"], ...labs.map((l) => [l.lab, String(l.containers.length), String(l.networks.length), l.containers.map((c) => `${c.node}(${c.state})`).join(" ")])]));
  });

program
  .command("clean")
  .description("remove every lab of zmqlab's from the engine")
  .action(async () => {
    const engine = await connectEngine();
    const labs = await listLabs(engine);
    for (const l of labs) {
      const removed = await removeLab(engine, l.lab);
      stdout(`removed lab ${l.lab}: ${removed.containers} containers, ${removed.networks} networks`);
    }
    if (labs.length === 0) stdout("nothing to clean");
  });

program
  .command("exec")
  .argument("<lab>", "lab file, folder, or lab name, of a lab that is up")
  .argument("<node>", "node name, as in the lab file")
  .argument("<argv...>", "the command and its arguments, after --")
  .usage("<lab> <node> -- <argv...>")
  .description("run a command in a node of a lab that is up; its output and exit code are the command's own (input too, when it is not a terminal)")
  .action(async (target: string, node: string, argv: string[]) => {
    const found = await findNode(target, node);
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
  .description("open a shell in a node of a lab that is up (a terminal when zmqlab runs in one; else it reads commands from stdin); exits with the shell's exit code")
  .action(async (target: string, node: string, opts: { shell?: string }) => {
    const found = await findNode(target, node);
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

export async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    if (err instanceof Cancelled) {
      stderr(err.message);
      return 130;
    }
    if (err instanceof ZmqlabError) {
      stderr(err.message);
      return err.exitCode;
    }
    throw err;
  }
}

main(process.argv).then(
  (code) => process.exit(code),
  (err) => {
    stderr(`zmqlab: internal error (a bug, please report it):\n${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
