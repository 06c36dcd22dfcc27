// labs/latency on the real engine: a rate fault makes the publisher's queue, and so every
// message's one-way latency, grow; the clear drains it. As shipped it passes and its report
// validates; with a bound too tight for the slow phase, or without the clear, `latency` fails.
import t from "tap";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { runLab, type LabReport } from "../../controller/index.js";
import { evaluateOne, parseLab } from "../../controller/advanced.js";
import type { Observations } from "../../controller/expect/types.js";
import { reportSchema } from "../../controller/report/json.js";
import { cli, labeled } from "../support/helpers.js";

const FILE = "labs/latency/lab.yaml";
const TEXT = readFileSync(FILE, "utf8");
const failing = (r: { expectations: { ok: boolean }[] }) => r.expectations.flatMap((e, i) => (e.ok ? [] : [i]));

/** A report's own data as the judges see it (latency reads the endpoints and the faults' times only). */
function observationsOf(report: LabReport): Observations {
  const faults = Object.fromEntries((report.faults ?? []).filter((f) => f.actualMs !== undefined).map((f) => [f.name, f.actualMs!]));
  return { traffic: report, flows: report.flows, addresses: {}, faults };
}

t.test("as shipped: fast before the slow link, slow while it lasts, fast again after the clear; the report validates", async (t) => {
  const dir = t.testdir();
  mkdirSync(dir, { recursive: true });
  const result = await cli(["run", "labs/latency", "--json", join(dir, "r.json"), "--html", join(dir, "r.html")]);
  t.equal(result.code, 0, result.stdout.slice(-3000) + result.stderr.slice(-1000));
  t.match(result.stdout, /all 5 expectations hold/);
  t.match(result.stdout, /latency ms p50\/p99\/max/, "the terminal table has the latency column");
  const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as LabReport;
  const validate = new Ajv({ allErrors: true }).compile(reportSchema());
  t.ok(validate(report), JSON.stringify(validate.errors));
  const reader = report.endpoints.find((e) => e.name === "reader")!;
  t.ok(reader.latency && reader.latency.count === reader.received, `every message measured: ${reader.latency?.count} of ${reader.received}`);
  t.ok((reader.timeline?.latency?.length ?? 0) > 50, "a latency point per tick");
  t.match(readFileSync(join(dir, "r.html"), "utf8"), /one-way latency, ms/, "the HTML page charts it");
  const [before, during, afterClear, settled] = report.expectations.map((e) => e.evidence as { p50: number; p99: number });
  t.comment(`p99 before ${before!.p99} ms, during ${during!.p99} ms, after the clear p50 ${afterClear!.p50} ms, once settled p99 ${settled!.p99} ms`);
  // The medians: a loaded machine's scheduling stalls reach a quiet link's p99 (109 ms seen at a
  // load average of 26), never its median.
  t.ok(during!.p50 > 100 * before!.p50, `the queue: p50 during the slow link (${during!.p50} ms) is more than a hundred times p50 before it (${before!.p50} ms)`);

  // The same run judged with the quiet link's bound in the slow phase: too tight.
  const tight = evaluateOne({ latency: { endpoint: "reader", p99: "500ms", between: ["slow", "fast"] } }, observationsOf(report));
  t.equal(tight.ok, false, tight.message);
  t.equal(tight.kind, "latency");
  t.match(tight.message, /^latency of reader over its bound: p99 \d+(\.\d+)? ms > 500 ms/);
  t.same(await labeled("latency"), { containers: 0, networks: 0 });
});

t.test("broken: the clear removed: the link stays slow, latency after it fails, and the full queue drops messages", async (t) => {
  const clear = "fast:    { at: 4s, node: r1, network: clients, action: clear }";
  if (TEXT.split(clear).length !== 2) throw new Error("test bug: the clear changed");
  // `fast` stays as a moment (an exec that does nothing), so the phases still exist.
  const report = await runLab(parseLab(TEXT.replace(clear, 'fast:    { at: 4s, node: client, exec: ["true"] }'), FILE));
  t.same(
    failing(report),
    [2, 3, 4],
    `failing: ${report.expectations
      .filter((e) => !e.ok)
      .map((e) => e.message)
      .join(" | ")}`,
  );
  t.equal(report.expectations[4]!.kind, "delivered", "the publisher's queue filled: PUB dropped");
  for (const i of [2, 3]) {
    t.equal(report.expectations[i]!.kind, "latency");
    t.match(report.expectations[i]!.message, /^latency of reader over its bound: p(50|99) /);
  }
  t.same(await labeled("latency"), { containers: 0, networks: 0 });
});
