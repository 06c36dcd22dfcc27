// A subnet from its CIDR text, for tests whose fixtures are known to be valid.
import { parseSubnet, type Subnet } from "../../controller/lab/ip.js";

export function subnet(text: string): Subnet {
  const s = parseSubnet(text);
  if (typeof s === "string") throw new Error(`test bug: ${text} ${s}`);
  return s;
}
