// Reading a node's kernel and a router's counters through its exec, against stand-in nodes that
// answer as a node's tools do: which commands are asked, how their output is read, and what a
// node that fails or never answers makes of a reading.
import t from "tap";
import { EnvironmentError } from "../../controller/errors.js";
import { bounded, countersInstalled, flowsOf, readCounters, readFlows, READ_BOUND_MS, READ_FLOWS_ARGV, zeroArgv, zeroFlows, type CountedNode } from "../../controller/observe/counters.js";
import { ADDR_ARGV, familiesOf, kernelState, outputOf, readInterfaces, readKernel, readPeers, readSockets, routeArgv, ruleArgv, type CommandRunner } from "../../controller/observe/read.js";

type Answer = { exitCode: number; stdout: string; stderr: string };
const ok = (stdout: string): Answer => ({ exitCode: 0, stdout, stderr: "" });

/** A node that answers each command by its words, records what it was asked, and never answers what `answers` lacks. */
function node(name: string, answers: Record<string, Answer>): CommandRunner & { asked: string[] } {
  const asked: string[] = [];
  return {
    node: name,
    asked,
    exec: (argv) => {
      asked.push(argv.join(" "));
      const answer = answers[argv.join(" ")];
      return answer ? Promise.resolve(answer) : new Promise(() => {});
    },
  };
}

const ADDR = JSON.stringify([{ ifname: "eth0", address: "02:42:C6:12:01:0A", altnames: ["clients"], addr_info: [{ family: "inet", local: "198.18.1.10", prefixlen: 24, scope: "global" }] }]);
const ROUTES4 = JSON.stringify([{ dst: "198.18.2.0/24", gateway: "198.18.1.2", dev: "eth0", table: "100" }]);
const ROUTES6 = JSON.stringify([{ dst: "2001:2:0:2::/64", gateway: "2001:2:0:1::2", dev: "eth0" }]);
const RULES4 = JSON.stringify([{ priority: 1000, src: "198.18.1.10", table: "100" }]);
const RULES6 = JSON.stringify([{ priority: 1001, src: "2001:2:0:1::10", table: "101" }]);
const KERNEL = {
  "ip -j addr show": ok(ADDR),
  "ip -j -4 route show table all": ok(ROUTES4),
  "ip -j -6 route show table all": ok(ROUTES6),
  "ip -j -4 rule show": ok(RULES4),
  "ip -j -6 rule show": ok(RULES6),
};
const FLOWS = JSON.stringify({ nftables: [{ set: { name: "flows4", elem: [{ elem: { val: { concat: ["198.18.1.10", "198.18.2.10"] }, counter: { packets: 3, bytes: 180 } } }] } }] });

t.test("the commands a reading asks", async (t) => {
  t.same(ADDR_ARGV, ["ip", "-j", "addr", "show"]);
  t.same(routeArgv("-6"), ["ip", "-j", "-6", "route", "show", "table", "all"]);
  t.same(ruleArgv("-4"), ["ip", "-j", "-4", "rule", "show"]);
  t.same(familiesOf(true), ["-4", "-6"]);
  t.same(familiesOf(false), ["-4"]);
  t.same(READ_FLOWS_ARGV, ["nft", "-j", "list", "table", "inet", "zmqlab"], "one exec lists both flow sets");
  t.same(zeroArgv(false), ["nft", "flush", "set", "inet", "zmqlab", "flows4"]);
  t.same(zeroArgv(true), ["nft", "flush", "set", "inet", "zmqlab", "flows4", ";", "flush", "set", "inet", "zmqlab", "flows6"], "one nft call, its commands separated by ;");
  t.equal(READ_BOUND_MS, 15_000);
});

t.test("a command's output; a failure is the environment's, with what it said", async (t) => {
  t.equal(await outputOf(node("a", { "ip -j addr show": ok("[]") }), ["ip", "-j", "addr", "show"]), "[]");
  const failing = node("r1", { "nft list": { exitCode: 1, stdout: " out \n", stderr: " Error: no such table \n" } });
  const err = await outputOf(failing, ["nft", "list"]).catch((e: unknown) => e);
  t.ok(err instanceof EnvironmentError);
  t.equal((err as Error).message, "In node r1, `nft list` failed (exit 1): Error: no such table");
  const quiet = node("r1", { x: { exitCode: 3, stdout: " only stdout \n", stderr: "  " } });
  t.equal(((await outputOf(quiet, ["x"]).catch((e: unknown) => e)) as Error).message, "In node r1, `x` failed (exit 3): only stdout", "stdout when stderr says nothing");
});

t.test("interfaces and the whole kernel, IPv4 alone or both families", async (t) => {
  const n = node("client", KERNEL);
  t.same(await readInterfaces(n), [{ name: "eth0", altnames: ["clients"], mac: "02:42:c6:12:01:0a", addresses: ["198.18.1.10/24"] }]);
  t.same(n.asked, ["ip -j addr show"]);
  const v4 = node("client", KERNEL);
  const state4 = await readKernel(v4, false);
  t.same(v4.asked.sort(), ["ip -j -4 route show table all", "ip -j -4 rule show", "ip -j addr show"], "IPv4 alone: three commands");
  t.same(state4.routes, [{ to: "198.18.2.0/24", family: 4, via: ["198.18.1.2"], dev: ["eth0"], table: "100" }]);
  t.same(state4.rules, [{ priority: 1000, from: "198.18.1.10", table: "100" }]);
  t.equal(state4.interfaces.length, 1);
  const v6 = node("client", KERNEL);
  const state6 = await readKernel(v6, true);
  t.equal(v6.asked.length, 5, "both families: five commands");
  t.same(
    state6.routes.map((r) => r.family),
    [4, 6],
    "routes of both families, IPv4 first",
  );
  t.same(
    state6.rules.map((r) => r.table),
    ["100", "101"],
    "rules of both families, IPv4 first",
  );
  t.same(kernelState(ADDR, [ROUTES4, ROUTES6], [RULES4]), { interfaces: state6.interfaces, routes: state6.routes, rules: state4.rules }, "the same state from output already read");
});

t.test("sockets and peers, also when tcp6 is missing", async (t) => {
  const tcp = [
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
    "   0: 0A0112C6:1B58 0B0112C6:D2B4 01 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 20 4 30 10 -1",
    "   1: 0A0112C6:1B59 0B0112C6:D2B5 01 00000000:00000000 00:00000000 00000000     0        0 12346 1 0000000000000000 20 4 30 10 -1",
    "   2: 00000000:1B58 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12347 1 0000000000000000 20 4 30 10 -1",
  ].join("\n");
  // cat prints tcp, then fails on the missing tcp6.
  const n = node("server", { "cat /proc/net/tcp /proc/net/tcp6": { exitCode: 1, stdout: tcp, stderr: "cat: /proc/net/tcp6: No such file or directory" } });
  t.equal((await readSockets(n)).length, 3, "every socket of tcp");
  t.same(await readPeers(n, 7000), [{ local: "198.18.1.10:7000", address: "198.18.1.11", port: 53940 }], "the established peer on that port, not the listener, not another port");
  t.same(n.asked, ["cat /proc/net/tcp /proc/net/tcp6", "cat /proc/net/tcp /proc/net/tcp6"]);
});

/** A node as counting sees it. */
const counted = (name: string, forward: boolean, ipv6: boolean, answers: Record<string, Answer>) => {
  const handle = node(name, answers);
  return { name, plan: { forward }, ipv6, handle } satisfies CountedNode;
};

t.test("a node's counters: asked only of a forwarding node", async (t) => {
  const host = counted("client", false, false, {});
  t.same(await flowsOf(host), [], "a node that does not forward has none");
  t.same(host.handle.asked, [], "and is not asked");
  const router = counted("r1", true, false, { "nft -j list table inet zmqlab": ok(FLOWS) });
  t.same(await flowsOf(router), [{ from: "198.18.1.10", to: "198.18.2.10", packets: 3, bytes: 180 }]);
  t.equal(await countersInstalled(node("r1", { "nft list table inet zmqlab": ok("table inet zmqlab {}") })), true);
  t.equal(await countersInstalled(node("r1", { "nft list table inet zmqlab": { exitCode: 1, stdout: "", stderr: "No such file or directory" } })), false, "a restarted node lost them");
});

t.test("every router's counters now, and zeroed", async (t) => {
  const nodes = [
    counted("client", false, false, {}),
    counted("r1", true, false, { "nft -j list table inet zmqlab": ok(FLOWS), "nft flush set inet zmqlab flows4": ok("") }),
    counted("r2", true, true, { "nft -j list table inet zmqlab": ok(JSON.stringify({ nftables: [] })), "nft flush set inet zmqlab flows4 ; flush set inet zmqlab flows6": ok("") }),
  ];
  t.same(await readFlows({ nodes }), { r1: [{ from: "198.18.1.10", to: "198.18.2.10", packets: 3, bytes: 180 }], r2: [] }, "by router, hosts left out");
  await zeroFlows(nodes);
  t.same(
    nodes.map((n) => n.handle.asked.filter((a) => a.includes("flush"))),
    [[], ["nft flush set inet zmqlab flows4"], ["nft flush set inet zmqlab flows4 ; flush set inet zmqlab flows6"]],
    "each router's sets, IPv6's where it has IPv6",
  );
  const broken = [counted("r1", true, false, { "nft flush set inet zmqlab flows4": { exitCode: 1, stdout: "", stderr: "Error: No such file" } })];
  await t.rejects(zeroFlows(broken), /In node r1, `nft flush set inet zmqlab flows4` failed \(exit 1\): Error: No such file/);
});

t.test("after the traffic: a node that went away is not asked, one that fails or never answers is unavailable", async (t) => {
  const nodes = [
    counted("client", false, false, {}),
    counted("r1", true, false, { "nft -j list table inet zmqlab": ok(FLOWS) }),
    counted("r2", true, false, {}),
    counted("r3", true, false, { "nft -j list table inet zmqlab": { exitCode: 1, stdout: "", stderr: "Error: No such file\nsecond line" } }),
    counted("r4", true, false, { "nft -j list table inet zmqlab": ok(FLOWS) }),
    counted("r5", true, false, { "nft -j list table inet zmqlab": ok(FLOWS) }),
  ];
  const interrupted = [
    { node: "r4", state: "stopped", message: "node r4 was stopped" },
    { node: "r5", state: "restarted", message: "node r5 restarted" },
  ];
  const started = performance.now();
  const { flows, unavailable } = await readCounters({ nodes }, interrupted, 50);
  t.ok(performance.now() - started < 5000, "bounded");
  t.same(Object.keys(flows).sort(), ["r1", "r5"], "read where it could be: a restarted node is asked");
  t.same(
    unavailable,
    {
      r2: "node r2 did not answer within 50 ms",
      r3: "In node r3, `nft -j list table inet zmqlab` failed (exit 1): Error: No such file",
      r4: "node r4 was stopped",
    },
    "why each is missing, one line each",
  );
  t.same(nodes[4]!.handle.asked, [], "a stopped node is not asked (an exec into a paused one hangs)");
  t.same(
    await readCounters({ nodes: [nodes[1]!] }),
    { flows: { r1: [{ from: "198.18.1.10", to: "198.18.2.10", packets: 3, bytes: 180 }] }, unavailable: {} },
    "nothing interrupted: the default bound",
  );
});

t.test("bounded: the work's value, or a rejection naming what did not answer", async (t) => {
  t.equal(await bounded(Promise.resolve(7), 1000, "x"), 7);
  await t.rejects(bounded(new Promise(() => {}), 20, "node r9"), { message: "node r9 did not answer within 20 ms" });
  await t.rejects(bounded(Promise.reject(new Error("own")), 1000, "x"), { message: "own" }, "the work's own failure passes through");
});
