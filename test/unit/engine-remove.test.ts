// How a lab is torn down: the order that keeps Docker 20.10 from leaking an endpoint count, and
// what `down` says when a network refuses anyway. A recording stand-in for the engine; the real
// engine is exercised by test/integration/scale.test.ts.
import t from "tap";
import { removeLab } from "../../controller/engine/resources.js";
import type { Engine } from "../../controller/engine/docker.js";
import { EnvironmentError } from "../../controller/errors.js";

const tick = () => new Promise((r) => setTimeout(r, 5));

/** Lab `big`: networks a, b, c; r1 on all three, h1..h6 two per network. */
function fakeEngine(refuse: string[] = [], broken: string[] = []) {
  const nets = ["a", "b", "c"].map((n) => `zmqlab-big-${n}`);
  const containers = [
    { Id: "r1", Names: ["/zmqlab-big-r1"], Labels: { "zmqlab.lab": "big", "zmqlab.node": "r1" }, State: "running", NetworkSettings: { Networks: Object.fromEntries(nets.map((n) => [n, {}])) } },
    ...[1, 2, 3, 4, 5, 6].map((i) => ({
      Id: `h${i}`,
      Names: [`/zmqlab-big-h${i}`],
      Labels: { "zmqlab.lab": "big", "zmqlab.node": `h${i}` },
      State: "running",
      NetworkSettings: { Networks: { [nets[i % 3]!]: {} } },
    })),
  ];
  const events: string[] = [];
  const active = new Map<string, number>();
  let maxPerNetwork = 0;
  let maxNetworksAtOnce = 0;
  let removing = 0;
  let maxRemoving = 0;
  const engine = {
    listContainers: async () => containers,
    listNetworks: async () => nets.map((n) => ({ Id: n, Name: n, Labels: { "zmqlab.lab": "big" } })),
    getNetwork: (id: string) => ({
      disconnect: async ({ Container }: { Container: string }) => {
        active.set(id, (active.get(id) ?? 0) + 1);
        maxPerNetwork = Math.max(maxPerNetwork, active.get(id)!);
        maxNetworksAtOnce = Math.max(maxNetworksAtOnce, [...active.values()].filter((v) => v > 0).length);
        await tick();
        active.set(id, active.get(id)! - 1);
        events.push(`disconnect ${Container} ${id}`);
      },
      remove: async () => {
        if (refuse.includes(id)) throw Object.assign(new Error("x"), { statusCode: 403, json: { message: `error while removing network: network ${id} id ${id} has active endpoints` } });
        events.push(`rm network ${id}`);
      },
    }),
    getContainer: (id: string) => ({
      remove: async () => {
        if (broken.includes(id))
          throw Object.assign(new Error("(HTTP code 500) server error - driver failed to remove root filesystem"), {
            statusCode: 500,
            json: { message: "driver failed to remove root filesystem: device or resource busy" },
          });
        maxRemoving = Math.max(maxRemoving, ++removing);
        await tick();
        removing--;
        events.push(`rm ${id}`);
      },
    }),
  } as unknown as Engine;
  return { engine, events, stats: () => ({ maxPerNetwork, maxNetworksAtOnce, maxRemoving }) };
}

t.test("each network's endpoints go one at a time, networks in parallel; a container goes once on no network", async (t) => {
  const { engine, events, stats } = fakeEngine();
  t.same(await removeLab(engine, "big"), { containers: 7, networks: 3 });
  const disconnects = events.filter((e) => e.startsWith("disconnect"));
  t.equal(disconnects.length, 9, "r1 from three networks, each host from its one");
  for (const id of ["r1", "h1", "h2", "h3", "h4", "h5", "h6"]) {
    const removed = events.indexOf(`rm ${id}`);
    const lastDisconnect = events.map((e) => e.startsWith(`disconnect ${id} `)).lastIndexOf(true);
    t.ok(removed > lastDisconnect && lastDisconnect >= 0, `${id} is removed only once it is on no network`);
  }
  t.equal(stats().maxPerNetwork, 1, "never two endpoint removals on one network at once");
  t.equal(stats().maxNetworksAtOnce, 3, "networks are worked on in parallel");
  t.ok(stats().maxRemoving > 1, "containers are removed in parallel");
  t.ok(
    events.slice(-3).every((e) => e.startsWith("rm network")),
    "networks last",
  );
});

t.test("a network that keeps refusing: exit 3, named, with the commands that clear it", async (t) => {
  const { engine } = fakeEngine(["zmqlab-big-b"]);
  const err = await removeLab(engine, "big").then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(err instanceof EnvironmentError, "an environment error");
  const e = err as EnvironmentError;
  t.equal(e.exitCode, 3);
  t.match(e.message, /zmqlab-big-b/);
  t.match(e.message, /lab big/);
  t.match(e.message, /restart/i);
  t.match(e.message, /zmqlab down big/);
  t.notMatch(e.message, /zmqlab clean/, "never the command that removes everyone's labs");
});

t.test("a container or network the engine refuses to remove for another reason: an EnvironmentError naming it (exit 3), not the engine's raw error", async (t) => {
  const container = await removeLab(fakeEngine([], ["h2"]).engine, "big").then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(container instanceof EnvironmentError, "an environment error, as every other engine failure");
  t.match((container as Error).message, "The Docker engine failed to remove container zmqlab-big-h2 (node h2) (driver failed to remove root filesystem: device or resource busy)");
  const { engine } = fakeEngine();
  const network = engine.getNetwork("zmqlab-big-a");
  network.remove = async () => {
    throw Object.assign(new Error("(HTTP code 500) server error"), { statusCode: 500, json: { message: "failed to delete bridge" } });
  };
  const getNetwork = engine.getNetwork.bind(engine);
  engine.getNetwork = ((id: string) => (id === "zmqlab-big-a" ? network : getNetwork(id))) as typeof engine.getNetwork;
  const refused = await removeLab(engine, "big").then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(refused instanceof EnvironmentError);
  t.match((refused as Error).message, "The Docker engine failed to remove network zmqlab-big-a (failed to delete bridge)");
});

t.test("a Swarm manager refusing an overlay while a removed container's task is not yet released: asked again until it goes", async (t) => {
  const { engine, events } = fakeEngine();
  const getNetwork = engine.getNetwork.bind(engine);
  let refusals = 0;
  engine.getNetwork = ((id: string) => {
    const network = getNetwork(id);
    if (id !== "zmqlab-big-c") return network;
    const remove = network.remove.bind(network);
    network.remove = async () => {
      if (refusals++ < 3)
        throw Object.assign(new Error("x"), { statusCode: 403, json: { message: `rpc error: code = FailedPrecondition desc = network ${id} is in use by task hm7jshtlypgnum9i8118li0lh` } });
      return remove();
    };
    return network;
  }) as typeof engine.getNetwork;
  t.same(await removeLab(engine, "big"), { containers: 7, networks: 3 });
  t.equal(refusals, 4, "refused three times, removed the fourth");
  t.ok(events.includes("rm network zmqlab-big-c"), "the overlay is gone");
});
