// zmqlab's configure script (bash) run against a real kernel: a fresh network namespace of this
// machine with two veth pairs standing in for a node's interfaces (one the lab's, one not), as
// in a node of zmqlab's image. And its output parsed back, as the controller reads it.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import t from "tap";
import { configureShellArgv, parseConfigureShell } from "../../controller/provision/configure-shell.js";
import type { ConfigureJob } from "../../shared/protocol.js";
import { parseAddr, parseRoutes } from "../../controller/observe/kernel.js";

/** eth0 (198.18.1.10, the lab's) and eth1 (198.18.7.7, not the lab's), each a veth with a peer without addresses. */
const PRELUDE = [
  "ip link add eth0 type veth peer name peer0",
  "ip link add eth1 type veth peer name peer1",
  "ip addr add 198.18.1.10/24 dev eth0",
  "ip addr add 198.18.7.7/24 dev eth1",
  "ip link set eth0 up",
  "ip link set peer0 up",
].join(" && ");

function inNamespace(job: ConfigureJob): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("unshare", ["--net", "sh", "-c", `${PRELUDE} && exec "$@"`, "prelude", ...configureShellArgv(job)], { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

const canUnshare = spawnSync("unshare", ["--net", "true"]).status === 0;
const why = "needs `unshare --net` (root): the integration tests run this script in every lab node";
const MARKER = "/tmp/zmqlab-configure-shell-test";
const LITERAL = `a b;$(touch ${MARKER})`;

t.test("a node's job in a real network namespace: interfaces named, strays dropped, commands in order", { skip: canUnshare ? false : why }, async (t) => {
  rmSync(MARKER, { force: true });
  const commands = [
    { argv: ["ip", "addr", "add", "198.18.1.11/24", "dev", "clients"], why: "second address" },
    { argv: ["ip", "route", "add", "198.18.2.0/24", "via", "198.18.1.2", "dev", "clients"], why: "route" },
    // Words reach the program as they are: no shell parses them.
    { argv: ["test", LITERAL, "=", LITERAL], why: "literal words" },
  ];
  const out = inNamespace({ interfaces: [{ network: "clients", ipv4: "198.18.1.10" }], commands, ipv6: false, onlyLabInterfaces: true });
  t.equal(out.status, 0, out.stderr);
  const result = parseConfigureShell(out.stdout, commands);
  t.equal(result.failed, undefined, JSON.stringify(result.failed));
  const links = parseAddr(result.state.addr);
  const eth0 = links.find((l) => l.name === "eth0");
  t.same(eth0?.altnames, ["clients"], "the lab's interface is named after its network");
  t.same(eth0?.addresses, ["198.18.1.10/24", "198.18.1.11/24"], "and has its second address");
  t.notOk(links.some((l) => l.name === "eth1"), "the interface with an address that is not the lab's is gone");
  t.ok(links.some((l) => l.name === "peer0"), "an interface without IPv4 addresses stays");
  const routes = parseRoutes(result.state.routes[0]!);
  t.ok(routes.some((r) => r.to === "198.18.2.0/24" && r.via[0] === "198.18.1.2"), JSON.stringify(routes));
  t.equal(result.state.routes.length, 1, "IPv4 alone without ipv6");
  t.notOk(existsSync(MARKER), "no word was run as a command");
});

t.test("the first failing command stops the job; its output and exit code are reported", { skip: canUnshare ? false : why }, async (t) => {
  const commands = [
    { argv: ["ip", "route", "add", "10.0.0.0/8", "via", "198.18.99.1"], why: "a gateway on no subnet" },
    { argv: ["ip", "addr", "add", "198.18.1.12/24", "dev", "clients"], why: "never runs" },
  ];
  const out = inNamespace({ interfaces: [{ network: "clients", ipv4: "198.18.1.10" }], commands, ipv6: true });
  const result = parseConfigureShell(out.stdout, commands);
  t.same(result.failed, { index: 0, argv: commands[0]!.argv, exitCode: 2, output: "Error: Nexthop has invalid gateway." });
  const addresses = parseAddr(result.state.addr).flatMap((l) => l.addresses);
  t.notOk(addresses.includes("198.18.1.12/24"), "nothing after the failure ran");
  t.ok(addresses.includes("198.18.7.7/24"), "without onlyLabInterfaces nothing is dropped");
  t.equal(result.state.routes.length, 2, "routes of both families with ipv6");
  t.equal(result.state.rules.length, 2, "rules of both families with ipv6");
});

t.test("the output parsed back: a failure of naming an interface, and a script that did not finish", async (t) => {
  const text = "\n--zmqlab-- failed -1 2 ip link property add dev eth0 altname clients\nRTNETLINK answers: Operation not permitted\n\n--zmqlab-- addr\n[]\n--zmqlab-- route -4\n[]\n--zmqlab-- rule -4\n[]\n--zmqlab-- end\n";
  t.same(parseConfigureShell(text, []), {
    failed: { index: -1, argv: ["ip", "link", "property", "add", "dev", "eth0", "altname", "clients"], exitCode: 2, output: "RTNETLINK answers: Operation not permitted" },
    state: { addr: "[]", routes: ["[]"], rules: ["[]"] },
  });
  t.throws(() => parseConfigureShell("\n--zmqlab-- addr\n[]\n", []), /stopped before its end: --zmqlab-- addr/);
  t.throws(() => parseConfigureShell("", []), /stopped before its end: no output/);
  t.throws(() => configureShellArgv({ interfaces: [], commands: [], ipv6: false, files: [{ path: "/etc/frr/frr.conf", content: "", mode: 0o644 }] }), /writes no files/);
});
