// A remote engine's messages: where the engine is, and how to get the base image onto it when it
// cannot pull. The engine here is the HTTP stand-in (a tcp:// engine, as DOCKER_HOST names one).
import t from "tap";
import Docker from "dockerode";
import { EnvironmentError } from "../../controller/errors.js";
import { engineAddress, isRemoteEngine } from "../../controller/engine/docker.js";
import { copyImage, ensureNodeImage } from "../../controller/engine/images.js";
import { fakeEngine } from "../support/fake-engine.js";

t.test("engineAddress names an engine as docker -H takes it", async (t) => {
  t.equal(engineAddress(new Docker({ socketPath: "/run/user/docker.sock" })), "unix:///run/user/docker.sock");
  t.equal(engineAddress(new Docker({ host: "198.18.250.11", port: 2375 })), "tcp://198.18.250.11:2375");
  t.equal(engineAddress(new Docker({ protocol: "ssh", host: "lab-host", port: 22 } as Docker.DockerOptions)), "ssh://lab-host:22");
  t.notOk(isRemoteEngine(new Docker({ socketPath: "/var/run/docker.sock" })), "a socket is local");
  t.ok(isRemoteEngine(new Docker({ host: "198.18.250.11", port: 2375 })), "tcp is remote");
  const saved = process.env.DOCKER_HOST;
  delete process.env.DOCKER_HOST;
  t.teardown(() => {
    if (saved !== undefined) process.env.DOCKER_HOST = saved;
  });
  t.equal(engineAddress(new Docker()), "unix:///var/run/docker.sock", "dockerode's default socket");
});

t.test("a remote engine without the base image, which cannot pull: the hint says how to load it there", async (t) => {
  const engine = await fakeEngine();
  t.teardown(() => engine.close());
  engine.fail({ method: "GET", path: /^\/images\/node:20-bookworm-slim\/json$/, status: 404, message: "No such image: node:20-bookworm-slim" });
  engine.fail({ method: "POST", path: /^\/images\/create$/, status: 500, message: "Get https://registry-1.docker.io/v2/: dial tcp: lookup registry-1.docker.io: no such host" });
  const docker = new Docker({ host: engine.host, port: engine.port });
  const err = await ensureNodeImage(docker).catch((e: unknown) => e);
  t.ok(err instanceof EnvironmentError, "exit 3");
  const e = err as EnvironmentError;
  t.match(e.message, `The base image node:20-bookworm-slim is not on the engine at ${engine.url} and cannot be pulled (`);
  t.match(e.hint, `\`docker save node:20-bookworm-slim | docker -H ${engine.url} load\``, "load it there from a machine that has it");
  t.match(e.hint, `DOCKER_HOST=${engine.url} bash images/base/make-local-base.sh`, "or make it from Debian's packages into that engine");
});

t.test("copyImage: a source that has no such image fails naming both engines", async (t) => {
  const from = await fakeEngine();
  const to = await fakeEngine();
  t.teardown(() => Promise.all([from.close(), to.close()]));
  from.fail({ method: "GET", path: /^\/images\/my%2Fimage:1\/get$|^\/images\/my\/image:1\/get$/, status: 404, message: "reference does not exist" });
  const err = await copyImage(new Docker({ host: from.host, port: from.port }), new Docker({ host: to.host, port: to.port }), "my/image:1").catch((e: unknown) => e);
  t.ok(err instanceof EnvironmentError);
  t.match((err as Error).message, `Copying the image my/image:1 from the engine at ${from.url} to the engine at ${to.url} failed: ${from.url} has no image my/image:1.`);
  t.match((err as EnvironmentError).hint, `docker -H ${from.url} save my/image:1 | docker -H ${to.url} load`);
  t.notOk(
    to.requests.some((r) => r.startsWith("POST /images/load")),
    "nothing was sent to the target",
  );
});
