// A node's interface taken down and brought up again.
import { faultKind, type Command, type PlannedNode } from "../kind.js";

const where = (node: string, network: string) => `${node}'s interface on ${network}`;

export const downKind = faultKind({
  kind: "down",
  written: "action",
  target: "interface",
  inside: true,
  doc: { does: "`ip link set dev IF down` (IF: the node's kernel name for that network, read from the node before the traffic and again after a restart)", kernel: "link state" },
  walk(state, step, when) {
    const { node, network } = step.spec as { node: string; network: string };
    const before = state.interfaceFaults(node, network);
    step.before = before;
    if (before.down) return { key: "action", message: `down ${when}, but ${where(node, network)} is down already`, hint: "bring it up in between (action: up), or remove this fault" };
    state.setInterfaceFaults(node, network, { ...before, down: true });
    return undefined;
  },
  plan(step, context) {
    const { node, network } = step.spec as { node: string; network: string };
    return {
      description: `take ${where(node, network)} down`,
      steps: [{ node, commands: [{ argv: ["ip", "link", "set", "dev", context.dev(node, network), "down"], why: context.why("link down") }] }],
    };
  },
});

export const upKind = faultKind({
  kind: "up",
  written: "action",
  target: "interface",
  inside: true,
  doc: {
    does: "`ip link set dev IF up`, and puts back the link's IPv6 addresses and every planned route through it (`ip route replace`), since the kernel drops them with the link",
    kernel: "link state",
  },
  walk(state, step, when) {
    const { node, network } = step.spec as { node: string; network: string };
    const before = state.interfaceFaults(node, network);
    step.before = before;
    if (!before.down) return { key: "action", message: `up ${when}, but ${where(node, network)} is not down then`, hint: "up follows a fault with action: down on the same node and network" };
    state.setInterfaceFaults(node, network, { ...before, down: false });
    return undefined;
  },
  plan(step, context) {
    const { node, network } = step.spec as { node: string; network: string };
    const dev = context.dev(node, network);
    const plan = context.nodePlan(node);
    // A link taken down loses its IPv6 addresses and every route through it: put them back.
    const iface = plan?.interfaces.find((i) => i.network === network);
    const readd = (iface?.addresses ?? [])
      .filter((a) => a.includes(":"))
      .map((a) => ({ argv: ["ip", "-6", "addr", "replace", a, "dev", dev, "nodad"], why: context.why("the link's IPv6 address again") }));
    const routes = routesThrough(plan, network).map((c) => ({ argv: asReplace(c.argv, network, dev), why: context.why(`again: ${c.why}`) }));
    return {
      description: `bring ${where(node, network)} up, with its addresses and routes`,
      steps: [{ node, commands: [{ argv: ["ip", "link", "set", "dev", dev, "up"], why: context.why("link up") }, ...readd, ...routes] }],
    };
  },
});

/** The node's planned `ip route add|replace` commands with a next hop on the network. */
function routesThrough(plan: PlannedNode | undefined, network: string): Command[] {
  return (plan?.commands ?? []).filter(
    ({ argv }) => argv[0] === "ip" && argv[2] === "route" && (argv[3] === "add" || argv[3] === "replace") && argv.some((a, i) => a === "dev" && argv[i + 1] === network),
  );
}

const asReplace = (argv: string[], network: string, dev: string): string[] => argv.map((a, i) => (i === 3 ? "replace" : a === network && argv[i - 1] === "dev" ? dev : a));
