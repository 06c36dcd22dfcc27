// The Mermaid graph's exact text where the shipped labs cannot tell: names with characters
// Mermaid ids cannot hold, a network with two subnets, an endpoint that binds and connects,
// flows across two routers or none, and a lab without routers or endpoints (mutants of report/mermaid.ts).
import t from "tap";
import { topologyMermaid } from "../../controller/report/mermaid.js";
import type { Lab } from "../../controller/lab/types.js";

const lab = {
  name: "odd",
  networks: { "front-net": { subnet: ["198.18.1.0/24", "2001:2::/64"] } },
  nodes: {
    "r-1": { interfaces: { "front-net": "198.18.1.1" }, forward: true },
    "c.2": { interfaces: { "front-net": ["198.18.1.10", "198.18.1.11"] } },
  },
  traffic: {
    "both-ways": { node: "c.2", socket: "dealer", bind: "tcp://198.18.1.10:5556", connect: "tcp://198.18.1.1:5557" },
  },
} as unknown as Lab;

t.test("ids: every character Mermaid cannot hold becomes _", async (t) => {
  const m = topologyMermaid(lab);
  t.match(m, /\n {2}node_r_1\{\{"r-1<br\/><i>forwards<\/i>"\}\}\n/, "node r-1 has the id node_r_1");
  t.match(m, /\n {2}node_c_2\["c\.2"\]\n/, "node c.2 has the id node_c_2");
  t.match(m, /\n {2}net_front_net\(\["front-net<br\/>198\.18\.1\.0\/24<br\/>2001:2::\/64"\]\)\n/, "both subnets of the network, one per line");
  t.match(m, /\n {2}ep_both_ways\[\/"both-ways: dealer<br\/>bind tcp:\/\/198\.18\.1\.10:5556<br\/>connect tcp:\/\/198\.18\.1\.1:5557"\/\]\n/, "the endpoint's bind and connect, one per line");
  t.match(m, /\n {2}class node_r_1 router;\n/, "the router's class line");
  t.match(m, /\n {2}class ep_both_ways endpoint;$/, "the endpoint's class line ends the graph");
});

t.test("flows: routers joined by a comma, a flow without one says (direct)", async (t) => {
  const m = topologyMermaid(lab, [
    { from: "198.18.1.10", to: "198.18.9.9", via: ["r-1", "r2"] },
    { from: "198.18.1.11", to: "198.18.1.12", via: [] },
  ]);
  t.match(m, /\n {2}%% flow 1: 198\.18\.1\.10 -> 198\.18\.9\.9 via r-1, r2\n/, "two routers, comma and space");
  t.match(m, /\n {2}%% flow 2: 198\.18\.1\.11 -> 198\.18\.1\.12 via \(direct\)\n/, "no router: (direct)");
  t.match(m, /\n {2}node_r_1 -\. "198\.18\.1\.10 → 198\.18\.9\.9" \.-> node_r_1\n/, "the flow drawn at the router it crossed");
});

t.test("a lab without routers or endpoints has no class lines for them", async (t) => {
  const bare = { name: "bare", networks: { n: { subnet: "198.18.1.0/24" } }, nodes: { a: { interfaces: { n: "198.18.1.10" } } } } as unknown as Lab;
  const m = topologyMermaid(bare);
  t.notMatch(m, /\n {2}class /, "no class line at all");
  t.equal(m.split("\n").length, 6, "six lines: flowchart, the network, the node, its link and the two classDefs");
});
