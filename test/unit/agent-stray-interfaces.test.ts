// Which interfaces of a node on a cluster are not the lab's (the Swarm's gateway bridge).
import t from "tap";
import { strayInterfaces } from "../../shared/stray-interfaces.js";

t.test("an interface is the lab's when one of its IPv4 addresses is a lab interface's", async (t) => {
  const links = [
    { name: "lo", ipv4: ["127.0.0.1"] },
    { name: "eth0", ipv4: ["198.18.1.10", "198.18.1.11"] },
    { name: "eth1", ipv4: ["172.18.0.4"] },
    { name: "eth2", ipv4: ["198.18.2.9", "198.18.2.2"] },
    { name: "tunl0", ipv4: [] },
  ];
  t.same(strayInterfaces(links, ["198.18.1.10", "198.18.2.2"]), ["eth1"], "the gateway bridge only: not loopback, not an interface without IPv4, not one whose second address is the lab's");
  t.same(strayInterfaces(links, []), ["eth0", "eth1", "eth2"], "nothing is the lab's: every interface with IPv4 but loopback");
  t.same(strayInterfaces([], ["198.18.1.10"]), [], "no links, nothing to delete");
});
