// What makes a link bad, and what clears it: packet loss (nftables), a rate limit (tc tbf), a
// delay (tc netem), each on one interface of a node.
import Type from "typebox";
import { parseDuration } from "../../../shared/duration.js";
import { faultKind, type Command, type FaultSpec, type Step } from "../kind.js";

const where = (spec: FaultSpec) => `${spec.node}'s interface on ${spec.network}`;
const target = (step: Step) => step.spec as { node: string; network: string };

/** nftables table of a loss fault, per interface (by network). Never the flow counters' table. */
export const lossTable = (network: string): string => `zmqlab_loss_${network.replace(/-/g, "_")}`;

/** A tc rate in bits per second ("1mbit", "500kbit", "2mbps"), or undefined when it is not one. */
export function rateBits(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)$/.exec(text);
  if (!m) return undefined;
  const factor = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9, bps: 8, kbps: 8e3, mbps: 8e6, gbps: 8e9 }[m[2]!]!;
  const bits = Number(m[1]) * factor;
  return bits > 0 ? bits : undefined;
}

/**
 * nft commands as one: one process and one transaction (all or nothing), so a fault's rules take
 * effect at one moment, a few ms after it runs, instead of one process per rule.
 */
export function nftTransaction(commands: string[][], why: string): Command {
  return { argv: ["nft", ...commands.flatMap((words, i) => (i === 0 ? words : [";", ...words]))], why };
}

/** Delete a table whether or not it is there (a node restarted since has none): add, then delete. */
export function dropTable(table: string, why: string): Command {
  return nftTransaction(
    [
      ["add", "table", "inet", table],
      ["delete", "table", "inet", table],
    ],
    why,
  );
}

/** Twice a full packet's time (1514 bytes) at `rate`, at least 20 ms and at most 5 s, as `sleep` takes it. */
export function drainSeconds(rate: string): string {
  const bits = rateBits(rate) ?? 1e6;
  const seconds = Math.min(5, Math.max(0.02, (2 * 1514 * 8) / bits));
  return seconds.toFixed(3);
}

export const lossKind = faultKind({
  kind: "loss",
  written: { key: "loss", value: Type.Integer({ minimum: 0, maximum: 100, description: "Percent of packets dropped on the interface, both directions (nftables numgen)." }) },
  target: "interface",
  inside: true,
  doc: {
    does: "drops N% of packets on that interface in **both directions**, like a bad cable: table `inet zmqlab_loss_NETWORK`, `iifname IF numgen random mod 100 < N drop` in prerouting and `oifname IF ...` in postrouting (`loss: 100`: a plain `drop`). A second `loss` replaces the first",
    kernel: "nftables",
  },
  walk(state, step) {
    const { node, network } = target(step);
    step.before = state.interfaceFaults(node, network);
    state.setInterfaceFaults(node, network, { ...step.before, loss: step.spec.loss! });
    return undefined;
  },
  plan(step, context) {
    const { node, network } = target(step);
    const loss = step.spec.loss!;
    const dev = context.dev(node, network);
    const table = lossTable(network);
    const w = context.why(`drop ${loss}% of packets on ${network}`);
    // numgen's values are 0-99, so `< 100` is out of its range for nft: 100% is a plain drop.
    const drop = loss >= 100 ? ["drop"] : ["numgen", "random", "mod", "100", "<", String(loss), "drop"];
    const commands = [
      nftTransaction(
        [
          ["add", "table", "inet", table],
          ["add", "chain", "inet", table, "arriving", "{ type filter hook prerouting priority -300; policy accept; }"],
          ["add", "chain", "inet", table, "leaving", "{ type filter hook postrouting priority 300; policy accept; }"],
          // An earlier loss on this interface is replaced, not added to.
          ["flush", "table", "inet", table],
          ["add", "rule", "inet", table, "arriving", "iifname", dev, ...drop],
          ["add", "rule", "inet", table, "leaving", "oifname", dev, ...drop],
        ],
        w,
      ),
    ];
    return { description: `drop ${loss}% of packets on ${where(step.spec)}, both directions`, steps: [{ node, commands }] };
  },
});

export const rateKind = faultKind({
  kind: "rate",
  written: { key: "rate", value: Type.String({ description: "Egress rate limit on the interface (tc tbf), e.g. 1mbit." }) },
  target: "interface",
  inside: true,
  doc: { does: "`tc qdisc replace dev IF root tbf rate R burst B latency 50ms` (B: 10 ms of the rate, at least 15000 bytes): **egress only**, as tc shapes what leaves", kernel: "tc tbf" },
  validate(spec, check, at) {
    if (rateBits(spec.rate!) === undefined)
      check.problem([...at, "rate"], `"${spec.rate}" is not a rate`, "a number and a tc unit: 1mbit, 500kbit, 2gbit (bits per second) or 100kbps (bytes per second)");
  },
  walk(state, step, when) {
    const { node, network } = target(step);
    const before = (step.before = state.interfaceFaults(node, network));
    if (before.delay !== undefined) return { key: "rate", message: `rate ${when}, while ${where(step.spec)} has a delay`, hint: "one root qdisc per interface: clear the delay first (action: clear)" };
    state.setInterfaceFaults(node, network, { ...before, rate: step.spec.rate! });
    return undefined;
  },
  plan(step, context) {
    const { node, network } = target(step);
    const rate = step.spec.rate!;
    // tbf needs a bucket of at least one rate's worth of a timer tick; 10 ms of traffic, at least 15000 bytes.
    const burst = Math.max(15000, Math.ceil(rateBits(rate)! / 8 / 100));
    const argv = ["tc", "qdisc", "replace", "dev", context.dev(node, network), "root", "tbf", "rate", rate, "burst", String(burst), "latency", "50ms"];
    return { description: `limit ${where(step.spec)} to ${rate} (egress)`, steps: [{ node, commands: [{ argv, why: context.why(`rate limit ${rate} on ${network} (egress)`) }] }] };
  },
});

export const delayKind = faultKind({
  kind: "delay",
  written: { key: "delay", value: Type.Unsafe<number | string>({ type: ["number", "string"], description: "Egress delay on the interface (tc netem; not every kernel has it)." }) },
  target: "interface",
  inside: true,
  doc: { does: "`tc qdisc replace dev IF root netem delay 20ms` (egress); needs netem (see [netem](#netem))", kernel: "tc netem" },
  validate(spec, check, at) {
    if (parseDuration(spec.delay!) === undefined) check.problem([...at, "delay"], `"${spec.delay}" is not a duration`, "e.g. 20ms");
  },
  walk(state, step, when) {
    const { node, network } = target(step);
    const before = (step.before = state.interfaceFaults(node, network));
    if (before.rate !== undefined)
      return { key: "delay", message: `delay ${when}, while ${where(step.spec)} has a rate limit`, hint: "one root qdisc per interface: clear the rate first (action: clear)" };
    state.setInterfaceFaults(node, network, { ...before, delay: step.spec.delay! });
    return undefined;
  },
  plan(step, context) {
    const { node, network } = target(step);
    const ms = parseDuration(step.spec.delay!);
    const argv = ["tc", "qdisc", "replace", "dev", context.dev(node, network), "root", "netem", "delay", `${ms}ms`];
    return { description: `delay ${where(step.spec)} by ${ms} ms (egress)`, steps: [{ node, commands: [{ argv, why: context.why(`delay on ${network} (egress, netem)`) }] }], netem: node };
  },
});

export const clearKind = faultKind({
  kind: "clear",
  written: "action",
  target: "interface",
  inside: true,
  doc: {
    does: "removes what loss, rate and delay put there (`nft delete table`, `tc qdisc del dev IF root`; a rate is first lifted in place, the clear's moment, and its qdisc removed once what it queued went, twice a packet's time at the old rate later, rather than dropped)",
    kernel: "nftables, tc",
  },
  walk(state, step, when) {
    const { node, network } = target(step);
    const before = (step.before = state.interfaceFaults(node, network));
    if (before.loss === undefined && before.rate === undefined && before.delay === undefined) {
      return { key: "action", message: `clear ${when}, but ${where(step.spec)} has no loss, rate or delay then`, hint: "clear follows a fault with loss, rate or delay on the same node and network" };
    }
    state.setInterfaceFaults(node, network, { down: before.down });
    return undefined;
  },
  plan(step, context) {
    const { node, network } = target(step);
    const commands: Command[] = [];
    if (step.before?.loss !== undefined) commands.push(dropTable(lossTable(network), context.why("no more loss")));
    // A qdisc removed drops what it queued: behind a rate limit that is the sender's whole window,
    // and TCP then waits out a retransmission timeout (seconds after a slow spell). So the limit
    // is first lifted in place (tbf keeps its queue): that is the clear's moment. The queue goes
    // when tbf next sends, at the latest when its timer set at the old rate fires (one full
    // packet's time at that rate): the qdisc is removed only after twice that. Run back to back
    // (the same tc, a line apart) the removal dropped the queue (one run in eight, a 2.7 s stall).
    if (step.before?.rate !== undefined) {
      commands.push({
        argv: ["tc", "qdisc", "change", "dev", context.dev(node, network), "root", "tbf", "rate", "10gbit", "burst", "12500000", "latency", "50ms"],
        why: context.why("let the rate limit's queue go"),
        effect: true,
      });
      commands.push({ argv: ["sleep", drainSeconds(step.before.rate)], why: context.why("the queue goes (twice a packet's time at the old rate)") });
    }
    if (step.before?.rate !== undefined || step.before?.delay !== undefined)
      commands.push({ argv: ["tc", "qdisc", "del", "dev", context.dev(node, network), "root"], why: context.why("no more rate limit or delay") });
    return { description: `clear loss, rate and delay on ${where(step.spec)}`, steps: [{ node, commands }] };
  },
});
