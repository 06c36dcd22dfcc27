// A remote engine (issue 11 point 2): every command with DOCKER_HOST=tcp://... naming an engine
// on another "host" (an engine in a container, from scripts/cluster.sh), the controller on this
// one. The lab's containers, its lock and the host-routes reader are on that engine; the
// collision check reads that engine's host; copyImage carries an image between engines. The
// same engine is then reached with DOCKER_HOST=ssh:// (an SSH server added to its container).
import t from "tap";
import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { promisify } from "node:util";
import { connectEngine, type Engine } from "../../controller/engine/docker.js";
import { copyImage, imageExists } from "../../controller/engine/images.js";
import { listLabs } from "../../controller/engine/resources.js";
import { EnvironmentError } from "../../controller/index.js";
import { cli, ROOT } from "../support/helpers.js";
import { scratchDir } from "../support/scratch.js";

const run = promisify(execFile);
const cluster = (...args: string[]) => run("bash", [join(ROOT, "scripts", "cluster.sh"), ...args], { cwd: ROOT, maxBuffer: 1 << 24 });
const LAB = "labs/source-ip";
const INSTANCE = "remote-engine";
const KEY = `source-ip.${INSTANCE}`;
const exitOk = (r: { code: number | null; stderr: string }) => `exit ${r.code}: ${r.stderr.split("\n").slice(-6).join(" | ")}`;

/** The engine at an address, as the CLI reaches it (dockerode reads DOCKER_HOST). */
async function engineAt(address: string | undefined): Promise<Engine> {
  const saved = process.env.DOCKER_HOST;
  if (address === undefined) delete process.env.DOCKER_HOST;
  else process.env.DOCKER_HOST = address;
  try {
    return await connectEngine();
  } finally {
    if (saved === undefined) delete process.env.DOCKER_HOST;
    else process.env.DOCKER_HOST = saved;
  }
}

// Everything in one test, so tap waits for the engine it starts before its teardown removes it.
t.test("against a remote engine: DOCKER_HOST names an engine in a container", async (t) => {
  // A cluster someone else has up (its engines have fixed names) is used as it is and left up;
  // otherwise this test starts one engine and removes it at the end, whatever happens.
  const status = await cluster("status");
  const ours = /no cluster is up/.test(status.stdout);
  let address: string;
  if (ours) {
    t.teardown(async () => {
      const down = await cluster("down");
      t.comment(down.stdout.trim());
    });
    const up = await cluster("up", "1");
    const file = up.stdout.trim().split("\n").at(-1)!;
    t.ok(isAbsolute(file), `up prints the cluster file's absolute path last (${file})`);
    const text = readFileSync(file, "utf8");
    t.match(text, /^# written by scripts\/cluster\.sh up 1\nhosts:\n {2}h1: \{ engine: tcp:\/\/[\d.]+:2375 \}\n$/, "the cluster file names the one engine");
    address = /engine: (tcp:\/\/[\d.]+:2375)/.exec(text)![1]!;
    const again = await cluster("up", "1");
    t.match(again.stderr, /1 engines already up in one Swarm: reusing them/, "up with the same N reuses what is up");
    t.equal(again.stdout.trim().split("\n").at(-1), file, "and prints the same file");
  } else {
    address = /^zmqlab-engine-1 running (tcp:\/\/\S+)/m.exec(status.stdout)?.[1] ?? "";
    t.comment(`reusing the cluster that is up (${address}); it stays up`);
  }
  const remote = await engineAt(address);
  const local = await engineAt(process.env.DOCKER_HOST);
  const env = { DOCKER_HOST: address, ZMQLAB_INSTANCE: "" };
  const prefix = /^tcp:\/\/(\d+\.\d+\.\d+)\.\d+:/.exec(address)![1]!;

  await t.test("run, up, ls, exec, test, down against the remote engine: the lab lives there only", async (t) => {
    t.teardown(() => cli(["down", LAB, "--instance", INSTANCE], undefined, env));
    const result = await cli(["run", LAB, "--instance", INSTANCE, "--keep"], undefined, env);
    t.equal(result.code, 0, `run passes (${exitOk(result)})`);
    t.match(result.stdout + result.stderr, /all 6 expectations hold/, "all 6 expectations hold");

    const there = await listLabs(remote, KEY);
    t.equal(there.length, 1, "the lab is on the remote engine");
    t.same(there[0]?.containers.map((c) => c.node).sort(), ["client", "r1", "r2", "server"], "with its four nodes");
    t.equal(there[0]?.networks.length, 2, "and its two networks");
    t.same(there[0]?.locks, [], "the run's lock (a container there) is gone");
    t.same(there[0]?.helpers, [], "so is the host-routes reader");
    t.same(await listLabs(local, KEY), [], "nothing of it on the controller's own engine");

    const ls = await cli(["ls"], undefined, env);
    t.equal(ls.code, 0);
    t.match(ls.stdout, new RegExp(`^source-ip +${INSTANCE} +4 +2 `, "m"), `ls with DOCKER_HOST lists it (${ls.stdout})`);
    const exec = await cli(["exec", "--instance", INSTANCE, LAB, "server", "--", "cat", "/proc/net/route"], undefined, env);
    t.equal(exec.code, 0, `exec runs in the remote node (${exitOk(exec)})`);
    t.match(exec.stdout, /^Iface\s+Destination/, "with the command's own output");
    const test = await cli(["check", LAB, "--instance", INSTANCE], undefined, env);
    t.equal(test.code, 0, `test passes on the lab as it is (${exitOk(test)})`);
    const down = await cli(["down", LAB, "--instance", INSTANCE], undefined, env);
    t.equal(down.code, 0, exitOk(down));
    t.same(await listLabs(remote, KEY), [], "down leaves nothing on the remote engine");
  });

  await t.test("graph and validate need no engine, remote or not", async (t) => {
    for (const command of ["graph", "validate"]) {
      const result = await cli([command, LAB], undefined, env);
      t.equal(result.code, 0, `${command}: ${exitOk(result)}`);
    }
  });

  await t.test("the collision check reads the remote engine's host, not the controller's", async (t) => {
    const dir = scratchDir("zmqlab-remote-");
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    // The cluster's bridge: on the remote engine's host (the engine's container) it is the route
    // of its eth0; on this host it is a Docker network (zmqlab-cluster) with a br-* route.
    const subnet = `${prefix}.0/24`;
    const lab = join(dir, "lab.yaml");
    writeFileSync(lab, `name: remote-collide\nnetworks:\n  n: { subnet: ${subnet} }\nnodes:\n  a: { interfaces: { n: ${prefix}.200 } }\n`);
    const there = await cli(["up", lab], undefined, env);
    t.equal(there.code, 3, `rejected on the remote engine (${exitOk(there)})`);
    t.match(
      there.stderr,
      new RegExp(`network n \\(${subnet.replace(/\./g, "\\.")}\\) overlaps the host route ${subnet.replace(/\./g, "\\.")} dev eth0`),
      "naming the remote host's route, on its eth0",
    );
    t.notMatch(there.stderr, /br-[0-9a-f]+|zmqlab-cluster/, "not this host's bridge");
    const here = await cli(["up", lab], undefined, { ZMQLAB_INSTANCE: "" });
    t.equal(here.code, 3, `rejected here too (${exitOk(here)})`);
    t.match(here.stderr, new RegExp(`overlaps Docker network zmqlab-cluster \\(${subnet.replace(/\./g, "\\.")}\\)`), "but for this host's own reason");
    t.same(await listLabs(remote, "remote-collide"), [], "nothing was created there");
    t.same(await listLabs(local, "remote-collide"), [], "nor here");
  });

  await t.test("DOCKER_HOST=ssh://: run, ls, exec, test and down over SSH to the same engine", async (t) => {
    // The engine's container starts its SSH server (the engine image has one; an engine from an
    // older image gets it from Debian's mirror) and gets this test's key; the
    // controller reaches the engine as dockerode does over ssh: one SSH connection per API call,
    // each running `docker system dial-stdio` there, authenticated by an ssh-agent.
    const container = `zmqlab-engine-1`;
    const ip = /^tcp:\/\/([\d.]+):/.exec(address)![1]!;
    await run(
      "docker",
      [
        "exec",
        container,
        "sh",
        "-c",
        "command -v sshd >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server >/dev/null 2>&1); " +
          // zmqlab makes many API calls at once; sshd's default (MaxStartups 10:30:100) drops some.
          "grep -q '^MaxStartups 200' /etc/ssh/sshd_config || echo 'MaxStartups 200:30:400' >> /etc/ssh/sshd_config; " +
          "mkdir -p /run/sshd /root/.ssh && chmod 700 /root/.ssh && (pgrep -x sshd >/dev/null || /usr/sbin/sshd)",
      ],
      { maxBuffer: 1 << 24 },
    );
    const dir = scratchDir("zmqlab-ssh-");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "key")]);
    await run("docker", [
      "exec",
      container,
      "sh",
      "-c",
      'printf "%s\n" "$1" > /root/.ssh/authorized_keys && chmod 600 /root/.ssh/authorized_keys',
      "sh",
      readFileSync(join(dir, "key.pub"), "utf8").trim(),
    ]);
    const agent = (await run("ssh-agent", ["-s"])).stdout;
    const sock = /SSH_AUTH_SOCK=([^;]+);/.exec(agent)![1]!;
    const pid = /SSH_AGENT_PID=(\d+);/.exec(agent)![1]!;
    t.teardown(() => {
      process.kill(Number(pid));
      rmSync(dir, { recursive: true, force: true });
    });
    await run("ssh-add", ["-q", join(dir, "key")], { env: { ...process.env, SSH_AUTH_SOCK: sock } });
    const ssh = { DOCKER_HOST: `ssh://root@${ip}`, SSH_AUTH_SOCK: sock, ZMQLAB_INSTANCE: "" };
    t.teardown(() => cli(["down", LAB, "--instance", INSTANCE], undefined, ssh));

    const result = await cli(["run", LAB, "--instance", INSTANCE, "--keep"], undefined, ssh);
    t.equal(result.code, 0, `run passes over ssh (${exitOk(result)})`);
    t.match(result.stdout + result.stderr, /all 6 expectations hold/);
    t.equal((await listLabs(remote, KEY))[0]?.containers.length, 4, "the lab is on the engine reached over ssh");
    const ls = await cli(["ls"], undefined, ssh);
    t.match(ls.stdout, new RegExp(`^source-ip +${INSTANCE} +4 +2 `, "m"), `ls over ssh lists it (${exitOk(ls)})`);
    const exec = await cli(["exec", "--instance", INSTANCE, LAB, "client", "--", "ip", "-br", "addr", "show", "eth0"], undefined, ssh);
    t.match(exec.stdout, /198\.1[89]\.\d+\.10\/24 198\.1[89]\.\d+\.11\/24/, `exec's own output over ssh (${exitOk(exec)})`);
    const test = await cli(["check", LAB, "--instance", INSTANCE], undefined, ssh);
    t.equal(test.code, 0, `test passes over ssh (${exitOk(test)})`);
    const down = await cli(["down", LAB, "--instance", INSTANCE], undefined, ssh);
    t.equal(down.code, 0, exitOk(down));
    t.same(await listLabs(remote, KEY), [], "down over ssh leaves nothing there");
  });

  await t.test("copyImage carries an image from this engine to the remote one", async (t) => {
    // A tiny image of one file, made here for the test.
    const tag = `zmqlab-test/copy:${process.pid}`;
    const dir = scratchDir("zmqlab-copy-");
    writeFileSync(join(dir, "hello"), `copied ${process.pid}\n`);
    await run("sh", ["-c", `tar -C "${dir}" -c . | docker import - "${tag}"`], { env: { ...process.env } });
    t.teardown(async () => {
      rmSync(dir, { recursive: true, force: true });
      await local
        .getImage(tag)
        .remove()
        .catch(() => {});
      await remote
        .getImage(tag)
        .remove()
        .catch(() => {});
    });
    t.notOk(await imageExists(remote, tag), "not on the remote engine before");
    const lines: string[] = [];
    await copyImage(local, remote, tag, (l) => lines.push(l));
    t.ok(await imageExists(remote, tag), "on the remote engine after");
    t.equal((await remote.getImage(tag).inspect()).Id, (await local.getImage(tag).inspect()).Id, "the same image (same id)");
    t.match(lines.join("\n"), new RegExp(`copying image ${tag} from \\S+ to ${address}`));

    const missing = `zmqlab-test/missing:${process.pid}`;
    const err = await copyImage(local, remote, missing).catch((e: unknown) => e);
    t.ok(err instanceof EnvironmentError, "a failed copy is an environment error");
    t.match(
      (err as Error).message,
      new RegExp(`Copying the image ${missing} from the engine at \\S+ to the engine at ${address} failed: \\S+ has no image ${missing}\\.`),
      "naming both engines, and which lacks the image",
    );
  });
});
