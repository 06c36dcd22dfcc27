// Runs inside a lab node: the node's whole configuration in one process, as the container's
// first command when it is created (no exec: execs are the slow part of bringing a lab up), or in
// one exec when a node is configured again. Commands arrive as argument lists, without a shell.
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { withKernelNames } from "./interface-names.js";
import { strayInterfaces } from "../shared/stray-interfaces.js";
import type { ConfigureFile, ConfigureJob, ConfigureResult } from "../shared/protocol.js";

function run(argv: string[]): { exitCode: number; stdout: string; output: string } {
  const result = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8" });
  const exitCode = result.error ? 127 : (result.status ?? 1);
  return { exitCode, stdout: result.stdout ?? "", output: (result.stderr || result.stdout || result.error?.message || "").trim() };
}

function configure(job: ConfigureJob): ConfigureResult {
  const commands: string[][] = [];
  const links = JSON.parse(run(["ip", "-j", "addr", "show"]).stdout) as { ifname: string; addr_info?: { local: string }[] }[];
  const kernelNames = new Map<string, string>();
  if (job.onlyLabInterfaces) {
    const ipv4 = links.map((l) => ({ name: l.ifname, ipv4: (l.addr_info ?? []).map((a) => a.local).filter((a) => !a.includes(":")) }));
    for (const name of strayInterfaces(ipv4, job.interfaces.map((i) => i.ipv4))) commands.push(["ip", "link", "del", "dev", name]);
  }
  for (const iface of job.interfaces) {
    const link = links.find((l) => l.addr_info?.some((a) => a.local === iface.ipv4));
    // An interface that cannot be found shows up in the kernel check as a missing name.
    if (link) commands.push(["ip", "link", "property", "add", "dev", link.ifname, "altname", iface.network]);
    if (link) kernelNames.set(iface.network, link.ifname);
  }
  let failed: ConfigureResult["failed"];
  for (const file of job.files ?? []) {
    try {
      write(file, kernelNames);
    } catch (err) {
      failed = { index: -1, argv: ["write", file.path], exitCode: 1, output: (err as Error).message, file: file.path };
      break;
    }
  }
  commands.push(...job.commands.map((c) => c.argv));
  for (const [index, argv] of commands.entries()) {
    if (failed) break;
    const result = run(argv);
    if (result.exitCode !== 0) {
      failed = { index: index - (commands.length - job.commands.length), argv, exitCode: result.exitCode, output: result.output };
      break;
    }
  }
  const families = job.ipv6 ? ["-4", "-6"] : ["-4"];
  return {
    ...(failed ? { failed } : {}),
    state: {
      addr: run(["ip", "-j", "addr", "show"]).stdout,
      routes: families.map((f) => run(["ip", "-j", f, "route", "show", "table", "all"]).stdout),
      rules: families.map((f) => run(["ip", "-j", f, "rule", "show"]).stdout),
    },
  };
}

/** Write a file; `interface NETWORK` lines get the kernel's name of that network's interface. */
function write(file: ConfigureFile, kernelNames: Map<string, string>): void {
  const content = file.kernelInterfaceNames ? withKernelNames(file.content, kernelNames) : file.content;
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, content, { mode: file.mode });
  chmodSync(file.path, file.mode);
}

process.stdout.write(JSON.stringify(configure(JSON.parse(process.argv[2] ?? "{}") as ConfigureJob)) + "\n");
