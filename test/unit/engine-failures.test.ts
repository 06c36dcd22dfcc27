// Every engine error a user or a busy engine can cause ends as exit 3 with the resource named and
// a hint, never as "internal error". The engine here is a stand-in speaking Docker's HTTP API, so
// the errors are the ones dockerode really produces (statusCode, json.message, connection codes).
import t from "tap";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import { EnvironmentError } from "../../controller/errors.js";
import { execIn, spawnIn } from "../../controller/engine/exec.js";
import { engineFailure, isEngineError } from "../../controller/engine/failures.js";
import { imageExists } from "../../controller/engine/images.js";
import { containerName } from "../../controller/engine/naming.js";
import { containerState, createNetwork, createNode, existingSubnets, listLabs } from "../../controller/engine/resources.js";
import { parseLab } from "../../controller/lab/load.js";
import { planLab } from "../../controller/plan/plan.js";
import { fakeEngine, type Failure, type FakeEngine } from "../support/fake-engine.js";
import { scratchDir } from "../support/scratch.js";

const LAB = `name: fake-honest
networks:
  lan: { subnet: 198.19.41.0/24 }
  wan: { subnet: 198.19.42.0/24 }
nodes:
  a: { image: "my/image:1", interfaces: { lan: 198.19.41.10, wan: 198.19.42.10 } }
`;
const plan = planLab(parseLab(LAB).lab);
const network = plan.networks[0]!;
const node = plan.nodes[0]!;

interface Case {
  what: string;
  failure: Failure;
  call: (docker: Docker) => Promise<unknown>;
  /** The resource (and what happened to it) the message must name. */
  names: RegExp;
  says: RegExp;
}

const CASES: Case[] = [
  {
    what: "a pool overlap when two labs with the same subnets come up at once",
    failure: { method: "POST", path: /\/networks\/create$/, status: 403, message: "Pool overlaps with other one on this address space" },
    call: (d) => createNetwork(d, plan, network),
    names: /network zmqlab-fake-honest-lan \(network lan\)/,
    says: /overlaps another Docker network/,
  },
  {
    what: "the engine's address pools exhausted",
    failure: { method: "POST", path: /\/networks\/create$/, status: 500, message: "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network" },
    call: (d) => createNetwork(d, plan, network),
    names: /network zmqlab-fake-honest-lan/,
    says: /no free address pool/,
  },
  {
    what: "a network of the same name created by another run a moment before",
    failure: { method: "POST", path: /\/networks\/create$/, status: 409, message: "network with name zmqlab-fake-honest-lan already exists" },
    call: (d) => createNetwork(d, plan, network),
    names: /network zmqlab-fake-honest-lan/,
    says: /the name is taken/,
  },
  {
    what: "the lab's own image missing",
    failure: { method: "POST", path: /\/containers\/create$/, status: 404, message: "No such image: my/image:1" },
    call: (d) => createNode(d, plan, node),
    names: /image my\/image:1/,
    says: /is not on this engine/,
  },
  {
    what: "a container name taken by another run of the same lab",
    failure: {
      method: "POST",
      path: /\/containers\/create$/,
      status: 409,
      message: 'Conflict. The container name "/zmqlab-fake-honest-a" is already in use by container "0123abcd". You have to remove (or rename) that container to be able to reuse that name.',
    },
    call: (d) => createNode(d, plan, node),
    names: /container zmqlab-fake-honest-a \(node a\)/,
    says: /the name is taken/,
  },
  {
    what: "a network removed before the node could join it",
    failure: { method: "POST", path: /\/networks\/[^/]+\/connect$/, status: 404, message: "network zmqlab-fake-honest-wan not found" },
    call: (d) => createNode(d, plan, node),
    names: /network zmqlab-fake-honest-wan \(network wan\)/,
    says: /is gone/,
  },
  {
    what: "the engine failing to start a container",
    failure: { method: "POST", path: /\/containers\/[^/]+\/start$/, status: 500, message: "failed to set up container networking: Address already in use" },
    call: (d) => createNode(d, plan, node),
    names: /container zmqlab-fake-honest-a/,
    says: /failed to start/,
  },
  {
    what: "a container stopped under us",
    failure: { method: "POST", path: /\/containers\/[^/]+\/exec$/, status: 409, message: "Container 0123abcd is not running" },
    call: (d) => execIn(d, containerName(plan.lab, node.name), ["ip", "-j", "addr", "show"]),
    names: /container zmqlab-fake-honest-a/,
    says: /is not running/,
  },
  {
    what: "a container removed under us",
    failure: { method: "POST", path: /\/containers\/[^/]+\/exec$/, status: 404, message: "No such container: zmqlab-fake-honest-a" },
    call: (d) => execIn(d, containerName(plan.lab, node.name), ["ip", "-j", "addr", "show"]),
    names: /container zmqlab-fake-honest-a/,
    says: /is gone/,
  },
  {
    what: "an agent's container removed before the agent started",
    failure: { method: "POST", path: /\/containers\/[^/]+\/exec$/, status: 404, message: "No such container: zmqlab-fake-honest-a" },
    call: (d) => spawnIn(d, containerName(plan.lab, node.name), ["node", "/opt/zmqlab/agent/main.js", "{}"]),
    names: /container zmqlab-fake-honest-a/,
    says: /is gone/,
  },
  {
    what: "the engine going away while listing labs",
    failure: { method: "GET", path: /\/containers\/json$/, reset: true },
    call: (d) => listLabs(d),
    names: /the Docker engine/,
    says: /went away.*ECONNRESET/,
  },
  {
    what: "the engine going away while reading its networks",
    failure: { method: "GET", path: /\/networks$/, reset: true },
    call: (d) => existingSubnets(d),
    names: /the Docker engine/,
    says: /went away/,
  },
  {
    what: "the engine failing to inspect an image",
    failure: { method: "GET", path: /\/images\/.*\/json$/, status: 500, message: "layer does not exist" },
    call: (d) => imageExists(d, "my/image:1"),
    names: /image my\/image:1/,
    says: /failed to inspect/,
  },
  {
    what: "the engine failing to inspect a container",
    failure: { method: "GET", path: /\/containers\/[^/]+\/json$/, status: 500, message: "container state unknown" },
    call: (d) => containerState(d, containerName(plan.lab, node.name)),
    names: /container zmqlab-fake-honest-a/,
    says: /failed to inspect/,
  },
];

async function withEngine<T>(failure: Failure | undefined, work: (docker: Docker, engine: FakeEngine) => Promise<T>): Promise<T> {
  const engine = await fakeEngine();
  if (failure) engine.fail(failure);
  try {
    return await work(new Docker({ host: engine.host, port: engine.port }), engine);
  } finally {
    await engine.close();
  }
}

t.test("each engine error becomes an EnvironmentError (exit 3) naming the resource, with a hint", async (t) => {
  for (const c of CASES) {
    await t.test(c.what, async (t) => {
      const err = await withEngine(c.failure, async (docker) => {
        try {
          await c.call(docker);
          return undefined;
        } catch (e) {
          return e;
        }
      });
      t.ok(err instanceof EnvironmentError, "an EnvironmentError", { err });
      const e = err as EnvironmentError;
      t.equal(e.exitCode, 3, "exit code 3");
      t.match(e.message, c.names, "names the resource");
      t.match(e.message, c.says, "says what happened");
      t.match(e.message, /\n {2}hint: \S/, "with a hint");
      t.notMatch(e.message, /internal error/);
    });
  }
});

t.test("the engine's calls that succeed are untouched", async (t) => {
  await withEngine(undefined, async (docker, engine) => {
    await createNetwork(docker, plan, network);
    await createNode(docker, plan, node);
    t.same(await listLabs(docker), []);
    t.equal(await imageExists(docker, "my/image:1"), false, "an image the engine has not: false, not an error (404)");
    t.ok(engine.requests.includes("POST /containers/zmqlab-fake-honest-a/start"));
  });
  await withEngine({ method: "GET", path: /\/containers\/[^/]+\/json$/, status: 404, message: "No such container: x" }, async (docker) => {
    t.equal(await containerState(docker, "x"), "gone", "a container that is gone is a state, not an error");
  });
});

t.test("a refused connection (no engine at all) is the environment's too", async (t) => {
  const engine = await fakeEngine();
  await engine.close();
  const err = await listLabs(new Docker({ host: engine.host, port: engine.port })).catch((e: unknown) => e);
  t.ok(err instanceof EnvironmentError);
  t.match((err as Error).message, /went away .*ECONNREFUSED/);
});

t.test("a reset over ssh:// says how sshd's MaxStartups drops dockerode's many connections", async (t) => {
  const saved = process.env.DOCKER_HOST;
  t.teardown(() => {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  });
  const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
  process.env.DOCKER_HOST = "ssh://root@lab-host";
  const overSsh = engineFailure(reset, "list labs") as Error;
  t.match(overSsh.message, /went away .*ECONNRESET[\s\S]*hint: over ssh:\/\/ every API call is an SSH connection[\s\S]*MaxStartups 200:30:400/);
  process.env.DOCKER_HOST = "tcp://lab-host:2375";
  const overTcp = engineFailure(reset, "list labs") as Error;
  t.notMatch(overTcp.message, /MaxStartups/, "other engines get the plain hint");
  t.match(overTcp.message, /check that dockerd still runs/);
});

t.test("what is not an engine error stays as it is: our bug keeps its stack", async (t) => {
  const bug = new TypeError("cannot read properties of undefined");
  t.equal(engineFailure(bug, "create"), bug);
  t.equal(isEngineError(bug), false);
  const file = Object.assign(new Error("ENOENT: no such file or directory, open 'x'"), { code: "ENOENT", syscall: "open" });
  t.equal(engineFailure(file, "create"), file, "a missing file is not a missing engine");
  const env = new EnvironmentError("already said");
  t.equal(engineFailure(env, "create"), env, "an EnvironmentError passes unchanged");
});

t.test("an engine error that reaches the command line unnamed is still the environment's, named by the engine's words", async (t) => {
  // What the command line does with an engine error no function of engine/ translated.
  const shapes = [
    { statusCode: 404, json: { message: "No such container: zmqlab-x-a" }, says: /gone: No such container: zmqlab-x-a/ },
    { statusCode: 409, json: { message: "Container 0123 is not running" }, says: /not running/ },
    { statusCode: 403, json: { message: "Pool overlaps with other one on this address space" }, says: /overlaps another Docker network/ },
    { statusCode: 500, json: { message: "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network" }, says: /no free address pool/ },
    { statusCode: 500, json: null, message: "(HTTP code 500) server error", says: /failed to talk to the Docker engine/ },
    { code: "ECONNRESET", message: "socket hang up", says: /went away/ },
    { code: "ENOENT", syscall: "connect", message: "connect ENOENT /var/run/docker.sock", says: /went away/ },
  ];
  for (const { says, ...shape } of shapes) {
    const err = engineFailure(Object.assign(new Error(shape.message ?? "engine"), shape), "talk to");
    t.ok(err instanceof EnvironmentError && err.exitCode === 3, `${shape.statusCode ?? shape.code}: exit 3`);
    t.match((err as Error).message, says);
  }
});

/** The CLI against the stand-in engine; async, since the engine answers from this process. */
function zmqlab(args: string[], engine: FakeEngine): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(process.cwd(), "dist", "controller", "cli.js"), ...args], { env: { ...process.env, DOCKER_HOST: engine.url } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

t.test("the command line: engine errors exit 3 with the resource named, no internal error, no stack", async (t) => {
  const dir = scratchDir("zmqlab-fake-");
  writeFileSync(join(dir, "lab.yaml"), LAB);
  const cases: { args: string[]; failure: Failure; names: RegExp }[] = [
    { args: ["up", dir], failure: CASES[0]!.failure, names: /network zmqlab-fake-honest-lan .*overlaps another Docker network/ },
    { args: ["run", dir], failure: CASES[1]!.failure, names: /no free address pool to create network zmqlab-fake-honest-lan/ },
    { args: ["up", dir], failure: CASES[3]!.failure, names: /image my\/image:1 is not on this engine/ },
    { args: ["up", dir], failure: CASES[7]!.failure, names: /container zmqlab-fake-honest-a\b.*is not running/ },
    { args: ["up", dir], failure: CASES[8]!.failure, names: /container zmqlab-fake-honest-a\b.*is gone/ },
    { args: ["ls"], failure: CASES[10]!.failure, names: /went away/ },
    { args: ["down", dir], failure: CASES[10]!.failure, names: /went away/ },
  ];
  for (const c of cases) {
    const engine = await fakeEngine();
    engine.fail(c.failure);
    const result = await zmqlab(c.args, engine);
    await engine.close();
    const what = `${c.args[0]} with ${c.failure.method} ${c.failure.path.source} -> ${c.failure.status ?? "reset"}`;
    t.equal(result.code, 3, `${what}: exit 3`);
    t.match(result.stderr, c.names, `${what}: names the resource`);
    t.match(result.stderr, /hint: /, `${what}: with a hint`);
    t.notMatch(result.stderr, /internal error/, `${what}: not an internal error`);
    t.notMatch(result.stderr, /^\s+at .*\.js:\d+/m, `${what}: no stack trace`);
  }
});
