// Every rule of a lab file, each shown with a lab a user could have written and one thing broken.
// Each problem must name the right path and line, and say what is wrong and what to do about it.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t from "tap";
import { LabError, type Problem } from "../../controller/errors.js";
import { loadLab, parseLab } from "../../controller/lab/load.js";
import { problemsIn } from "../support/problems.js";

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

/** A valid lab: a client with two addresses, two routers, a dual-stack server network. */
const VALID = `# yaml-language-server: $schema=../../controller/lab/lab.schema.json
name: two-routers
networks:
  clients:
    subnet: 198.18.1.0/24
  servers:
    subnet: [198.18.2.0/24, "2001:2:0:2::/64"]
nodes:
  client:
    interfaces:
      clients: [198.18.1.10, 198.18.1.11]
    routes:
      - to: 198.18.2.0/24
        via: 198.18.1.2
        from: 198.18.1.10
      - to: 198.18.2.0/24
        via: 198.18.1.3
  r1:
    forward: true
    interfaces:
      clients: 198.18.1.2
      servers: [198.18.2.2, "2001:2:0:2::2"]
  r2:
    forward: true
    interfaces:
      clients: 198.18.1.3
      servers: [198.18.2.3, "2001:2:0:2::3"]
  server:
    interfaces:
      servers: [198.18.2.10, "2001:2:0:2::10"]
    routes:
      - to: 198.18.1.0/24
        via: 198.18.2.2
traffic:
  feed:
    node: server
    socket: pub
    bind: tcp://198.18.2.10:5556
    send:
      count: 10
      topic: news
  reader:
    node: client
    socket: sub
    connect: tcp://198.18.1.11:0;198.18.2.10:5556
    subscribe: news
  probe:
    node: client
    socket: req
    connect: tcp://198.18.2.10:5599   # nothing binds here
expect:
  - delivered:
      endpoint: reader
      count: 10
  - sourceSeen:
      endpoint: feed
      source: 198.18.1.11
  - path:
      from: 198.18.1.11
      to: 198.18.2.10
      via: r2
      not: r1
  - unreachable:
      endpoint: probe
  - balanced:
      sources: [198.18.1.10, 198.18.1.11]
      to: 198.18.2.10
      over: [r1, r2]
      mapping:
        198.18.1.10: r1
        198.18.1.11: r2
`;

/** The lab text with one piece replaced; the piece must occur exactly once. */
function edit(text: string, from: string, to: string): string {
  const count = text.split(from).length - 1;
  if (count !== 1) throw new Error(`test bug: ${JSON.stringify(from)} occurs ${count} times`);
  return text.replace(from, () => to);
}

/** The 1-based line of the one line holding `needle`. */
function lineOf(text: string, needle: string): number {
  const lines = text.split("\n").flatMap((line, i) => (line.includes(needle) ? [i + 1] : []));
  if (lines.length !== 1) throw new Error(`test bug: ${JSON.stringify(needle)} is on ${lines.length} lines`);
  return lines[0]!;
}

interface Expected {
  path: string;
  /** Text found on exactly one line of the lab: the line the problem must point at. */
  line: string;
  message: RegExp;
  hint: RegExp;
}

function checkProblem(t: Tap, text: string, problem: Problem | undefined, expected: Expected): void {
  if (!problem) {
    t.fail(`no problem at ${expected.path}`);
    return;
  }
  t.equal(problem.file, "lab.yaml", "names the file");
  t.equal(problem.path, expected.path, "path");
  t.equal(problem.line, lineOf(text, expected.line), `line of ${JSON.stringify(expected.line.trim())}`);
  t.type(problem.column, "number", "column");
  t.match(problem.message, expected.message, "message");
  t.match(problem.hint ?? "", expected.hint, "hint");
}

/** The lab has exactly this one problem. */
function onlyProblem(t: Tap, text: string, expected: Expected): void {
  const problems = problemsIn(text);
  t.equal(problems.length, 1, "exactly one problem", { found: problems });
  checkProblem(t, text, problems[0], expected);
}

/** Among the lab's problems is this one. */
function hasProblem(t: Tap, text: string, expected: Expected): void {
  const problems = problemsIn(text);
  checkProblem(
    t,
    text,
    problems.find((p) => p.path === expected.path && expected.message.test(p.message)),
    expected,
  );
}

t.test("the valid lab has no problems", async (t) => {
  t.same(problemsIn(VALID), []);
  const { lab, file } = parseLab(VALID, "my/lab.yaml");
  t.equal(file, "my/lab.yaml");
  t.equal(lab.name, "two-routers");
  t.same(Object.keys(lab.nodes), ["client", "r1", "r2", "server"]);
});

t.test("YAML", async (t) => {
  t.test("a syntax error gives its line", async (t) => {
    const text = edit(VALID, "    socket: pub\n", "    socket: pub\n   bind: tcp://198.18.2.10:5557\n");
    const problems = problemsIn(text);
    // The YAML parser may go on to say more about what follows; the first problem is the one.
    checkProblem(t, text, problems[0], { path: "", line: "   bind: tcp://198.18.2.10:5557", message: /^YAML: All mapping items must start at the same column/, hint: /indentation/ });
    t.ok(problems.every((p) => p.message.startsWith("YAML: ") && typeof p.line === "number"));
  });
  t.test("a key given twice", async (t) => {
    const text = edit(VALID, "    socket: pub\n", "    socket: pub\n    socket: xpub\n");
    onlyProblem(t, text, { path: "", line: "socket: xpub", message: /YAML: .*unique/, hint: /check/ });
  });
});

/** A "billion laughs" document: each level uses the one before nine times. */
const ALIAS_BOMB = `name: bomb
a: &a [x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
`;

t.test("YAML the parser refuses when it builds the document", async (t) => {
  t.test("an alias explosion is a problem of the file, not a crash", async (t) => {
    const problems = problemsIn(ALIAS_BOMB);
    t.equal(problems.length, 1, "one problem");
    t.equal(problems[0]?.file, "lab.yaml", "names the file");
    t.match(problems[0]?.message, /^YAML: Excessive alias count/);
    t.match(problems[0]?.hint, /aliases \(\*name\) far too many times/);
  });
  t.test("a few aliases are fine", async (t) => {
    const text = edit(VALID, "  r1:\n    forward: true\n", "  r1:\n    forward: &yes true\n").replace("  r2:\n    forward: true\n", "  r2:\n    forward: *yes\n");
    t.same(problemsIn(text), []);
  });
});

t.test("keys the schema does not know or misses", async (t) => {
  t.test("interface: did you mean interfaces", async (t) => {
    const text = edit(VALID, "  server:\n    interfaces:", "  server:\n    interface:");
    hasProblem(t, text, { path: "nodes.server.interface", line: "    interface:", message: /unknown key "interface"/, hint: /did you mean "interfaces"/ });
    // ... and since interfaces is now missing, that is said too, at the node.
    hasProblem(t, text, { path: "nodes.server", line: "  server:", message: /missing "interfaces"/, hint: /add interfaces/ });
    t.equal(problemsIn(text).length, 2);
  });
  t.test("fowrard: did you mean forward", async (t) => {
    const text = edit(VALID, "  r1:\n    forward: true", "  r1:\n    fowrard: true");
    onlyProblem(t, text, { path: "nodes.r1.fowrard", line: "fowrard: true", message: /unknown key "fowrard"/, hint: /did you mean "forward"/ });
  });
  t.test("a key with no likely meaning lists the allowed ones", async (t) => {
    const text = edit(VALID, "      topic: news\n", "      topic: news\n      priority: 5\n");
    onlyProblem(t, text, { path: "traffic.feed.send.priority", line: "priority: 5", message: /unknown key "priority"/, hint: /allowed here: count, size, rate, duration, topic/ });
  });
  t.test("a misspelt expectation kind", async (t) => {
    const text = edit(VALID, "  - delivered:", "  - delivery:");
    onlyProblem(t, text, { path: "expect[0].delivery", line: "  - delivery:", message: /unknown key "delivery"/, hint: /did you mean "delivered"/ });
  });
  t.test("a missing required key", async (t) => {
    const text = edit(VALID, "    node: server\n    socket: pub\n", "    socket: pub\n");
    onlyProblem(t, text, { path: "traffic.feed", line: "  feed:", message: /missing "node"/, hint: /add node/ });
  });
  t.test("a route without via", async (t) => {
    const text = edit(VALID, "      - to: 198.18.1.0/24\n        via: 198.18.2.2\n", "      - to: 198.18.1.0/24\n");
    onlyProblem(t, text, { path: "nodes.server.routes[0]", line: "- to: 198.18.1.0/24", message: /missing "via"/, hint: /add via/ });
  });
  t.test("a lab without nodes", async (t) => {
    const text = "name: empty\nnetworks:\n  lan:\n    subnet: 198.18.1.0/24\n";
    onlyProblem(t, text, { path: "", line: "name: empty", message: /missing "nodes"/, hint: /add nodes/ });
  });
  t.test("a value of the wrong type", async (t) => {
    const text = edit(VALID, "  r1:\n    forward: true", "  r1:\n    forward: yes");
    onlyProblem(t, text, { path: "nodes.r1.forward", line: "forward: yes", message: /must be true or false/, hint: /got "yes"/ });
  });
  t.test("an unknown socket type", async (t) => {
    const text = edit(VALID, "socket: pub", "socket: pubb");
    onlyProblem(t, text, { path: "traffic.feed.socket", line: "socket: pubb", message: /"pubb" is not one of pub, sub/, hint: /did you mean "pub"/ });
  });
});

t.test("names", async (t) => {
  const rule = /lowercase letters, digits and dashes, starting with a letter/;
  t.test("a node name in uppercase", async (t) => {
    const text = edit(VALID, "  client:\n", "  Client:\n");
    onlyProblem(t, text, { path: "nodes.Client", line: "  Client:", message: /"Client" is not a valid name/, hint: /at most 15 characters.*e\.g\. "client"/ });
    t.match(problemsIn(text)[0]?.hint, rule);
  });
  t.test("a node name with an underscore", async (t) => {
    const text = edit(VALID, "  r2:\n", "  router_2:\n");
    onlyProblem(t, text, { path: "nodes.router_2", line: "router_2:", message: /"router_2" is not a valid name/, hint: /e\.g\. "router-2"/ });
  });
  t.test("a node name that is too long", async (t) => {
    const text = edit(VALID, "  r2:\n", "  the-second-router:\n");
    onlyProblem(t, text, { path: "nodes.the-second-router", line: "the-second-router:", message: /not a valid name/, hint: /at most 15 characters/ });
  });
  t.test("a node name starting with a digit", async (t) => {
    const text = edit(VALID, "  r2:\n", "  2nd-router:\n");
    onlyProblem(t, text, { path: "nodes.2nd-router", line: "2nd-router:", message: /"2nd-router" is not a valid name/, hint: rule });
  });
  t.test("a node name that YAML reads as a number", async (t) => {
    const text = edit(VALID, "  r2:\n", "  42:\n");
    onlyProblem(t, text, { path: "nodes.42", line: "  42:", message: /"42" is not a valid name/, hint: rule });
  });
  t.test("a network name in uppercase", async (t) => {
    const text = edit(VALID, "networks:\n", "networks:\n  DMZ:\n    subnet: 198.18.9.0/24\n");
    onlyProblem(t, text, { path: "networks.DMZ", line: "DMZ:", message: /"DMZ" is not a valid name/, hint: /e\.g\. "dmz"/ });
  });
  t.test("the lab name with uppercase and an underscore", async (t) => {
    const text = edit(VALID, "name: two-routers", "name: Two_Routers");
    onlyProblem(t, text, { path: "name", line: "name: Two_Routers", message: /"Two_Routers" is not a valid name/, hint: /at most 24 characters.*e\.g\. "two-routers"/ });
  });
  t.test("the lab name too long", async (t) => {
    const text = edit(VALID, "name: two-routers", "name: two-routers-and-one-client");
    onlyProblem(t, text, { path: "name", line: "name: two-routers-and-one-client", message: /not a valid name/, hint: /at most 24 characters/ });
  });
  t.test("the lab name starting with a digit", async (t) => {
    const text = edit(VALID, "name: two-routers", "name: 2routers");
    onlyProblem(t, text, { path: "name", line: "name: 2routers", message: /"2routers" is not a valid name/, hint: rule });
  });
  t.test("a network named like a kernel interface", async (t) => {
    for (const name of ["eth0", "lo"]) {
      const text = edit(VALID, "networks:\n", `networks:\n  ${name}:\n    subnet: 198.18.9.0/24\n`);
      onlyProblem(t, text, { path: `networks.${name}`, line: `  ${name}:`, message: new RegExp(`"${name}" is a kernel interface name`), hint: /pick another/ });
    }
  });
});

t.test("subnets", async (t) => {
  const clients = "    subnet: 198.18.1.0/24";
  t.test("not in CIDR form", async (t) => {
    const text = edit(VALID, clients, "    subnet: 198.18.1.0");
    onlyProblem(t, text, { path: "networks.clients.subnet", line: "subnet: 198.18.1.0", message: /"198.18.1.0" is not in CIDR form/, hint: /198\.18\.1\.0\/24/ });
  });
  t.test("not a valid subnet", async (t) => {
    const text = edit(VALID, clients, "    subnet: 198.18.1.0/33");
    onlyProblem(t, text, { path: "networks.clients.subnet", line: "subnet: 198.18.1.0/33", message: /is not a valid subnet/, hint: /e\.g\./ });
  });
  t.test("host bits set: the message shows the network address", async (t) => {
    const text = edit(VALID, clients, "    subnet: 198.18.1.1/24");
    onlyProblem(t, text, { path: "networks.clients.subnet", line: "subnet: 198.18.1.1/24", message: /host bits set \(the network address is 198\.18\.1\.0\/24\)/, hint: /e\.g\./ });
  });
  t.test("too small", async (t) => {
    const text = edit(VALID, clients, "    subnet: 198.18.1.0/30");
    onlyProblem(t, text, { path: "networks.clients.subnet", line: "subnet: 198.18.1.0/30", message: /\/30 is too small/, hint: /\/29 or larger/ });
  });
  t.test("an IPv6 subnet too small", async (t) => {
    const text = edit(VALID, '"2001:2:0:2::/64"', '"2001:2:0:2::/126"');
    onlyProblem(t, text, { path: "networks.servers.subnet[1]", line: "2001:2:0:2::/126", message: /\/126 is too small/, hint: /\/125 or larger/ });
  });
  t.test("an IPv6 subnet with host bits set: said once, not again for each address on it", async (t) => {
    const text = edit(VALID, '"2001:2:0:2::/64"', '"2001:2:0:2::1/64"');
    onlyProblem(t, text, { path: "networks.servers.subnet[1]", line: "2001:2:0:2::1/64", message: /host bits set \(the network address is 2001:2:0:2::\/64\)/, hint: /e\.g\./ });
  });
  t.test("two IPv4 subnets", async (t) => {
    const text = edit(VALID, clients, "    subnet: [198.18.1.0/24, 198.18.3.0/24]");
    onlyProblem(t, text, { path: "networks.clients.subnet[1]", line: "198.18.3.0/24", message: /a second IPv4 subnet/, hint: /one IPv4 subnet and at most one IPv6/ });
  });
  t.test("subnets of two networks overlap", async (t) => {
    const text = edit(VALID, "networks:\n", "networks:\n  dmz:\n    subnet: 198.18.0.0/16\n");
    // dmz comes first; each later network that overlaps it is reported, naming dmz.
    const problems = problemsIn(text);
    t.equal(problems.length, 2);
    hasProblem(t, text, { path: "networks.clients.subnet", line: clients, message: /198\.18\.1\.0\/24 overlaps 198\.18\.0\.0\/16 of network "dmz"/, hint: /its own subnet/ });
    const added = edit(VALID, "  servers:\n", "  dmz:\n    subnet: 198.18.1.128/25\n  servers:\n");
    onlyProblem(t, added, { path: "networks.dmz.subnet", line: "198.18.1.128/25", message: /overlaps 198\.18\.1\.0\/24 of network "clients"/, hint: /its own subnet/ });
  });
  t.test("an IPv6-only network", async (t) => {
    const text = edit(VALID, "networks:\n", 'networks:\n  v6lan:\n    subnet: "2001:2:0:9::/64"\n');
    onlyProblem(t, text, { path: "networks.v6lan.subnet", line: "2001:2:0:9::/64", message: /no IPv4 subnet/, hint: /always carry IPv4/ });
  });
});

t.test("addresses", async (t) => {
  // r1's address on clients is the one broken in each case.
  const r1 = "      clients: 198.18.1.2\n";
  const at = "nodes.r1.interfaces.clients";
  t.test("not an address", async (t) => {
    const text = edit(VALID, r1, "      clients: r1.lab\n");
    onlyProblem(t, text, { path: at, line: "clients: r1.lab", message: /"r1.lab" is not an IP address/, hint: /e\.g\. 198\.18\.1\.10/ });
  });
  t.test("with a prefix", async (t) => {
    const text = edit(VALID, r1, "      clients: 198.18.1.2/24\n");
    onlyProblem(t, text, { path: at, line: "clients: 198.18.1.2/24", message: /is not an IP address/, hint: /without a prefix/ });
  });
  t.test("outside the subnet", async (t) => {
    const text = edit(VALID, r1, "      clients: 198.18.3.2\n");
    onlyProblem(t, text, {
      path: at,
      line: "clients: 198.18.3.2",
      message: /198\.18\.3\.2 is outside the network's subnet 198\.18\.1\.0\/24/,
      hint: /inside 198\.18\.1\.0\/24, e\.g\. 198\.18\.1\.10/,
    });
  });
  t.test("outside a small subnet: the example is inside it", async (t) => {
    const text = edit(edit(VALID, "    subnet: 198.18.1.0/24", "    subnet: 198.18.1.0/29"), "clients: [198.18.1.10, 198.18.1.11]", "clients: [198.18.1.4, 198.18.1.5]");
    const broken = edit(text, r1, "      clients: 198.18.1.9\n");
    const expected = { path: at, line: "clients: 198.18.1.9", message: /outside the network's subnet 198\.18\.1\.0\/29/, hint: /e\.g\. 198\.18\.1\.2$/ };
    // 198.18.1.10/.11 are now outside too; only r1's problem matters here.
    hasProblem(t, broken, expected);
  });
  t.test("the network address", async (t) => {
    const text = edit(VALID, r1, "      clients: 198.18.1.0\n");
    onlyProblem(t, text, { path: at, line: "clients: 198.18.1.0", message: /is the network address of 198\.18\.1\.0\/24/, hint: /host address/ });
  });
  t.test("the broadcast address", async (t) => {
    const text = edit(VALID, r1, "      clients: 198.18.1.255\n");
    onlyProblem(t, text, { path: at, line: "clients: 198.18.1.255", message: /is the broadcast address of 198\.18\.1\.0\/24/, hint: /host address/ });
  });
  t.test("the last address of an IPv6 subnet is a host (IPv6 has no broadcast)", async (t) => {
    const text = edit(VALID, '      servers: [198.18.2.2, "2001:2:0:2::2"]\n', '      servers: [198.18.2.2, "2001:2:0:2:ffff:ffff:ffff:ffff"]\n');
    t.same(problemsIn(text), []);
  });
  t.test("Docker's gateway", async (t) => {
    const text = edit(VALID, r1, "      clients: 198.18.1.1\n");
    onlyProblem(t, text, { path: at, line: "clients: 198.18.1.1", message: /taken by Docker's gateway/, hint: /first host address belongs to Docker/ });
  });
  t.test("Docker's IPv6 gateway", async (t) => {
    const text = edit(VALID, '[198.18.2.2, "2001:2:0:2::2"]', '[198.18.2.2, "2001:2:0:2::1"]');
    onlyProblem(t, text, { path: "nodes.r1.interfaces.servers[1]", line: '"2001:2:0:2::1"', message: /2001:2:0:2::1 is taken by Docker's gateway/, hint: /e\.g\. 2001:2:0:2::10/ });
  });
  t.test("used by two nodes", async (t) => {
    const text = edit(VALID, "      clients: 198.18.1.3\n", "      clients: 198.18.1.11\n");
    onlyProblem(t, text, { path: "nodes.r2.interfaces.clients", line: "clients: 198.18.1.11", message: /198\.18\.1\.11 is already used by node "client"/, hint: /unique/ });
  });
  t.test("the same IPv6 address spelt two ways", async (t) => {
    const text = edit(VALID, '[198.18.2.3, "2001:2:0:2::3"]', '[198.18.2.3, "2001:0002:0:2:0:0:0:2"]');
    onlyProblem(t, text, { path: "nodes.r2.interfaces.servers[1]", line: "2001:0002:0:2:0:0:0:2", message: /2001:2:0:2::2 is already used by node "r1"/, hint: /unique/ });
  });
  t.test("IPv6 on a network without an IPv6 subnet", async (t) => {
    const text = edit(VALID, r1, '      clients: [198.18.1.2, "2001:2:0:1::2"]\n');
    onlyProblem(t, text, {
      path: `${at}[1]`,
      line: '"2001:2:0:1::2"',
      message: /IPv6 address 2001:2:0:1::2 on network "clients", which has no IPv6 subnet/,
      hint: /add an IPv6 subnet to networks\.clients\.subnet/,
    });
  });
  t.test("only IPv6 addresses on a dual-stack network", async (t) => {
    const text = edit(VALID, '      servers: [198.18.2.3, "2001:2:0:2::3"]', '      servers: "2001:2:0:2::3"');
    onlyProblem(t, text, { path: "nodes.r2.interfaces.servers", line: 'servers: "2001:2:0:2::3"', message: /no IPv4 address on network "servers"/, hint: /e\.g\. add 198\.18\.2\.10/ });
  });
  t.test("only IPv4 addresses on a dual-stack network", async (t) => {
    const text = edit(VALID, '      servers: [198.18.2.3, "2001:2:0:2::3"]', "      servers: 198.18.2.3");
    onlyProblem(t, text, { path: "nodes.r2.interfaces.servers", line: "servers: 198.18.2.3", message: /no IPv6 address on dual-stack network "servers"/, hint: /e\.g\. add "2001:2:0:2::10"/ });
  });
  t.test("an interface on an unknown network", async (t) => {
    const text = edit(VALID, '      servers: [198.18.2.2, "2001:2:0:2::2"]', '      server: [198.18.2.2, "2001:2:0:2::2"]');
    onlyProblem(t, text, { path: "nodes.r1.interfaces.server", line: "server: [198.18.2.2", message: /no network "server" in this lab/, hint: /did you mean "servers"/ });
  });
  t.test("an IPv6 address with an embedded IPv4 part is an address, not a crash", async (t) => {
    const text = edit(VALID, '"2001:2:0:2::3"', '"64:ff9b::8.8.8.8"');
    onlyProblem(t, text, { path: "nodes.r2.interfaces.servers[1]", line: "64:ff9b::8.8.8.8", message: /outside the network's subnet 2001:2:0:2::\/64/, hint: /inside/ });
  });
});

t.test("routes", async (t) => {
  // The server's route back to the clients is the one broken in each case.
  const to = "      - to: 198.18.1.0/24\n";
  const via = "        via: 198.18.2.2\n";
  t.test("an invalid destination", async (t) => {
    const text = edit(VALID, to, "      - to: 198.18.1.0/33\n");
    onlyProblem(t, text, { path: "nodes.server.routes[0].to", line: "to: 198.18.1.0/33", message: /"198\.18\.1\.0\/33" is not a valid subnet/, hint: /a CIDR .*one address, or default/ });
  });
  t.test("a destination that is a word", async (t) => {
    const text = edit(VALID, to, "      - to: clients\n");
    onlyProblem(t, text, { path: "nodes.server.routes[0].to", line: "to: clients", message: /"clients" is not in CIDR form/, hint: /or default/ });
  });
  t.test("a next hop that is not an address", async (t) => {
    const text = edit(VALID, via, "        via: r1\n");
    onlyProblem(t, text, { path: "nodes.server.routes[0].via", line: "via: r1", message: /"r1" is not an IP address/, hint: /address of a neighbour/ });
  });
  t.test("a next hop on a network the node is not attached to", async (t) => {
    const text = edit(VALID, via, "        via: 198.18.1.20\n");
    onlyProblem(t, text, {
      path: "nodes.server.routes[0].via",
      line: "via: 198.18.1.20",
      message: /next hop 198\.18\.1\.20 is not on a network "server" is attached to/,
      hint: /attached: servers \(198\.18\.2\.0\/24, 2001:2:0:2::\/64\)/,
    });
  });
  t.test("a next hop that is Docker's gateway", async (t) => {
    const text = edit(VALID, via, "        via: 198.18.2.1\n");
    onlyProblem(t, text, { path: "nodes.server.routes[0].via", line: "via: 198.18.2.1", message: /198\.18\.2\.1 is Docker's gateway/, hint: /forward: true/ });
  });
  t.test("a next hop that is the node's own address", async (t) => {
    const text = edit(VALID, via, "        via: 198.18.2.10\n");
    onlyProblem(t, text, { path: "nodes.server.routes[0].via", line: "via: 198.18.2.10", message: /198\.18\.2\.10 is one of "server"'s own addresses/, hint: /neighbour's address/ });
  });
  t.test("a next hop of the other family", async (t) => {
    const text = edit(VALID, via, '        via: "2001:2:0:2::2"\n');
    onlyProblem(t, text, { path: "nodes.server.routes[0].via", line: 'via: "2001:2:0:2::2"', message: /next hop 2001:2:0:2::2 is IPv6 but the destination is IPv4/, hint: /destination's family/ });
  });
  t.test("the same next hop twice", async (t) => {
    const text = edit(VALID, via, "        via: [198.18.2.2, 198.18.2.2]\n");
    onlyProblem(t, text, { path: "nodes.server.routes[0].via", line: "via: [198.18.2.2, 198.18.2.2]", message: /the same next hop twice/, hint: /each next hop once/ });
  });
  t.test("the same IPv6 next hop spelt two ways", async (t) => {
    const text = edit(VALID, to + via, '      - to: "2001:2:0:1::/64"\n        via: ["2001:2:0:2::2", "2001:2:0:2:0::2"]\n');
    onlyProblem(t, text, { path: "nodes.server.routes[0].via", line: '"2001:2:0:2:0::2"', message: /the same next hop twice/, hint: /each next hop once/ });
  });
  t.test("a policy route from an address the node does not own", async (t) => {
    const text = edit(VALID, "        from: 198.18.1.10\n", "        from: 198.18.1.12\n");
    onlyProblem(t, text, {
      path: "nodes.client.routes[0].from",
      line: "from: 198.18.1.12",
      message: /198\.18\.1\.12 is not one of "client"'s addresses/,
      hint: /own address: 198\.18\.1\.10, 198\.18\.1\.11/,
    });
  });
  t.test("a next hop on the node's network that no node of the lab holds", async (t) => {
    // 198.18.2.50 is inside servers, not the gateway, not the server's own: but nobody is there.
    const text = edit(VALID, via, "        via: 198.18.2.50\n");
    onlyProblem(t, text, {
      path: "nodes.server.routes[0].via",
      line: "via: 198.18.2.50",
      message: /next hop 198\.18\.2\.50 is no node's address: nothing in the lab would forward this traffic/,
      hint: /lab traffic never leaves the lab: route via a lab node on network "servers": 198\.18\.2\.2 \(r1\), 198\.18\.2\.3 \(r2\)/,
    });
  });
  t.test("one next hop of an ECMP route that no node holds; and one held by a node declared later", async (t) => {
    // The client's routes name r1 and r2, declared after it: a node's neighbours are all known first.
    const text = edit(VALID, "        via: 198.18.1.3\n", "        via: [198.18.1.3, 198.18.1.4]\n");
    onlyProblem(t, text, {
      path: "nodes.client.routes[1].via[1]",
      line: "via: [198.18.1.3, 198.18.1.4]",
      message: /next hop 198\.18\.1\.4 is no node's address/,
      hint: /198\.18\.1\.2 \(r1\), 198\.18\.1\.3 \(r2\)/,
    });
  });
  t.test("an IPv6 next hop that no node holds", async (t) => {
    const text = edit(VALID, to + via, '      - to: "2001:2:0:1::/64"\n        via: "2001:2:0:2::99"\n');
    onlyProblem(t, text, {
      path: "nodes.server.routes[0].via",
      line: 'via: "2001:2:0:2::99"',
      message: /next hop 2001:2:0:2::99 is no node's address/,
      hint: /2001:2:0:2::2 \(r1\), 2001:2:0:2::3 \(r2\)/,
    });
  });
  t.test("a policy route from an address of the other family", async (t) => {
    const text = edit(VALID, to + via, to + via + '        from: "2001:2:0:2::10"\n');
    onlyProblem(t, text, { path: "nodes.server.routes[0].from", line: 'from: "2001:2:0:2::10"', message: /source 2001:2:0:2::10 is IPv6 but the route is IPv4/, hint: /route's family/ });
  });
});

t.test("traffic", async (t) => {
  t.test("an endpoint on an unknown node", async (t) => {
    const text = edit(VALID, "    node: server\n", "    node: sever\n");
    onlyProblem(t, text, { path: "traffic.feed.node", line: "node: sever", message: /no node "sever" in this lab/, hint: /did you mean "server"/ });
  });
  t.test("neither bind nor connect", async (t) => {
    const text = edit(VALID, "    bind: tcp://198.18.2.10:5556\n", "");
    onlyProblem(t, text, { path: "traffic.feed", line: "  feed:", message: /neither bind nor connect/, hint: /binds, connects, or both/ });
  });
  t.test("bind on an address the node does not own", async (t) => {
    const text = edit(VALID, "bind: tcp://198.18.2.10:5556", "bind: tcp://198.18.2.11:5556");
    onlyProblem(t, text, {
      path: "traffic.feed.bind",
      line: "bind: tcp://198.18.2.11:5556",
      message: /198\.18\.2\.11 is not an address of node "server" \(198\.18\.2\.10, 2001:2:0:2::10\)/,
      hint: /own addresses, an interface name, or \*/,
    });
  });
  t.test("bind on an ephemeral port", async (t) => {
    for (const port of ["*", "0"]) {
      const text = edit(VALID, "bind: tcp://198.18.2.10:5556", `bind: tcp://198.18.2.10:${port}`);
      onlyProblem(t, text, { path: "traffic.feed.bind", line: `bind: tcp://198.18.2.10:${port}`, message: /bind on an ephemeral port/, hint: /fixed port/ });
    }
  });
  t.test("bind with a source part", async (t) => {
    const text = edit(VALID, "bind: tcp://198.18.2.10:5556", "bind: tcp://198.18.2.10:0;198.18.2.10:5556");
    onlyProblem(t, text, { path: "traffic.feed.bind", line: "bind: tcp://198.18.2.10:0;", message: /a bind has no source part/, hint: /tcp:\/\/ADDRESS:PORT/ });
  });
  t.test("bind on an interface name or on every address", async (t) => {
    t.same(problemsIn(edit(VALID, "bind: tcp://198.18.2.10:5556", "bind: tcp://servers:5556")), []);
    t.same(problemsIn(edit(VALID, "bind: tcp://198.18.2.10:5556", "bind: tcp://*:5556")), []);
    t.same(problemsIn(edit(VALID, "bind: tcp://198.18.2.10:5556", 'bind: ["tcp://198.18.2.10:5556", "tcp://[2001:2:0:2::10]:5556"]')), []);
  });
  // A second endpoint on the server, binding what is given; the bind that comes second is the one named.
  const second = (bind: string) => edit(VALID, "  reader:\n", `  feed2:\n    node: server\n    socket: push\n    bind: ${bind}\n  reader:\n`);
  t.test("two endpoints binding the same address and port on one node", async (t) => {
    const text = second('"tcp://198.18.2.10:5556"');
    onlyProblem(t, text, {
      path: "traffic.feed2.bind",
      line: 'bind: "tcp://198.18.2.10:5556"',
      message: /tcp:\/\/198\.18\.2\.10:5556 takes the port that traffic\.feed\.bind \(tcp:\/\/198\.18\.2\.10:5556\) binds on node "server": the second bind would fail with "Address already in use"/,
      hint: /another port, or bind them on different addresses/,
    });
  });
  t.test("tcp://*:P conflicts with any bind of P on the node", async (t) => {
    const text = second('"tcp://*:5556"');
    onlyProblem(t, text, {
      path: "traffic.feed2.bind",
      line: 'bind: "tcp://*:5556"',
      message: /takes the port that traffic\.feed\.bind/,
      hint: /tcp:\/\/\*:5556 takes port 5556 on every address of the node \(IPv4 and IPv6\)/,
    });
    const v6 = edit(second('"tcp://*:5557"'), "bind: tcp://198.18.2.10:5556", 'bind: "tcp://[2001:2:0:2::10]:5557"');
    onlyProblem(t, v6, {
      path: "traffic.feed2.bind",
      line: 'bind: "tcp://*:5557"',
      message: /takes the port that traffic\.feed\.bind \(tcp:\/\/\[2001:2:0:2::10\]:5557\)/,
      hint: /every address of the node/,
    });
  });
  t.test("the same IPv6 address and port, spelt two ways, and within one endpoint's list", async (t) => {
    const text = edit(VALID, "bind: tcp://198.18.2.10:5556", 'bind: ["tcp://[2001:2:0:2::10]:5556", "tcp://[2001:2:0:2:0::10]:5556"]');
    onlyProblem(t, text, { path: "traffic.feed.bind[1]", line: "bind: [", message: /takes the port that traffic\.feed\.bind\[0\] \(tcp:\/\/\[2001:2:0:2::10\]:5556\)/, hint: /another port/ });
  });
  t.test("an interface name binds its network's first address", async (t) => {
    const text = second('"tcp://servers:5556"');
    onlyProblem(t, text, { path: "traffic.feed2.bind", line: 'bind: "tcp://servers:5556"', message: /takes the port that traffic\.feed\.bind/, hint: /another port/ });
  });
  t.test("binds that do not collide: other port, other address, other family, other node", async (t) => {
    t.same(problemsIn(second('"tcp://198.18.2.10:5557"')), [], "another port");
    t.same(problemsIn(second('"tcp://[2001:2:0:2::10]:5556"')), [], "the same port on an IPv6 address, beside an IPv4 bind");
    t.same(problemsIn(edit(VALID, "  reader:\n", "  feed2:\n    node: client\n    socket: push\n    bind: tcp://*:5556\n  reader:\n")), [], "the same port on another node");
  });
  t.test("an endpoint that is not tcp", async (t) => {
    const text = edit(VALID, "bind: tcp://198.18.2.10:5556", "bind: ipc:///tmp/feed");
    onlyProblem(t, text, { path: "traffic.feed.bind", line: "bind: ipc:///tmp/feed", message: /only tcp:\/\/ endpoints are supported/, hint: /e\.g\. tcp:\/\// });
  });
  const connect = "connect: tcp://198.18.1.11:0;198.18.2.10:5556";
  t.test("connect to an ephemeral port", async (t) => {
    for (const port of ["0", "*"]) {
      const text = edit(VALID, connect, `connect: tcp://198.18.1.11:0;198.18.2.10:${port}`);
      onlyProblem(t, text, { path: "traffic.reader.connect", line: `198.18.2.10:${port}`, message: /^connect to an ephemeral port$/, hint: /name the port the peer binds/ });
    }
  });
  t.test("connect from every address (*) is no source", async (t) => {
    const text = edit(VALID, connect, "connect: tcp://*:0;198.18.2.10:5556");
    onlyProblem(t, text, {
      path: "traffic.reader.connect",
      line: "tcp://*:0;",
      message: /source "\*" is neither an address nor an interface of node "client"/,
      hint: /connect from one of the node's own addresses/,
    });
  });
  t.test("connect from an interface name, or an ephemeral source port written *", async (t) => {
    t.same(problemsIn(edit(VALID, connect, "connect: tcp://clients:0;198.18.2.10:5556")), [], "the interface named after its network");
    t.same(problemsIn(edit(VALID, connect, "connect: tcp://eth0:*;198.18.2.10:5556")), [], "a kernel interface name, source port *");
  });
  t.test("connect from a source address the node does not own", async (t) => {
    const text = edit(VALID, connect, "connect: tcp://198.18.1.12:0;198.18.2.10:5556");
    onlyProblem(t, text, {
      path: "traffic.reader.connect",
      line: "198.18.1.12:0",
      message: /source 198\.18\.1\.12 is not an address of node "client"/,
      hint: /connect from one of the node's own addresses/,
    });
  });
  t.test("connect from a fixed source port", async (t) => {
    const text = edit(VALID, connect, "connect: tcp://198.18.1.11:4000;198.18.2.10:5556");
    onlyProblem(t, text, { path: "traffic.reader.connect", line: "198.18.1.11:4000", message: /fixed source port 4000/, hint: /use :0/ });
  });
  t.test("source and destination of different families", async (t) => {
    const text = edit(VALID, connect, 'connect: "tcp://198.18.1.11:0;[2001:2:0:2::10]:5556"');
    onlyProblem(t, text, { path: "traffic.reader.connect", line: "[2001:2:0:2::10]:5556", message: /source is IPv4 but destination is IPv6/, hint: /one family/ });
  });
  t.test("a destination that is not an IP address", async (t) => {
    const text = edit(VALID, connect, "connect: tcp://server:5556");
    onlyProblem(t, text, { path: "traffic.reader.connect", line: "connect: tcp://server:5556", message: /destination "server" is not an IP address/, hint: /lab address/ });
  });
  t.test("subscribe on a socket that is not sub", async (t) => {
    const text = edit(VALID, "    socket: pub\n", "    socket: pub\n    subscribe: weather\n");
    onlyProblem(t, text, { path: "traffic.feed.subscribe", line: "subscribe: weather", message: /a pub socket does not subscribe/, hint: /sub and xsub/ });
  });
  t.test("send on a sub socket", async (t) => {
    const text = edit(VALID, "    subscribe: news\n", "    subscribe: news\n    send: { count: 1 }\n");
    onlyProblem(t, text, { path: "traffic.reader.send", line: "send: { count: 1 }", message: /a sub socket cannot send/, hint: /send from pub/ });
  });
  t.test("send on a pull socket", async (t) => {
    const text = edit(VALID, "    socket: req\n", "    socket: pull\n    send: { count: 1 }\n");
    onlyProblem(t, text, { path: "traffic.probe.send", line: "send: { count: 1 }", message: /a pull socket cannot send/, hint: /send from pub/ });
  });
  t.test("a topic on a socket that is not pub", async (t) => {
    const text = edit(VALID, "    socket: pub\n", "    socket: push\n");
    onlyProblem(t, text, { path: "traffic.feed.send.topic", line: "topic: news", message: /topics are for pub and xpub sockets/, hint: /remove topic/ });
  });
});

t.test("expectations", async (t) => {
  t.test("an unknown endpoint", async (t) => {
    const text = edit(VALID, "endpoint: reader", "endpoint: raeder");
    onlyProblem(t, text, { path: "expect[0].delivered.endpoint", line: "endpoint: raeder", message: /no endpoint "raeder" under traffic/, hint: /did you mean "reader"/ });
  });
  t.test("an unknown endpoint as the sender of deliveries", async (t) => {
    const text = edit(VALID, "      count: 10\n  - sourceSeen:", "      count: 10\n      from: fed\n  - sourceSeen:");
    onlyProblem(t, text, { path: "expect[0].delivered.from", line: "from: fed", message: /no endpoint "fed"/, hint: /did you mean "feed"/ });
  });
  t.test("an unknown node in a path", async (t) => {
    const text = edit(VALID, "      via: r2\n", "      via: rr2\n");
    onlyProblem(t, text, { path: "expect[2].path.via", line: "via: rr2", message: /no node "rr2" in this lab/, hint: /did you mean "r2"/ });
  });
  t.test("an unknown node in balanced", async (t) => {
    const text = edit(VALID, "over: [r1, r2]", "over: [r1, r3]");
    const problems = problemsIn(text);
    // The mapping names r2, which is no longer among over: that is said too.
    t.equal(problems.length, 2);
    hasProblem(t, text, { path: "expect[4].balanced.over[1]", line: "over: [r1, r3]", message: /no node "r3" in this lab/, hint: /did you mean/ });
  });
  t.test("a path via a node that does not forward", async (t) => {
    const text = edit(VALID, "      via: r2\n", "      via: server\n");
    onlyProblem(t, text, { path: "expect[2].path.via", line: "via: server", message: /node "server" does not forward/, hint: /set forward: true on server/ });
    const not = edit(VALID, "      not: r1\n", "      not: [r1, client]\n");
    onlyProblem(t, not, { path: "expect[2].path.not", line: "not: [r1, client]", message: /node "client" does not forward/, hint: /forward: true on client/ });
  });
  t.test("a path from an address no node owns, to something that is not an address", async (t) => {
    const text = edit(edit(VALID, "      from: 198.18.1.11\n", "      from: 198.18.1.99\n"), "      to: 198.18.2.10\n      via: r2", "      to: server\n      via: r2");
    hasProblem(t, text, { path: "expect[2].path.from", line: "from: 198.18.1.99", message: /198\.18\.1\.99 is not an address of any node/, hint: /nodes\.\*\.interfaces/ });
    hasProblem(t, text, { path: "expect[2].path.to", line: "to: server", message: /"server" is not an IP address/, hint: /destination address/ });
  });
  t.test("count and atLeast together", async (t) => {
    const text = edit(VALID, "      count: 10\n  - sourceSeen:", "      count: 10\n      atLeast: 5\n  - sourceSeen:");
    onlyProblem(t, text, { path: "expect[0].delivered", line: "  - delivered:", message: /both count and atLeast/, hint: /count for exactly N, atLeast for N or more/ });
  });
  t.test("unreachable on an endpoint that does not connect", async (t) => {
    const text = edit(VALID, "    connect: tcp://198.18.2.10:5599   # nothing binds here\n", "    bind: tcp://198.18.1.10:5599\n");
    onlyProblem(t, text, { path: "expect[3].unreachable.endpoint", line: "endpoint: probe", message: /endpoint "probe" does not connect/, hint: /a connect that never completes a handshake/ });
  });
  t.test("balanced mapping names a source not among sources", async (t) => {
    const text = edit(VALID, "        198.18.1.11: r2\n", "        198.18.1.12: r2\n");
    onlyProblem(t, text, { path: "expect[4].balanced.mapping.198.18.1.12", line: "198.18.1.12: r2", message: /198\.18\.1\.12 is not among the sources/, hint: /map each listed source/ });
  });
  t.test("balanced mapping names a target not among over", async (t) => {
    const text = edit(VALID, "        198.18.1.11: r2\n", "        198.18.1.11: server\n");
    onlyProblem(t, text, { path: "expect[4].balanced.mapping.198.18.1.11", line: "198.18.1.11: server", message: /"server" is not among over/, hint: /one of r1, r2/ });
  });
  t.test("sourceSeen atLeast more than the sources listed", async (t) => {
    const text = edit(VALID, "      source: 198.18.1.11\n", "      source: 198.18.1.11\n      atLeast: 2\n");
    onlyProblem(t, text, { path: "expect[1].sourceSeen.atLeast", line: "atLeast: 2", message: /^atLeast 2 is more than the 1 sources listed$/, hint: /lower atLeast to at most 1/ });
    const fine = edit(VALID, "      source: 198.18.1.11\n", "      source: 198.18.1.11\n      atLeast: 1\n");
    t.same(problemsIn(fine), [], "atLeast equal to the sources listed is fine");
    const zero = edit(VALID, "      source: 198.18.1.11\n", "      source: 198.18.1.11\n      atLeast: 0\n");
    t.equal(problemsIn(zero)[0]?.path, "expect[1].sourceSeen.atLeast", "atLeast 0 is refused by the schema");
  });
  t.test("an expectation with two kinds", async (t) => {
    const text = edit(VALID, "  - unreachable:\n      endpoint: probe\n", "  - unreachable:\n      endpoint: probe\n    delivered:\n      endpoint: reader\n");
    onlyProblem(t, text, { path: "expect[3]", line: "  - unreachable:", message: /exactly one kind/, hint: /one of delivered, sourceSeen, path, unreachable, balanced/ });
  });
  t.test("an expectation with no kind", async (t) => {
    const text = VALID + "  - {}\n";
    onlyProblem(t, text, { path: "expect[5]", line: "  - {}", message: /exactly one kind/, hint: /one of delivered/ });
  });
  t.test("a source seen that no node owns", async (t) => {
    const text = edit(VALID, "      source: 198.18.1.11\n", "      source: [198.18.1.11, 198.18.1.99]\n");
    onlyProblem(t, text, {
      path: "expect[1].sourceSeen.source[1]",
      line: "source: [198.18.1.11, 198.18.1.99]",
      message: /198\.18\.1\.99 is not an address of any node in this lab/,
      hint: /nodes\.\*\.interfaces/,
    });
  });
});

t.test("several problems are reported at once", async (t) => {
  t.test("rules of different parts of the lab", async (t) => {
    let text = edit(VALID, "      clients: 198.18.1.2\n", "      clients: 198.18.1.255\n");
    text = edit(text, "        via: 198.18.2.2\n", "        via: 198.18.2.1\n");
    text = edit(text, "    node: server\n", "    node: sever\n");
    text = edit(text, "endpoint: reader", "endpoint: raeder");
    const problems = problemsIn(text);
    t.same(
      problems.map((p) => [p.path, p.line]),
      [
        ["nodes.r1.interfaces.clients", lineOf(text, "198.18.1.255")],
        ["nodes.server.routes[0].via", lineOf(text, "via: 198.18.2.1")],
        ["traffic.feed.node", lineOf(text, "node: sever")],
        ["expect[0].delivered.endpoint", lineOf(text, "endpoint: raeder")],
      ],
    );
  });
  t.test("schema problems", async (t) => {
    let text = edit(VALID, "  r1:\n    forward: true", "  r1:\n    fowrard: true");
    text = edit(text, "socket: pub", "socket: pubb");
    text = edit(text, "name: two-routers", "name: Two_Routers");
    const problems = problemsIn(text);
    t.same(problems.map((p) => p.path).sort(), ["name", "nodes.r1.fowrard", "traffic.feed.socket"]);
  });
  t.test("the error message lists each with file, line and hint", async (t) => {
    const text = edit(VALID, "    node: server\n", "    node: sever\n");
    const err = t.throws(() => parseLab(text, "labs/mine/lab.yaml")) as LabError;
    t.equal(err.exitCode, 2);
    t.match(err.message, `labs/mine/lab.yaml:${lineOf(text, "node: sever")}:5: traffic.feed.node: no node "sever" in this lab\n  hint: did you mean "server"?`);
  });
});

t.test("loadLab", async (t) => {
  t.test("a folder reads its lab.yaml", async (t) => {
    const dir = t.testdir({ lab: { "lab.yaml": VALID } });
    const loaded = loadLab(join(dir, "lab"));
    t.equal(loaded.file, join(dir, "lab", "lab.yaml"));
    t.equal(loaded.lab.name, "two-routers");
  });
  t.test("a file is read as it is, and its problems name it", async (t) => {
    const dir = t.testdir({ "broken.yaml": edit(VALID, "    node: server\n", "    node: sever\n") });
    const file = join(dir, "broken.yaml");
    const err = t.throws(() => loadLab(file)) as LabError;
    t.ok(err instanceof LabError);
    t.equal(err.problems[0]?.file, file);
    t.equal(err.problems[0]?.path, "traffic.feed.node");
  });
  t.test("a missing path gives a clear problem", async (t) => {
    const missing = join(t.testdir({}), "no-such-lab");
    const err = t.throws(() => loadLab(missing)) as LabError;
    t.ok(err instanceof LabError);
    t.equal(err.problems.length, 1);
    t.match(err.problems[0], { file: missing, path: "", message: /no such lab file or folder/, hint: /lab\.yaml/ });
  });
  t.test("a folder without lab.yaml", async (t) => {
    const dir = t.testdir({ empty: {} });
    mkdirSync(join(dir, "empty"), { recursive: true });
    const err = t.throws(() => loadLab(join(dir, "empty"))) as LabError;
    t.ok(err instanceof LabError);
    t.match(err.problems[0], { file: join(dir, "empty", "lab.yaml"), message: /cannot read the lab file \(ENOENT\)/, hint: /must hold lab\.yaml/ });
  });
  t.test("the labs of the repository load", async (t) => {
    for (const name of ["source-ip", "ecmp"]) {
      const { lab, file } = loadLab(join("labs", name));
      t.equal(lab.name, name);
      t.equal(file, join("labs", name, "lab.yaml"));
    }
  });
  t.test("a lab written to a file and loaded gives the same lab as parsed", async (t) => {
    const dir = t.testdir({});
    writeFileSync(join(dir, "lab.yaml"), VALID);
    t.same(loadLab(dir).lab, parseLab(VALID).lab);
  });
});
