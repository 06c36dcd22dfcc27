// The container beside a node (engine/beside.ts), where zmqlab's own fault commands run: in the
// node's network namespace (a command there changes the node's kernel), in its process namespace
// (a stop's cut ends the node's processes and not its own), and again in the new namespaces after
// the node restarted (a link fault after a restart fault still reaches the node's kernel). It goes
// with the lab. Each check reads the node's kernel or the engine's containers.
import t from "tap";
import { connectEngine } from "../../controller/engine/docker.js";
import { besideName } from "../../controller/engine/beside.js";
import { LABEL_LAB, LABEL_ROLE } from "../../controller/engine/labels.js";
import { END_PROCESSES } from "../../controller/faults/kinds/node-actions.js";
import { parseLab } from "../../controller/lab/load.js";
import { down, up, type RunningLab } from "../../controller/index.js";
import { trafficSession } from "../../controller/traffic/session.js";
import { ArmedNode } from "../../controller/traffic/armed.js";

const NAME = "h1-beside";

function labText(faults = ""): string {
  return `name: ${NAME}
networks:
  clients: { subnet: 198.19.12.0/24 }
  servers: { subnet: 198.19.13.0/24 }
nodes:
  client:
    interfaces: { clients: 198.19.12.10 }
    routes: [{ to: 198.19.13.0/24, via: 198.19.12.2 }]
  r1:
    forward: true
    interfaces: { clients: 198.19.12.2, servers: 198.19.13.2 }
  server:
    interfaces: { servers: 198.19.13.10 }
    routes: [{ to: 198.19.12.0/24, via: 198.19.13.2 }]
traffic:
  feed: { node: server, socket: pub, bind: "tcp://198.19.13.10:5556", send: { count: 200, rate: 100 } }
  reader: { node: client, socket: sub, connect: "tcp://198.19.13.10:5556" }
${faults ? `faults:\n${faults}` : ""}`;
}

/** The node's processes (pid and command line), read in the node. */
async function processes(lab: RunningLab, node: string): Promise<string[]> {
  const ps = await lab.node(node).exec(["ps", "-e", "-o", "args="]);
  return ps.stdout.split("\n").map((l) => l.trim());
}

/** Whether the interface on `network` of `node` is up, by the node's kernel. */
async function linkUp(lab: RunningLab, node: string, network: string): Promise<boolean> {
  const iface = (await lab.node(node).interfaces()).find((i) => i.altnames.includes(network));
  const links = JSON.parse((await lab.node(node).exec(["ip", "-j", "link", "show", "dev", iface!.name])).stdout) as { flags: string[] }[];
  return links[0]!.flags.includes("UP");
}

const besides = async () =>
  (await (await connectEngine()).listContainers({ all: true, filters: { label: [`${LABEL_LAB}=${NAME}`, `${LABEL_ROLE}=beside`] } })).map((c) => ({ name: c.Names[0]!.slice(1), state: c.State }));

t.before(async () => {
  await down(NAME);
});
t.teardown(async () => {
  await down(NAME);
});

t.test("beside a node: its network and its processes, not its own; gone with the lab", async (t) => {
  const lab = await up(parseLab(labText(), "lab.yaml"));
  t.teardown(() => lab.down());
  const handle = lab.node("r1").handle;
  await lab.node("r1").exec(["sh", "-c", "sleep 600 >/dev/null 2>&1 &"]);
  t.ok((await processes(lab, "r1")).includes("sleep 600"), "a process of the node runs (the check below can fail)");
  const dev = (await lab.node("r1").interfaces()).find((i) => i.altnames.includes("servers"))!.name;
  const armed = await ArmedNode.arm(handle, [[["ip", "link", "set", "dev", dev, "down"]], [[END_PROCESSES]]], true, true);
  t.same(await besides(), [{ name: besideName(handle.resource), state: "running" }], "one container beside r1, labelled with the lab");
  t.ok(await linkUp(lab, "r1", "servers"), "r1's link is up before the list ran");
  t.equal((await armed.fire(0))?.commands[0]?.exitCode, 0);
  t.notOk(await linkUp(lab, "r1", "servers"), "the command beside took r1's link down: the node's own kernel says so");
  t.equal((await armed.fire(1))?.commands[0]?.exitCode, 0);
  t.notOk((await processes(lab, "r1")).includes("sleep 600"), "the node's process ended");
  t.equal((await lab.node("r1").status()).state, "running", "the node's init did not");
  t.same(await besides(), [{ name: besideName(handle.resource), state: "running" }], "nor the container beside it");
  armed.close();
  await armed.finished;
  await lab.down();
  t.same(await besides(), [], "down removed it with the lab");
});

t.test("after a restart fault, a link fault on the same node still reaches its kernel", async (t) => {
  const lab = await up(parseLab(labText("  r1-restart: { at: 300ms, node: r1, action: restart }\n  r1-cut: { at: 1500ms, node: r1, network: servers, action: down }\n"), "lab.yaml"));
  t.teardown(() => lab.down());
  const { report } = await trafficSession(lab);
  t.same(
    report.faults?.map((f) => [f.name, f.ok, f.error]),
    [
      ["r1-restart", true, undefined],
      ["r1-cut", true, undefined],
    ],
  );
  t.notOk(await linkUp(lab, "r1", "servers"), "r1's link on servers is down by its kernel after the run");
  t.ok(await linkUp(lab, "r1", "clients"), "and only that link");
});
