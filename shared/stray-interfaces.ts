// Which of a node's interfaces are not the lab's: ones with an IPv4 address that none of the
// lab's interfaces was given (a Swarm's gateway bridge, with its default route out of the lab).
// Pure; the agent's configure.js and the command-by-command path both ask it, and the configure
// script (configure-shell.ts, bash) applies the same rule.

/** Names of the links to delete: not loopback, with IPv4 addresses, none of them a lab interface's. */
export function strayInterfaces(links: { name: string; ipv4: string[] }[], labIpv4: string[]): string[] {
  return links.filter((l) => l.name !== "lo" && l.ipv4.length > 0 && !l.ipv4.some((a) => labIpv4.includes(a))).map((l) => l.name);
}
