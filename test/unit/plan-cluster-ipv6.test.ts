// Neighbour entries on a cluster with IPv6 (mutants of plan/plan.ts's overlayNeighbours): Docker
// assigns the first address of each family, so only the others need an entry, and each entry
// says why it is there (shown by `up --dry-run`).
import t from "tap";
import { parseLab } from "../../controller/lab/load.js";
import { planLab } from "../../controller/plan/plan.js";

const LAB = parseLab(
  `
name: v6
networks:
  net: { subnet: [198.18.1.0/24, "2001:2:0:1::/64"] }
nodes:
  a: { interfaces: { net: [198.18.1.10, "2001:2:0:1::10", "2001:2:0:1::11"] } }
  b: { interfaces: { net: [198.18.1.20, "2001:2:0:1::20"] } }
`,
  "v6.yaml",
).lab;

const neighbours = (plan: ReturnType<typeof planLab>, node: string) => plan.nodes.find((n) => n.name === node)!.commands.filter((c) => c.argv[2] === "neigh");

t.test("Docker's first IPv6 address gets no entry, the second does, at the IPv4 address's MAC", async (t) => {
  const plan = planLab(LAB, { hosts: { a: "h1", b: "h2" } });
  const b = neighbours(plan, "b");
  t.same(
    b.map((c) => c.argv.join(" ")),
    ["ip -6 neigh replace 2001:2:0:1::11 lladdr 02:42:c6:12:01:0a dev net nud permanent"],
    "only 2001:2:0:1::11, not Docker's 2001:2:0:1::10",
  );
  t.equal(b[0]?.why, "a's extra address on net (on host h1): the overlay answers only for Docker's addresses", "the entry says why");
  t.same(neighbours(plan, "a"), [], "b has only Docker's addresses: a learns nothing");
});
