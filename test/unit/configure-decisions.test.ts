// What the command-by-command configuration decides from a node's `ip -j addr show` (the script
// decides the same inside the node: configure-renderings.test.ts holds the two to one effect).
import t from "tap";
import { holderOf, strayInterfaces } from "../../controller/provision/configure/by-command.js";

const link = (name: string, addresses: string[]) => ({ name, altnames: [], mac: "02:42:00:00:00:00", addresses });

const LINKS = [
  link("lo", ["127.0.0.1/8", "::1/128"]),
  link("eth0", ["198.18.1.10/24", "198.18.1.11/24"]),
  link("eth1", ["172.18.0.4/16"]),
  link("eth2", ["198.18.2.9/24", "198.18.2.2/24"]),
  link("tunl0", []),
  link("eth3", ["2001:2:0:1::10/64"]),
];

t.test("drop: an interface is the lab's when one of its IPv4 addresses is a lab interface's", async (t) => {
  t.same(strayInterfaces(LINKS, ["198.18.1.10", "198.18.2.2"]), ["eth1"], "the gateway bridge only: not loopback, not an interface without IPv4, not one whose second address is the lab's");
  t.same(strayInterfaces(LINKS, []), ["eth0", "eth1", "eth2"], "nothing is the lab's: every interface with IPv4 but loopback (and one with IPv6 alone stays)");
  t.same(strayInterfaces([], ["198.18.1.10"]), [], "no links, nothing to delete");
  t.same(strayInterfaces([link("eth0", ["198.18.1.100/24"])], ["198.18.1.10"]), ["eth0"], "a prefix of an address is not the address");
});

t.test("name: the first interface holding the address Docker assigned", async (t) => {
  t.equal(holderOf(LINKS, "198.18.1.11"), "eth0", "a second address counts");
  t.equal(holderOf(LINKS, "198.18.2.2"), "eth2");
  t.equal(holderOf(LINKS, "198.18.1.1"), undefined, "nobody holds it");
  t.equal(holderOf([link("a", ["198.18.9.9/24"]), link("b", ["198.18.9.9/24"])], "198.18.9.9"), "a", "the first of two");
});
