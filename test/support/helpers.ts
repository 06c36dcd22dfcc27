// Shared by the integration tests: the real engine, the CLI as a user runs it, and what carries
// the zmqlab.lab label.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectEngine } from "../../controller/engine/docker.js";
import { listLabs } from "../../controller/engine/resources.js";
import { EnvironmentError, up, type RunningLab } from "../../controller/index.js";
import { scratchDir } from "./scratch.js";

export const ROOT = process.cwd();
export const CLI = join(ROOT, "dist", "controller", "cli.js");

/** Containers and networks that carry zmqlab.lab=<lab> (any lab when absent). */
export async function labeled(lab?: string): Promise<{ containers: number; networks: number }> {
  const labs = await listLabs(await connectEngine(), lab);
  return {
    containers: labs.reduce((n, l) => n + l.containers.length, 0),
    networks: labs.reduce((n, l) => n + l.networks.length, 0),
  };
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI; `onStderr` sees progress lines as they come (to interrupt at a chosen moment). */
export function cli(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void, env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
      onStderr?.(stderr, child);
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Bring a lab up; someone else may be running it: wait for them rather than remove theirs. */
export async function upWhenFree(target: string): Promise<RunningLab> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await up(target);
    } catch (err) {
      const busy = err instanceof EnvironmentError && /already up|overlaps/.test(err.message);
      if (!busy || attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 10_000));
    }
  }
}

/** Run a command in a node; a failure is the test's own bug. */
export async function sh(lab: RunningLab, node: string, argv: string[]): Promise<void> {
  const result = await lab.node(node).exec(argv);
  if (result.exitCode !== 0) throw new Error(`${node}: ${argv.join(" ")}: ${result.stderr}`);
}

let labFiles: string | undefined;
/** Lab text written to a file a user could have written (for the CLI), each in its own folder. */
export function labFile(text: string): string {
  labFiles ??= scratchDir("zmqlab-labs-");
  const folder = mkdtempSync(join(labFiles, "lab-"));
  mkdirSync(folder, { recursive: true });
  const file = join(folder, "lab.yaml");
  writeFileSync(file, text);
  return file;
}
