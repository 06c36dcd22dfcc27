// Expectations on the real engine, on the flagship lab: it passes as declared; then it is broken
// by hand while it is up (policy routes swapped, the extra address dropped, a router stops
// forwarding, a wrong source, a listener on every address) and checked again without
// provisioning (what `zmqlab check` does): exactly the expectations that should fail do, and
// their messages point at the cause. Restored after each break.
import t, { type Test } from "tap";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { attach, check, type LabReport, type RunningLab } from "../../controller/index.js";
import { loadLab } from "../../controller/advanced.js";
import { reportSchema } from "../../controller/report/json.js";
import { cli, labeled, sh, upWhenFree } from "../support/helpers.js";

/** Indexes of the failed expectations. */
const failed = (report: LabReport) => report.expectations.flatMap((e, i) => (e.ok ? [] : [i]));

// labs/source-ip's expectations, by index.
const VIA_R1 = 0,
  VIA_R2 = 1,
  SOURCES = 2,
  PATH_10 = 3,
  PATH_11 = 4,
  WRONG_IP = 5;

function expectFailures(t: Test, report: LabReport, indexes: number[]) {
  t.same(failed(report), indexes, `failing exactly: ${indexes.map((i) => report.expectations[i]?.description).join(" | ") || "none"}`);
  t.equal(report.ok, indexes.length === 0, "ok says the same");
}

const lab = await upWhenFree("labs/source-ip");
t.teardown(() => lab.down());

t.test("as declared, every expectation holds", async (t) => {
  const report = await check(lab);
  t.equal(report.expectations.length, 6);
  expectFailures(t, report, []);
  t.same(
    report.expectations.map((e) => e.kind),
    ["delivered", "delivered", "sourceSeen", "path", "path", "unreachable"],
  );
  t.ok(report.flows["r1"] && report.flows["r2"], "counters of both routers are in the report");
  const ajv = new Ajv({ allErrors: true });
  t.ok(ajv.validate(reportSchema(), JSON.parse(JSON.stringify(report))), JSON.stringify(ajv.errors));
});

t.test("policy routes swapped: both paths fail, naming the router each source really took", async (t) => {
  const { rules } = await lab.node("client").kernel();
  const table10 = rules.find((r) => r.from === "198.18.1.10")!.table;
  const table11 = rules.find((r) => r.from === "198.18.1.11")!.table;
  const route = (table: string, via: string) => ["ip", "route", "replace", "198.18.2.0/24", "via", via, "dev", "clients", "table", table];
  await sh(lab, "client", route(table10, "198.18.1.3"));
  await sh(lab, "client", route(table11, "198.18.1.2"));
  t.teardown(async () => {
    await sh(lab, "client", route(table10, "198.18.1.2"));
    await sh(lab, "client", route(table11, "198.18.1.3"));
  });
  const report = await check(lab);
  expectFailures(t, report, [PATH_10, PATH_11]);
  t.match(report.expectations[PATH_10]!.message, /^198\.18\.1\.10 -> 198\.18\.2\.10 crossed r2 \(\d+ packets\), not r1 \(0\)$/);
  t.match(report.expectations[PATH_11]!.message, /^198\.18\.1\.11 -> 198\.18\.2\.10 crossed r1 \(\d+ packets\), not r2 \(0\)$/);
});

t.test("the extra address dropped: via-r2's delivery, the server's sources and .11's path fail", async (t) => {
  await sh(lab, "client", ["ip", "addr", "del", "198.18.1.11/24", "dev", "clients"]);
  t.teardown(() => sh(lab, "client", ["ip", "addr", "add", "198.18.1.11/24", "dev", "clients"]));
  const report = await check(lab);
  expectFailures(t, report, [VIA_R2, SOURCES, PATH_11]);
  t.match(report.expectations[VIA_R2]!.message, /via-r2 received 0 from quotes, expected 1000: .*the source 198\.18\.1\.11 is not an address of client/);
  t.match(report.expectations[SOURCES]!.message, /^server saw 198\.18\.1\.10 only; 198\.18\.1\.11 missing/);
  t.match(report.expectations[PATH_11]!.message, /198\.18\.1\.11 -> 198\.18\.2\.10 crossed no forwarding node/);
});

t.test("r1 stops forwarding: what went through r1 fails, r2's side still holds", async (t) => {
  // /proc/sys is read-only in containers, so ip_forward cannot be switched off: drop in the
  // forward hook instead, ahead of zmqlab's counters (priority -5).
  const check0 = await lab.node("r1").exec(["sysctl", "-w", "net.ipv4.ip_forward=0"]);
  t.not(check0.exitCode, 0, "ip_forward is read-only here (so a drop rule stands in for it)");
  await sh(lab, "r1", ["nft", "add", "table", "inet", "broken"]);
  await sh(lab, "r1", ["nft", "add", "chain", "inet", "broken", "forward", "{ type filter hook forward priority -10; policy drop; }"]);
  t.teardown(() => sh(lab, "r1", ["nft", "delete", "table", "inet", "broken"]));
  const report = await check(lab);
  expectFailures(t, report, [VIA_R1, SOURCES, PATH_10]);
  t.match(report.expectations[VIA_R1]!.message, /via-r1 received 0 from quotes, expected 1000: .*no ZeroMQ handshake with 198\.18\.2\.10:5556 from 198\.18\.1\.10/);
  t.match(report.expectations[SOURCES]!.message, /^server saw 198\.18\.1\.11 only; 198\.18\.1\.10 missing/);
  t.match(report.expectations[PATH_10]!.message, /crossed no forwarding node: r1 counted 0 packets, r2 0/);
});

t.test("a wrong source (zmqlab check with a broken variant): the server's sources and .11's path fail", async (t) => {
  const file = join(t.testdir(), "report.json");
  const result = await cli(["check", "test/fixtures/broken/wrong-source", "--json", file]);
  t.equal(result.code, 1, "exit 1: an expectation failed");
  t.match(result.stderr, /lab source-ip is up: checking it as it is/);
  t.match(result.stdout, /FAIL\s+sourceSeen\s+connections to quotes come only from 198\.18\.1\.10 and 198\.18\.1\.11/);
  t.match(result.stdout, /FAIL 3 \(sourceSeen\): server saw 198\.18\.1\.10 only; 198\.18\.1\.11 missing/);
  t.match(result.stdout, /FAIL 5 \(path\): 198\.18\.1\.11 -> 198\.18\.2\.10 crossed no forwarding node/);
  t.match(result.stdout, /2 of 6 expectations failed/);
  const report = JSON.parse(readFileSync(file, "utf8")) as LabReport;
  expectFailures(t, report, [SOURCES, PATH_11]);
  t.same(await labeled("source-ip"), { containers: 4, networks: 2 }, "zmqlab check leaves the lab up");
});

t.test("a listener on every address: only 'wrong-ip is unreachable' fails", async (t) => {
  const broken = await attach(loadLab("test/fixtures/broken/listen-everywhere"));
  const report = await check(broken);
  expectFailures(t, report, [WRONG_IP]);
  t.equal(report.expectations[WRONG_IP]!.observed, "handshake completed");
  t.match(report.expectations[WRONG_IP]!.message, /^handshake completed: 198\.18\.1\.10:0 -> 198\.18\.2\.11:5556/);
});

t.test("restored by hand, the lab passes again; TAP and JUnit from zmqlab check", async (t) => {
  const file = join(t.testdir(), "junit.xml");
  const result = await cli(["check", "labs/source-ip", "--tap", "--junit", file]);
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, /^TAP version 14\n1\.\.6\n/, "stdout is TAP alone");
  t.equal(result.stdout.split("\n").filter((l) => /^ok \d+ - /.test(l)).length, 6, "six passing test points");
  t.match(result.stderr, /all 6 expectations hold/, "the table went to stderr");
  const xml = readFileSync(file, "utf8");
  t.equal(xml.match(/<testcase /g)?.length, 6);
  t.notMatch(xml, /<failure/);
});
