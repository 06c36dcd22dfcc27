// How a node is created on engines of different API versions. A recording stand-in for the
// engine: the real engine (API 1.41 here) is exercised by the integration tests.
import t from "tap";
import { createNode, createsWithAllNetworks } from "../../controller/engine/resources.js";
import type { Engine } from "../../controller/engine/docker.js";
import { loadLab } from "../../controller/lab/load.js";
import { planLab } from "../../controller/plan/plan.js";

function recordingEngine(apiVersion: string) {
  const calls: { call: string; args: unknown }[] = [];
  const engine = {
    version: async () => ({ ApiVersion: apiVersion }),
    createContainer: async (args: unknown) => void calls.push({ call: "create", args }),
    getNetwork: (name: string) => ({ connect: async (args: unknown) => void calls.push({ call: `connect ${name}`, args }) }),
    getContainer: (name: string) => ({ start: async () => void calls.push({ call: `start ${name}`, args: undefined }) }),
  } as unknown as Engine;
  return { engine, calls };
}

const plan = planLab(loadLab("labs/source-ip").lab);
const router = plan.nodes.find((n) => n.name === "r1")!;

t.test("API 1.41: one network at create, the other connected before start", async (t) => {
  const { engine, calls } = recordingEngine("1.41");
  await createNode(engine, plan, router, await createsWithAllNetworks(engine));
  t.same(
    calls.map((c) => c.call),
    ["create", "connect zmqlab-source-ip-servers", "start zmqlab-source-ip-r1"],
  );
  const create = calls[0]!.args as { NetworkingConfig: { EndpointsConfig: Record<string, unknown> }; HostConfig: Record<string, unknown> };
  t.same(Object.keys(create.NetworkingConfig.EndpointsConfig), ["zmqlab-source-ip-clients"]);
  t.same(create.HostConfig.CapAdd, ["NET_ADMIN", "NET_RAW"]);
  t.notOk(create.HostConfig.Privileged, "never privileged");
  t.same(create.HostConfig.Sysctls, { "net.ipv4.ip_forward": "1" }, "sysctls at create time");
  t.same(calls[1]!.args, { Container: "zmqlab-source-ip-r1", EndpointConfig: { IPAMConfig: { IPv4Address: "198.18.2.2" } } });
});

t.test("API 1.44 and later: every network at create", async (t) => {
  const { engine, calls } = recordingEngine("1.44");
  await createNode(engine, plan, router, await createsWithAllNetworks(engine));
  t.same(
    calls.map((c) => c.call),
    ["create", "start zmqlab-source-ip-r1"],
  );
  const create = calls[0]!.args as { NetworkingConfig: { EndpointsConfig: Record<string, { IPAMConfig: unknown }> } };
  t.same(create.NetworkingConfig.EndpointsConfig, {
    "zmqlab-source-ip-clients": { IPAMConfig: { IPv4Address: "198.18.1.2" } },
    "zmqlab-source-ip-servers": { IPAMConfig: { IPv4Address: "198.18.2.2" } },
  });
});
