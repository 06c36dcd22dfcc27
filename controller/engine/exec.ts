// Commands inside containers through the Engine API's exec, as argument lists.
import { PassThrough, type Duplex } from "node:stream";
import type { Engine } from "./docker.js";
import { onEngine, type Resource } from "./failures.js";

const containerOf = (name: string): Resource => ({ kind: "container", name });

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** A command for messages: a script given as one word (`sh -c SCRIPT ...`) is shown as `...`, not in full. */
export const commandText = (argv: string[]): string => argv.map((word) => (word.includes("\n") ? "..." : word)).join(" ");

/** Run argv in the container and wait for it; never throws for a non-zero exit code. */
export async function execIn(docker: Engine, container: string, argv: string[]): Promise<ExecResult> {
  return onEngine(`run \`${commandText(argv)}\` in`, containerOf(container), async () => {
    const exec = await docker.getContainer(container).exec({ Cmd: argv, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const { stdout, stderr } = await readUntil(docker, stream);
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, stdout, stderr };
  });
}

/**
 * Read an attached container's or exec's output until its standard output matches \`until\`
 * (then let go of the stream: the container goes on) or the stream ends (\`ended\`).
 */
export function readUntil(docker: Engine, stream: Duplex, until?: RegExp): Promise<{ stdout: string; stderr: string; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const text = () => ({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    const stdout = new PassThrough().on("data", (c: Buffer) => {
      out.push(c);
      if (!until) return;
      const now = text();
      if (!until.test(now.stdout)) return;
      stream.destroy();
      resolve({ ...now, ended: false });
    });
    const stderr = new PassThrough().on("data", (c: Buffer) => err.push(c));
    docker.modem.demuxStream(stream, stdout, stderr);
    stream.on("end", () => setImmediate(() => resolve({ ...text(), ended: true })));
    stream.on("close", () => setImmediate(() => resolve({ ...text(), ended: true })));
    stream.on("error", reject);
  });
}

/** A long-running process in a container: lines out, lines in, and its exit code at the end. */
export interface Process {
  /** Each line of standard output, as it arrives. */
  lines: AsyncIterable<string>;
  stderr(): string;
  write(line: string): void;
  closeInput(): void;
  /**
   * Let go of it: its input and output close at once. For a process whose end the engine may not
   * report: one beside a node (beside.ts) whose node stopped dies with the node's process
   * namespace, and Docker 20.10 then keeps its exec's stream open, even after the removal.
   */
  release(): void;
  /** Resolves with the exit code once the process ended; rejects when its container is gone. */
  exited: Promise<number>;
}

export async function spawnIn(docker: Engine, container: string, argv: string[]): Promise<Process> {
  const action = `run \`${argv[0]} ${argv[1] ?? ""}\` in`;
  const { exec, stream } = await onEngine(action, containerOf(container), async () => {
    const exec = await docker.getContainer(container).exec({ Cmd: argv, AttachStdin: true, AttachStdout: true, AttachStderr: true });
    return { exec, stream: await exec.start({ hijack: true, stdin: true }) };
  });
  const stdout = new PassThrough();
  const stderrChunks: Buffer[] = [];
  const stderr = new PassThrough().on("data", (c: Buffer) => stderrChunks.push(c));
  docker.modem.demuxStream(stream, stdout, stderr);
  const ended = new Promise<void>((resolve) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
  });
  ended.then(() => stdout.end());
  // Rejects (an EnvironmentError) when the container went away under the process.
  const exited = ended.then(async () => (await onEngine(action, containerOf(container), () => exec.inspect())).ExitCode ?? -1);
  return {
    lines: splitLines(stdout),
    stderr: () => Buffer.concat(stderrChunks).toString(),
    write: (line) => void stream.write(line.endsWith("\n") ? line : line + "\n"),
    // A hijacked exec stream is a socket: half-close it so the process sees EOF on stdin.
    closeInput: () => void (stream as unknown as { end(): void }).end(),
    release: () => stream.destroy(),
    exited,
  };
}

async function* splitLines(stream: AsyncIterable<Buffer>): AsyncIterable<string> {
  let rest = "";
  for await (const chunk of stream) {
    rest += chunk.toString();
    let i: number;
    while ((i = rest.indexOf("\n")) >= 0) {
      yield rest.slice(0, i);
      rest = rest.slice(i + 1);
    }
  }
  if (rest) yield rest;
}

/** A program started in a container: every output line as it comes, and its exit code. */
export interface Started {
  /** Called for each line of stdout and stderr, in the order they arrive per stream. */
  onLine(listener: (line: string, stream: "stdout" | "stderr") => void): void;
  /** Resolves with the exit code once the program ended (or -1 when the engine could not say). */
  exited: Promise<number>;
}

/** Start argv in the container with extra environment variables; never throws for its exit code. */
export async function startIn(docker: Engine, container: string, argv: string[], env: Record<string, string> = {}): Promise<Started> {
  const exec = await docker.getContainer(container).exec({ Cmd: argv, Env: Object.entries(env).map(([k, v]) => `${k}=${v}`), AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const listeners: ((line: string, stream: "stdout" | "stderr") => void)[] = [];
  const emit = (line: string, which: "stdout" | "stderr") => listeners.forEach((l) => l(line, which));
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  docker.modem.demuxStream(stream, stdout, stderr);
  const pumps = [pump(stdout, (l) => emit(l, "stdout")), pump(stderr, (l) => emit(l, "stderr"))];
  const ended = new Promise<void>((resolve) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", () => resolve());
  });
  const exited = ended.then(async () => {
    stdout.end();
    stderr.end();
    await Promise.all(pumps);
    try {
      return (await exec.inspect()).ExitCode ?? -1;
    } catch {
      return -1;
    }
  });
  return { onLine: (l) => void listeners.push(l), exited };
}

async function pump(stream: AsyncIterable<Buffer>, line: (text: string) => void): Promise<void> {
  for await (const text of splitLines(stream)) line(text);
}

/** The caller's own streams, for a command typed by hand (zmqlab exec, zmqlab shell). */
export interface Stdio {
  /** Handed to the command; absent: the command gets no input. */
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** A terminal: the command gets one (a single output stream) sized like the caller's. */
  tty?: Terminal;
}

export interface Terminal {
  rows: number;
  columns: number;
  /** Call `listener` with the new size whenever the caller's terminal is resized; returns a way to stop. */
  onResize(listener: (rows: number, columns: number) => void): () => void;
}

/** Run argv in the container with the caller's streams attached; resolves with its exit code. */
export async function execAttached(docker: Engine, container: string, argv: string[], stdio: Stdio, env: string[] = []): Promise<number> {
  const tty = stdio.tty !== undefined;
  const exec = await docker.getContainer(container).exec({ Cmd: argv, Env: env, Tty: tty, AttachStdin: stdio.stdin !== undefined, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: stdio.stdin !== undefined, Tty: tty });
  let stopResize = () => {};
  if (stdio.tty) {
    const resize = (h: number, w: number) => exec.resize({ h, w }).catch(() => {});
    await resize(stdio.tty.rows, stdio.tty.columns);
    stopResize = stdio.tty.onResize(resize);
    stream.pipe(stdio.stdout as NodeJS.WritableStream & Duplex, { end: false });
  } else {
    docker.modem.demuxStream(stream, stdio.stdout, stdio.stderr);
  }
  // Input ending half-closes the connection, so the command sees the end of its input.
  stdio.stdin?.pipe(stream);
  await new Promise<void>((resolve) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    // Input still arriving after the command ended has nowhere to go.
    stream.on("error", () => resolve());
  });
  stdio.stdin?.unpipe(stream);
  stopResize();
  // The engine may record the exit code a moment after the stream ends.
  for (let attempt = 0; ; attempt++) {
    const info = await exec.inspect();
    if (!info.Running || attempt >= 50) return info.ExitCode ?? -1;
    await new Promise((r) => setTimeout(r, 20));
  }
}
