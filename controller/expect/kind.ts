// What an expectation kind is: one module says everything about it (its part of the lab file's
// schema, its checks against the lab, what it reads of the run, its judge, its line in the docs),
// and the registry (registry.ts) lists the modules. Validation, judging, the report's kinds and
// the docs are driven from there: adding a kind is its module, one registry line, its tests.
import Type, { type Static, type TSchema } from "typebox";
import type { ExpectationResult, Observations } from "./types.js";

export type Path = (string | number)[];

/** One endpoint of the lab, as an expectation's checks see it. */
export interface EndpointView {
  node: string;
  /** The user's own program (command:), else zmqlab's agent. */
  program: boolean;
  socket?: string;
  format?: "zmqlab" | "raw";
  bind: string[];
  connect: string[];
}

/** The lab an expectation is checked against, and where to report what is wrong. */
export interface Check {
  /** The endpoint by that name, if the lab has one (reports nothing). */
  lookup(name: string): EndpointView | undefined;
  /** The endpoint, or undefined after reporting that the lab has none by that name (with the nearest). */
  endpoint(name: string, at: Path): EndpointView | undefined;
  /** The node, or undefined after reporting that the lab has none by that name. */
  node(name: string, at: Path): { forward: boolean } | undefined;
  /** Reports `text` when it is no address, or no node's address in the lab. */
  address(text: string, at: Path): void;
  /** Whether `text` is an IP address at all. */
  isAddress(text: string): boolean;
  problem(at: Path, message: string, hint?: string): void;
}

/** What an expectation kind reads of the run, besides the traffic report. */
export interface Needs {
  /**
   * The endpoint the body's `endpoint` names must be zmqlab's agent (it reads the agent's own
   * accounting or timeline) or a program (its exit and output); the hint says what to use instead.
   */
  endpoint?: { of: "agent" | "program"; hint: string };
  /** Body keys naming forwarding nodes whose counters it reads: a verdict on counters nobody read cannot hold. */
  counters?: readonly string[];
}

export interface ExpectationKind<K extends string = string, S extends TSchema = TSchema> {
  kind: K;
  /** The body under `K:` in the lab file, without the phase keys every kind takes. */
  body: S;
  /** Its row in the docs' table: when it holds, and what it is observed from. */
  doc: { holds: string; observedFrom: string };
  /**
   * Its `after` is part of what it judges (it reads the timeline around that fault): it is not
   * cut to a phase, and takes no `before` or `between`.
   */
  timed?: boolean;
  needs?: Needs;
  /** Its own checks against the lab, beyond the schema and the checks every kind gets. */
  validate?(body: Static<S>, check: Check, at: Path): void;
  judge(body: Static<S>, observations: Observations): ExpectationResult;
}

/** A kind, typed by its body's schema. */
export function expectation<K extends string, S extends TSchema>(kind: ExpectationKind<K, S>): ExpectationKind<K, S> {
  return kind;
}

/** A closed set of words, as JSON Schema's enum. */
export const oneOf = <T extends string>(values: readonly T[], options: object = {}) => Type.Unsafe<T>({ enum: [...values], ...options });

/** One string or a non-empty list of them. */
export const stringOrList = (options: object = {}) => Type.Unsafe<string | string[]>({ type: ["string", "array"], items: { type: "string" }, minItems: 1, ...options });

/** ms as a number, or a duration such as 1500ms, 5s. */
export const duration = (options: object = {}) => Type.Unsafe<number | string>({ type: ["integer", "string"], ...options });

/** The name of an endpoint under traffic. */
export const endpointName = (description = "An endpoint under traffic.") => Type.String({ description });

/** A fault's name, as the faults section gives it. */
export const faultName = (description = "A fault's name: lower case, digits and dashes, up to 32 characters.") => Type.String({ pattern: "^[a-z][a-z0-9-]{0,31}$", description });
