// Every lab under labs/ on the real engine: it passes as declared, and broken by hand while it is
// up (checked again without provisioning, as `zmqlab check` does), it fails exactly the
// expectations it should, with messages that point at the cause. Also: `zmqlab run` end to end
// with all three report files, and `zmqlab check` on a lab that is not up.
import t, { type Test } from "tap";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { Parser, type Result } from "tap-parser";
import { check, type LabReport, type RunningLab } from "../../controller/index.js";
import { reportSchema } from "../../controller/report/json.js";
import { cli, labeled, sh, upWhenFree } from "../support/helpers.js";

function expectFailures(t: Test, report: LabReport, indexes: number[]) {
  const failed = report.expectations.flatMap((e, i) => (e.ok ? [] : [i]));
  t.same(failed, indexes, `failing exactly: ${indexes.map((i) => report.expectations[i]?.description).join(" | ") || "none"}`);
  for (const i of failed.filter((i) => !indexes.includes(i))) t.comment(`unexpected failure: ${report.expectations[i]!.message}`);
  t.equal(report.ok, indexes.length === 0, "ok says the same");
}

const ajv = new Ajv({ allErrors: true });
const validateReport = ajv.compile(reportSchema());

t.test("zmqlab check on a lab that is not up: exit 3, says so", async (t) => {
  t.same(await labeled("policy-routing"), { containers: 0, networks: 0 }, "policy-routing is not up");
  const result = await cli(["check", "labs/policy-routing"]);
  t.equal(result.code, 3);
  t.match(result.stderr, /Lab policy-routing is not up/);
  t.match(result.stderr, /hint: bring it up first/);
  t.same(await labeled("policy-routing"), { containers: 0, networks: 0 }, "nothing was created");
});

t.test("zmqlab run labs/policy-routing: exit 0 and three valid reports", async (t) => {
  const dir = t.testdir();
  const result = await cli(["run", "labs/policy-routing", "--json", join(dir, "r.json"), "--junit", join(dir, "r.xml"), "--tap"]);
  t.equal(result.code, 0, result.stderr);
  const report = JSON.parse(readFileSync(join(dir, "r.json"), "utf8")) as LabReport;
  t.ok(validateReport(report), JSON.stringify(validateReport.errors));
  t.equal(report.ok, true);
  t.equal(report.expectations.length, 6);

  const xml = readFileSync(join(dir, "r.xml"), "utf8");
  t.match(xml, /<testsuite name="policy-routing" tests="6" failures="0"/);
  for (const e of report.expectations) t.ok(xml.includes(`classname="${e.kind}"`) && xml.includes(`name="${e.description.replace(/>/g, "&gt;")}"`), `JUnit names: ${e.description}`);

  const results: Result[] = [];
  const parser = new Parser();
  parser.on("assert", (r: Result) => results.push(r));
  const final = new Promise<{ ok: boolean; count: number }>((resolve) => parser.on("complete", resolve));
  parser.end(result.stdout);
  t.same(await final.then((f) => [f.ok, f.count]), [true, 6], "stdout is TAP: 6 passing points");
  t.same(
    results.map((r) => r.name),
    report.expectations.map((e) => e.description),
  );
  t.same(await labeled("policy-routing"), { containers: 0, networks: 0 }, "run took it down");
});

t.test("labs/policy-routing broken by hand", async (t) => {
  const lab = await upWhenFree("labs/policy-routing");
  t.teardown(() => lab.down());
  // delivered from-a, sourceSeen, path .30.10, path .31.10, unreachable from-b, unreachable no-source
  const [FROM_A, SOURCES, PATH_A, PATH_B, FROM_B, NO_SOURCE] = [0, 1, 2, 3, 4, 5];
  void FROM_A;
  void PATH_B;
  expectFailures(t, await check(lab), []);

  await t.test("the server learns the way back to network b: both unreachables and its sources fail", async (t) => {
    await sh(lab, "server", ["ip", "route", "add", "198.18.31.0/24", "via", "198.18.32.3"]);
    t.teardown(() => sh(lab, "server", ["ip", "route", "del", "198.18.31.0/24"]));
    const report = await check(lab);
    expectFailures(t, report, [SOURCES, FROM_B, NO_SOURCE]);
    t.match(report.expectations[FROM_B]!.message, /^handshake completed: 198\.18\.31\.10:0 -> 198\.18\.32\.10:5556/);
    t.match(report.expectations[NO_SOURCE]!.message, /^handshake completed: 198\.18\.32\.10:5556/);
    t.match(report.expectations[SOURCES]!.message, /198\.18\.31\.10 is not among the expected sources/);
  });

  await t.test("the policy rule removed: traffic from a still arrives, but through rb: only its path fails", async (t) => {
    const rule = (await lab.node("host").kernel()).rules.find((r) => r.from === "198.18.30.10")!;
    await sh(lab, "host", ["ip", "rule", "del", "from", "198.18.30.10", "table", rule.table]);
    t.teardown(() => sh(lab, "host", ["ip", "rule", "add", "from", "198.18.30.10", "table", rule.table, "priority", String(rule.priority)]));
    const report = await check(lab);
    expectFailures(t, report, [PATH_A]);
    t.match(report.expectations[PATH_A]!.message, /^198\.18\.30\.10 -> 198\.18\.32\.10 crossed rb \(\d+ packets\), not ra \(0\)$/);
  });

  expectFailures(t, await check(lab), []);
});

t.test("labs/ecmp: passes; when r2 stops forwarding, the spread fails", async (t) => {
  const lab = await upWhenFree("labs/ecmp");
  t.teardown(() => lab.down());
  const intact = await check(lab);
  expectFailures(t, intact, []);
  t.ok(validateReport(JSON.parse(JSON.stringify(intact))), JSON.stringify(validateReport.errors));
  const taken = intact.expectations[1]!.evidence["taken"] as Record<string, string[]>;
  t.ok(taken["r1"]!.length > 0 && taken["r2"]!.length > 0, `both routers carry sources (${intact.expectations[1]!.observed})`);

  // ip_forward is read-only in containers: a drop rule ahead of the counters stops r2.
  await sh(lab, "r2", ["nft", "add", "table", "inet", "broken"]);
  await sh(lab, "r2", ["nft", "add", "chain", "inet", "broken", "forward", "{ type filter hook forward priority -10; policy drop; }"]);
  t.teardown(() => sh(lab, "r2", ["nft", "delete", "table", "inet", "broken"]));
  const report = await check(lab);
  expectFailures(t, report, [0, 1]);
  const lost = taken["r2"]!;
  t.match(report.expectations[1]!.message, `reached none of r1 and r2; r2 got no source`);
  for (const s of lost) t.match(report.expectations[1]!.message, s, `names ${s}, which the hash sends to r2`);
  t.match(report.expectations[0]!.message, /missing/);
});

t.test("labs/nat-lb: passes; SNAT on the balancer hides the clients from the backends", async (t) => {
  const lab = await upWhenFree("labs/nat-lb");
  t.teardown(() => lab.down());
  const intact = await check(lab);
  expectFailures(t, intact, []);
  t.match(intact.expectations[8]!.message, /198\.18\.20\.10 -> 198\.18\.20\.100 \(translated to 198\.18\.21\.10\) crossed lb/, "the virtual address is matched with its DNAT target");

  await sh(lab, "lb", ["nft", "add", "table", "ip", "broken"]);
  await sh(lab, "lb", ["nft", "add", "chain", "ip", "broken", "post", "{ type nat hook postrouting priority srcnat; policy accept; }"]);
  await sh(lab, "lb", ["nft", "add", "rule", "ip", "broken", "post", "ip", "daddr", "198.18.21.0/24", "masquerade"]);
  t.teardown(() => sh(lab, "lb", ["nft", "delete", "table", "ip", "broken"]));
  const report = await check(lab);
  // delivered x6 (0-5) and the path (8) still hold: the messages arrive, through the balancer.
  expectFailures(t, report, [6, 7, 9]);
  t.match(report.expectations[6]!.message, /^b1 saw 198\.18\.21\.2 only; 0 of the sources seen, at least 1 expected; 198\.18\.21\.2 is not among the expected sources .*SNAT/);
  t.match(report.expectations[9]!.message, /reached none of b1 and b2; b1 and b2 got no source/);
});
