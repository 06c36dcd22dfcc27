// The command line's exit codes and messages where no engine is needed (or none answers).
import t from "tap";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { scratchDir } from "../support/scratch.js";

const CLI = join(process.cwd(), "dist", "controller", "cli.js");
const zmqlab = (args: string[], env: Record<string, string> = {}) => spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, ...env } });

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

t.test("check is the API's word; test, its former name, still works and is not listed", async (t) => {
  const help = zmqlab(["--help"]).stdout;
  t.match(help, /^\s+check \[options\] <lab>\s+check a lab that is already up/m, "check is listed");
  t.notMatch(help, /^\s+test\b/m, "test is not");
  for (const command of ["check", "test"]) {
    const result = zmqlab([command, "test/fixtures/invalid-route"], { DOCKER_HOST: "tcp://127.0.0.1:1" });
    t.equal(result.status, 2, `${command}: a broken lab file is exit 2 before any engine is asked`);
    t.match(result.stderr, /invalid-route\/lab\.yaml:8:\d+: nodes\.client\.routes\[0\]\.via/);
    const down = zmqlab([command, "labs/source-ip"], { DOCKER_HOST: "tcp://127.0.0.1:1" });
    t.equal(down.status, 3, `${command}: no engine is exit 3`);
  }
});

t.test("down of a broken lab file: exit 2 before any engine is asked", async (t) => {
  const result = zmqlab(["down", "test/fixtures/invalid-route"], { DOCKER_HOST: "tcp://127.0.0.1:1" });
  t.equal(result.status, 2, result.stderr);
  t.match(result.stderr, /invalid-route\/lab\.yaml:8:\d+: nodes\.client\.routes\[0\]\.via/);
  t.notMatch(result.stderr, /No Docker engine answers/);
});

t.test("exec without --: the command's options are refused with the line that works (exit 2, no engine asked)", async (t) => {
  const noEngine = { DOCKER_HOST: "tcp://127.0.0.1:1" };
  const plain = zmqlab(["exec", "labs/source-ip", "client", "ip", "-br", "addr"], noEngine);
  t.equal(plain.status, 2);
  t.equal(plain.stderr, "error: unknown option '-br'\n  hint: the command's options went to zmqlab; put the command after --: zmqlab exec labs/source-ip client -- ip -br addr\n");
  const instance = zmqlab(["exec", "source-ip", "client", "--instance", "ci-3", "sh", "-c", "echo $HOME", "it's"], noEngine);
  t.equal(instance.status, 2);
  t.match(
    instance.stderr,
    "put the command after --: zmqlab exec --instance ci-3 source-ip client -- sh -c 'echo $HOME' 'it'\\''s'\n",
    "zmqlab's own --instance stays zmqlab's; words quoted for the shell",
  );
  const cluster = zmqlab(["--cluster", "c.yaml", "exec", "--instance=x", "lab", "n", "ls", "-l"], noEngine);
  t.match(cluster.stderr, "put the command after --: zmqlab --cluster c.yaml exec --instance=x lab n -- ls -l\n", "global options kept in front");
  const other = zmqlab(["up", "--frob", "exec", "a", "b"], noEngine);
  t.equal(other.status, 2);
  t.equal(other.stderr, "error: unknown option '--frob'\n", "another command's unknown option: no exec hint");
  const already = zmqlab(["exec", "--frob", "lab", "n", "--", "ls"], noEngine);
  t.equal(already.stderr, "error: unknown option '--frob'\n", "with -- already there, the option was zmqlab's: no hint");
  const short = zmqlab(["exec", "lab", "-x"], noEngine);
  t.equal(short.stderr, "error: unknown option '-x'\n", "no node and command to rebuild: no hint");
});

t.test("dry run prints every command and needs no engine", async (t) => {
  const result = zmqlab(["up", "--dry-run", "labs/source-ip"], { DOCKER_HOST: "tcp://127.0.0.1:1" });
  t.equal(result.status, 0);
  t.match(result.stdout, /ip -4 rule add from 198\.18\.1\.10 table 100 priority 1000/);
  t.match(result.stdout, /ip -4 route add 198\.18\.1\.11\/32 via 198\.18\.2\.3 dev servers/);
  t.match(result.stdout, /nft add table inet zmqlab/);
});

t.test("invalid input exits 2 with the file: YAML the parser refuses, bind conflicts, next hops no node holds", async (t) => {
  const dir = scratchDir("zmqlab-cli-");
  const write = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const bomb = write(
    "bomb.yaml",
    [
      "name: bomb",
      "a: &a [x, x, x, x, x, x, x, x, x]",
      "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]",
      "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]",
      "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]",
      "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]",
      "",
    ].join("\n"),
  );
  for (const command of [["validate"], ["up", "--dry-run"], ["run"]]) {
    const result = zmqlab([...command, bomb], { DOCKER_HOST: "tcp://127.0.0.1:1" });
    t.equal(result.status, 2, `${command.join(" ")}: an alias explosion exits 2`);
    t.match(result.stderr, new RegExp(`^${bomb.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: YAML: Excessive alias count`), "names the file");
    t.notMatch(result.stderr, /internal error|at .*\.js:\d+/, "no internal error, no stack");
  }
  const lab = (server: string, client = "") => `name: cli-honest
networks:
  lan: { subnet: 198.19.40.0/24 }
nodes:
  server: { interfaces: { lan: 198.19.40.10 } }
  client:
    interfaces: { lan: 198.19.40.11 }
${client}traffic:
  a: { node: server, socket: pub, bind: "tcp://198.19.40.10:5556" }
  b: { node: server, socket: push, bind: "${server}" }
`;
  const twice = zmqlab(["validate", write("twice.yaml", lab("tcp://*:5556"))]);
  t.equal(twice.status, 2, "two endpoints on one node binding one port: exit 2");
  t.match(twice.stderr, /twice\.yaml:10:\d+: traffic\.b\.bind: tcp:\/\/\*:5556 takes the port that traffic\.a\.bind \(tcp:\/\/198\.19\.40\.10:5556\) binds on node "server"/);
  t.match(twice.stderr, /hint: tcp:\/\/\*:5556 takes port 5556 on every address of the node/);
  t.equal(zmqlab(["validate", write("apart.yaml", lab("tcp://*:5557"))]).status, 0, "another port: valid");
  const nowhere = zmqlab(["validate", write("nowhere.yaml", lab("tcp://*:5557", "    routes: [{ to: 198.18.9.0/24, via: 198.19.40.99 }]\n"))]);
  t.equal(nowhere.status, 2, "a next hop no node holds: exit 2");
  t.match(nowhere.stderr, /nowhere\.yaml:8:\d+: nodes\.client\.routes\[0\]\.via: next hop 198\.19\.40\.99 is no node's address/);
  t.match(nowhere.stderr, /hint: lab traffic never leaves the lab: route via a lab node on network "lan": 198\.19\.40\.10 \(server\)/);
});

t.test("--version prints package.json's version", async (t) => {
  const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
  const result = zmqlab(["--version"]);
  t.equal(result.status, 0);
  t.equal(result.stdout, `${version}\n`);
});

t.test("exec and shell: a node the lab file does not have is exit 2 before any engine is asked", async (t) => {
  for (const command of [
    ["exec", "test/fixtures/poke", "gamma", "--", "true"],
    ["shell", "test/fixtures/poke", "gamma"],
  ]) {
    const result = zmqlab(command, { DOCKER_HOST: "tcp://127.0.0.1:1" });
    t.equal(result.status, 2, command.join(" "));
    t.match(result.stderr, /lab\.yaml: nodes: lab zmqlab-poke has no node "gamma"\n  hint: nodes: alpha, beta/);
  }
  t.equal(zmqlab(["exec", "test/fixtures/poke", "alpha"]).status, 2, "exec without a command is a usage error");
});

t.test("the capture's options and zmqlab capture: a mistake is exit 2 before any engine is asked", async (t) => {
  const env = { DOCKER_HOST: "tcp://127.0.0.1:1" };
  const mode = zmqlab(["run", "labs/source-ip", "--capture", "sometimes"], env);
  t.equal(mode.status, 2);
  t.match(mode.stderr, /--capture: "sometimes" is not a capture mode\n  hint: failed .*always, or off/);
  const window = zmqlab(["test", "labs/source-ip", "--capture-window", "soon"], env);
  t.equal(window.status, 2);
  t.match(window.stderr, /--capture-window: "soon" is not a duration/);
  const network = zmqlab(["capture", "labs/source-ip", "nowhere"], env);
  t.equal(network.status, 2);
  t.match(network.stderr, /labs\/source-ip\/lab\.yaml: networks: lab source-ip has no network "nowhere"\n  hint: networks: clients, servers/);
  const node = zmqlab(["capture", "labs/source-ip", "server:clients"], env);
  t.equal(node.status, 2);
  t.match(node.stderr, /node server is not on network clients\n  hint: its networks: servers/);
  const target = zmqlab(["capture", "labs/source-ip", "a:b:c"], env);
  t.equal(target.status, 2);
  t.match(target.stderr, /"a:b:c" is neither NETWORK nor NODE:NETWORK/);
});
