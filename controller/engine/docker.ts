// The Docker engine connection. This folder is the only user of dockerode; above it, the
// Runtime (runtime.ts, implemented over one engine in docker-runtime.ts) is all there is.
import Docker from "dockerode";
import { EnvironmentError } from "../errors.js";
import { onEngine } from "./failures.js";

/** The dockerode client: only engine/ (and tests that play a user changing things by hand) hold one. */
export type Engine = Docker;

const NO_ENGINE_HINT =
  "start a Docker engine and make sure this user can reach it (DOCKER_HOST or /var/run/docker.sock). " +
  "On a fresh Debian machine, as root: `bash scripts/ensure-engine.sh` installs Debian's docker.io and starts it.";

/** Connect to the engine named by DOCKER_HOST (or the default socket) and check that it answers. */
export async function connectEngine(timeoutMs = 5000): Promise<Engine> {
  const docker = new Docker();
  try {
    await withTimeout(docker.ping(), timeoutMs, "no answer");
  } catch (err) {
    throw new EnvironmentError(`No Docker engine answers (${describe(err)}).`, NO_ENGINE_HINT);
  }
  return docker;
}

/**
 * Where an engine is, as `docker -H` takes it: `unix:///var/run/docker.sock`, `tcp://HOST:PORT`,
 * `ssh://HOST`. For messages and hints.
 */
export function engineAddress(docker: Engine): string {
  const modem = docker.modem as { socketPath?: unknown; host?: string; port?: string | number; protocol?: string };
  if (typeof modem.socketPath === "string") return `unix://${modem.socketPath}`;
  // dockerode's default is a function that looks for the socket: name the usual one.
  if (!modem.host) return "unix:///var/run/docker.sock";
  if (modem.protocol === "ssh") return `ssh://${modem.host}${modem.port ? `:${modem.port}` : ""}`;
  return `tcp://${modem.host}${modem.port ? `:${modem.port}` : ""}`;
}

/** An engine reached over the network (DOCKER_HOST=tcp:// or ssh://), not through a local socket. */
export function isRemoteEngine(docker: Engine): boolean {
  return !engineAddress(docker).startsWith("unix://");
}

export async function apiVersion(docker: Engine): Promise<string> {
  const version = await onEngine("read the version of", { kind: "engine" }, () => docker.version());
  return version.ApiVersion;
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
    }),
  ]);
}

export function describe(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { json?: { message?: string }; message?: string; code?: string };
    return e.json?.message ?? e.message ?? e.code ?? String(err);
  }
  return String(err);
}

/** Docker answers 404 for things that are already gone: teardown treats that as done. */
export function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number } | undefined)?.statusCode === 404;
}
