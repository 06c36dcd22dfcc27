// A lab's overlays removed on a Swarm: the manager's removal returns before every engine has
// dropped its own copy, so removeLab waits until no engine lists one, and says which are left
// when one stays. A stand-in for the engines; the real Swarm is test/integration/cluster.test.ts.
import t from "tap";
import { readFileSync } from "node:fs";
import { ClusterRuntime } from "../../controller/engine/cluster-runtime.js";
import type { DockerRuntime } from "../../controller/engine/docker-runtime.js";
import type { Engine } from "../../controller/engine/docker.js";
import { EnvironmentError } from "../../controller/errors.js";
import { parseCluster } from "../../controller/lab/cluster.js";

const CLUSTER = parseCluster("hosts:\n  h1: { engine: tcp://h1:2375 }\n  h2: { engine: tcp://h2:2375 }\n", "cluster.yaml");
const LAB = "source-ip";

/** An engine listing `networks` of the lab; one removed goes on being listed `lingers` more times. */
function engine(networks: string[], lingers: number) {
  const listed = new Map(networks.map((n) => [n, Infinity]));
  const calls: string[] = [];
  const docker = {
    listContainers: async () => [],
    listNetworks: async () => {
      const now = [...listed].filter(([, left]) => left > 0).map(([name]) => name);
      for (const [name, left] of listed) listed.set(name, left - 1);
      calls.push(`list ${now.join(" ")}`.trim());
      return now.map((name) => ({ Id: name, Name: name, Labels: { "zmqlab.lab": LAB } }));
    },
    getNetwork: (id: string) => ({
      remove: async () => {
        calls.push(`remove ${id}`);
        listed.set(id, lingers);
      },
    }),
  } as unknown as Engine;
  return { docker, calls };
}

function cluster(manager: ReturnType<typeof engine>, worker: ReturnType<typeof engine>) {
  const members = [
    { ...CLUSTER.hosts[0]!, docker: manager.docker, runtime: undefined as unknown as DockerRuntime },
    { ...CLUSTER.hosts[1]!, docker: worker.docker, runtime: undefined as unknown as DockerRuntime },
  ];
  return new ClusterRuntime(CLUSTER, members, 0);
}

t.test("removeLab returns once no engine lists the overlays the manager removed", async (t) => {
  const manager = engine(["zmqlab-source-ip-clients", "zmqlab-source-ip-servers"], 3);
  const worker = engine([], 0);
  const removed = await cluster(manager, worker).removeLab(LAB);
  t.same(removed, { containers: 0, networks: 2 });
  const lists = manager.calls.filter((c) => c.startsWith("list"));
  t.equal(lists.at(-1), "list", "the last look at the manager found none");
  t.ok(
    lists.slice(1, -1).every((c) => c.includes("zmqlab-source-ip-")),
    `and every look before it (after the removal) still found them: ${lists.join(" | ")}`,
  );
  t.ok(worker.calls.length > 0, "the worker was asked too");
});

t.test("an overlay an engine goes on listing: an environment error naming it and its engine", async (t) => {
  const manager = engine(["zmqlab-source-ip-clients"], Infinity);
  const realNow = Date.now;
  let now = realNow();
  // Each look moves the clock 10 s on: the bound (30 s) passes after a few looks, not 30 s.
  Date.now = () => (now += 10_000);
  t.teardown(() => void (Date.now = realNow));
  const err = await cluster(manager, engine([], 0))
    .removeLab(LAB)
    .catch((e: unknown) => e);
  t.ok(err instanceof EnvironmentError, "an environment error");
  t.match((err as Error).message, /overlay networks of lab source-ip, but 30 s later an engine still lists zmqlab-source-ip-clients on h1/);
  t.match((err as EnvironmentError).hint, /zmqlab down source-ip --cluster FILE/);
});
