// Checking the AgentJob the agent gets as argv[2]. The controller builds it, so this guards
// against version skew and hand-written jobs, not against users: one clear message, then exit.

import type { AgentJob, EndpointJob } from "../shared/protocol.js";
import { SOCKET_TYPES, type SocketType } from "../shared/socket.js";

export class JobError extends Error {}

export { SOCKET_TYPES };

/** Parses and checks the job; throws JobError naming the first problem. */
export function parseJob(text: string | undefined): AgentJob {
  if (text === undefined) throw new JobError("no job: pass the AgentJob as JSON in argv[2]");
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new JobError(`job is not JSON: ${(err as Error).message}`);
  }
  const job = record(raw, "job");
  const endpoints = list(job.endpoints, "job.endpoints").map((e, i) => endpoint(e, `job.endpoints[${i}]`));
  const names = new Set<string>();
  for (const e of endpoints) {
    if (names.has(e.name)) throw new JobError(`endpoint name "${e.name}" appears twice`);
    names.add(e.name);
  }
  return {
    node: str(job.node, "job.node"),
    endpoints,
    handshakeTimeout: positive(job.handshakeTimeout, "job.handshakeTimeout"),
    deadline: positive(job.deadline, "job.deadline"),
    ...(job.waitForGo !== undefined ? { waitForGo: bool(job.waitForGo, "job.waitForGo") } : {}),
    ...(job.life !== undefined ? { life: lifeOf(job.life, "job.life") } : {}),
  };
}

function format(value: unknown, where: string): EndpointJob["format"] {
  if (value !== "zmqlab" && value !== "raw") throw new JobError(`${where}: "${String(value)}" is not zmqlab or raw`);
  return value;
}

function endpoint(raw: unknown, where: string): EndpointJob {
  const e = record(raw, where);
  const socket = str(e.socket, `${where}.socket`) as SocketType;
  if (!SOCKET_TYPES.includes(socket)) throw new JobError(`${where}.socket: unknown socket type "${socket}"`);
  const job: EndpointJob = {
    name: str(e.name, `${where}.name`),
    socket,
    bind: strings(e.bind ?? [], `${where}.bind`),
    connect: strings(e.connect ?? [], `${where}.connect`),
    ipv6: bool(e.ipv6 ?? false, `${where}.ipv6`),
    subscribe: strings(e.subscribe ?? [], `${where}.subscribe`),
    // The lab's default: repliers reply.
    reply: bool(e.reply ?? (socket === "rep" || socket === "router"), `${where}.reply`),
    expectPeers: count(e.expectPeers ?? 0, `${where}.expectPeers`),
    format: format(e.format ?? "zmqlab", `${where}.format`),
  };
  if (e.replyTimeout !== undefined) job.replyTimeout = positive(e.replyTimeout, `${where}.replyTimeout`);
  if (e.spreading !== undefined) job.spreading = strings(e.spreading, `${where}.spreading`);
  if (e.stamp !== undefined) job.stamp = bool(e.stamp, `${where}.stamp`);
  if (e.send !== undefined) {
    const s = record(e.send, `${where}.send`);
    job.send = { count: count(s.count, `${where}.send.count`), size: count(s.size ?? 0, `${where}.send.size`) };
    if (s.rate !== undefined) job.send.rate = positive(s.rate, `${where}.send.rate`);
    if (s.topic !== undefined) job.send.topic = str(s.topic, `${where}.send.topic`);
  }
  return job;
}

function record(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new JobError(`${where}: expected an object`);
  return v as Record<string, unknown>;
}

function list(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new JobError(`${where}: expected an array`);
  return v;
}

function strings(v: unknown, where: string): string[] {
  return list(v, where).map((x, i) => str(x, `${where}[${i}]`));
}

function str(v: unknown, where: string): string {
  if (typeof v !== "string") throw new JobError(`${where}: expected a string`);
  return v;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== "boolean") throw new JobError(`${where}: expected true or false`);
  return v;
}

function count(v: unknown, where: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new JobError(`${where}: expected an integer >= 0`);
  return v;
}

function lifeOf(v: unknown, where: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 65535) throw new JobError(`${where}: expected an integer from 1 to 65535`);
  return v;
}

function positive(v: unknown, where: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new JobError(`${where}: expected a number > 0`);
  return v;
}
