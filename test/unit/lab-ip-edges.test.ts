// Addresses, subnets and durations at their edges: subnets that touch at one address, texts that
// are almost an address or a subnet, fractions of a second, who is a user's program.
import t from "tap";
import { addressesOf } from "../../controller/lab/addresses.js";
import { parseDuration } from "../../shared/duration.js";
import { overlaps, parseAddress, parseSubnet } from "../../controller/lab/ip.js";
import { isProgram } from "../../controller/lab/types.js";
import { subnet } from "../support/subnet.js";

t.test("subnets that share exactly one address overlap", async (t) => {
  t.ok(overlaps(subnet("198.18.1.7/32"), subnet("198.18.1.0/29")), "a single address at the other's last");
  t.ok(overlaps(subnet("198.18.1.0/29"), subnet("198.18.1.7/32")), "and the other way round");
  t.ok(overlaps(subnet("198.18.1.5/32"), subnet("198.18.1.5/32")), "the same single address");
  t.notOk(overlaps(subnet("198.18.1.8/32"), subnet("198.18.1.0/29")), "one past the end");
});

t.test("almost an address, almost a subnet", async (t) => {
  t.equal(parseAddress("198.18.1.0/24"), undefined, "a subnet is no address");
  t.equal(parseAddress(5 as unknown as string), undefined, "a number from YAML is no address");
  t.equal(parseSubnet("198.18.1.0"), "is not in CIDR form (address/prefix)", "an address without a prefix");
});

t.test("durations with fractions", async (t) => {
  t.equal(parseDuration("1.25s"), 1250, "two decimals");
  t.equal(parseDuration("0.5s"), 500);
  t.equal(parseDuration("1.s"), undefined, "a dot needs digits after it");
});

t.test("a node's addresses, per network", async (t) => {
  const node = { interfaces: { clients: ["198.18.1.10", "198.18.1.11"], servers: "198.18.2.10" } };
  t.same(addressesOf(node), ["198.18.1.10", "198.18.1.11", "198.18.2.10"], "all networks");
  t.same(addressesOf(node, "servers"), ["198.18.2.10"], "one network only");
  t.same(addressesOf({ interfaces: { lan: ["not-an-address", "198.18.1.10"] } }), ["198.18.1.10"], "what is no address is left out");
});

t.test("a user's program is an endpoint with a command", async (t) => {
  t.equal(isProgram({ node: "n", command: ["./app"] } as never), true);
  t.equal(isProgram({ node: "n", socket: "pub" } as never), false);
});
