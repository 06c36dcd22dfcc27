// One address, one spelling: whatever spelling a lab file uses, every module that reads addresses
// (the lab, the agent, observation, the judges) makes the same one of it, the one the kernel's
// tables decode to. An uncompressed IPv6 source in sourceSeen validates and passes (issue 20).
import t from "tap";
import { bindAddress } from "../../agent/address.js";
import { evaluateOne } from "../../controller/expect/index.js";
import { normalAddress } from "../../controller/expect/types.js";
import { parseAddress } from "../../controller/lab/ip.js";
import { parseConnectionSet, parseFlowSet } from "../../controller/observe/flows.js";
import { parseRoutes, parseRules } from "../../controller/observe/kernel.js";
import { canonicalAddress } from "../../shared/address.js";
import { decodeAddress } from "../../shared/proc-net.js";
import { endpoint, flow, observations, peer } from "./expect-cases.js";
import { problemsIn } from "../support/problems.js";

/** Each group: spellings of one address, its one form, and how /proc/net/tcp(6) holds it. */
const GROUPS = [
  {
    form: "2001:2:0:5::10",
    kernel: "02000120050000000000000010000000",
    spellings: ["2001:0002:0000:0005:0000:0000:0000:0010", "2001:2:0:5::10", "2001:2:0:5:0:0:0:10", "2001:2:0:5:0:0:0:0010", "2001:0002:0000:0005::0010"],
  },
  {
    form: "198.18.1.10",
    kernel: "0000000000000000FFFF00000A0112C6",
    spellings: ["198.18.1.10", "::ffff:198.18.1.10", "0:0:0:0:0:ffff:198.18.1.10", "::ffff:c612:10a", "0000:0000:0000:0000:0000:ffff:c612:010a"],
  },
  {
    form: "2001:db8::a:0:0:1",
    kernel: "B80D01200000000000000A0001000000",
    // Two runs of zeros as long: the first is compressed, as inet_ntop does.
    spellings: ["2001:db8:0:0:a:0:0:1", "2001:0db8::a:0:0:1", "2001:db8::a:0:0:1"],
  },
].map((g) => ({ ...g, spellings: [...g.spellings, ...g.spellings.map((s) => s.toUpperCase())] }));

/** What each module makes of a spelling. */
const readers: Record<string, (spelling: string) => string | undefined> = {
  "shared canonicalAddress": canonicalAddress,
  "lab parseAddress": (s) => parseAddress(s)?.text,
  "judges normalAddress": normalAddress,
  "agent, a bind's address": (s) => bindAddress(`tcp://${s.includes(":") ? `[${s}]` : s}:5556`)?.address ?? undefined,
  "observe, nft flow counters": (s) => parseFlowSet(JSON.stringify({ nftables: [{ set: { elem: [{ elem: { val: { concat: [s, s] }, counter: { packets: 1, bytes: 60 } } }] } }] }))[0]?.from,
  "observe, nft connection sets": (s) => parseConnectionSet(JSON.stringify({ nftables: [{ set: { elem: [{ elem: { val: { concat: [s, 1, s, 2] } } }] } }] }))[0]?.source,
  "observe, a route's next hop": (s) => parseRoutes(JSON.stringify([{ dst: "default", gateway: s }]))[0]?.via[0],
  "observe, a rule's source": (s) => parseRules(JSON.stringify([{ priority: 100, src: s, srclen: s.includes(".") ? 32 : 128, table: "100" }]))[0]?.from,
};

t.test("every module that reads addresses makes one form of each spelling", async (t) => {
  for (const group of GROUPS) {
    t.equal(decodeAddress(group.kernel), group.form, `the agent's kernel tables hold ${group.form}`);
    for (const spelling of group.spellings) {
      for (const [module, read] of Object.entries(readers)) t.equal(read(spelling), group.form, `${module}: ${spelling}`);
    }
  }
});

t.test("an IPv4-mapped address is the IPv4 address it maps, in the lab too", async (t) => {
  t.same(parseAddress("::ffff:198.18.1.10"), parseAddress("198.18.1.10"));
  t.equal(parseAddress("::ffff:198.18.1.10")?.family, 4);
  t.equal(parseAddress("::fffe:198.18.1.10")?.family, 6, "only ::ffff:0:0/96 is mapped");
  t.equal(parseAddress("::1:ffff:198.18.1.10")?.family, 6, "with ::ffff: inside, not at the start, it is IPv6");
});

t.test("what is no address is left as it is", async (t) => {
  for (const text of ["eth1", "clients", "*", "", "2001:2::g", "198.18.1", "ABC", "x::ffff:198.18.1.10", "::ffff:198.18.1.10x"]) {
    t.equal(canonicalAddress(text), text, JSON.stringify(text));
  }
});

/** The dual-stack fixture with traffic and expectations, and the client's addresses spelled as given. */
function lab(v6: string, v4: string, mappingKey = v6): string {
  return `name: spellings
networks:
  clients: { subnet: [198.18.5.0/24, "2001:2:0:5::/64"] }
  servers: { subnet: [198.18.6.0/24, "2001:2:0:6::/64"] }
nodes:
  client:
    interfaces: { clients: [198.18.5.10, "2001:2:0:5::10"] }
    routes:
      - { to: "2001:2:0:6::/64", via: "2001:0002:0000:0005:0000:0000:0000:0002", from: "${v6}" }
      - { to: 198.18.6.0/24, via: "::ffff:198.18.5.2", from: "${v4}" }
  r1: { forward: true, interfaces: { clients: [198.18.5.2, "2001:2:0:5::2"], servers: [198.18.6.2, "2001:2:0:6::2"] } }
  r2: { forward: true, interfaces: { clients: [198.18.5.3, "2001:2:0:5::3"], servers: [198.18.6.3, "2001:2:0:6::3"] } }
  server:
    interfaces: { servers: [198.18.6.10, "2001:2:0:6::10"] }
    routes:
      - { to: "2001:2:0:5::/64", via: "2001:2:0:6::2" }
      - { to: 198.18.5.0/24, via: 198.18.6.2 }
traffic:
  quotes6: { node: server, socket: pub, bind: "tcp://[2001:2:0:6::10]:5556", send: { count: 10 } }
  sub6: { node: client, socket: sub, connect: "tcp://[${v6}]:0;[2001:0002:0000:0006:0000:0000:0000:0010]:5556" }
expect:
  - sourceSeen: { endpoint: quotes6, source: "${v6}" }
  - path: { from: "${v6}", to: "2001:2:0:6:0:0:0:10", via: r1 }
  - path: { from: "${v4}", to: "198.18.6.10", via: r1 }
  - balanced: { sources: ["${v6}"], to: "2001:2:0:6::10", over: [r1, r2], mapping: { "${mappingKey}": r1 } }
`;
}

t.test("the lab file: any spelling of an own address validates, another address does not", async (t) => {
  const v6 = GROUPS[0]!;
  const v4 = { spellings: ["198.18.5.10", "::ffff:198.18.5.10", "0:0:0:0:0:ffff:198.18.5.10", "::ffff:c612:50a", "::FFFF:C612:050A"] };
  for (let i = 0; i < Math.max(v6.spellings.length, v4.spellings.length); i++) {
    const a = v6.spellings[i % v6.spellings.length]!;
    const b = v4.spellings[i % v4.spellings.length]!;
    t.same(problemsIn(lab(a, b, v6.spellings[(i + 1) % v6.spellings.length])), [], `${a} and ${b}`);
  }
  const wrong = problemsIn(lab("2001:0002:0000:0005:0000:0000:0000:0011", "198.18.5.10"));
  t.same(
    wrong.map((p) => p.path).sort(),
    ["expect[0].sourceSeen.source", "expect[1].path.from", "expect[3].balanced.sources[0]", "nodes.client.routes[0].from", "traffic.sub6.connect"],
    "2001:2:0:5::11 is no address of the client: each place that names it says so",
  );
  const unmapped = problemsIn(lab("2001:2:0:5::10", "198.18.5.10", "2001:2:0:5::11"));
  t.same(
    unmapped.map((p) => [p.path, p.message]),
    [["expect[3].balanced.mapping.2001:2:0:5::11", "2001:2:0:5::11 is not among the sources"]],
    "a mapping key of another address is not a source",
  );
});

t.test("the judges: a source in any spelling matches what the kernel showed", async (t) => {
  const server = (address: string) => observations([endpoint("quotes6", "server", { socket: "pub", bind: ["tcp://[2001:2:0:6::10]:5556"], peers: [peer(address, "[2001:2:0:6::10]:5556")] })]);
  for (const group of GROUPS) {
    const seen = server(decodeAddress(group.kernel));
    for (const spelling of group.spellings) {
      const result = evaluateOne({ sourceSeen: { endpoint: "quotes6", source: spelling } }, seen);
      t.equal(result.ok, true, `sourceSeen ${spelling}: ${result.message}`);
      const routed = observations([], { r1: [flow(group.form, "2001:2:0:6::10", 3)] });
      t.equal(evaluateOne({ path: { from: spelling, to: "2001:2:0:6:0:0:0:10", via: "r1" } }, routed).ok, true, `path from ${spelling}`);
    }
  }
  const result = evaluateOne({ sourceSeen: { endpoint: "quotes6", source: "2001:0002:0000:0005:0000:0000:0000:0011" } }, server("2001:2:0:5::10"));
  t.equal(result.ok, false, "another address: no match");
  t.equal(result.message, "server saw 2001:2:0:5::10 only; 2001:2:0:5::11 missing");
});
