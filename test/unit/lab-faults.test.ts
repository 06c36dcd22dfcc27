// Faults in a lab file: every rule with a lab a user could have written and one thing wrong
// (each problem names the path, the line, what is wrong and what to do), and the plan of every
// action as argument lists.
import t from "tap";
import { Ajv } from "ajv";
import { reportSchema } from "../../controller/report/json.js";
import { parseLab } from "../../controller/lab/load.js";
import { planLab } from "../../controller/plan/plan.js";
import { planFault, planFaults } from "../../controller/plan/faults.js";
import { drainSeconds } from "../../controller/faults/kinds/shaping.js";
import { effectCount, effectEnd } from "../../controller/traffic/fault-outcomes.js";
import { planRepair } from "../../controller/provision/configure/repair.js";
import { faultsText } from "../../controller/report/plan-text.js";
import { dockerNames } from "../../controller/engine/naming.js";
import type { KernelState } from "../../controller/observe/kernel.js";
import { problemsIn } from "../support/problems.js";

const BASE = `name: faulty
networks:
  clients: { subnet: 198.18.1.0/24 }
  servers: { subnet: [198.18.2.0/24, "2001:2:0:2::/64"] }
nodes:
  client:
    interfaces: { clients: [198.18.1.10, 198.18.1.11] }
    routes:
      - { to: 198.18.2.0/24, via: 198.18.1.2 }
  r1:
    forward: true
    interfaces: { clients: 198.18.1.2, servers: [198.18.2.2, "2001:2:0:2::2"] }
  r2:
    forward: true
    interfaces: { clients: 198.18.1.3, servers: [198.18.2.3, "2001:2:0:2::3"] }
  server:
    interfaces: { servers: [198.18.2.10, 198.18.2.11, "2001:2:0:2::10"] }
    routes:
      - { to: 198.18.1.0/24, via: 198.18.2.2 }
      - { to: 198.18.1.10, via: 198.18.2.3, from: 198.18.2.11 }
faults:
`;

const withFaults = (lines: string) => BASE + lines;

function lineOf(text: string, needle: string): number {
  const lines = text.split("\n").flatMap((line, i) => (line.includes(needle) ? [i + 1] : []));
  if (lines.length !== 1) throw new Error(`test bug: ${JSON.stringify(needle)} is on ${lines.length} lines`);
  return lines[0]!;
}

const VALID = `  r1-down:  { at: 2s, node: r1, action: stop }
  r1-back:  { at: 6s, node: r1, action: start }
  cut:      { at: 1s, node: r2, network: servers, action: down }
  uncut:    { at: 1500ms, node: r2, network: servers, action: up }
  lossy:    { at: 0, node: r2, network: clients, loss: 20 }
  slow:     { at: 0s, node: client, network: clients, rate: 1mbit }
  unslow:   { at: 3s, node: client, network: clients, action: clear }
  calm:     { at: 4s, node: r2, network: clients, action: clear }
  split:    { at: 3s, partition: [[client], [server, r2]] }
  mend:     { at: 5s, action: heal }
  freeze:   { at: 7s, node: server, action: pause }
  thaw:     { at: 8s, node: server, action: unpause }
  bounce:   { at: 9s, node: r2, action: restart }
  poke:     { at: 9500ms, node: client, exec: [ip, route, show] }
`;

t.test("a lab with every kind of fault is valid", async (t) => {
  t.same(problemsIn(withFaults(VALID)), []);
});

interface Case {
  name: string;
  faults: string;
  path: string;
  line: string;
  message: RegExp;
  hint: RegExp;
}

const CASES: Case[] = [
  { name: "a time that is no duration", faults: "  a: { at: soon, node: r1, action: stop }\n", path: "faults.a.at", line: "at: soon", message: /"soon" is not a duration/, hint: /1500ms, 2s/ },
  {
    name: "a time past the traffic bound",
    faults: "  a: { at: 2m, node: r1, action: stop }\n",
    path: "faults.a.at",
    line: "at: 2m",
    message: /120000 ms is past the traffic phase's bound/,
    hint: /trafficTimeout/,
  },
  { name: "a fault that does nothing", faults: "  idle: { at: 1s, node: r1 }\n", path: "faults.idle", line: "idle:", message: /does nothing/, hint: /exactly one of action, loss/ },
  {
    name: "two things in one fault",
    faults: "  both: { at: 1s, node: r1, network: servers, loss: 5, rate: 1mbit }\n",
    path: "faults.both.rate",
    line: "both:",
    message: /both loss and rate/,
    hint: /split it into two faults/,
  },
  { name: "a node that does not exist", faults: "  a: { at: 1s, node: r3, action: stop }\n", path: "faults.a.node", line: "a: {", message: /no node "r3"/, hint: /did you mean "r1"\?/ },
  { name: "a node action without a node", faults: "  a: { at: 1s, action: stop }\n", path: "faults.a", line: "a: {", message: /action stop without a node/, hint: /node: r1/ },
  {
    name: "a network on a node action",
    faults: "  a: { at: 1s, node: r1, network: servers, action: stop }\n",
    path: "faults.a.network",
    line: "a: {",
    message: /action stop takes no network/,
    hint: /action: down \/ up/,
  },
  { name: "an interface fault without a network", faults: "  a: { at: 1s, node: r1, loss: 10 }\n", path: "faults.a", line: "a: {", message: /loss without a network/, hint: /network: clients/ },
  {
    name: "a network the node is not on",
    faults: "  a: { at: 1s, node: client, network: servers, action: down }\n",
    path: "faults.a.network",
    line: "a: {",
    message: /node "client" is not on network "servers"/,
    hint: /its networks: clients/,
  },
  { name: "loss above 100", faults: "  a: { at: 1s, node: r1, network: servers, loss: 120 }\n", path: "faults.a.loss", line: "a: {", message: /100/, hint: /.*/ },
  { name: "a rate that is no rate", faults: "  a: { at: 1s, node: r1, network: servers, rate: fast }\n", path: "faults.a.rate", line: "a: {", message: /"fast" is not a rate/, hint: /1mbit, 500kbit/ },
  {
    name: "a delay that is no duration",
    faults: "  a: { at: 1s, node: r1, network: servers, delay: long }\n",
    path: "faults.a.delay",
    line: "a: {",
    message: /"long" is not a duration/,
    hint: /20ms/,
  },
  {
    name: "a partition member that does not exist",
    faults: "  a: { at: 1s, partition: [[client], [sever]] }\n",
    path: "faults.a.partition[1][0]",
    line: "a: {",
    message: /no node "sever"/,
    hint: /did you mean "server"\?/,
  },
  {
    name: "a node in two sets",
    faults: "  a: { at: 1s, partition: [[client, r1], [r1]] }\n",
    path: "faults.a.partition[1][0]",
    line: "a: {",
    message: /node "r1" is in two sets/,
    hint: /at most one set/,
  },
  {
    name: "a partition with a node",
    faults: "  a: { at: 1s, node: r1, partition: [[client], [server]] }\n",
    path: "faults.a.node",
    line: "a: {",
    message: /partition takes no node/,
    hint: /names its node sets/,
  },
  {
    name: "a start that follows no stop",
    faults: "  back: { at: 1s, node: r1, action: start }\n",
    path: "faults.back.action",
    line: "back:",
    message: /start of node "r1" at 1000 ms, which is running/,
    hint: /a start follows a stop/,
  },
  {
    name: "a start before its stop",
    faults: "  down1: { at: 3s, node: r1, action: stop }\n  back: { at: 1s, node: r1, action: start }\n",
    path: "faults.back.action",
    line: "back:",
    message: /start of node "r1" at 1000 ms, which is running/,
    hint: /a start follows a stop/,
  },
  {
    name: "a stop of a stopped node",
    faults: "  d1: { at: 1s, node: r1, action: stop }\n  d2: { at: 2s, node: r1, action: stop }\n",
    path: "faults.d2.action",
    line: "d2:",
    message: /stop of node "r1" at 2000 ms, which is stopped \(by fault d1\)/,
    hint: /stopped already/,
  },
  {
    name: "an unpause that follows no pause",
    faults: "  thaw: { at: 1s, node: r1, action: unpause }\n",
    path: "faults.thaw.action",
    line: "thaw:",
    message: /unpause of node "r1"/,
    hint: /an unpause follows a pause/,
  },
  {
    name: "a restart of a stopped node",
    faults: "  d1: { at: 1s, node: r1, action: stop }\n  again: { at: 2s, node: r1, action: restart }\n",
    path: "faults.again.action",
    line: "again:",
    message: /restart of node "r1" at 2000 ms, which is stopped/,
    hint: /use start/,
  },
  {
    name: "an interface fault on a stopped node",
    faults: "  d1: { at: 1s, node: r1, action: stop }\n  lossy: { at: 2s, node: r1, network: servers, loss: 10 }\n",
    path: "faults.lossy.node",
    line: "lossy:",
    message: /node "r1" is stopped at 2000 ms \(by fault d1\)/,
    hint: /start it first/,
  },
  {
    name: "an exec on a paused node",
    faults: "  p: { at: 1s, node: r1, action: pause }\n  run: { at: 2s, node: r1, exec: [ip, link] }\n",
    path: "faults.run.node",
    line: "run:",
    message: /node "r1" is paused at 2000 ms \(by fault p\)/,
    hint: /unpause it first/,
  },
  {
    name: "an up that follows no down",
    faults: "  u: { at: 1s, node: r1, network: servers, action: up }\n",
    path: "faults.u.action",
    line: "u:",
    message: /up at 1000 ms, but r1's interface on servers is not down then/,
    hint: /up follows a fault with action: down/,
  },
  {
    name: "a down of a down link",
    faults: "  d1: { at: 1s, node: r1, network: servers, action: down }\n  d2: { at: 2s, node: r1, network: servers, action: down }\n",
    path: "faults.d2.action",
    line: "d2:",
    message: /is down already/,
    hint: /action: up/,
  },
  {
    name: "a clear with nothing to clear",
    faults: "  c: { at: 1s, node: r1, network: servers, action: clear }\n",
    path: "faults.c.action",
    line: "c:",
    message: /has no loss, rate or delay then/,
    hint: /clear follows a fault with loss, rate or delay/,
  },
  {
    name: "a clear after a restart took the loss away",
    faults: "  l: { at: 1s, node: r1, network: servers, loss: 5 }\n  b: { at: 2s, node: r1, action: restart }\n  c: { at: 3s, node: r1, network: servers, action: clear }\n",
    path: "faults.c.action",
    line: "c:",
    message: /has no loss, rate or delay then/,
    hint: /clear follows/,
  },
  {
    name: "a heal with no partition",
    faults: "  h: { at: 1s, action: heal }\n",
    path: "faults.h.action",
    line: "h:",
    message: /no partition is in force/,
    hint: /heal follows a fault with partition/,
  },
  {
    name: "a second partition before a heal",
    faults: "  p1: { at: 1s, partition: [[client], [server]] }\n  p2: { at: 2s, partition: [[r1], [r2]] }\n",
    path: "faults.p2.partition",
    line: "p2:",
    message: /while fault p1's partition is in force/,
    hint: /heal it first/,
  },
  {
    name: "a delay on a rate limit",
    faults: "  r: { at: 1s, node: r1, network: servers, rate: 1mbit }\n  delayed: { at: 2s, node: r1, network: servers, delay: 20ms }\n",
    path: "faults.delayed.delay",
    line: "delayed:",
    message: /while r1's interface on servers has a rate limit/,
    hint: /clear the rate first/,
  },
];

for (const c of CASES) {
  t.test(c.name, async (t) => {
    const text = withFaults(c.faults);
    const problems = problemsIn(text);
    const problem = problems.find((p) => p.path === c.path);
    if (!problem) return void t.fail(`no problem at ${c.path}; got ${JSON.stringify(problems.map((p) => `${p.path}: ${p.message}`))}`);
    t.equal(problem.file, "lab.yaml", "names the file");
    t.equal(problem.line, lineOf(text, c.line), `line of ${JSON.stringify(c.line)}`);
    t.match(problem.message, c.message, "message");
    t.match(problem.hint ?? "", c.hint, "hint");
  });
}

const lab = parseLab(withFaults(VALID), "lab.yaml").lab;
const plan = planLab(lab);
const byName = (name: string) => plan.faults!.find((f) => f.name === name)!;
const argvs = (name: string) => byName(name).steps.flatMap((s) => s.commands.map((c) => `${s.node}: ${c.argv.join(" ")}`));

t.test("faults are planned in time order, ties in file order", async (t) => {
  t.same(
    plan.faults!.map((f) => [f.name, f.atMs]),
    [
      ["lossy", 0],
      ["slow", 0],
      ["cut", 1000],
      ["uncut", 1500],
      ["r1-down", 2000],
      ["unslow", 3000],
      ["split", 3000],
      ["calm", 4000],
      ["mend", 5000],
      ["r1-back", 6000],
      ["freeze", 7000],
      ["thaw", 8000],
      ["bounce", 9000],
      ["poke", 9500],
    ],
  );
  t.ok(
    plan.faults!.every((f) => f.steps.every((s) => s.commands.every((c) => c.why.startsWith(`fault ${f.name}: `)))),
    "every command says which fault it belongs to",
  );
});

/** One nft process's commands (a transaction: its argv's words, split at ";"). */
function nftParts(argv: string[]): string[] {
  if (argv[0] !== "nft") throw new Error(`not nft: ${argv.join(" ")}`);
  return argv
    .slice(1)
    .join(" ")
    .split(" ; ")
    .map((c) => `nft ${c}`);
}

t.test("node actions go through the engine; start and restart reconfigure", async (t) => {
  const { engine, ...down } = byName("r1-down");
  t.same(down, { name: "r1-down", atMs: 2000, description: "stop node r1 (no grace time)", steps: [] });
  t.same({ ...engine, cut: undefined }, { node: "r1", action: "stop", cut: undefined });
  const [off, end] = engine!.cut!;
  t.same(
    nftParts(off.argv),
    [
      "nft add table inet zmqlab_cut",
      "nft add chain inet zmqlab_cut arriving { type filter hook prerouting priority -400; policy drop; }",
      "nft add chain inet zmqlab_cut sending { type filter hook output priority -400; policy drop; }",
      "nft add rule inet zmqlab_cut sending tcp flags & (fin | rst) != 0 accept",
    ],
    "a stop cuts the node off at the moment first: nothing in, nothing forwarded, nothing out but its connections' FIN and RST",
  );
  t.same(end.argv, ["zmqlab_end_processes"], "then its processes end there, their connections closing as on a docker stop");
  t.ok(byName("bounce").engine!.cut, "so does a restart");
  t.same(byName("r1-back").engine, { node: "r1", action: "start" }, "a start has nothing to cut");
  t.equal(byName("r1-back").reconfigure, "r1");
  t.equal(byName("bounce").reconfigure, "r2");
  t.same(byName("freeze").engine, { node: "server", action: "pause" });
  t.equal(byName("freeze").reconfigure, undefined, "a pause keeps the kernel state");
  t.same(byName("thaw").engine, { node: "server", action: "unpause" });
});

t.test("link down and up: up puts back the link's IPv6 addresses and the routes through it", async (t) => {
  t.same(argvs("cut"), ["r2: ip link set dev <servers> down"]);
  const names = (_n: string, network: string) => (network === "servers" ? "eth1" : "eth0");
  const down = planFault(lab, plan, "cut", names);
  t.same(
    down.steps[0]!.commands.map((c) => c.argv),
    [["ip", "link", "set", "dev", "eth1", "down"]],
    "the node's kernel name, when known",
  );
  const up = planFault(lab, plan, "uncut", names);
  t.same(
    up.steps[0]!.commands.map((c) => c.argv),
    [
      ["ip", "link", "set", "dev", "eth1", "up"],
      ["ip", "-6", "addr", "replace", "2001:2:0:2::3/64", "dev", "eth1", "nodad"],
    ],
    "r2 has no routes: the link and its IPv6 address",
  );
  // The server's routes go through servers: an up there re-adds them, as replace (idempotent).
  const serverLab = parseLab(withFaults("  a: { at: 1s, node: server, network: servers, action: down }\n  b: { at: 2s, node: server, network: servers, action: up }\n"), "lab.yaml").lab;
  const serverPlan = planLab(serverLab);
  t.same(
    serverPlan.faults![1]!.steps[0]!.commands.map((c) => c.argv.join(" ")),
    [
      "ip link set dev <servers> up",
      "ip -6 addr replace 2001:2:0:2::10/64 dev <servers> nodad",
      "ip -4 route replace 198.18.1.0/24 via 198.18.2.2 dev <servers>",
      "ip -4 route replace 198.18.1.10/32 via 198.18.2.3 dev <servers> table 100",
    ].map((c) => c.replace("198.18.1.10/32", serverPlan.nodes.find((n) => n.name === "server")!.routes[1]!.to)),
  );
});

t.test("loss: nftables numgen drop both ways, in a table of its own, one transaction; clear removes it", async (t) => {
  const lossy = byName("lossy").steps;
  t.same(
    lossy.map((s) => [s.node, s.commands.length]),
    [["r2", 1]],
    "one nft process: all of it takes effect at one moment, or none",
  );
  t.same(
    nftParts(lossy[0]!.commands[0]!.argv).map((c) => c.replace(/eth\d+|<clients>/, "<clients>")),
    [
      "nft add table inet zmqlab_loss_clients",
      "nft add chain inet zmqlab_loss_clients arriving { type filter hook prerouting priority -300; policy accept; }",
      "nft add chain inet zmqlab_loss_clients leaving { type filter hook postrouting priority 300; policy accept; }",
      "nft flush table inet zmqlab_loss_clients",
      "nft add rule inet zmqlab_loss_clients arriving iifname <clients> numgen random mod 100 < 20 drop",
      "nft add rule inet zmqlab_loss_clients leaving oifname <clients> numgen random mod 100 < 20 drop",
    ],
  );
  const all = planLab(parseLab(withFaults("  a: { at: 1s, node: r1, network: servers, loss: 100 }\n"), "lab.yaml").lab);
  t.same(
    nftParts(all.faults![0]!.steps[0]!.commands[0]!.argv).slice(4),
    ["nft add rule inet zmqlab_loss_servers arriving iifname <servers> drop", "nft add rule inet zmqlab_loss_servers leaving oifname <servers> drop"],
    "100%: every packet (nft refuses numgen ... < 100, out of its 0-99 range)",
  );
  t.same(argvs("calm"), ["r2: nft add table inet zmqlab_loss_clients ; delete table inet zmqlab_loss_clients"], "clear of a loss: the table goes (add first, so it never fails), in one transaction");
});

t.test("rate: tbf on the interface; clear lifts the limit in place (its queue goes, not dropped), then deletes the root qdisc once the queue went", async (t) => {
  t.same(argvs("slow"), ["client: tc qdisc replace dev <clients> root tbf rate 1mbit burst 15000 latency 50ms"]);
  t.same(argvs("unslow"), ["client: tc qdisc change dev <clients> root tbf rate 10gbit burst 12500000 latency 50ms", "client: sleep 0.024", "client: tc qdisc del dev <clients> root"]);
  t.same(
    byName("unslow").steps[0]!.commands.map((c) => c.effect ?? false),
    [true, false, false],
    "the clear's moment is the limit lifted; the wait and the removal tidy up",
  );
  // Armed ahead by one command, not three; its moment the lift's end, not the list's.
  const unslow = byName("unslow").steps[0]!.commands;
  const run = (ends: (number | undefined)[]) => ({ begin: 0, end: 99, nodeClock: true, commands: ends.map((end) => ({ exitCode: 0, stdout: "", stderr: "", ...(end !== undefined ? { end } : {}) })) });
  t.equal(effectCount(unslow), 1, "one command before the clear's moment");
  t.equal(effectEnd(unslow, run([10, 34, 40])), 10, "its moment: when the lift ended");
  t.equal(effectEnd(unslow, run([undefined, 34, 40])), 99, "the list's end where the node gave no command its time");
  const slow = byName("slow").steps[0]!.commands;
  t.equal(effectCount(slow), slow.length, "a list with no command marked: all of it");
  t.equal(effectEnd([...slow, ...slow], run([10, 20])), 20, "and its moment its last command's end");
  t.same(
    [drainSeconds("1mbit"), drainSeconds("10kbit"), drainSeconds("100mbit"), drainSeconds("1kbit")],
    ["0.024", "2.422", "0.020", "5.000"],
    "twice a full packet's time at the old rate, 20 ms to 5 s",
  );
  const fast = planLab(parseLab(withFaults("  f: { at: 1s, node: r1, network: servers, rate: 1gbit }\n"), "lab.yaml").lab);
  t.match(fast.faults![0]!.steps[0]!.commands[0]!.argv.join(" "), / burst 1250000 /, "the bucket grows with the rate (10 ms of it)");
});

t.test("delay: netem, marked so its node is checked before the traffic", async (t) => {
  const delayed = planLab(parseLab(withFaults("  d: { at: 1s, node: r1, network: servers, delay: 20ms }\n  c: { at: 2s, node: r1, network: servers, action: clear }\n"), "lab.yaml").lab);
  t.same(
    delayed.faults![0]!.steps[0]!.commands.map((c) => c.argv.join(" ")),
    ["tc qdisc replace dev <servers> root netem delay 20ms"],
  );
  t.equal(delayed.faults![0]!.netem, "r1");
  t.same(
    delayed.faults![1]!.steps[0]!.commands.map((c) => c.argv.join(" ")),
    ["tc qdisc del dev <servers> root"],
  );
  t.equal(plan.faults!.filter((f) => f.netem).length, 0, "no netem without a delay");
});

t.test("partition: every member drops the other sets' addresses, both ways; heal removes it everywhere", async (t) => {
  const split = byName("split");
  t.same(
    split.steps.map((s) => s.node),
    ["client", "server", "r2"],
  );
  t.same(
    split.steps.map((s) => s.commands.length),
    [1, 1, 1],
    "one nft transaction per member",
  );
  const client = nftParts(split.steps[0]!.commands[0]!.argv);
  t.same(client.slice(3), [
    "nft add rule inet zmqlab_partition arriving ip saddr { 198.18.2.10, 198.18.2.11, 198.18.1.3, 198.18.2.3 } drop",
    "nft add rule inet zmqlab_partition leaving ip daddr { 198.18.2.10, 198.18.2.11, 198.18.1.3, 198.18.2.3 } drop",
    "nft add rule inet zmqlab_partition arriving ip6 saddr { 2001:2:0:2::10, 2001:2:0:2::3 } drop",
    "nft add rule inet zmqlab_partition leaving ip6 daddr { 2001:2:0:2::10, 2001:2:0:2::3 } drop",
  ]);
  const server = nftParts(split.steps[1]!.commands[0]!.argv);
  t.same(
    server.slice(3),
    ["nft add rule inet zmqlab_partition arriving ip saddr { 198.18.1.10, 198.18.1.11 } drop", "nft add rule inet zmqlab_partition leaving ip daddr { 198.18.1.10, 198.18.1.11 } drop"],
    "the client has no IPv6 address: no ip6 rule",
  );
  t.same(
    byName("mend").steps.map((s) => [s.node, s.commands.map((c) => c.argv.join(" "))]),
    ["client", "server", "r2"].map((n) => [n, ["nft add table inet zmqlab_partition ; delete table inet zmqlab_partition"]]),
  );
});

t.test("exec: the argument list as written", async (t) => {
  t.same(byName("poke").steps, [{ node: "client", commands: [{ argv: ["ip", "route", "show"], why: "fault poke: from the lab file (exec)", asWritten: true }] }]);
});

t.test("the dry run lists the timeline with every command", async (t) => {
  const text = faultsText(plan, dockerNames(plan)).join("\n");
  t.match(text, /^\s+2000 ms {2}r1-down: stop node r1 \(no grace time\)\n\s+engine: stop container zmqlab-faulty-r1 \(timeout 0: no grace time\)$/m);
  t.match(text, /r1-back: start node r1, then configure it as declared\n\s+engine: start container zmqlab-faulty-r1\n\s+then: configure r1 again from its plan/);
  t.match(text, /client: tc qdisc replace dev '<clients>' root tbf rate 1mbit burst 15000 latency 50ms {3}# fault slow: rate limit 1mbit on clients \(egress\)/);
  t.notMatch(
    planFaults(lab, plan)
      .map((f) => f.name)
      .join(),
    /undefined/,
  );
  t.equal(planLab(parseLab(BASE.replace("faults:\n", ""), "lab.yaml").lab).faults, undefined, "a lab without faults plans none");
});

// --- repairing a node: fresh namespace, partial drift, nothing ---

const r1 = plan.nodes.find((n) => n.name === "r1")!;
const server = plan.nodes.find((n) => n.name === "server")!;
const healthyServer: KernelState = {
  interfaces: [{ name: "eth0", altnames: ["servers"], mac: "", addresses: ["198.18.2.10/24", "198.18.2.11/24", "2001:2:0:2::10/64"] }],
  routes: [
    { to: "198.18.1.0/24", family: 4, via: ["198.18.2.2"], dev: ["eth0"], table: "main" },
    { to: server.routes[1]!.to, family: 4, via: ["198.18.2.3"], dev: ["eth0"], table: "100" },
  ],
  rules: [{ priority: 1000, from: "198.18.2.11", table: "100" }],
};

t.test("a node as declared needs nothing", async (t) => {
  t.same(planRepair(server, healthyServer, true), { kind: "none", commands: [], differences: [] });
});

t.test("a restarted node (no network names) gets its whole plan again", async (t) => {
  const fresh: KernelState = {
    interfaces: [{ name: "eth0", altnames: [], mac: "", addresses: ["198.18.2.10/24"] }],
    routes: [{ to: "default", family: 4, via: ["198.18.2.1"], dev: ["eth0"], table: "main" }],
    rules: [],
  };
  const repair = planRepair(server, fresh, true);
  t.equal(repair.kind, "fresh");
  t.same(repair.commands, server.commands);
  t.match(repair.differences.join("\n"), /no interface named servers/);
});

t.test("a node that kept its namespace gets only what it lacks", async (t) => {
  const drifted: KernelState = {
    ...healthyServer,
    interfaces: [{ ...healthyServer.interfaces[0]!, addresses: ["198.18.2.10/24", "2001:2:0:2::10/64"] }],
    routes: [healthyServer.routes[1]!, { to: "default", family: 4, via: ["198.18.2.1"], dev: ["eth0"], table: "main" }],
  };
  const repair = planRepair(server, drifted, true);
  t.equal(repair.kind, "partial");
  t.same(
    repair.commands.map((c) => c.argv.join(" ")),
    ["ip -4 route flush exact 0.0.0.0/0", "ip -4 addr add 198.18.2.11/24 dev servers", "ip -4 route replace 198.18.1.0/24 via 198.18.2.2 dev servers"],
  );
  t.equal(repair.differences.length, 3, "lacks an address, a route; has a default route");
  const noRule = planRepair(server, { ...healthyServer, rules: [] }, true);
  t.same(
    noRule.commands.map((c) => c.argv.join(" ")),
    ["ip -4 rule add from 198.18.2.11 table 100 priority 1000"],
  );
});

t.test("a router without its counter table gets the counters again", async (t) => {
  const state: KernelState = {
    interfaces: [
      { name: "eth0", altnames: ["clients"], mac: "", addresses: ["198.18.1.2/24"] },
      { name: "eth1", altnames: ["servers"], mac: "", addresses: ["198.18.2.2/24", "2001:2:0:2::2/64"] },
    ],
    routes: [],
    rules: [],
  };
  t.same(planRepair(r1, state, true).kind, "none");
  const repair = planRepair(r1, state, false);
  t.equal(repair.kind, "partial");
  t.ok(repair.commands.length > 0 && repair.commands.every((c) => c.argv[0] === "nft" && c.argv.includes("zmqlab")), "only the counters");
  t.match(repair.differences, [/no flow counters/]);
});

t.test("the JSON report's faults are valid by its schema", async (t) => {
  const validate = new Ajv({ allErrors: true, strict: true }).compile(reportSchema());
  const report = {
    lab: "faulty",
    started: "2026-11-28T09:00:00.000Z",
    durationMs: 4000,
    clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 },
    endpoints: [],
    ok: true,
    expectations: [],
    flows: {},
    faults: [
      { name: "r1-down", atMs: 2000, actualMs: 2003.4, doneMs: 2090, ok: true },
      { name: "oops", atMs: 2500, actualMs: 2500.2, doneMs: 2503, ok: false, error: "in node client, `false` (fault oops: from the lab file (exec)) failed with exit code 1" },
      { name: "late", atMs: 9000, ok: false, error: "it did not run: the traffic phase ended before its time" },
    ],
  };
  t.ok(validate(report), JSON.stringify(validate.errors));
  t.notOk(validate({ ...report, faults: [{ name: "r1-down", atMs: 2000 }] }), "ok is required");
  t.notOk(validate({ ...report, faults: [{ name: "r1-down", atMs: 2000, ok: true, executedAtMs: 2013 }] }), "the old executedAtMs is gone");
  t.notOk(validate({ ...report, clock: undefined }), "the clock is required");
});
