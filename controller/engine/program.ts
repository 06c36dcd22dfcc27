// A user's program running in a node, in the background: its output as it comes, its exit, and
// a way to stop it. The Engine API cannot signal an exec'd process, so the program starts under
// a constant `sh` line that prints its pid and then becomes the program (`exec "$@"`, the
// program's argument list passed as arguments, never as shell text); stopping it is `kill` in
// the node. The image needs `sh` and `kill`, as every Debian-based one has.
import type { Started } from "./exec.js";
import type { NodeHandle } from "./runtime.js";

const PID_LINE = /^zmqlab-pid (\d+)$/;
const WRAPPER = ["sh", "-c", 'echo "zmqlab-pid $$"; exec "$@"', "zmqlab-program"];
/** Output kept per program: the first lines are rarely the interesting ones when it is long. */
const MAX_LINES = 20_000;

export interface ProgramResult {
  /** The exit code; with `stopped`, what the signal left. */
  exitCode: number;
  /** zmqlab stopped it (SIGTERM, then SIGKILL after a grace period). */
  stopped: boolean;
  /** Stopped by SIGKILL: it did not end within the grace period after SIGTERM. */
  killed: boolean;
  durationMs: number;
  /** Its stdout and stderr lines, interleaved as they arrived (the last MAX_LINES). */
  output: string[];
}

export class Program implements AsyncDisposable {
  readonly output: string[] = [];
  private readonly listeners: ((line: string, stream: "stdout" | "stderr") => void)[] = [];
  private pid: string | undefined;
  private readonly pidKnown: Promise<void>;
  private stopped = false;
  private killed = false;
  private readonly started = performance.now();
  private ended: number | undefined;
  readonly result: Promise<ProgramResult>;

  private constructor(
    private readonly node: NodeHandle,
    started: Started,
    private readonly keep: number,
  ) {
    let known!: () => void;
    this.pidKnown = new Promise((resolve) => (known = resolve));
    started.onLine((line, stream) => {
      const pid = this.pid === undefined && stream === "stdout" ? PID_LINE.exec(line) : null;
      if (pid) {
        this.pid = pid[1];
        known();
        return;
      }
      if (this.keep > 0) {
        this.output.push(line);
        if (this.output.length > this.keep) this.output.splice(0, this.output.length - this.keep);
      }
      for (const l of this.listeners) l(line, stream);
    });
    this.result = started.exited.then((exitCode) => {
      known();
      this.ended = performance.now();
      return { exitCode, stopped: this.stopped, killed: this.killed, durationMs: Math.round(this.ended - this.started), output: [...this.output] };
    });
  }

  /** `keep`: how many lines of output to keep (a watcher whose lines are read as they come keeps none). */
  static async start(node: NodeHandle, argv: string[], env: Record<string, string> = {}, keep = MAX_LINES): Promise<Program> {
    return new Program(node, await node.start([...WRAPPER, ...argv], env), keep);
  }

  get running(): boolean {
    return this.ended === undefined;
  }

  onLine(listener: (line: string, stream: "stdout" | "stderr") => void): void {
    this.listeners.push(listener);
  }

  /** Its result once it ended by itself (or was stopped). */
  wait(): Promise<ProgramResult> {
    return this.result;
  }

  /** The end of `await using program = await node.spawn(...)`: stopped if it still runs. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** SIGTERM, then SIGKILL when it is still running after `graceMs`. */
  async stop(graceMs = 2000): Promise<ProgramResult> {
    if (!this.running) return this.result;
    await this.pidKnown;
    if (this.running && this.pid !== undefined) {
      this.stopped = true;
      await this.node.exec(["kill", "-TERM", this.pid]).catch(() => undefined);
      // The grace period's timer goes with it: a program that ended keeps no process waiting.
      let timer: NodeJS.Timeout | undefined;
      const gone = await Promise.race([this.result.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]).finally(() => clearTimeout(timer));
      if (!gone && this.running) {
        this.killed = true;
        await this.node.exec(["kill", "-KILL", this.pid]).catch(() => undefined);
      }
    }
    return this.result;
  }
}
