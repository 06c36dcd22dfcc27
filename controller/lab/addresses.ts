// A node's addresses as the lab file declares them, in one spelling (IPv6 compressed).
import { list } from "../../shared/list.js";
import { parseAddress } from "./ip.js";
import type { NodeSpec } from "./types.js";

/** Every valid address of the node, or only those on one network; invalid entries are left out. */
export function addressesOf(node: NodeSpec, network?: string): string[] {
  return Object.entries(node.interfaces)
    .filter(([name]) => network === undefined || name === network)
    .flatMap(([, value]) => list(value).map((a) => parseAddress(String(a))?.text))
    .filter((a): a is string => a !== undefined);
}
