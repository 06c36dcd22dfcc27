// Compare what the kernel shows with what the plan says it must show. Pure.
import type { NodePlan } from "../../plan/types.js";
import { sameDestination, type KernelState } from "../../observe/kernel.js";

/** Differences between plan and kernel, one sentence each; empty when they agree. */
export function compareWithPlan(node: NodePlan, state: KernelState): string[] {
  const differences: string[] = [];
  for (const iface of node.interfaces) {
    const actual = state.interfaces.find((i) => i.altnames.includes(iface.network) || i.name === iface.network);
    if (!actual) {
      differences.push(`no interface named ${iface.network}`);
      continue;
    }
    const missing = iface.addresses.filter((a) => !actual.addresses.includes(a));
    const extra = actual.addresses.filter((a) => !iface.addresses.includes(a));
    if (missing.length) differences.push(`${iface.network} (${actual.name}) lacks ${missing.join(", ")}`);
    if (extra.length) differences.push(`${iface.network} (${actual.name}) has unplanned ${extra.join(", ")}`);
  }
  for (const route of node.routes) {
    const found = state.routes.find((r) => r.family === route.family && r.table === route.table && sameDestination(r.to, route.to));
    const where = route.table === "main" ? "" : ` in table ${route.table}`;
    if (!found) differences.push(`no route to ${route.to}${where}`);
    else if ([...found.via].sort().join(",") !== [...route.via].sort().join(","))
      differences.push(`route to ${route.to}${where} goes via ${found.via.join(", ") || "(direct)"}, not ${route.via.join(", ")}`);
  }
  for (const family of [4, 6] as const) {
    const declaresDefault = node.routes.some((r) => r.to === "default" && r.table === "main" && r.family === family);
    const stray = state.routes.find((r) => r.to === "default" && r.table === "main" && r.family === family);
    if (!declaresDefault && stray) differences.push(`an IPv${family} default route via ${stray.via.join(", ")} that the lab did not declare`);
  }
  for (const rule of node.rules) {
    const found = state.rules.find((r) => sameDestination(r.from, rule.from) && r.table === rule.table);
    if (!found) differences.push(`no rule "from ${rule.from} lookup ${rule.table}"`);
  }
  return differences;
}
