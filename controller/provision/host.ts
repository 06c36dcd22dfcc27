// Routes of the network namespace the controller runs in, from /proc (no commands needed).
import { readFileSync } from "node:fs";

export interface HostRoute {
  to: string;
  dev: string;
}

export function hostRoutes(): HostRoute[] {
  return [...routes4(), ...routes6()];
}

function routes4(): HostRoute[] {
  let text = "";
  try {
    text = readFileSync("/proc/net/route", "utf8");
  } catch {
    return [];
  }
  return parseProcRoute(text);
}

/** /proc/net/route: destination and mask are little-endian hex. */
export function parseProcRoute(text: string): HostRoute[] {
  return text
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 8)
    .map((f) => {
      const dest = leHex(f[1]!);
      const mask = leHex(f[7]!);
      const prefix = mask.split(".").reduce((n, octet) => n + Number(octet).toString(2).split("").filter((b) => b === "1").length, 0);
      return { to: `${dest}/${prefix}`, dev: f[0]! };
    });
}

function leHex(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255].join(".");
}

function routes6(): HostRoute[] {
  let text = "";
  try {
    text = readFileSync("/proc/net/ipv6_route", "utf8");
  } catch {
    return [];
  }
  return text
    .trim()
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter((f) => f.length >= 10)
    .map((f) => ({ to: `${f[0]!.match(/.{4}/g)!.join(":")}/${parseInt(f[1]!, 16)}`, dev: f[9]! }))
    .filter((r) => !r.to.startsWith("ff00") && !r.to.startsWith("fe80"));
}
