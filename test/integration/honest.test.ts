// Every failure tells the truth, on the real engine: exit 1 only for a failed check (a broken
// endpoint is one), exit 3 for what the engine or the environment caused, exit 2 for invalid
// input; never "internal error". Labs here use 198.19.40-43.0/24 and names starting honest-.
import t from "tap";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { connectEngine } from "../../controller/engine/docker.js";
import { ensureNodeImage } from "../../controller/engine/images.js";
import { type LabReport } from "../../controller/index.js";
import { reportSchema } from "../../controller/advanced.js";
import { cli, labeled } from "../support/helpers.js";
import { scratchDir } from "../support/scratch.js";

const NO_INTERNAL_ERROR = /internal error|^\s+at .*\.js:\d+/m;

t.test("a port another program holds: the bind fails at run time, the run fails with an endpoint failure", async (t) => {
  const dir = scratchDir("zmqlab-honest-");
  const json = join(dir, "report.json");
  const result = await cli(["run", "test/fixtures/honest/port-taken", "--json", json]);
  t.equal(result.code, 1, "exit 1: a check failed");
  t.match(result.stdout, /^quotes\s+server\s+pub\s+-\s+-\s+.*FAILED: bind tcp:\/\/198\.19\.40\.10:5556: Address already in use$/m, "the table shows no numbers for it, and why");
  t.match(result.stdout, /FAIL\s+endpoint\s+endpoint quotes on server starts/);
  t.match(result.stdout, /FAIL endpoint failure: quotes on server could not start: bind tcp:\/\/198\.19\.40\.10:5556: Address already in use/);
  t.match(result.stdout, /\n1 endpoint failed \(quotes\); all 2 expectations hold\n/, "the lab's own expectations held: the endpoint failure alone failed the run");
  const report = JSON.parse(readFileSync(json, "utf8")) as LabReport;
  t.ok(new Ajv({ strict: false }).validate(reportSchema(), report), "the JSON report is valid by its schema");
  t.equal(report.ok, false);
  const quotes = report.endpoints.find((e) => e.name === "quotes")!;
  t.equal(quotes.sent, 0, "its messages are not reported as sent");
  t.match(quotes.failures, [/Address already in use/]);
  t.equal(report.endpoints.find((e) => e.name === "feed")?.sent, 100, "the node's other endpoint ran");
  t.same(
    report.expectations.map((e) => [e.kind, e.ok]),
    [
      ["delivered", true],
      ["unreachable", true],
      ["endpoint", false],
    ],
  );
  t.notMatch(result.stderr, NO_INTERNAL_ERROR);
  t.same(await labeled("honest-busy"), { containers: 0, networks: 0 }, "nothing left");
});

t.test("two endpoints binding one port on one node never reach the engine: exit 2 naming both", async (t) => {
  const dir = scratchDir("zmqlab-honest-");
  const file = join(dir, "lab.yaml");
  writeFileSync(file, readFileSync("test/fixtures/honest/port-taken/lab.yaml", "utf8").replace("bind: tcp://198.19.40.10:5557", "bind: tcp://*:5556"));
  const result = await cli(["run", file]);
  t.equal(result.code, 2);
  t.match(result.stderr, /lab\.yaml:\d+:\d+: traffic\.feed\.bind: tcp:\/\/\*:5556 takes the port that traffic\.quotes\.bind \(tcp:\/\/198\.19\.40\.10:5556\) binds on node "server"/);
  t.same(await labeled("honest-busy"), { containers: 0, networks: 0 }, "nothing was created");
});

t.test("a YAML alias explosion: exit 2 with the file, no stack", async (t) => {
  const dir = scratchDir("zmqlab-honest-");
  const file = join(dir, "lab.yaml");
  const levels = ["a: &a [x, x, x, x, x, x, x, x, x]", ..."bcde".split("").map((l, i) => `${l}: &${l} [${Array(9).fill(`*${"abcd"[i]}`).join(", ")}]`)];
  writeFileSync(file, ["name: honest-bomb", ...levels, ""].join("\n"));
  const result = await cli(["run", file]);
  t.equal(result.code, 2);
  t.match(result.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: YAML: Excessive alias count`));
  t.notMatch(result.stderr, NO_INTERNAL_ERROR);
});

t.test("an image of the lab's own without zmqlab's agent: exit 3 naming node and image, before any traffic", async (t) => {
  const engine = await connectEngine();
  // zmqlab's node image without /opt/zmqlab/agent: `ip` is there, the agent is not.
  const base = await ensureNodeImage(engine);
  const builder = await engine.createContainer({ Image: base, Cmd: ["rm", "-rf", "/opt/zmqlab/agent"], name: "zmqlab-honest-noagent-build" });
  await builder.start();
  await builder.wait();
  await builder.commit({ repo: "zmqlab-test/no-agent", tag: "honest", changes: 'CMD ["sleep", "infinity"]' });
  await builder.remove();
  t.teardown(() =>
    engine
      .getImage("zmqlab-test/no-agent:honest")
      .remove()
      .catch(() => undefined),
  );

  const result = await cli(["run", "test/fixtures/honest/no-agent"]);
  t.equal(result.code, 3, "exit 3: the environment");
  t.match(result.stderr, /Node box runs the image zmqlab-test\/no-agent:honest, which lacks zmqlab's agent \(\/opt\/zmqlab\/agent\/main\.js\): its endpoint quotes cannot run/);
  t.match(result.stderr, /hint: build the image FROM zmqlab's node image/);
  t.notMatch(result.stderr, /^traffic:/m, "no traffic was started");
  t.notMatch(result.stderr, NO_INTERNAL_ERROR);
  t.same(await labeled("honest-noagent"), { containers: 0, networks: 0 }, "nothing left");
});

t.test("two labs with the same subnet at once: one comes up, the other exits 3 naming the overlap once", async (t) => {
  t.teardown(async () => {
    await cli(["down", "honest-race-a"]);
    await cli(["down", "honest-race-b"]);
  });
  const [a, b] = await Promise.all([cli(["up", "test/fixtures/honest/race-a"]), cli(["up", "test/fixtures/honest/race-b"])]);
  t.same([a.code, b.code].sort(), [0, 3], "one wins, the other exits 3");
  const loser = a.code === 3 ? a : b;
  t.match(loser.stderr, /overlaps/);
  t.match(loser.stderr, /hint: /);
  t.notMatch(loser.stderr, NO_INTERNAL_ERROR);

  // One at a time: the message names the overlap once (not again as the bridge's host route).
  const second = await cli(["up", a.code === 0 ? "test/fixtures/honest/race-b" : "test/fixtures/honest/race-a"]);
  t.equal(second.code, 3);
  t.equal(second.stderr.match(/198\.19\.42\.0\/24\)? overlaps/g)?.length, 1, "the overlap is named once", { stderr: second.stderr });
  t.match(second.stderr, /network lan \(198\.19\.42\.0\/24\) overlaps Docker network zmqlab-honest-race-[ab]-lan \(198\.19\.42\.0\/24, lab honest-race-[ab]\)/);
});

// A node that goes away mid-run is reported, not a crash (more in resilience.test.ts).
for (const [how, says] of [
  ["removed", /node client \(container zmqlab-honest-gone-client\) was removed during the traffic phase/],
  ["killed", /node client \(container zmqlab-honest-gone-client\) was stopped \(or its main process ended\) during the traffic phase/],
] as const) {
  t.test(`a node ${how} while the traffic runs: exit 1 naming its container, its endpoint failed, nothing left`, async (t) => {
    const engine = await connectEngine();
    let done = false;
    const result = await cli(["run", "test/fixtures/honest/gone"], (text) => {
      if (done || !/traffic: 2 agents/.test(text)) return;
      done = true;
      // Give the agents a moment to start sending, then take the client away.
      const client = engine.getContainer("zmqlab-honest-gone-client");
      setTimeout(() => void (how === "removed" ? client.remove({ force: true }) : client.kill()), 1000);
    });
    t.ok(done, `the client was ${how} during the traffic`);
    t.equal(result.code, 1, "exit 1: its endpoint failed");
    t.match(result.stdout, says);
    t.match(result.stdout, /FAIL endpoint failure: reader on client/);
    t.notMatch(result.stderr, NO_INTERNAL_ERROR);
    t.same(await labeled("honest-gone"), { containers: 0, networks: 0 }, "nothing left");
  });
}
