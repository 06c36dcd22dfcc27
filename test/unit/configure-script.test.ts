// The configuration script (POSIX sh) run for real, under each shell this machine has, against a
// stand-in `ip` on PATH that prints a node's addresses and records every other call: what the
// script decides inside a node (which interface to name, which to drop, what FRR's file says), the
// command-by-command path decides alike, and no word of a step is ever read by a shell. Its output
// is read back as the controller reads it. (configure-renderings.test.ts: both on a real kernel.)
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import { runByCommand } from "../../controller/provision/configure/by-command.js";
import { CONFIGURE_SCRIPT, noShell, parseScriptOutput, scriptArguments, scriptArgv } from "../../controller/provision/configure/script.js";
import { commandSteps, nodeSteps, type Step } from "../../controller/provision/configure/steps.js";
import type { NodePlan } from "../../controller/plan/types.js";
import { scratchDir } from "../support/scratch.js";

/** `ip -o -4 addr show` as a node prints it: loopback, the lab's eth0 (two addresses), the Swarm's eth1, the lab's eth2. */
const LINKS = [
  "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever",
  "2: eth0    inet 198.18.1.10/24 brd 198.18.1.255 scope global eth0\\       valid_lft forever preferred_lft forever",
  "2: eth0    inet 198.18.1.11/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever",
  "9: eth1@if10    inet 172.18.0.4/16 brd 172.18.255.255 scope global eth1\\       valid_lft forever preferred_lft forever",
  "11: eth2    inet 198.18.2.2/24 brd 198.18.2.255 scope global eth2\\       valid_lft forever preferred_lft forever",
].join("\n");
/** The same node as `ip -j addr show` prints it (for the command-by-command path). */
const LINKS_JSON = JSON.stringify([
  { ifname: "lo", address: "00:00:00:00:00:00", addr_info: [{ family: "inet", local: "127.0.0.1", prefixlen: 8, scope: "host" }] },
  {
    ifname: "eth0",
    address: "02:42:c6:12:01:0a",
    addr_info: [
      { family: "inet", local: "198.18.1.10", prefixlen: 24, scope: "global" },
      { family: "inet", local: "198.18.1.11", prefixlen: 24, scope: "global" },
    ],
  },
  { ifname: "eth1", address: "02:42:ac:12:00:04", addr_info: [{ family: "inet", local: "172.18.0.4", prefixlen: 16, scope: "global" }] },
  { ifname: "eth2", address: "02:42:c6:12:02:02", addr_info: [{ family: "inet", local: "198.18.2.2", prefixlen: 24, scope: "global" }] },
]);

/**
 * A stand-in `ip`: prints LINKS for `-o -4 addr show` and `[]` for `-j ...`; records any other
 * call's words (one line each) and fails, as `ip` does, the one named in $FAKE_DIR/fail.
 */
const FAKE_IP = `#!/bin/sh
case "$*" in
  "-o -4 addr show") cat "$FAKE_DIR/links" ;;
  -j*) echo '[]' ;;
  *) echo "ip $*" >> "$FAKE_DIR/calls"
     if [ -f "$FAKE_DIR/fail" ] && [ "ip $*" = "$(cat "$FAKE_DIR/fail")" ]; then echo "RTNETLINK answers: File exists" >&2; exit 2; fi ;;
esac
`;

/** The shells to run the script under: the system's sh, and bash and busybox where they are. */
const SHELLS = ["sh", "bash", "busybox"].filter((s) => spawnSync("sh", ["-c", `command -v ${s}`]).status === 0);

function fakeNode(t: Test, fail?: string): { dir: string; calls: () => string[] } {
  const dir = scratchDir("zmqlab-configure-");
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "ip"), FAKE_IP);
  chmodSync(join(dir, "ip"), 0o755);
  writeFileSync(join(dir, "links"), LINKS + "\n");
  if (fail !== undefined) writeFileSync(join(dir, "fail"), fail);
  return { dir, calls: () => (existsSync(join(dir, "calls")) ? readFileSync(join(dir, "calls"), "utf8").trim().split("\n") : []) };
}

function runScript(shell: string, dir: string, steps: Step[]) {
  const [, ...rest] = scriptArgv(steps);
  const argv = shell === "busybox" ? ["busybox", "sh", ...rest] : [shell, ...rest];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE_DIR: dir } });
  return { status: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

/** A node on a cluster (its strays are dropped) on two lab networks, with commands and FRR's file. */
const NODE = {
  name: "r1",
  host: "h1",
  image: "zmqlab/node:test",
  defaultImage: true,
  sysctls: {},
  capabilities: [],
  interfaces: [
    { network: "clients", ipv4: "198.18.1.10", addresses: ["198.18.1.10/24", "198.18.1.11/24"] },
    { network: "servers", ipv4: "198.18.2.2", addresses: ["198.18.2.2/24"] },
  ],
  commands: [
    { argv: ["ip", "addr", "add", "198.18.1.11/24", "dev", "clients"], why: "second address" },
    { argv: ["ip", "route", "add", "198.18.3.0/24", "via", "198.18.2.3", "dev", "servers"], why: "a route" },
  ],
  routes: [],
  rules: [],
  forward: true,
} as unknown as NodePlan;

for (const shell of SHELLS) {
  t.test(`${shell}: interfaces dropped and named as the command-by-command path would, commands in order`, async (t) => {
    const node = fakeNode(t);
    const steps = nodeSteps(NODE, false, () => "");
    const out = runScript(shell, node.dir, steps);
    t.equal(out.status, 0, out.stderr);
    t.same(parseScriptOutput(out.stdout, steps), { state: { addr: "[]", routes: ["[]"], rules: ["[]"] } }, "no failure; the state as ip printed it");
    // The same steps, one exec each, against the same node.
    const ran: string[][] = [];
    const byCommand = await runByCommand({ node: "r1", exec: async (argv) => (ran.push(argv), { exitCode: 0, stdout: argv.join(" ") === "ip -j addr show" ? LINKS_JSON : "[]", stderr: "" }) }, steps);
    t.notOk(byCommand.failed);
    const decided = ran.filter((a) => !a.includes("-j")).map((a) => a.join(" "));
    t.same(
      node.calls(),
      [
        "ip link del dev eth1",
        "ip link property add dev eth0 altname clients",
        "ip link property add dev eth2 altname servers",
        "ip addr add 198.18.1.11/24 dev clients",
        "ip route add 198.18.3.0/24 via 198.18.2.3 dev servers",
      ],
      "the Swarm's interface goes (its name without @if10), the lab's get their networks' names, then the commands",
    );
    t.same(decided, node.calls(), "command by command: the same commands in the same order");
  });

  t.test(`${shell}: a node off the cluster keeps every interface`, async (t) => {
    const node = fakeNode(t);
    const steps = nodeSteps({ ...NODE, host: undefined } as unknown as NodePlan, false, () => "");
    t.equal(runScript(shell, node.dir, steps).status, 0);
    t.notOk(
      node.calls().some((c) => c.includes("del")),
      "nothing deleted",
    );
  });

  t.test(`${shell}: FRR's file gets the kernel's interface names, on whole interface lines only`, async (t) => {
    const node = fakeNode(t);
    const file = join(node.dir, "etc", "frr", "frr.conf");
    const text = [
      "interface clients",
      " ip ospf area 0",
      "!",
      "\tinterface servers \t",
      "interface lo",
      "interface eth3",
      "interface nowhere",
      "description interface clients",
      "! interface clients is ours",
      "interface clients extra",
      "interface",
      "",
    ].join("\n");
    const steps: Step[] = [
      { kind: "name", network: "clients", ipv4: "198.18.1.10", why: "name" },
      { kind: "name", network: "servers", ipv4: "198.18.2.2", why: "name" },
      { kind: "write", path: file, content: text, mode: 0o640, kernelNames: true, why: "FRR" },
      { kind: "write", path: join(node.dir, "daemons"), content: "interface clients\n$(touch x) `y` \\n", mode: 0o600, kernelNames: false, why: "daemons" },
      ...commandSteps([], false),
    ];
    const out = runScript(shell, node.dir, steps);
    t.equal(out.status, 0, out.stderr);
    t.notOk(parseScriptOutput(out.stdout, steps).failed);
    t.equal(
      readFileSync(file, "utf8"),
      [
        "interface eth0",
        " ip ospf area 0",
        "!",
        "\tinterface eth2 \t",
        "interface lo",
        "interface eth3",
        "interface nowhere",
        "description interface clients",
        "! interface clients is ours",
        "interface clients extra",
        "interface",
        "",
      ].join("\n"),
      "lab networks become kernel names (indentation and trailing blanks kept); other lines as they were",
    );
    t.equal(statSync(file).mode & 0o777, 0o640, "its mode, its folder made");
    t.equal(readFileSync(join(node.dir, "daemons"), "utf8"), "interface clients\n$(touch x) `y` \\n", "without kernelNames, the text byte for byte: nothing in it is expanded");
    t.equal(statSync(join(node.dir, "daemons")).mode & 0o777, 0o600);
    t.notOk(existsSync(join(process.cwd(), "x")), "no word of the text was run");
  });

  t.test(`${shell}: words reach the program as they are; the script's own functions are out of reach`, async (t) => {
    const node = fakeNode(t);
    const marker = join(node.dir, "marker");
    const literal = `a b;$(touch ${marker}) "$1" \`touch ${marker}\``;
    const steps = commandSteps(
      [
        { argv: ["test", literal, "=", literal], why: "literal words" },
        { argv: ["ip", "addr", "add", " spaced  words ", "*"], why: "blanks and a star" },
        { argv: ["failure", "0", "0"], why: "a name the script uses for a function" },
      ],
      false,
    );
    const out = runScript(shell, node.dir, steps);
    const result = parseScriptOutput(out.stdout, steps);
    t.notOk(existsSync(marker), "nothing in the words was run");
    t.same(node.calls(), ["ip addr add  spaced  words  *"], "blanks kept, no glob expanded");
    t.equal(result.failed?.step, steps[2], "the function's name is looked up as a program, and not found");
    t.equal(result.failed?.exitCode, 127);
  });

  t.test(`${shell}: the first failing step stops the others, and the state is read all the same`, async (t) => {
    const node = fakeNode(t, "ip route add 198.18.3.0/24 via 198.18.2.3 dev servers");
    const steps = nodeSteps({ ...NODE, commands: [...NODE.commands, { argv: ["ip", "addr", "add", "198.18.1.12/24", "dev", "clients"], why: "never runs" }] } as NodePlan, true, () => "");
    const out = runScript(shell, node.dir, steps);
    const result = parseScriptOutput(out.stdout, steps);
    t.same(
      result.failed,
      { step: steps[4], argv: NODE.commands[1]!.argv, exitCode: 2, output: "RTNETLINK answers: File exists" },
      "the failed command, by its step: its words, why, exit code and stderr",
    );
    t.notOk(
      node.calls().some((c) => c.includes("198.18.1.12")),
      "nothing after it ran",
    );
    t.same(result.state, { addr: "[]", routes: ["[]", "[]"], rules: ["[]", "[]"] }, "IPv6 too when asked");
  });

  t.test(`${shell}: a failure to name an interface says the words it ran`, async (t) => {
    const node = fakeNode(t, "ip link property add dev eth2 altname servers");
    const steps = nodeSteps(NODE, false, () => "");
    const result = parseScriptOutput(runScript(shell, node.dir, steps).stdout, steps);
    t.same(result.failed, { step: steps[2], argv: ["ip", "link", "property", "add", "dev", "eth2", "altname", "servers"], exitCode: 2, output: "RTNETLINK answers: File exists" });
    t.same(node.calls(), ["ip link del dev eth1", "ip link property add dev eth0 altname clients", "ip link property add dev eth2 altname servers"], "no command ran after it");
  });
}

t.test("the script's arguments: each step by its kind, argument lists with their lengths", async (t) => {
  t.same(
    scriptArguments([
      { kind: "drop", keep: ["198.18.1.10", "198.18.2.2"], why: "" },
      { kind: "name", network: "lan", ipv4: "198.18.1.10", why: "" },
      { kind: "write", path: "/etc/frr/daemons", content: "a\nb", mode: 0o640, kernelNames: false, why: "" },
      { kind: "write", path: "/etc/frr/frr.conf", content: "", mode: 0o644, kernelNames: true, why: "" },
      { kind: "run", argv: ["ip", "route", "flush", "default"], why: "" },
      { kind: "state", ipv6: true, why: "" },
      { kind: "state", ipv6: false, why: "" },
    ]),
    [
      "drop",
      "2",
      "198.18.1.10",
      "198.18.2.2",
      "name",
      "lan",
      "198.18.1.10",
      "write",
      "/etc/frr/daemons",
      "640",
      "0",
      "a\nb",
      "write",
      "/etc/frr/frr.conf",
      "644",
      "1",
      "",
      "run",
      "4",
      "ip",
      "route",
      "flush",
      "default",
      "state",
      "1",
      "state",
      "0",
    ],
  );
  t.throws(() => scriptArguments([{ kind: "run", argv: [], why: "nothing" }]), /an empty command \(nothing\)/);
  t.same(scriptArgv([]).slice(0, 4), ["sh", "-c", CONFIGURE_SCRIPT, "zmqlab-configure"], "a fixed script, the steps as its arguments");
  t.notMatch(CONFIGURE_SCRIPT, /\beval\b/, "nothing is ever evaluated");
});

t.test("the script's output read back: sections, a failure by its step, a script that stopped short", async (t) => {
  const steps: Step[] = [{ kind: "name", network: "clients", ipv4: "198.18.1.10", why: "name" }, ...commandSteps([{ argv: ["ip", "route", "flush", "default"], why: "no default" }], false)];
  const text =
    "\n--zmqlab-- failed 0 2 ip link property add dev eth0 altname clients\nRTNETLINK answers: Operation not permitted\n\n--zmqlab-- addr\n[]\n--zmqlab-- route -4\n[1]\n--zmqlab-- rule -4\n[2]\n--zmqlab-- end\n";
  t.same(parseScriptOutput(text, steps), {
    failed: { step: steps[0], argv: ["ip", "link", "property", "add", "dev", "eth0", "altname", "clients"], exitCode: 2, output: "RTNETLINK answers: Operation not permitted" },
    state: { addr: "[]", routes: ["[1]"], rules: ["[2]"] },
  });
  const failedRun = parseScriptOutput("--zmqlab-- failed 1 1 ip route flush\nboom\n--zmqlab-- end\n", steps);
  t.same(failedRun.failed?.argv, ["ip", "route", "flush", "default"], "a command's words come from its step, not from the output");
  t.throws(() => parseScriptOutput("\n--zmqlab-- addr\n[]\n", steps), /stopped before its end: --zmqlab-- addr/);
  t.throws(() => parseScriptOutput("", steps), /stopped before its end: no output/);
});

t.test("an image without sh: the engine's 126 or 127 before any section", async (t) => {
  t.ok(noShell({ exitCode: 126, stdout: 'OCI runtime exec failed: exec: "sh": executable file not found in $PATH' }));
  t.ok(noShell({ exitCode: 127, stdout: "" }));
  t.notOk(noShell({ exitCode: 127, stdout: "\n--zmqlab-- addr\n[]" }), "the script ran: a command of it was not found");
  t.notOk(noShell({ exitCode: 1, stdout: "" }));
});

t.test("command by command: files cannot be written without a shell, and a failure ends the steps", async (t) => {
  const ran: string[] = [];
  const steps: Step[] = [
    { kind: "run", argv: ["ip", "route", "flush", "default"], why: "no default" },
    { kind: "write", path: "/etc/frr/frr.conf", content: "", mode: 0o640, kernelNames: true, why: "FRR" },
    { kind: "run", argv: ["true"], why: "never" },
    { kind: "state", ipv6: false, why: "" },
  ];
  const result = await runByCommand({ node: "box", exec: async (argv) => (ran.push(argv.join(" ")), { exitCode: 0, stdout: "[]", stderr: "" }) }, steps);
  t.same(result, { failed: { step: steps[1], argv: ["write", "/etc/frr/frr.conf"], exitCode: 127, output: "the node's image has no sh: zmqlab writes files only with one" } });
  t.same(ran, ["ip route flush default"], "nothing after the write");
  const failing = await runByCommand(
    { node: "box", exec: async (argv) => ({ exitCode: argv[0] === "ip" ? 2 : 0, stdout: "out", stderr: argv[0] === "ip" ? "" : "err" }) },
    commandSteps([{ argv: ["ip", "route", "flush", "default"], why: "no default" }], false),
  );
  t.same(
    failing,
    { failed: { step: { kind: "run", argv: ["ip", "route", "flush", "default"], why: "no default" }, argv: ["ip", "route", "flush", "default"], exitCode: 2, output: "out" } },
    "stdout when stderr is empty; no state read after a failure",
  );
});
