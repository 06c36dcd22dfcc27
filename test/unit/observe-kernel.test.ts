// The kernel's view of a node, parsed from `ip -j` and `nft -j` output as a node prints it, and
// compared with what the plan says it must show.
import t from "tap";
import { loadLab } from "../../controller/lab/load.js";
import { parseConnectionSet, parseFlowSet } from "../../controller/observe/flows.js";
import { parseAddr, parseRoutes, parseRules, sameDestination, type InterfaceState, type KernelState } from "../../controller/observe/kernel.js";
import { planLab } from "../../controller/plan/plan.js";
import type { NodePlan } from "../../controller/plan/types.js";
import { compareWithPlan } from "../../controller/provision/configure/verify.js";

// `ip -j addr show` in the source-ip lab's client: loopback, then eth0 with the lab network's name
// as its altname, the two lab addresses and a link-local IPv6 address.
const CLIENT_ADDR = `[
{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"::1","prefixlen":128,"scope":"host","noprefixroute":true,"valid_life_time":4294967295,"preferred_life_time":4294967295}]},
{"ifindex":2,"link_index":9,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","link_type":"ether","address":"02:42:C6:12:01:0A","broadcast":"ff:ff:ff:ff:ff:ff","link_netnsid":0,"altnames":["clients"],"addr_info":[{"family":"inet","local":"198.18.1.10","prefixlen":24,"broadcast":"198.18.1.255","scope":"global","label":"eth0","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet","local":"198.18.1.11","prefixlen":24,"scope":"global","secondary":true,"label":"eth0","valid_life_time":4294967295,"preferred_life_time":4294967295},{"family":"inet6","local":"fe80::42:c6ff:fe12:10a","prefixlen":64,"scope":"link","valid_life_time":4294967295,"preferred_life_time":4294967295}]}
]`;

// `ip -j -4 route show table all` in the same client: the policy routes in tables 100 and 101, the
// connected route, and the local table's entries (which are not routes the lab declares).
const CLIENT_ROUTES = `[
{"dst":"198.18.2.0/24","gateway":"198.18.1.2","dev":"eth0","table":"100","flags":[]},
{"dst":"198.18.2.0/24","gateway":"198.18.1.3","dev":"eth0","table":"101","flags":[]},
{"dst":"198.18.1.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"198.18.1.10","flags":[]},
{"type":"local","dst":"127.0.0.0/8","dev":"lo","table":"local","protocol":"kernel","scope":"host","prefsrc":"127.0.0.1","flags":[]},
{"type":"local","dst":"127.0.0.1","dev":"lo","table":"local","protocol":"kernel","scope":"host","prefsrc":"127.0.0.1","flags":[]},
{"type":"broadcast","dst":"127.255.255.255","dev":"lo","table":"local","protocol":"kernel","scope":"link","prefsrc":"127.0.0.1","flags":[]},
{"type":"local","dst":"198.18.1.10","dev":"eth0","table":"local","protocol":"kernel","scope":"host","prefsrc":"198.18.1.10","flags":[]},
{"type":"local","dst":"198.18.1.11","dev":"eth0","table":"local","protocol":"kernel","scope":"host","prefsrc":"198.18.1.10","flags":[]},
{"type":"broadcast","dst":"198.18.1.255","dev":"eth0","table":"local","protocol":"kernel","scope":"link","prefsrc":"198.18.1.10","flags":[]}
]`;

// `ip -j -4 rule show` in the same client.
const CLIENT_RULES = `[
{"priority":0,"src":"all","table":"local"},
{"priority":1000,"src":"198.18.1.10","table":"100"},
{"priority":1001,"src":"198.18.1.11","table":"101"},
{"priority":32766,"src":"all","table":"main"},
{"priority":32767,"src":"all","table":"default"}
]`;

// `ip -j -4 route show table all` in the ecmp lab's client: one route with two next hops, and
// Docker's default route that the plan's first command removes.
const ECMP_ROUTES = `[
{"dst":"default","gateway":"198.18.3.1","dev":"eth0","flags":[]},
{"dst":"198.18.3.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"198.18.3.10","flags":[]},
{"dst":"198.18.4.0/24","flags":[],"nexthops":[{"gateway":"198.18.3.2","dev":"eth0","weight":1,"flags":[]},{"gateway":"198.18.3.3","dev":"eth0","weight":1,"flags":[]}]},
{"type":"local","dst":"198.18.3.10","dev":"eth0","table":"local","protocol":"kernel","scope":"host","prefsrc":"198.18.3.10","flags":[]}
]`;

// `ip -j -6 route show table all` on a dual-stack node.
const V6_ROUTES = `[
{"dst":"2001:2:0:1::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"},
{"dst":"2001:2:0:2::/64","metric":1024,"flags":[],"pref":"medium","nexthops":[{"gateway":"2001:2:0:1::2","dev":"eth0","weight":1,"flags":[]},{"gateway":"2001:2:0:1::3","dev":"eth0","weight":1,"flags":[]}]},
{"dst":"2001:2:0:2::/64","gateway":"2001:2:0:1::3","dev":"eth0","table":"100","metric":1024,"flags":[],"pref":"medium"},
{"dst":"fe80::/64","dev":"eth0","protocol":"kernel","metric":256,"flags":[],"pref":"medium"},
{"type":"local","dst":"::1","dev":"lo","table":"local","protocol":"kernel","metric":0,"flags":[],"pref":"medium"},
{"type":"local","dst":"2001:2:0:1::10","dev":"eth0","table":"local","protocol":"kernel","metric":0,"flags":[],"pref":"medium"},
{"type":"multicast","dst":"ff00::/8","dev":"eth0","table":"local","protocol":"kernel","metric":256,"flags":[],"pref":"medium"}
]`;

const FLOWS4 = `{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"set": {"family": "inet", "name": "flows4", "table": "zmqlab", "type": ["ipv4_addr", "ipv4_addr"], "handle": 1, "size": 65536, "elem": [{"elem": {"val": {"concat": ["198.18.2.10", "198.18.1.10"]}, "counter": {"packets": 2, "bytes": 168}}}]}}]}`;

t.test("parseAddr", async (t) => {
  const interfaces = parseAddr(CLIENT_ADDR);
  t.same(interfaces, [
    { name: "lo", altnames: [], mac: "00:00:00:00:00:00", addresses: ["127.0.0.1/8", "::1/128"] },
    { name: "eth0", altnames: ["clients"], mac: "02:42:c6:12:01:0a", addresses: ["198.18.1.10/24", "198.18.1.11/24"] },
  ]);
  t.test("global IPv6 addresses stay, link-local ones go", async (t) => {
    const dual = parseAddr(`[{"ifindex":2,"ifname":"eth0","address":"02:42:c6:12:01:0a","altnames":["clients"],"addr_info":[
      {"family":"inet","local":"198.18.1.10","prefixlen":24,"scope":"global"},
      {"family":"inet6","local":"2001:2:0:1::10","prefixlen":64,"scope":"global","nodad":true},
      {"family":"inet6","local":"2001:2:0:1::11","prefixlen":64,"scope":"global","nodad":true},
      {"family":"inet6","local":"fe80::42:c6ff:fe12:10a","prefixlen":64,"scope":"link"}]}]`);
    t.same(dual[0]?.addresses, ["198.18.1.10/24", "2001:2:0:1::10/64", "2001:2:0:1::11/64"]);
  });
  t.test("an interface without addresses or altnames", async (t) => {
    t.same(parseAddr(`[{"ifindex":3,"ifname":"eth1","flags":["BROADCAST","MULTICAST"],"operstate":"DOWN","address":"02:42:c6:12:02:0a","addr_info":[]}]`), [
      { name: "eth1", altnames: [], mac: "02:42:c6:12:02:0a", addresses: [] },
    ]);
  });
});

t.test("parseRoutes", async (t) => {
  t.test("the local table is left out for its table, even for a unicast entry", async (t) => {
    // Entries without a type are unicast: only their table can leave them out.
    const rows = `[{"dst":"198.18.5.0/24","dev":"eth0","table":"local","flags":[]},{"dst":"198.18.6.0/24","dev":"eth0","table":"200","flags":[]}]`;
    t.same(parseRoutes(rows), [{ to: "198.18.6.0/24", family: 4, via: [], dev: ["eth0"], table: "200" }], "a unicast route in table local is dropped, one in table 200 kept");
  });
  t.test("policy routes keep their table; local and broadcast entries are left out", async (t) => {
    t.same(parseRoutes(CLIENT_ROUTES), [
      { to: "198.18.2.0/24", family: 4, via: ["198.18.1.2"], dev: ["eth0"], table: "100" },
      { to: "198.18.2.0/24", family: 4, via: ["198.18.1.3"], dev: ["eth0"], table: "101" },
      { to: "198.18.1.0/24", family: 4, via: [], dev: ["eth0"], table: "main" },
    ]);
  });
  t.test("an ECMP route lists every next hop", async (t) => {
    t.same(parseRoutes(ECMP_ROUTES), [
      { to: "default", family: 4, via: ["198.18.3.1"], dev: ["eth0"], table: "main" },
      { to: "198.18.3.0/24", family: 4, via: [], dev: ["eth0"], table: "main" },
      { to: "198.18.4.0/24", family: 4, via: ["198.18.3.2", "198.18.3.3"], dev: ["eth0", "eth0"], table: "main" },
    ]);
  });
  t.test("IPv6: ECMP, a policy table, multicast and local entries left out", async (t) => {
    t.same(parseRoutes(V6_ROUTES), [
      { to: "2001:2:0:1::/64", family: 6, via: [], dev: ["eth0"], table: "main" },
      { to: "2001:2:0:2::/64", family: 6, via: ["2001:2:0:1::2", "2001:2:0:1::3"], dev: ["eth0", "eth0"], table: "main" },
      { to: "2001:2:0:2::/64", family: 6, via: ["2001:2:0:1::3"], dev: ["eth0"], table: "100" },
      { to: "fe80::/64", family: 6, via: [], dev: ["eth0"], table: "main" },
    ]);
  });
  t.test("routes that do not forward are left out", async (t) => {
    t.same(
      parseRoutes(
        `[{"type":"unreachable","dst":"198.18.9.0/24","flags":[]},{"type":"blackhole","dst":"198.18.8.0/24","flags":[]},{"dst":"198.18.7.0/24","gateway":"198.18.1.2","dev":"eth0","flags":[]}]`,
      ),
      [{ to: "198.18.7.0/24", family: 4, via: ["198.18.1.2"], dev: ["eth0"], table: "main" }],
    );
  });
  t.same(parseRoutes("[]"), []);
});

t.test("parseRules", async (t) => {
  t.same(parseRules(CLIENT_RULES), [
    { priority: 0, from: "all", table: "local" },
    { priority: 1000, from: "198.18.1.10", table: "100" },
    { priority: 1001, from: "198.18.1.11", table: "101" },
    { priority: 32766, from: "all", table: "main" },
    { priority: 32767, from: "all", table: "default" },
  ]);
  t.same(parseRules(`[{"priority":1000,"src":"2001:2:0:1::11","table":"100"}]`), [{ priority: 1000, from: "2001:2:0:1::11", table: "100" }]);
  t.same(parseRules(`[{"priority":0,"table":"local"}]`), [{ priority: 0, from: "all", table: "local" }], "no src is from all");
  t.test("a rule from a prefix keeps its length", async (t) => {
    t.same(parseRules(`[{"priority":1002,"src":"198.18.1.0","srclen":24,"table":"102"}]`), [{ priority: 1002, from: "198.18.1.0/24", table: "102" }]);
  });
});

t.test("sameDestination", async (t) => {
  t.ok(sameDestination("198.18.1.10/32", "198.18.1.10"));
  t.ok(sameDestination("198.18.1.10", "198.18.1.10/32"));
  t.ok(sameDestination("2001:2:0:1::10/128", "2001:2:0:1::10"));
  t.ok(sameDestination("198.18.2.0/24", "198.18.2.0/24"));
  t.ok(sameDestination("default", "default"));
  t.notOk(sameDestination("198.18.2.0/24", "198.18.2.0/25"));
  t.notOk(sameDestination("198.18.2.0/24", "198.18.2.0"));
});

t.test("parseFlowSet", async (t) => {
  t.same(parseFlowSet(FLOWS4), [{ from: "198.18.2.10", to: "198.18.1.10", packets: 2, bytes: 168 }]);
  t.test("several flows, IPv6, and an element without a counter", async (t) => {
    const json = JSON.stringify({
      nftables: [
        { metainfo: { version: "1.0.6", release_name: "Lester Gooch #5", json_schema_version: 1 } },
        {
          set: {
            family: "inet",
            name: "flows6",
            table: "zmqlab",
            type: ["ipv6_addr", "ipv6_addr"],
            handle: 2,
            size: 65536,
            flags: ["dynamic"],
            elem: [
              { elem: { val: { concat: ["2001:2:0:1::10", "2001:2:0:2::10"] }, counter: { packets: 12, bytes: 1032 } } },
              { elem: { val: { concat: ["2001:2:0:2::10", "2001:2:0:1::10"] }, counter: { packets: 10, bytes: 880 } } },
              { elem: { val: { concat: ["2001:2:0:1::11", "2001:2:0:2::10"] } } },
            ],
          },
        },
      ],
    });
    t.same(parseFlowSet(json), [
      { from: "2001:2:0:1::10", to: "2001:2:0:2::10", packets: 12, bytes: 1032 },
      { from: "2001:2:0:2::10", to: "2001:2:0:1::10", packets: 10, bytes: 880 },
      { from: "2001:2:0:1::11", to: "2001:2:0:2::10", packets: 0, bytes: 0 },
    ]);
  });
  t.test("a router that forwarded nothing has an empty set", async (t) => {
    const empty = `{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"set": {"family": "inet", "name": "flows4", "table": "zmqlab", "type": ["ipv4_addr", "ipv4_addr"], "handle": 1, "size": 65536, "flags": ["dynamic"]}}]}`;
    t.same(parseFlowSet(empty), []);
  });
});

t.test("compareWithPlan", async (t) => {
  const sourceIp = planLab(loadLab("labs/source-ip").lab);
  const ecmp = planLab(loadLab("labs/ecmp").lab);
  const planned = (plan: typeof sourceIp, name: string): NodePlan => plan.nodes.find((n) => n.name === name)!;
  const client = planned(sourceIp, "client");
  /** The client's kernel as it is after a good `up`. */
  const agreeing = (): KernelState => ({ interfaces: parseAddr(CLIENT_ADDR), routes: parseRoutes(CLIENT_ROUTES), rules: parseRules(CLIENT_RULES) });

  t.test("agreeing state: no differences", async (t) => {
    t.same(compareWithPlan(client, agreeing()), []);
  });
  /** The ecmp client's eth0 as the kernel shows it. */
  const ecmpClient = (): InterfaceState[] => [{ name: "eth0", altnames: ["clients"], mac: "02:42:c6:12:03:0a", addresses: [10, 11, 12, 13, 14, 15, 16, 17].map((i) => `198.18.3.${i}/24`) }];
  t.test("ECMP next hops in another order agree", async (t) => {
    const reversed = `[{"dst":"198.18.4.0/24","flags":[],"nexthops":[{"gateway":"198.18.3.3","dev":"eth0","weight":1,"flags":[]},{"gateway":"198.18.3.2","dev":"eth0","weight":1,"flags":[]}]}]`;
    t.same(compareWithPlan(planned(ecmp, "client"), { interfaces: ecmpClient(), routes: parseRoutes(reversed), rules: [] }), []);
  });
  t.test("the ECMP lab's client with Docker's default route removed agrees", async (t) => {
    const routes = parseRoutes(ECMP_ROUTES).filter((r) => r.to !== "default");
    t.same(compareWithPlan(planned(ecmp, "client"), { interfaces: ecmpClient(), routes, rules: parseRules(CLIENT_RULES).filter((r) => r.from === "all") }), []);
  });
  t.test("a host route the kernel prints without /32 agrees", async (t) => {
    const state: KernelState = {
      interfaces: [{ name: "eth0", altnames: ["servers"], mac: "02:42:c6:12:02:0a", addresses: ["198.18.2.10/24", "198.18.2.11/24"] }],
      routes: parseRoutes(`[{"dst":"198.18.1.10","gateway":"198.18.2.2","dev":"eth0","flags":[]},{"dst":"198.18.1.11","gateway":"198.18.2.3","dev":"eth0","flags":[]}]`),
      rules: [],
    };
    t.same(compareWithPlan(planned(sourceIp, "server"), state), []);
  });

  t.test("a missing address", async (t) => {
    const state = agreeing();
    state.interfaces[1]!.addresses = ["198.18.1.10/24"];
    t.same(compareWithPlan(client, state), ["clients (eth0) lacks 198.18.1.11/24"]);
  });
  t.test("an extra address", async (t) => {
    const state = agreeing();
    state.interfaces[1]!.addresses.push("198.18.1.130/24");
    t.same(compareWithPlan(client, state), ["clients (eth0) has unplanned 198.18.1.130/24"]);
  });
  t.test("no interface with the network's name", async (t) => {
    const state = agreeing();
    state.interfaces[1]!.altnames = [];
    t.same(compareWithPlan(client, state), ["no interface named clients"]);
  });
  t.test("a missing route", async (t) => {
    const state = agreeing();
    state.routes = state.routes.filter((r) => r.table !== "101");
    t.same(compareWithPlan(client, state), ["no route to 198.18.2.0/24 in table 101"]);
  });
  t.test("a wrong next hop", async (t) => {
    const state = agreeing();
    state.routes[0]!.via = ["198.18.1.3"];
    t.same(compareWithPlan(client, state), ["route to 198.18.2.0/24 in table 100 goes via 198.18.1.3, not 198.18.1.2"]);
  });
  t.test("an ECMP route with one next hop missing", async (t) => {
    const routes = parseRoutes(`[{"dst":"198.18.4.0/24","gateway":"198.18.3.2","dev":"eth0","flags":[]}]`);
    t.same(compareWithPlan(planned(ecmp, "client"), { interfaces: ecmpClient(), routes, rules: [] }), ["route to 198.18.4.0/24 goes via 198.18.3.2, not 198.18.3.2, 198.18.3.3"]);
  });
  t.test("a missing rule", async (t) => {
    const state = agreeing();
    state.rules = state.rules.filter((r) => r.priority !== 1001);
    t.same(compareWithPlan(client, state), ['no rule "from 198.18.1.11 lookup 101"']);
  });
  t.test("Docker's default route still there", async (t) => {
    const state = agreeing();
    state.routes.push(...parseRoutes(`[{"dst":"default","gateway":"198.18.1.1","dev":"eth0","flags":[]}]`));
    t.same(compareWithPlan(client, state), ["an IPv4 default route via 198.18.1.1 that the lab did not declare"]);
  });
  t.test("several differences, one sentence each", async (t) => {
    const state = agreeing();
    state.interfaces[1]!.addresses = ["198.18.1.10/24", "198.18.1.12/24"];
    state.rules = [];
    const differences = compareWithPlan(client, state);
    t.equal(differences.length, 4);
    t.ok(
      differences.every((d) => !d.includes("\n")),
      "one line each",
    );
  });
  t.test("a dual-stack node with a default route per family", async (t) => {
    const server: NodePlan = {
      ...planned(sourceIp, "server"),
      interfaces: [],
      rules: [],
      routes: [
        { to: "default", via: ["2001:2:0:2::2"], table: "main", family: 6 },
        { to: "default", via: ["198.18.2.2"], table: "main", family: 4 },
      ],
    };
    const state: KernelState = {
      interfaces: [],
      rules: [],
      routes: [
        ...parseRoutes(`[{"dst":"default","gateway":"198.18.2.2","dev":"eth0","flags":[]}]`),
        ...parseRoutes(`[{"dst":"default","gateway":"2001:2:0:2::2","dev":"eth0","metric":1024,"flags":[],"pref":"medium"}]`),
      ],
    };
    t.same(compareWithPlan(server, state), []);
  });
});

t.test("connections a node's kernel saw start, from zmqlab's nftables sets", async (t) => {
  const json = JSON.stringify({
    nftables: [
      { metainfo: { version: "1.0.6" } },
      {
        set: {
          family: "inet",
          name: "peers4",
          table: "zmqlab_peers",
          elem: [
            { elem: { val: { concat: ["198.18.44.11", 48012, "198.18.44.20", 5556] }, counter: { packets: 1, bytes: 60 } } },
            { elem: { val: { concat: ["198.18.44.10", 40000, "198.18.44.20", 7000] }, counter: { packets: 2, bytes: 120 } } },
          ],
        },
      },
    ],
  });
  t.same(parseConnectionSet(json), [
    { source: "198.18.44.11", sourcePort: 48012, local: "198.18.44.20", port: 5556 },
    { source: "198.18.44.10", sourcePort: 40000, local: "198.18.44.20", port: 7000 },
  ]);
  t.same(parseConnectionSet(JSON.stringify({ nftables: [{ set: { name: "peers6" } }] })), [], "an empty set");
});
