// The agent: runs the ZeroMQ endpoints of one lab node.
//
//   node dist/agent/main.js (in a node: /opt/zmqlab/agent/main.js) '<AgentJob as JSON>'
//
// stdout carries AgentEvents, one JSON object a line, and nothing else (diagnostics go to
// stderr). stdin carries AgentCommands; {"cmd":"stop"}, stdin EOF and the job's deadline all
// end the run the same way: every endpoint reports one `final`, then `done`, exit 0 (1 after
// an internal error). {"cmd":"go"} releases the senders of a job with waitForGo;
// {"cmd":"tick"} makes every endpoint report its progress at once (a checkpoint).
// A malformed job gets one `error` event and exit 2.

import { createInterface } from "node:readline";
import { Endpoint } from "./endpoint.js";
import { wallNow } from "./messages.js";
import { parseJob } from "./job.js";
import type { AgentCommand, AgentEvent, AgentJob } from "../shared/protocol.js";

let done = false;

function emit(event: AgentEvent): void {
  // Nothing after `done`: the controller may stop reading there.
  if (done) return;
  // Synchronous for pipes and files on Linux, so a following process.exit loses nothing.
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function run(job: AgentJob): void {
  let release!: () => void;
  const go = job.waitForGo ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
  const endpoints = job.endpoints.map((e) => new Endpoint(e, job.handshakeTimeout, emit, { go, life: job.life ?? 1 }));
  let stopping = false;

  /** Exit code 0, or 1 after an internal error (the results are still reported). */
  const stop = async (why: string, code = 0): Promise<void> => {
    if (stopping) return;
    stopping = true;
    clearTimeout(deadline);
    console.error(`agent ${job.node}: stopping (${why})`);
    const results = await Promise.all(endpoints.map((e) => e.finish()));
    endpoints.forEach((e, i) => {
      const result = results[i];
      if (result) emit({ type: "final", endpoint: e.name, result });
    });
    emit({ type: "done" });
    done = true;
    for (const e of endpoints) e.close();
    process.exit(code);
  };

  // The deadline counts from process start, which performance.now() measures.
  const deadline = setTimeout(() => void stop("deadline"), Math.max(0, job.deadline - performance.now()));

  const fail = (err: unknown): void => {
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    console.error(`agent ${job.node}: ${message}`);
    emit({ type: "error", message: `agent: ${err instanceof Error ? err.message : String(err)}` });
    if (stopping) process.exit(1);
    void stop("internal error", 1);
  };
  process.on("uncaughtException", fail);
  process.on("unhandledRejection", fail);

  const commands = createInterface({ input: process.stdin });
  commands.on("line", (line) => {
    if (line.trim() === "") return;
    let command: AgentCommand | undefined;
    try {
      command = JSON.parse(line) as AgentCommand;
    } catch {
      command = undefined;
    }
    if (command?.cmd === "stop") void stop("stop command");
    else if (command?.cmd === "go") {
      const wait = typeof command.at === "number" ? command.at - wallNow() : 0;
      if (wait > 0) setTimeout(() => release?.(), wait);
      else release?.();
    } else if (command?.cmd === "tick") for (const e of endpoints) e.checkpoint();
    else console.error(`agent ${job.node}: unknown command ignored: ${line}`);
  });
  commands.on("close", () => void stop("stdin closed"));

  for (const e of endpoints) e.start().catch(fail);
}

function main(): void {
  // The controller stopped reading: nobody is left to report to.
  process.stdout.on("error", () => process.exit(1));
  let job: AgentJob;
  try {
    job = parseJob(process.argv[2]);
  } catch (err) {
    emit({ type: "error", message: err instanceof Error ? err.message : String(err) });
    process.exit(2);
  }
  run(job);
}

main();
