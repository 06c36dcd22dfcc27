// The command line's exit codes and messages where no engine is needed (or none answers).
import t from "tap";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const CLI = join(process.cwd(), "dist", "controller", "cli.js");
const zmqlab = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, ...env } });

t.test("usage errors exit 2", async (t) => {
  t.equal(zmqlab(["frob"]).status, 2, "unknown command");
  t.equal(zmqlab(["up"]).status, 2, "missing lab");
  t.equal(zmqlab(["--help"]).status, 0, "help is not an error");
});

t.test("validate: a valid lab exits 0, an invalid one 2 with file, line, path and hint", async (t) => {
  const ok = zmqlab(["validate", "labs/source-ip"]);
  t.equal(ok.status, 0);
  t.match(ok.stdout, /lab source-ip is valid/);
  const bad = zmqlab(["validate", "test/fixtures/invalid-route"]);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /test\/fixtures\/invalid-route\/lab\.yaml:8:\d+: nodes\.client\.routes\[0\]\.via: next hop 198\.18\.9\.1 is not on a network "client" is attached to\n  hint: /);
  const missing = zmqlab(["validate", "labs/no-such-lab"]);
  t.equal(missing.status, 2);
  t.match(missing.stderr, /no such lab file or folder/);
});

t.test("no engine answers: exit 3 with what to do", async (t) => {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  const result = zmqlab(["ls"], { DOCKER_HOST: "tcp://127.0.0.1:1" });
  t.equal(result.status, 3);
  t.match(result.stderr, /No Docker engine answers/);
  t.match(result.stderr, /hint: .*scripts\/ensure-engine\.sh/);
  t.notMatch(result.stderr, /at .*\.js:\d+/, "no stack trace for an environment problem");
});

t.test("dry run prints every command and needs no engine", async (t) => {
  const result = zmqlab(["up", "--dry-run", "labs/source-ip"], { DOCKER_HOST: "tcp://127.0.0.1:1" });
  t.equal(result.status, 0);
  t.match(result.stdout, /ip -4 rule add from 198\.18\.1\.10 table 100 priority 1000/);
  t.match(result.stdout, /ip -4 route add 198\.18\.1\.11\/32 via 198\.18\.2\.3 dev servers/);
  t.match(result.stdout, /nft add table inet zmqlab/);
});

t.test("--version prints package.json's version", async (t) => {
  const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
  const result = zmqlab(["--version"]);
  t.equal(result.status, 0);
  t.equal(result.stdout, `${version}\n`);
});

t.test("exec and shell: a node the lab file does not have is exit 2 before any engine is asked", async (t) => {
  for (const command of [["exec", "test/fixtures/poke", "gamma", "--", "true"], ["shell", "test/fixtures/poke", "gamma"]]) {
    const result = zmqlab(command, { DOCKER_HOST: "tcp://127.0.0.1:1" });
    t.equal(result.status, 2, command.join(" "));
    t.match(result.stderr, /lab\.yaml: nodes: lab zmqlab-poke has no node "gamma"\n  hint: nodes: alpha, beta/);
  }
  t.equal(zmqlab(["exec", "test/fixtures/poke", "alpha"]).status, 2, "exec without a command is a usage error");
});
