// A node made on a Swarm's worker when the Swarm fails for a moment to give that engine the
// overlay: the container is removed and made again; other failures, and a blip that stays, are
// reported as before. A recording stand-in for the engines; the real Swarm is
// test/integration/cluster.test.ts.
import t from "tap";
import { readFileSync } from "node:fs";
import { ClusterRuntime } from "../../controller/engine/cluster-runtime.js";
import type { DockerRuntime } from "../../controller/engine/docker-runtime.js";
import type { Engine } from "../../controller/engine/docker.js";
import { EnvironmentError } from "../../controller/errors.js";
import { parseCluster } from "../../controller/lab/cluster.js";
import { parseLab } from "../../controller/lab/load.js";
import { planLab } from "../../controller/plan/plan.js";

const LAB = parseLab(readFileSync("labs/source-ip/lab.yaml", "utf8"), "labs/source-ip/lab.yaml").lab;
const PLAN = planLab(LAB, { hosts: { client: "h1", r1: "h2", r2: "h2", server: "h2" } });
const CLUSTER = parseCluster("hosts:\n  h1: { engine: tcp://h1:2375 }\n  h2: { engine: tcp://h2:2375 }\n", "cluster.yaml");

/** An engine whose starts fail with `failures` in turn, then succeed; it records what it is asked. */
function engine(failures: string[]) {
  const calls: string[] = [];
  const docker = {
    version: async () => ({ ApiVersion: "1.41" }),
    createContainer: async ({ name }: { name: string }) => void calls.push(`create ${name}`),
    getNetwork: () => ({ connect: async () => void calls.push("connect") }),
    getContainer: (name: string) => ({
      start: async () => {
        calls.push(`start ${name}`);
        const message = failures.shift();
        if (message) throw Object.assign(new Error(`(HTTP code 500) server error - ${message}`), { statusCode: 500, json: { message } });
      },
      remove: async () => void calls.push(`remove ${name}`),
    }),
  } as unknown as Engine;
  return { docker, calls };
}

function runtime(failures: string[]) {
  const h2 = engine(failures);
  const members = [
    { ...CLUSTER.hosts[0]!, docker: engine([]).docker, runtime: undefined as unknown as DockerRuntime },
    { ...CLUSTER.hosts[1]!, docker: h2.docker, runtime: undefined as unknown as DockerRuntime },
  ];
  return { cluster: new ClusterRuntime(CLUSTER, members, 0), calls: h2.calls };
}

const r1 = PLAN.nodes.find((n) => n.name === "r1")!;
const name = "zmqlab-source-ip-r1";

t.test("the Swarm's blip: the container is removed and made again", async (t) => {
  const { cluster, calls } = runtime([
    "attaching to network failed, make sure your network options are correct and check manager logs: context deadline exceeded",
    "network zmqlab-source-ip-servers not found",
  ]);
  await cluster.createNode(PLAN, r1);
  t.same(
    calls.filter((c) => !c.startsWith("connect")),
    [`create ${name}`, `start ${name}`, `remove ${name}`, `create ${name}`, `start ${name}`, `remove ${name}`, `create ${name}`, `start ${name}`],
    "made three times, the first two removed",
  );
});

t.test("a blip that stays: the third failure is reported, and another failure at once", async (t) => {
  const stays = runtime(Array(3).fill("attaching to network failed, make sure your network options are correct and check manager logs: context deadline exceeded"));
  const err = await stays.cluster.createNode(PLAN, r1).catch((e: unknown) => e);
  t.ok(err instanceof EnvironmentError);
  t.match((err as Error).message, /failed to start container zmqlab-source-ip-r1 \(node r1\).*context deadline exceeded/);
  t.equal(stays.calls.filter((c) => c.startsWith("start")).length, 3, "three tries");
  const other = runtime(["driver failed programming external connectivity"]);
  await t.rejects(other.cluster.createNode(PLAN, r1), /driver failed/);
  t.equal(other.calls.filter((c) => c.startsWith("start")).length, 1, "not a Swarm blip: no second try");
});
