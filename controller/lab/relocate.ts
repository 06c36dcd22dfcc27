// Instances: the same lab many times at once on one engine. Docker refuses overlapping subnets,
// so an instance moves the lab's whole address block to a free one and translates every address
// in the lab (interfaces, routes, endpoints, expectations, `run` arguments) by the same offset.
// One offset per family keeps every relation between addresses: summary routes still cover
// their subnets, and an address's place in its subnet does not change. Pure.
import Type, { type Static } from "typebox";
import { LabError } from "../errors.js";
import { list } from "../../shared/list.js";
import { formatAddress, overlaps, parseAddress, parseSubnet, type Family, type Subnet } from "./ip.js";
import type { Lab } from "./types.js";

/** Where instances' blocks come from: the benchmarking ranges of RFC 2544 and RFC 5180. */
export const INSTANCE_POOLS: Record<Family, string> = { 4: "198.18.0.0/15", 6: "2001:2::/48" };

/** One family's move: every address inside `from` goes to the same place inside `to`. */
export const RELOCATION = Type.Object({ from: Type.String(), to: Type.String() }, { additionalProperties: false, description: "Every address inside `from` runs at the same place inside `to`." });
export type Relocation = Static<typeof RELOCATION>;

const INSTANCE_NAME = /^[a-z0-9][a-z0-9-]{0,19}$/;

/** Check an instance name (part of Docker names): the user's mistake is exit 2. */
export function checkInstanceName(instance: string): string {
  if (!INSTANCE_NAME.test(instance)) {
    throw new LabError([
      { path: "--instance", message: `"${instance}" is not a valid instance name`, hint: "use lowercase letters, digits and dashes, at most 20 characters (or auto for a unique one)" },
    ]);
  }
  return instance;
}

/** The name an instance's resources carry: `source-ip.ci-3`. A dot never occurs in a lab name. */
export const instanceKey = (lab: string, instance?: string): string => (instance ? `${lab}.${instance}` : lab);

/** The smallest aligned block holding every subnet of one family, or undefined when there is none. */
export function enclosingBlock(subnets: Subnet[]): Subnet | undefined {
  if (subnets.length === 0) return undefined;
  const family = subnets[0]!.family;
  const width = family === 4 ? 32 : 128;
  const first = subnets.reduce((m, s) => (s.first < m ? s.first : m), subnets[0]!.first);
  const last = subnets.reduce((m, s) => (s.last > m ? s.last : m), subnets[0]!.last);
  for (let prefix = Math.min(...subnets.map((s) => s.prefix)); prefix >= 0; prefix--) {
    const hostBits = BigInt(width - prefix);
    const start = (first >> hostBits) << hostBits;
    const end = start + (1n << hostBits) - 1n;
    if (last <= end) return { cidr: `${formatAddress(start, family)}/${prefix}`, family, prefix, first: start, last: end };
  }
  return undefined;
}

/** The lab's subnets of one family. */
export function labSubnets(lab: Lab, family: Family): Subnet[] {
  return Object.values(lab.networks)
    .flatMap((n) => list(n.subnet))
    .map((s) => parseSubnet(s))
    .filter((s): s is Subnet => typeof s !== "string" && s.family === family);
}

/** How many blocks a search looks at, at most. */
export const MAX_TRIES = 1_000_000n;

/**
 * A block of the pool, of the lab block's size, that overlaps nothing taken and not the lab's
 * own block (so a plain run of the lab can come up beside its instances). The search starts at a
 * random block (`random` in [0, 1); 0 starts at the pool's first): processes choosing at the same
 * moment rarely pick the same one, and Docker's pool check refuses the rare collision.
 */
export function freeBlock(block: Subnet, pool: Subnet, taken: Subnet[], random: () => number = () => 0): Subnet | undefined {
  const size = 1n << BigInt((block.family === 4 ? 32 : 128) - block.prefix);
  // A block larger than the pool: none fits (count is 0, the search below makes no round).
  const count = (pool.last - pool.first + 1n) / size;
  const start = BigInt(Math.floor(random() * Number(count > 1n << 52n ? 1n << 52n : count)));
  // Bounded: a pool of more blocks than this is never that full.
  const tries = count < MAX_TRIES ? count : MAX_TRIES;
  for (let i = 0n; i < tries; i++) {
    const first = pool.first + ((start + i) % count) * size;
    const candidate = { family: block.family, first, last: first + size - 1n };
    if (overlaps(candidate, block)) continue;
    if (taken.some((t) => overlaps(candidate, t))) continue;
    return { ...candidate, cidr: `${formatAddress(first, block.family)}/${block.prefix}`, prefix: block.prefix };
  }
  return undefined;
}

/**
 * Choose where an instance of the lab goes: per family, the lab's block and a free block of the
 * same size. `taken` holds every subnet in use (the engine's networks, the host's routes).
 */
export function chooseRelocations(lab: Lab, taken: Subnet[], random: () => number = () => 0): Relocation[] {
  const relocations: Relocation[] = [];
  for (const family of [4, 6] as const) {
    const block = enclosingBlock(labSubnets(lab, family));
    if (!block) continue;
    const pool = parseSubnet(INSTANCE_POOLS[family]) as Subnet;
    const free = freeBlock(block, pool, taken, random);
    if (!free) {
      const tooLarge = block.prefix <= pool.prefix;
      throw new RelocationError(
        tooLarge
          ? `the lab's IPv${family} subnets span ${block.cidr}, too large to move within ${pool.cidr}`
          : `the lab's IPv${family} block ${block.cidr} has no free /${block.prefix} left in ${pool.cidr}`,
        tooLarge
          ? "give the lab's networks subnets that lie close together (one /16 at most), or run it without --instance"
          : "remove labs you no longer need (zmqlab ls shows them; zmqlab down LAB --instance NAME removes one)",
      );
    }
    relocations.push({ from: block.cidr, to: free.cidr });
  }
  return relocations;
}

/** Relocation impossible: the engine's address space is the limit, so it is the environment's. */
export class RelocationError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = "RelocationError";
  }
}

interface Move {
  from: Subnet;
  offset: bigint;
}

function moves(relocations: Relocation[]): Move[] {
  return relocations.map((r) => {
    const from = parseSubnet(r.from) as Subnet;
    const to = parseSubnet(r.to) as Subnet;
    return { from, offset: to.first - from.first };
  });
}

const IPV4 = /(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])/g;
// The same written in a regular expression (an `output` pattern): `198\.18\.40\.10`.
const IPV4_ESCAPED = /(?<![\d.\\])(\d{1,3}(?:\\\.\d{1,3}){3})(?![\d]|\\\.\d)/g;
// Candidates only: whatever parses as an IPv6 address is one.
const IPV6 = /(?<![0-9a-fA-F:.])([0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7})(?![0-9a-fA-F:])/g;

/**
 * Translate every address inside a moved block, wherever it stands in the text, also when its
 * dots are escaped as in a regular expression (an `output` expectation's pattern).
 */
export function translateText(text: string, relocations: Relocation[]): string {
  const m = moves(relocations);
  const move = (token: string) => {
    const address = parseAddress(token);
    if (!address) return token;
    const hit = m.find((x) => x.from.family === address.family && address.value >= x.from.first && address.value <= x.from.last);
    return hit ? formatAddress(address.value + hit.offset, address.family) : token;
  };
  return text
    .replace(IPV4, (token) => move(token))
    .replace(IPV4_ESCAPED, (token) => move(token.replaceAll("\\.", ".")).replaceAll(".", "\\."))
    .replace(IPV6, (token) => move(token));
}

/** The same relocations the other way round: actual addresses back to the lab file's. */
export const reverse = (relocations: Relocation[]): Relocation[] => relocations.map((r) => ({ from: r.to, to: r.from }));

/** Translate every string in a value (keys of mappings too, e.g. a balanced mapping's sources). */
export function translateValue<T>(value: T, relocations: Relocation[]): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return translateText(v, relocations);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [translateText(k, relocations), walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/**
 * The lab an instance runs: named after the instance, every address moved. The name is what
 * every Docker name and label derives from, so instances never meet.
 */
export function instanceLab(lab: Lab, instance: string, relocations: Relocation[]): Lab {
  const { name, ...rest } = lab;
  return { name: instanceKey(name, instance), ...translateValue(rest, relocations) };
}

/** A unique instance name for `--instance auto`. */
export function autoInstanceName(random: () => number = Math.random): string {
  return `i${Math.floor(random() * 0xffffff)
    .toString(16)
    .padStart(6, "0")}`;
}

/** Relocations as a label value and back (an instance found again by `test` or `down`). */
export const formatRelocations = (relocations: Relocation[]): string => relocations.map((r) => `${r.from}=${r.to}`).join(",");
export function parseRelocations(text: string | undefined): Relocation[] {
  if (!text) return [];
  return text.split(",").map((pair) => {
    const [from, to] = pair.split("=") as [string, string];
    return { from, to };
  });
}
