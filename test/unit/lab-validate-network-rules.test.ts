// validateLab on labs built in code, one rule at a time: each finding's path, message and hint
// exactly, and the labs next to each rule's edge that must give none (issue 12: surviving mutants).
import t from "tap";
import { validateLab } from "../../controller/lab/validate.js";
import type { EndpointSpec, Lab, NodeSpec } from "../../controller/lab/types.js";

const findings = (lab: Lab) => validateLab(lab).map((f) => ({ at: f.at.join("."), message: f.message, hint: f.hint }));

const lab = (networks: Record<string, string | string[]>, nodes: Record<string, NodeSpec> = {}, traffic?: Record<string, EndpointSpec>, settings?: Lab["settings"]): Lab =>
  ({
    name: "mutants",
    networks: Object.fromEntries(Object.entries(networks).map(([name, subnet]) => [name, { subnet }])),
    nodes,
    ...(traffic ? { traffic } : {}),
    ...(settings ? { settings } : {}),
  }) as Lab;

t.test("network names", async (t) => {
  t.test("every kernel name family with a two-digit number is refused", async (t) => {
    const names = ["eth10", "sit10", "tunl10", "ip6tnl10", "gre10", "bond10", "dummy10"];
    const networks = Object.fromEntries(names.map((n, i) => [n, `198.18.${i + 1}.0/24`]));
    t.same(
      findings(lab(networks)),
      names.map((n) => ({
        at: `networks.${n}`,
        message: `"${n}" is a kernel interface name`,
        hint: 'network names become interface names inside nodes; pick another, e.g. "lan"',
      })),
    );
  });
  t.test("a name that only ends or starts like one is fine", async (t) => {
    t.same(findings(lab({ hello: "198.18.1.0/24", local: "198.18.2.0/24", lan: "198.18.3.0/24" })), []);
  });
});

t.test("subnets", async (t) => {
  t.test("an empty subnet list is not reported as IPv6-only", async (t) => {
    t.same(findings(lab({ lan: [] })), []);
  });
});

t.test("interfaces", async (t) => {
  t.test("an unknown network close to a known one", async (t) => {
    t.same(findings(lab({ clients: "198.18.1.0/24", servers: "198.18.2.0/24" }, { a: { interfaces: { clinets: "198.18.1.10" } } })), [
      { at: "nodes.a.interfaces.clinets", message: 'no network "clinets" in this lab', hint: 'did you mean "clients"?' },
    ]);
  });
  t.test("an unknown network like none: the known ones are listed", async (t) => {
    t.same(findings(lab({ clients: "198.18.1.0/24", servers: "198.18.2.0/24" }, { a: { interfaces: { backbone: "198.18.1.10" } } })), [
      { at: "nodes.a.interfaces.backbone", message: 'no network "backbone" in this lab', hint: "declare it under networks, or use one of: clients, servers" },
    ]);
  });
  t.test("an IPv4 address on an IPv6-only network: only the network is reported", async (t) => {
    t.same(findings(lab({ v6: "2001:2:0:1::/64" }, { a: { interfaces: { v6: ["2001:2:0:1::10", "198.18.1.10"] } } })), [
      { at: "networks.v6.subnet", message: "no IPv4 subnet", hint: 'Docker bridge networks always carry IPv4: add one, e.g. subnet: [198.18.1.0/24, "2001:2:0:1::/64"]' },
    ]);
  });
  t.test("an empty address list on a dual-stack network asks for neither family", async (t) => {
    t.same(findings(lab({ dual: ["198.18.1.0/24", "2001:2:0:1::/64"] }, { a: { interfaces: { dual: [] } } })), []);
  });
  const notAnAddress = { at: "nodes.a.interfaces.dual.0", message: '"bogus" is not an IP address', hint: "write the address alone, without a prefix: the network gives it (e.g. 198.18.1.10)" };
  t.test("a wrong entry beside an IPv6 address: no missing IPv4 address on top", async (t) => {
    t.same(findings(lab({ dual: ["198.18.1.0/24", "2001:2:0:1::/64"] }, { a: { interfaces: { dual: ["bogus", "2001:2:0:1::10"] } } })), [notAnAddress]);
  });
  t.test("a wrong entry beside an IPv4 address: no missing IPv6 address on top", async (t) => {
    t.same(findings(lab({ dual: ["198.18.1.0/24", "2001:2:0:1::/64"] }, { a: { interfaces: { dual: ["bogus", "198.18.1.10"] } } })), [notAnAddress]);
  });
});

t.test("routes", async (t) => {
  const dual = { lan: ["198.18.1.0/24", "2001:2:0:1::/64"] };
  t.test("a default route takes its family from the next hop: a source of the other family is wrong", async (t) => {
    const nodes: Record<string, NodeSpec> = {
      a: { interfaces: { lan: ["198.18.1.10", "2001:2:0:1::10"] }, routes: [{ to: "default", via: "198.18.1.2", from: "2001:2:0:1::10" }] },
      r: { forward: true, interfaces: { lan: ["198.18.1.2", "2001:2:0:1::2"] } },
    };
    t.same(findings(lab(dual, nodes)), [{ at: "nodes.a.routes.0.from", message: "source 2001:2:0:1::10 is IPv6 but the route is IPv4", hint: "use a source of the route's family" }]);
  });
  t.test("a default route without next hops has no family to compare its source with", async (t) => {
    const nodes: Record<string, NodeSpec> = { a: { interfaces: { lan: ["198.18.1.10", "2001:2:0:1::10"] }, routes: [{ to: "default", via: [], from: "2001:2:0:1::10" }] } };
    t.same(findings(lab(dual, nodes)), []);
  });
  t.test("a source on a node without addresses: the hint says (none)", async (t) => {
    const nodes: Record<string, NodeSpec> = { a: { interfaces: {}, routes: [{ to: "default", via: [], from: "198.18.1.10" }] } };
    t.same(findings(lab(dual, nodes)), [{ at: "nodes.a.routes.0.from", message: '198.18.1.10 is not one of "a"\'s addresses', hint: "a policy route's source is an own address: (none)" }]);
  });
  t.test("an IPv6 next hop of a neighbour is on the network", async (t) => {
    const nodes: Record<string, NodeSpec> = {
      a: { interfaces: { lan: ["198.18.1.10", "2001:2:0:1::10"] }, routes: [{ to: "2001:2:0:9::/64", via: "2001:2:0:1::2" }] },
      r: { forward: true, interfaces: { lan: ["198.18.1.2", "2001:2:0:1::2"] } },
    };
    t.same(findings(lab(dual, nodes)), []);
  });
  t.test("a next hop off every network: the hint lists each network with its subnets", async (t) => {
    const nodes: Record<string, NodeSpec> = { a: { interfaces: { v4: "198.18.1.10", dual: ["198.18.2.10", "2001:2:0:2::10"] }, routes: [{ to: "198.18.9.0/24", via: "198.18.8.1" }] } };
    t.same(findings(lab({ v4: "198.18.1.0/24", dual: ["198.18.2.0/24", "2001:2:0:2::/64"] }, nodes)), [
      { at: "nodes.a.routes.0.via", message: 'next hop 198.18.8.1 is not on a network "a" is attached to', hint: "attached: v4 (198.18.1.0/24); dual (198.18.2.0/24, 2001:2:0:2::/64)" },
    ]);
  });
  t.test("a next hop off every network, where one network's subnets were reported: not judged", async (t) => {
    const nodes: Record<string, NodeSpec> = { a: { interfaces: { lan: "198.18.1.10", odd: "198.18.2.10" }, routes: [{ to: "198.18.9.0/24", via: "198.18.8.1" }] } };
    t.same(findings(lab({ lan: "198.18.1.0/24", odd: ["198.18.2.0/24", "nonsense"] }, nodes)), [
      { at: "networks.odd.subnet.1", message: '"nonsense" is not in CIDR form (address/prefix)', hint: "e.g. 198.18.1.0/24 or 2001:2:0:1::/64" },
    ]);
  });
  const nowhere = (nodes: Record<string, NodeSpec>) => findings(lab({ lan: "198.18.1.0/24" }, nodes));
  t.test("a next hop that is no node's address: the hint names the other nodes there, not the node itself", async (t) => {
    t.same(
      nowhere({
        a: { interfaces: { lan: "198.18.1.10" }, routes: [{ to: "198.18.9.0/24", via: "198.18.1.99" }] },
        r: { forward: true, interfaces: { lan: "198.18.1.2" } },
      }),
      [
        {
          at: "nodes.a.routes.0.via",
          message: "next hop 198.18.1.99 is no node's address: nothing in the lab would forward this traffic",
          hint: 'lab traffic never leaves the lab: route via a lab node on network "lan": 198.18.1.2 (r)',
        },
      ],
    );
  });
  t.test("a next hop that is no node's address, alone on its network", async (t) => {
    t.same(nowhere({ a: { interfaces: { lan: "198.18.1.10" }, routes: [{ to: "198.18.9.0/24", via: "198.18.1.99" }] } }), [
      {
        at: "nodes.a.routes.0.via",
        message: "next hop 198.18.1.99 is no node's address: nothing in the lab would forward this traffic",
        hint: 'lab traffic never leaves the lab: route via a lab node on network "lan" (none is there yet: add one with forward: true)',
      },
    ]);
  });
});

t.test("ospf", async (t) => {
  const two = { clients: "198.18.1.0/24", servers: "198.18.2.0/24" };
  const router = (networks: string[], forward?: boolean): Record<string, NodeSpec> => ({
    r: { ...(forward ? { forward } : {}), interfaces: { clients: "198.18.1.2", servers: "198.18.2.2" }, routing: { ospf: { networks } } } as NodeSpec,
  });
  t.test("a network misspelt: the hint suggests and lists the node's networks", async (t) => {
    t.same(findings(lab(two, router(["clinets"]))), [
      { at: "nodes.r.routing.ospf.networks.0", message: '"r" has no interface on network "clinets"', hint: 'did you mean "clients"? OSPF runs on the node\'s own networks: clients, servers' },
    ]);
  });
  t.test("a network like none: the hint lists the node's networks", async (t) => {
    t.same(findings(lab(two, router(["backbone"]))), [
      { at: "nodes.r.routing.ospf.networks.0", message: '"r" has no interface on network "backbone"', hint: "OSPF runs on the node's own networks: clients, servers" },
    ]);
  });
  t.test("a network the node is not on does not make it a transit router", async (t) => {
    t.same(findings(lab(two, router(["clients", "backbone"]))), [
      { at: "nodes.r.routing.ospf.networks.1", message: '"r" has no interface on network "backbone"', hint: "OSPF runs on the node's own networks: clients, servers" },
    ]);
  });
});
