// A node's plan at its edges (controller/plan/plan.ts): dual-stack interfaces with the IPv6 subnet
// first, a node on an IPv4 and a dual-stack network, hash policies for both families, a route's
// device among several networks, and labs planned without validation (the API's planLab).
import t from "tap";
import { parseLab } from "../../controller/lab/load.js";
import { planLab } from "../../controller/plan/plan.js";
import type { Lab } from "../../controller/lab/types.js";

const lab = parseLab(`name: t
networks:
  six: { subnet: ["2001:db8:9::/64", 198.18.9.0/24] }
  four: { subnet: 198.18.10.0/24 }
nodes:
  a:
    forward: true
    hash: l4
    interfaces: { four: 198.18.10.10, six: [198.18.9.10, "2001:db8:9::10", 198.18.9.11] }
    routes: [ { to: 198.18.20.0/24, via: 198.18.9.20 }, { to: 198.18.21.0/24, via: 198.18.10.20 } ]
  b: { hash: l3, interfaces: { six: [198.18.9.20, "2001:db8:9::20"] } }
  c: { interfaces: { four: 198.18.10.20 } }
`).lab;
const plan = planLab(lab);
const node = (name: string) => plan.nodes.find((n) => n.name === name)!;

t.test("a dual-stack network declared IPv6 first: each family where it belongs", async (t) => {
  const six = plan.networks.find((n) => n.name === "six")!;
  t.equal(six.ipv4.subnet, "198.18.9.0/24", "the IPv4 subnet");
  t.equal(six.ipv6?.subnet, "2001:db8:9::/64", "the IPv6 subnet");
  t.same(
    node("a").interfaces.find((i) => i.network === "six"),
    { network: "six", ipv4: "198.18.9.10", ipv6: "2001:db8:9::10", addresses: ["198.18.9.10/24", "2001:db8:9::10/64", "198.18.9.11/24"] },
    "Docker's two addresses are the first of each family; every address with its prefix",
  );
});

t.test("a node on an IPv4 and a dual-stack network gets IPv6 treatment", async (t) => {
  const argv = node("a").commands.map((c) => c.argv.join(" "));
  t.ok(argv.includes("ip -6 route flush exact ::/0"), "Docker's IPv6 default route removed");
  t.equal(node("a").commands.find((c) => c.argv.join(" ") === "ip -6 route flush exact ::/0")?.why, "remove Docker's IPv6 default route", "and why");
  t.notOk(
    node("c").commands.some((c) => c.argv[1] === "-6"),
    "a node on IPv4 only: no IPv6 command",
  );
  t.same(
    node("a").sysctls,
    { "net.ipv4.ip_forward": "1", "net.ipv6.conf.all.forwarding": "1", "net.ipv4.fib_multipath_hash_policy": "1", "net.ipv6.fib_multipath_hash_policy": "1" },
    "forwarding and the l4 hash policy for both families",
  );
  t.same(node("b").sysctls, { "net.ipv4.fib_multipath_hash_policy": "0", "net.ipv6.fib_multipath_hash_policy": "0" }, "the l3 policy for both families");
  t.same(node("c").sysctls, {}, "none asked for: none");
  t.notOk("build" in node("a"), "no build folder: no build key");
});

t.test("a route's device is the network its next hop is on", async (t) => {
  const routes = node("a")
    .commands.filter((c) => c.argv[2] === "route" && c.argv[3] === "add")
    .map((c) => c.argv.join(" "));
  t.same(routes, ["ip -4 route add 198.18.20.0/24 via 198.18.9.20 dev six", "ip -4 route add 198.18.21.0/24 via 198.18.10.20 dev four"], "each route on its next hop's network, not the node's first");
});

t.test("planLab without validation (the API): a subnet's edges, a next hop off every network", async (t) => {
  const raw = (via: string, faults?: object): Lab =>
    ({
      name: "r",
      networks: { one: { subnet: "198.18.30.0/24" }, two: { subnet: "198.18.31.0/24" } },
      nodes: { n: { interfaces: { one: "198.18.30.10", two: "198.18.31.10" }, routes: [{ to: "198.18.40.0/24", via }] } },
      ...(faults ? { faults } : {}),
    }) as unknown as Lab;
  const dev = (via: string) =>
    planLab(raw(via))
      .nodes[0]!.commands.find((c) => c.argv[3] === "add")!
      .argv.at(-1);
  t.equal(dev("198.18.31.0"), "two", "a subnet's first address is on it");
  t.equal(dev("198.18.31.255"), "two", "so is its last");
  t.throws(() => planLab(raw("198.18.50.1")), { message: "bug: next hop 198.18.50.1 on no attached network (validation should have caught it)" }, "a next hop on no network: our bug, said so");
  t.notOk("faults" in planLab(raw("198.18.31.1", {})), "an empty faults mapping: no fault plan");
});
