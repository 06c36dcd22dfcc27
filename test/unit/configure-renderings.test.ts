// The two ways a node's configuration is applied, on a real kernel: the script in one exec, and
// one exec per command (an image without sh). Each runs the same steps in a fresh network
// namespace of this machine, made alike (the lab's interface, an interface that is not the lab's,
// one without IPv4), and the two kernels must come out the same, and fail alike.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import t, { type Test } from "tap";
import { runByCommand } from "../../controller/provision/configure/by-command.js";
import { parseScriptOutput, scriptArgv } from "../../controller/provision/configure/script.js";
import { nodeSteps, type Step } from "../../controller/provision/configure/steps.js";
import { readKernel, kernelState, type CommandRunner } from "../../controller/observe/read.js";
import type { KernelState } from "../../controller/observe/kernel.js";
import type { NodePlan } from "../../controller/plan/types.js";

const canUnshare = spawnSync("unshare", ["--net", "true"]).status === 0;
const why = "needs `unshare --net` and `nsenter` (root): the integration tests configure every lab node this way";

/** eth0 (198.18.1.10, the lab's), eth1 (198.18.7.7, not the lab's), each a veth with a peer without addresses. */
const PRELUDE = [
  ["ip", "link", "add", "eth0", "type", "veth", "peer", "name", "peer0"],
  ["ip", "link", "add", "eth1", "type", "veth", "peer", "name", "peer1"],
  ["ip", "addr", "add", "198.18.1.10/24", "dev", "eth0"],
  ["ip", "addr", "add", "198.18.7.7/24", "dev", "eth1"],
  ["ip", "link", "set", "eth0", "up"],
  ["ip", "link", "set", "peer0", "up"],
];

/** A network namespace of its own (held by a sleeping process), its commands run through nsenter. */
async function namespace(t: Test): Promise<CommandRunner> {
  const holder: ChildProcess = spawn("unshare", ["--net", "sleep", "600"], { stdio: "ignore" });
  t.teardown(() => void holder.kill());
  // unshare execs sleep in the new namespace: wait until the pid is in it.
  const own = spawnSync("readlink", ["/proc/self/ns/net"], { encoding: "utf8" }).stdout;
  for (let i = 0; i < 100 && spawnSync("readlink", [`/proc/${holder.pid}/ns/net`], { encoding: "utf8" }).stdout === own; i++) await new Promise((r) => setTimeout(r, 10));
  const runner: CommandRunner = {
    node: "r1",
    exec: async (argv) => {
      const r = spawnSync("nsenter", [`--net=/proc/${holder.pid}/ns/net`, "--", ...argv], { encoding: "utf8" });
      return { exitCode: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
    },
  };
  for (const argv of PRELUDE) t.equal((await runner.exec(argv)).exitCode, 0, argv.join(" "));
  return runner;
}

/** A node on a cluster (its strays dropped), its commands as the plan makes them. */
const NODE = {
  name: "r1",
  host: "h1",
  image: "zmqlab/node:test",
  defaultImage: true,
  sysctls: {},
  capabilities: [],
  interfaces: [{ network: "clients", ipv4: "198.18.1.10", addresses: ["198.18.1.10/24", "198.18.1.11/24"] }],
  commands: [
    { argv: ["ip", "addr", "add", "198.18.1.11/24", "dev", "clients"], why: "second address" },
    { argv: ["ip", "route", "add", "198.18.2.0/24", "via", "198.18.1.2", "dev", "clients", "table", "100"], why: "policy route" },
    { argv: ["ip", "rule", "add", "from", "198.18.1.11", "lookup", "100", "priority", "1000"], why: "policy rule" },
  ],
  routes: [],
  rules: [],
  forward: false,
} as unknown as NodePlan;

/** What the kernel shows, without what differs between any two namespaces (the veths' MAC addresses). */
const comparable = (state: KernelState) => ({ ...state, interfaces: state.interfaces.map((i) => ({ ...i, mac: "" })) });

async function byScript(node: CommandRunner, steps: Step[]) {
  const out = await node.exec(scriptArgv(steps));
  const parsed = parseScriptOutput(out.stdout, steps);
  return { failed: parsed.failed, state: kernelState(parsed.state.addr, parsed.state.routes, parsed.state.rules) };
}

t.test("the script and the command-by-command path leave the same kernel", { skip: canUnshare ? false : why }, async (t) => {
  const steps = nodeSteps(NODE, false, () => "");
  const [scripted, stepwise] = [await namespace(t), await namespace(t)];
  const viaScript = await byScript(scripted, steps);
  const viaCommands = await runByCommand(stepwise, steps);
  t.equal(viaScript.failed, undefined, JSON.stringify(viaScript.failed));
  t.equal(viaCommands.failed, undefined, JSON.stringify(viaCommands.failed));
  const [a, b] = [await readKernel(scripted, false), await readKernel(stepwise, false)];
  t.same(comparable(a), comparable(b), "the same interfaces, names, addresses, routes and rules");
  t.same(comparable(viaScript.state), comparable(a), "the script's own reading is the kernel's");
  t.same(comparable(viaCommands.state!), comparable(b), "and so is the other path's");
  // And that kernel is the plan's.
  const eth0 = a.interfaces.find((i) => i.name === "eth0");
  t.same(eth0?.altnames, ["clients"], "the lab's interface is named after its network");
  t.same(eth0?.addresses, ["198.18.1.10/24", "198.18.1.11/24"], "and has its second address");
  t.notOk(
    a.interfaces.some((i) => i.name === "eth1"),
    "the interface with an address that is not the lab's is gone",
  );
  t.ok(
    a.interfaces.some((i) => i.name === "peer0"),
    "an interface without IPv4 addresses stays",
  );
  t.ok(
    a.routes.some((r) => r.table === "100" && r.to === "198.18.2.0/24" && r.via[0] === "198.18.1.2"),
    "the policy route",
  );
  t.ok(
    a.rules.some((r) => r.from === "198.18.1.11" && r.table === "100"),
    "the policy rule",
  );
});

t.test("both stop at the same failing step, with the same exit code and output, and run nothing after it", { skip: canUnshare ? false : why }, async (t) => {
  const failing = {
    ...NODE,
    commands: [
      { argv: ["ip", "route", "add", "10.0.0.0/8", "via", "198.18.99.1"], why: "a gateway on no subnet" },
      { argv: ["ip", "addr", "add", "198.18.1.12/24", "dev", "clients"], why: "never runs" },
    ],
  } as NodePlan;
  const steps = nodeSteps(failing, true, () => "");
  const [scripted, stepwise] = [await namespace(t), await namespace(t)];
  const viaScript = await byScript(scripted, steps);
  const viaCommands = await runByCommand(stepwise, steps);
  const expected = { step: steps[2], argv: failing.commands[0]!.argv, exitCode: 2, output: "Error: Nexthop has invalid gateway." };
  t.same(viaScript.failed, expected, "the script");
  t.same(viaCommands.failed, expected, "command by command");
  for (const node of [scripted, stepwise]) {
    const addresses = (await readKernel(node, false)).interfaces.flatMap((l) => l.addresses);
    t.notOk(addresses.includes("198.18.1.12/24"), "nothing after the failure ran");
  }
  t.ok(
    viaScript.state.routes.some((r) => r.to === "198.18.1.0/24"),
    "the script read the state all the same",
  );
});
