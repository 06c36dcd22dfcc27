// A node that stops, pauses or disappears in the middle of a run, by hand, on the real engine:
// the run never crashes. It ends with exit 1 when an expectation fails, writes every report
// (JSON, JUnit, HTML) naming the node, keeps what the other nodes observed, and leaves nothing on
// the engine. Lab resil-router (test/fixtures/resilience), subnets 198.19.45-46.0/24.
import t from "tap";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { connectEngine } from "../../controller/engine/docker.js";
import { check, up, type LabReport } from "../../controller/index.js";
import { reportSchema } from "../../controller/advanced.js";
import { cli, labeled } from "../support/helpers.js";
import { scratchDir } from "../support/scratch.js";

const LAB = "test/fixtures/resilience";
const NO_INTERNAL_ERROR = /internal error|^\s+at .*\.js:\d+/m;

/** Run the lab through the CLI with every report; `act` runs 1 s after the traffic started. */
async function runWhile(act: () => Promise<unknown>) {
  const dir = scratchDir("zmqlab-resil-");
  const files = { json: join(dir, "report.json"), junit: join(dir, "report.xml"), html: join(dir, "report.html") };
  let acted: Promise<unknown> | undefined;
  const result = await cli(["run", LAB, "--json", files.json, "--junit", files.junit, "--html", files.html], (text) => {
    if (acted || !/^traffic: /m.test(text)) return;
    acted = new Promise((r) => setTimeout(r, 1000)).then(act);
  });
  await acted;
  return { result, files, acted: acted !== undefined };
}

// Compiled once: the schema has an $id, and Ajv refuses a second schema of the same id.
const validReport = new Ajv({ strict: false }).compile(reportSchema());

for (const how of ["stop", "pause", "remove"] as const) {
  t.test(`docker ${how} of the router mid-traffic: exit 1, every report written naming it, nothing left`, async (t) => {
    const engine = await connectEngine();
    const r1 = engine.getContainer("zmqlab-resil-router-r1");
    const { result, files, acted } = await runWhile(() => (how === "stop" ? r1.stop({ t: 1 }) : how === "pause" ? r1.pause() : r1.remove({ force: true })));
    t.ok(acted, "the router was acted on during the traffic");
    t.equal(result.code, 1, "exit 1: an expectation failed", { stderr: result.stderr });
    t.notMatch(result.stderr, NO_INTERNAL_ERROR);
    for (const file of Object.values(files)) t.ok(existsSync(file), `${file} written`);

    const report = JSON.parse(readFileSync(files.json, "utf8")) as LabReport;
    t.ok(validReport(report), "the JSON report is valid by its schema", { errors: validReport.errors });
    const state = { stop: "stopped", pause: "paused", remove: "gone" }[how];
    t.same(
      report.interrupted?.map((n) => [n.node, n.state]),
      [["r1", state]],
      "the JSON names the router and what happened to it",
    );
    t.match(report.flowsUnavailable?.["r1"], /node r1 \(container zmqlab-resil-router-r1\)/);
    t.notOk("r1" in report.flows, "no counters made up for it");
    const [delivered, path] = report.expectations;
    t.same([path?.kind, path?.ok], ["path", false]);
    t.match(path?.message, /^cannot be judged: the counters of r1 could not be read/);
    const ticks = report.endpoints.find((e) => e.name === "ticks")!;
    t.equal(ticks.sent, 500, "the publisher's node reported: observations of the other nodes are kept");
    t.notOk(ticks.failures, "its endpoints did not fail");
    if (how === "pause") {
      // Pausing freezes the router's processes, not its kernel: forwarding goes on.
      t.equal(delivered?.ok, true, "a paused router still forwards");
    } else {
      t.equal(delivered?.ok, false, "the subscriber lost what the router no longer carried");
      t.ok(report.endpoints.find((e) => e.name === "reader")!.received < 500);
    }

    t.match(result.stdout, new RegExp(`${state.toUpperCase()}: node r1 \\(container zmqlab-resil-router-r1\\)`), "the terminal names it");
    t.match(readFileSync(files.junit, "utf8"), /<failure message="cannot be judged: the counters of r1 could not be read/);
    t.match(readFileSync(files.html, "utf8"), /Nodes that went away during the traffic<\/h2>\n<ul><li class="why">[a-z]+: node r1/);
    t.same(await labeled("resil-router"), { containers: 0, networks: 0 }, "nothing left on the engine");
  });
}

t.test("docker pause of the publisher's node mid-traffic: its endpoint fails, the run does not wait for it until the bound", async (t) => {
  const engine = await connectEngine();
  const { result, files, acted } = await runWhile(() => engine.getContainer("zmqlab-resil-router-server").pause());
  t.ok(acted);
  t.equal(result.code, 1);
  t.notMatch(result.stderr, NO_INTERNAL_ERROR);
  t.match(result.stderr, /^node server is paused: not waiting for its endpoints$/m, "the paused sender is noticed");
  t.notMatch(result.stderr, /traffic bound reached/, "the traffic phase did not run into its bound");
  const report = JSON.parse(readFileSync(files.json, "utf8")) as LabReport;
  t.same(
    report.interrupted?.map((n) => [n.node, n.state]),
    [["server", "paused"]],
  );
  t.match(report.endpoints.find((e) => e.name === "ticks")!.failures, [/^node server \(container zmqlab-resil-router-server\) was paused .*: ticks could not report/]);
  t.ok(report.endpoints.find((e) => e.name === "reader")!.received < 500, "the subscriber's own count is kept");
  t.same(
    report.expectations.map((e) => [e.kind, e.ok]),
    [
      ["delivered", false],
      ["path", true],
      ["endpoint", false],
    ],
  );
  t.same(await labeled("resil-router"), { containers: 0, networks: 0 }, "nothing left on the engine");
});

t.test("every node removed mid-traffic: the lab itself was taken away, exit 3", async (t) => {
  const engine = await connectEngine();
  const { result, files, acted } = await runWhile(async () => {
    const containers = await engine.listContainers({ all: true, filters: { label: ["zmqlab.lab=resil-router"] } });
    await Promise.all(containers.filter((c) => c.Labels["zmqlab.role"] !== "lock").map((c) => engine.getContainer(c.Id).remove({ force: true })));
  });
  t.ok(acted);
  t.equal(result.code, 3, "exit 3: the environment");
  t.match(result.stderr, /Every container of lab resil-router was removed while the traffic ran/);
  t.match(result.stderr, /hint: /);
  t.notMatch(result.stderr, NO_INTERNAL_ERROR);
  t.notOk(existsSync(files.json), "nothing to report on");
  t.same(await labeled("resil-router"), { containers: 0, networks: 0 }, "nothing left on the engine");
});

t.test("through the API: a subscriber's node paused mid-traffic fails its endpoint; the report is returned, and down removes the lab", async (t) => {
  const engine = await connectEngine();
  const lab = await up(LAB);
  t.teardown(() => lab.down());
  const client = engine.getContainer(lab.node("client").container);
  let paused: Promise<unknown> | undefined;
  const report = await check(lab, {
    log: (line) => {
      if (!paused && line.startsWith("traffic: ")) paused = new Promise((r) => setTimeout(r, 1000)).then(() => client.pause());
    },
  });
  await paused;
  t.ok(paused, "the client was paused during the traffic");
  t.same(
    report.interrupted?.map((n) => [n.node, n.state]),
    [["client", "paused"]],
  );
  const reader = report.endpoints.find((e) => e.name === "reader")!;
  t.match(reader.failures, [/^node client \(container zmqlab-resil-router-client\) was paused .*: reader could not report/]);
  t.same(
    report.expectations.map((e) => [e.kind, e.ok]),
    [
      ["delivered", false],
      ["path", true],
      ["endpoint", false],
    ],
    "the router's counters were read: the path holds",
  );
  t.equal(report.ok, false);
  await lab.down();
  t.same(await labeled("resil-router"), { containers: 0, networks: 0 }, "a paused node is removed too");
});
