// Node sets that can no longer reach each other, and the heal that ends it.
import Type from "typebox";
import { faultKind, type Command } from "../kind.js";
import { dropTable, nftTransaction } from "./shaping.js";

export const PARTITION_TABLE = "zmqlab_partition";

export const partitionKind = faultKind({
  kind: "partition",
  written: { key: "partition", value: Type.Array(Type.Array(Type.String(), { minItems: 1 }), { minItems: 2, description: "Node sets that can no longer reach each other: [[a, b], [c]]." }) },
  target: "sets",
  inside: true,
  doc: {
    does: "on every member node, table `inet zmqlab_partition` drops packets from (prerouting) and to (postrouting) the addresses of the nodes in the other sets; nodes in no set are untouched, so a router outside the partition still answers both sides",
    kernel: "nftables",
  },
  validate(spec, check, at) {
    const seen = new Map<string, number>();
    spec.partition!.forEach((group, g) =>
      group.forEach((member, m) => {
        const mAt = [...at, "partition", g, m];
        if (!check.node(member, mAt)) return;
        if (seen.has(member)) check.problem(mAt, `node "${member}" is in two sets (${seen.get(member)! + 1} and ${g + 1})`, "each node is in at most one set of a partition");
        else seen.set(member, g);
      }),
    );
  },
  walk(state, step, when) {
    if (state.partition)
      return {
        key: "partition",
        message: `a partition ${when}, while fault ${state.partition.by}'s partition is in force`,
        hint: "heal it first (an earlier fault with action: heal), or put every set into one partition",
      };
    state.partition = { groups: step.spec.partition!, by: step.name };
    return undefined;
  },
  plan(step, context) {
    const groups = step.spec.partition!;
    const steps = groups.flatMap((group, g) => {
      const others = groups.filter((_, h) => h !== g).flat();
      const addresses = others.flatMap((n) => context.addresses(n));
      return group.map((member) => {
        const w = context.why(`drop traffic between ${member} and ${others.join(", ")}`);
        const words: string[][] = [
          ["add", "table", "inet", PARTITION_TABLE],
          ["add", "chain", "inet", PARTITION_TABLE, "arriving", "{ type filter hook prerouting priority -300; policy accept; }"],
          ["add", "chain", "inet", PARTITION_TABLE, "leaving", "{ type filter hook postrouting priority 300; policy accept; }"],
        ];
        for (const [family, match] of [
          ["ip", addresses.filter((a) => !a.includes(":"))],
          ["ip6", addresses.filter((a) => a.includes(":"))],
        ] as const) {
          if (match.length === 0) continue;
          const set = `{ ${match.join(", ")} }`;
          words.push(["add", "rule", "inet", PARTITION_TABLE, "arriving", family, "saddr", set, "drop"]);
          words.push(["add", "rule", "inet", PARTITION_TABLE, "leaving", family, "daddr", set, "drop"]);
        }
        return { node: member, commands: [nftTransaction(words, w)] };
      });
    });
    return { description: `partition ${groups.map((g) => `[${g.join(", ")}]`).join(" from ")}`, steps };
  },
});

export const healKind = faultKind({
  kind: "heal",
  written: "action",
  target: "lab",
  doc: { does: "removes the partition's table on every member", kernel: "nftables" },
  walk(state, step, when) {
    if (!state.partition) return { key: "action", message: `heal ${when}, but no partition is in force then`, hint: "heal follows a fault with partition: [[a], [b]]" };
    step.partition = state.partition.groups;
    state.partition = undefined;
    return undefined;
  },
  plan(step, context) {
    const members = (step.partition ?? []).flat();
    return { description: `heal the partition (${members.join(", ")})`, steps: members.map((m) => ({ node: m, commands: [dropTable(PARTITION_TABLE, context.why("end the partition"))] })) };
  },
});
