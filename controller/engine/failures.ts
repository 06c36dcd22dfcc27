// What the engine says when it refuses, in the user's terms: every Docker engine error becomes an
// EnvironmentError (exit 3) that names the resource and says what to do. The one place where
// dockerode's errors are read; everything else in engine/ passes its failures through here.
import { EnvironmentError } from "../errors.js";

/** What an engine call was about: a container, network, image, or the engine itself. */
export interface Resource {
  kind: "container" | "network" | "image" | "engine";
  /** The Docker name (or id); absent for the engine itself. */
  name?: string;
  /** The lab's word for it, e.g. `node client`, `network clients`. */
  role?: string;
}

/** A dockerode error: an HTTP answer of the engine, or a failed connection to it. */
interface EngineErrorShape {
  statusCode?: number;
  json?: { message?: string } | string | null;
  reason?: string;
  code?: string;
  syscall?: string;
  message?: string;
}

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ECONNABORTED"]);
/** No socket file, or no permission on it: only when connecting (these codes mean other things elsewhere). */
const CONNECT_CODES = new Set(["ENOENT", "EACCES"]);

/** Whether `err` came from the engine (an HTTP error answer) or from the connection to it. */
export function isEngineError(err: unknown): boolean {
  if (!err || typeof err !== "object" || err instanceof EnvironmentError) return false;
  const e = err as EngineErrorShape;
  if (typeof e.statusCode === "number" && "json" in e) return true;
  return isConnectionError(e);
}

function isConnectionError(e: EngineErrorShape): boolean {
  if (typeof e.code !== "string") return false;
  return CONNECTION_CODES.has(e.code) || (CONNECT_CODES.has(e.code) && e.syscall === "connect") || (e.code === "ECONNRESET" && /socket hang up/.test(e.message ?? ""));
}

/** The engine's own words: `json.message`, else the HTTP reason, else the error's message. */
export function engineMessage(err: unknown): string {
  const e = (err ?? {}) as EngineErrorShape;
  const fromJson = typeof e.json === "string" ? e.json.trim() : e.json?.message;
  return fromJson || e.message || e.code || String(err);
}

function label(resource: Resource): string {
  if (resource.kind === "engine") return "the Docker engine";
  const name = resource.name ?? "?";
  return `${resource.kind} ${name}${resource.role ? ` (${resource.role})` : ""}`;
}

const GONE_HINT =
  "something else removed it while zmqlab used it: another `zmqlab down`/`clean`, or a second run of the same lab finishing first. " +
  "Run the lab again; concurrent runs of one lab need separate instances";

/**
 * An engine error as the user's problem: an EnvironmentError naming the resource, with a hint.
 * What is not an engine error (our own bug) comes back unchanged, to keep its stack trace.
 *
 * @param action what zmqlab was doing, e.g. "create", "start", "run a command in"
 */
export function engineFailure(err: unknown, action: string, resource: Resource = { kind: "engine" }): unknown {
  if (!isEngineError(err)) return err;
  const e = err as EngineErrorShape;
  const said = engineMessage(err);
  const what = label(resource);
  const doing = `${action} ${what}`;

  if (e.statusCode === undefined) {
    // dockerode opens one SSH connection per API call, and zmqlab makes many at once: sshd drops
    // those beyond MaxStartups (10 being set up at once, by default) with a reset.
    const overSsh = process.env.DOCKER_HOST?.startsWith("ssh://") === true;
    return new EnvironmentError(
      `The Docker engine went away while zmqlab tried to ${doing} (${e.code ?? said}).`,
      overSsh
        ? "over ssh:// every API call is an SSH connection of its own, and sshd drops those beyond its MaxStartups (default 10:30:100): raise it on the engine's host (`MaxStartups 200:30:400` in /etc/ssh/sshd_config), then run again; `zmqlab down LAB` removes what a broken run left"
        : "check that dockerd still runs (`docker info`), then run again; `zmqlab ls` shows what a broken run left and `zmqlab down LAB` removes it",
    );
  }
  if (e.statusCode === 403 && /pool overlaps/i.test(said)) {
    return new EnvironmentError(
      `Docker refused to ${doing}: its subnet overlaps another Docker network (${said}).`,
      "another lab with the same subnets came up at the same moment, or a network outside zmqlab holds them: `zmqlab ls` and `docker network ls` show them. " +
        "Wait for the other run and try again, or give this lab other subnets (198.18.0.0/15 is set aside for labs)",
    );
  }
  if (/could not find an available, non-overlapping (IPv4|IPv6)? ?address pool/i.test(said)) {
    return new EnvironmentError(
      `Docker has no free address pool to ${doing} (${said}).`,
      "the engine's default address pools are used up by other networks: `docker network ls` shows them; remove the ones no longer used, or widen default-address-pools in /etc/docker/daemon.json",
    );
  }
  if (e.statusCode === 404) {
    if (resource.kind === "image" || /no such image/i.test(said)) {
      return new EnvironmentError(
        `The image ${resource.kind === "image" ? (resource.name ?? said) : said.replace(/^no such image:\s*/i, "")} is not on this engine (${said}).`,
        "build or load it first (`docker build -t NAME .`, `docker load`): zmqlab does not pull an image a lab names with image:",
      );
    }
    // Without a resource of ours, the engine's words name it (`No such container: NAME`).
    if (resource.kind === "engine") return new EnvironmentError(`Something zmqlab was using is gone: ${said}.`, GONE_HINT);
    const network = resource.kind === "container" && /no such network|network .* not found/i.test(said);
    return new EnvironmentError(`The ${network ? `network of ${what}` : what} is gone (${said}).`, GONE_HINT);
  }
  if (e.statusCode === 409) {
    if (/is not running|is paused|is restarting/i.test(said)) {
      return new EnvironmentError(
        `Could not ${doing}: the container is not running (${said}).`,
        "it stopped (or was stopped) while zmqlab used it: `docker inspect` and `docker logs` on it say why. " +
          "An image of your own must keep running on its own (its CMD, e.g. `sleep infinity`). Take the lab down (`zmqlab down LAB`) and run it again",
      );
    }
    if (/already in use|already exists/i.test(said)) {
      return new EnvironmentError(
        `Could not ${doing}: the name is taken (${said}).`,
        "another zmqlab process is bringing up the same lab at this moment, or an earlier run left it: `zmqlab ls` shows it; `zmqlab down LAB` removes a lab nobody uses",
      );
    }
    return new EnvironmentError(`Docker refused to ${doing}: a conflict (${said}).`, "`zmqlab ls` shows the lab's containers and networks; run again once the other operation is done");
  }
  if (e.statusCode >= 500) {
    return new EnvironmentError(
      `The Docker engine failed to ${doing} (${said}).`,
      "the engine's log says more (dockerd's output, or `journalctl -u docker`); if it persists, restart dockerd and run again",
    );
  }
  return new EnvironmentError(
    `Docker refused to ${doing} (HTTP ${e.statusCode}: ${said}).`,
    "if the lab file names this (an image:, a network), check it; otherwise this may be zmqlab's bug: please report it with this message",
  );
}

/** Await an engine call; an engine error becomes an EnvironmentError naming the resource. */
export async function onEngine<T>(action: string, resource: Resource, call: Promise<T> | (() => Promise<T>)): Promise<T> {
  try {
    return await (typeof call === "function" ? call() : call);
  } catch (err) {
    throw engineFailure(err, action, resource);
  }
}
