// Programs as lab traffic on the real engine: zeromq.js programs in zmqlab's node image (no
// build needed) and a node built from its own folder; each new expectation fails when the lab
// is broken: a wrong source, a program that exits 1, output that does not match.
import t from "tap";
import { readFileSync, writeFileSync, cpSync } from "node:fs";
import { join } from "node:path";
import { runLab, up } from "../../controller/index.js";
import { parseLab } from "../../controller/advanced.js";
import { cli, labeled } from "../support/helpers.js";
import { scratchDir } from "../support/scratch.js";

const FIXTURE = "test/fixtures/programs/lab.yaml";
const TEXT = readFileSync(FIXTURE, "utf8");
const failing = (r: { expectations: { ok: boolean }[] }) => r.expectations.flatMap((e, i) => (e.ok ? [] : [i]));

/** The fixture with one piece replaced (it must occur exactly once). */
function variant(from: string, to: string) {
  if (TEXT.split(from).length !== 2) throw new Error(`test bug: ${from} is not in the fixture once`);
  return parseLab(
    TEXT.replace(from, () => to),
    FIXTURE,
  );
}

t.test("programs and a raw agent receiver: every expectation holds, from the kernel and the programs' words", async (t) => {
  const dir = scratchDir("zmqlab-programs-");
  const result = await cli(["run", "test/fixtures/programs", "--json", join(dir, "r.json")]);
  t.equal(result.code, 0, result.stderr.slice(-800));
  const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as {
    endpoints: {
      name: string;
      socket: string;
      received: number;
      from: Record<string, number>;
      peers: { address: string }[];
      program?: { exitCode: number; stopped: boolean; durationMs: number; lastLines: string[]; readyAfterMs?: number };
    }[];
  };
  const pub = report.endpoints.find((e) => e.name === "prog-pub")!;
  t.equal(pub.socket, "program");
  t.equal(pub.program?.exitCode, 0, "the publisher's exit code is in the report");
  t.same(pub.program?.lastLines, ["bound tcp://198.18.44.20:5556", "sent 300"], "and its last lines");
  t.type(pub.program?.readyAfterMs, "number", "it counted as ready once the kernel listened on its bind");
  t.same([...new Set(pub.peers.map((p) => p.address))].sort(), ["198.18.44.10", "198.18.44.11"], "the server's kernel saw both sources on the program's port");
  const raw = report.endpoints.find((e) => e.name === "raw-sub")!;
  t.same(raw.from, { raw: 300 }, "the agent in raw format counted the foreign publisher's 300 messages");
  t.match(result.stdout, /prog-sub \(node -e .*\): exit 0 after [\d.]+ s; last lines: received 300/, "the terminal says how each program ran");
  t.same(await labeled("programs"), { containers: 0, networks: 0 });
});

t.test("broken: the subscriber connects from the other source; sourceSeen fails", async (t) => {
  // Both subscribers from .10: the server never sees .11.
  const broken = variant(
    "tcp://198.18.44.11:0;198.18.44.20:5556\n    connect: tcp://198.18.44.11:0;198.18.44.20:5556",
    "tcp://198.18.44.10:0;198.18.44.20:5556\n    connect: tcp://198.18.44.10:0;198.18.44.20:5556",
  );
  const report = await runLab(broken);
  t.same(failing(report), [4], "only sourceSeen fails");
  t.match(report.expectations[4]!.message, /server saw 198\.18\.44\.10 only; 198\.18\.44\.11 missing/);
});

t.test("broken: a program exits 1 and prints something else; exited and output fail", async (t) => {
  const broken = variant('console.log("received " + n);', 'console.log("got " + n); process.exitCode = 1;');
  const report = await runLab(broken);
  t.same(failing(report), [1, 2], "exited and output of prog-sub fail, nothing else");
  t.equal(report.expectations[1]!.message.split(";")[0], "prog-sub exited with 1, not 0");
  t.match(report.expectations[2]!.message, /^no line of prog-sub's output matched \/\^received 300\$\/; its last lines: got 300$/);
  t.equal(report.ok, false);
});

t.test("a program that outlives its timeout is stopped, and says so", async (t) => {
  const slow = variant("for (; n < 300; n++) await sub.receive();", "await new Promise((r) => setTimeout(r, 60000));");
  const report = await runLab({ ...slow, lab: { ...slow.lab, traffic: { ...slow.lab.traffic, "prog-sub": { ...slow.lab.traffic!["prog-sub"]!, timeout: "1500ms" } } } });
  const sub = report.endpoints.find((e) => e.name === "prog-sub")!;
  t.equal(sub.program?.stopped, true, "zmqlab stopped it");
  t.ok(
    sub.errors.some((e) => /stopped with SIGTERM/.test(e)),
    `the report says so (${sub.errors.join("; ")})`,
  );
  t.match(report.expectations[1]!.message, /^prog-sub did not end by itself: zmqlab stopped it after 1\.\d s/);
  t.ok((sub.program?.durationMs ?? 0) < 10_000, "well before the traffic bound");
});

t.test("the API: spawn a program, read its peers and the routers' counters around it", async (t) => {
  const lab = await up(FIXTURE);
  t.teardown(() => lab.down());
  const server = await lab.node("server").spawn(["node", "-e", "require('net').createServer((s) => s.write('hi\\n')).listen(7000, '198.18.44.20', () => console.log('listening'))"]);
  const ready = new Promise<void>((resolve) => server.onLine((l) => l === "listening" && resolve()));
  await ready;
  const client = await lab
    .node("client")
    .spawn(
      [
        "node",
        "-e",
        "const s = require('net').connect({ host: '198.18.44.20', port: 7000, localAddress: process.env.SRC }); s.on('data', (d) => { process.stdout.write(d); setTimeout(() => process.exit(0), 1500); });",
      ],
      { env: { SRC: "198.18.44.11" } },
    );
  await new Promise((r) => setTimeout(r, 500));
  const peers = await lab.node("server").peers(7000);
  t.same(
    peers.map((p) => p.address),
    ["198.18.44.11"],
    "the server's kernel shows the client's chosen source",
  );
  const done = await client.wait();
  t.equal(done.exitCode, 0);
  t.same(done.output, ["hi"], "wait() gives the exit code and the output");
  const stopped = await server.stop();
  t.equal(stopped.stopped, true, "stop() ends a program that would run forever");
  t.equal(stopped.killed, false, "SIGTERM was enough");
});

t.test("build: a failed build is exit 3 with the build's own words", async (t) => {
  const dir = scratchDir("zmqlab-build-");
  cpSync("test/fixtures/built", dir, { recursive: true });
  writeFileSync(join(dir, "app", "Dockerfile"), "ARG ZMQLAB_NODE_IMAGE\nFROM ${ZMQLAB_NODE_IMAGE}\nRUN echo broken-step && exit 7\n");
  const result = await cli(["run", dir]);
  t.equal(result.code, 3, result.stderr.slice(-600));
  t.match(result.stderr, /Building the image of .*app failed: .*returned a non-zero code: 7/);
  t.match(result.stderr, /broken-step/, "with the build's last lines");
  t.match(result.stderr, /hint: fix .*Dockerfile/);
  t.same(await labeled("built"), { containers: 0, networks: 0 }, "nothing was left");
});

t.test("build: a node built from its folder runs programs and zmqlab's agent", async (t) => {
  const result = await cli(["run", "test/fixtures/built"]);
  t.equal(result.code, 0, result.stderr.slice(-600));
  t.match(result.stdout, /greet \(node \/app\/greet\.js 198\.18\.45\.10 0\): exit 0/);
  const dir = scratchDir("zmqlab-nobuild-");
  writeFileSync(join(dir, "lab.yaml"), readFileSync("test/fixtures/built/lab.yaml", "utf8"));
  const missing = await cli(["validate", dir]);
  t.equal(missing.code, 2, "a build folder without a Dockerfile is the user's mistake, found before any Docker call");
  t.match(missing.stderr, /lab\.yaml:8:\d+: nodes\.app\.build: no Dockerfile in .*\/app\n  hint: build: names a folder, relative to the lab file/);
});
