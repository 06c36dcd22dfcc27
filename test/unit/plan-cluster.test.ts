// Planning a lab for a cluster (issue 11): each node's host, and the neighbour entries a Swarm
// overlay needs for extra addresses on other hosts (its ARP proxy answers only for Docker's).
import t from "tap";
import { readFileSync } from "node:fs";
import { parseLab } from "../../controller/lab/load.js";
import { overlayMac, planLab } from "../../controller/plan/plan.js";

const SOURCE_IP = parseLab(readFileSync("labs/source-ip/lab.yaml", "utf8"), "labs/source-ip/lab.yaml").lab;
const neighbours = (plan: ReturnType<typeof planLab>, node: string) =>
  plan.nodes
    .find((n) => n.name === node)!
    .commands.filter((c) => c.argv[2] === "neigh")
    .map((c) => c.argv.join(" "));

t.test("Docker's overlay MAC: 02:42 and the IPv4 address's bytes in hex", async (t) => {
  t.equal(overlayMac("198.18.1.10"), "02:42:c6:12:01:0a", "each byte two hex digits");
  t.equal(overlayMac("10.0.255.1"), "02:42:0a:00:ff:01", "leading zeros kept, 255 is ff");
});

t.test("one engine: no host, no neighbour entries (the plan is unchanged)", async (t) => {
  const plan = planLab(SOURCE_IP);
  t.same(
    plan.nodes.map((n) => n.host),
    [undefined, undefined, undefined, undefined],
    "no node has a host",
  );
  t.same(
    plan.nodes.flatMap((n) => neighbours(plan, n.name)),
    [],
    "no neighbour entries",
  );
});

t.test("a cluster: hosts on the nodes, extra addresses on other hosts told to each node", async (t) => {
  const plan = planLab(SOURCE_IP, { hosts: { client: "h1", r1: "h2", r2: "h2", server: "h3" } });
  t.same(
    plan.nodes.map((n) => [n.name, n.host]),
    [
      ["client", "h1"],
      ["r1", "h2"],
      ["r2", "h2"],
      ["server", "h3"],
    ],
    "each node's host",
  );
  const r1 = ["ip -4 neigh replace 198.18.1.11 lladdr 02:42:c6:12:01:0a dev clients nud permanent", "ip -4 neigh replace 198.18.2.11 lladdr 02:42:c6:12:02:0a dev servers nud permanent"];
  t.same(neighbours(plan, "r1"), r1, "a router learns the client's and the server's extra addresses, at their Docker addresses' MACs");
  t.same(
    neighbours(plan, "r2"),
    r1.map((c) => c),
    "so does the other router",
  );
  t.same(neighbours(plan, "client"), [], "the client shares a network only with the routers, which have no extra addresses");
  t.same(neighbours(plan, "server"), [], "the server likewise");
  const client = plan.nodes.find((n) => n.name === "server")!;
  t.ok(client.commands.findIndex((c) => c.why.startsWith("extra address")) >= 0, "the server still adds its own extra address");
  const r1Commands = plan.nodes.find((n) => n.name === "r1")!.commands.map((c) => c.argv.slice(0, 3).join(" "));
  t.ok(
    r1Commands.indexOf("ip -4 neigh") > r1Commands.indexOf("ip -4 route") && r1Commands.indexOf("ip -4 neigh") < r1Commands.indexOf("nft add table"),
    "after removing Docker's default route, before the counters",
  );
});

t.test("nodes on the same host learn nothing: the overlay's bridge carries ARP among them", async (t) => {
  const plan = planLab(SOURCE_IP, { hosts: { client: "h1", r1: "h1", r2: "h2", server: "h2" } });
  t.same(neighbours(plan, "r1"), ["ip -4 neigh replace 198.18.2.11 lladdr 02:42:c6:12:02:0a dev servers nud permanent"], "r1 (h1) learns only the server's (h2), not the client's (h1)");
  t.same(neighbours(plan, "r2"), ["ip -4 neigh replace 198.18.1.11 lladdr 02:42:c6:12:01:0a dev clients nud permanent"], "r2 (h2) learns only the client's (h1)");
});

t.test("IPv6 extra addresses: an IPv6 neighbour entry at the same MAC", async (t) => {
  const lab = parseLab(`name: six
networks:
  lan: { subnet: [198.18.9.0/24, "2001:db8:9::/64"] }
nodes:
  a: { interfaces: { lan: [198.18.9.10, "2001:db8:9::10", "2001:db8:9::11", 198.18.9.11] } }
  b: { interfaces: { lan: [198.18.9.20, "2001:db8:9::20"] } }
`).lab;
  const plan = planLab(lab, { hosts: { a: "h1", b: "h2" } });
  t.same(
    neighbours(plan, "b"),
    ["ip -6 neigh replace 2001:db8:9::11 lladdr 02:42:c6:12:09:0a dev lan nud permanent", "ip -4 neigh replace 198.18.9.11 lladdr 02:42:c6:12:09:0a dev lan nud permanent"],
    "the IPv6 and IPv4 extra addresses, not Docker's own (198.18.9.10, 2001:db8:9::10)",
  );
  t.same(neighbours(plan, "a"), [], "b has no extra address");
});
