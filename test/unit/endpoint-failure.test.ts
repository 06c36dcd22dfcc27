// A broken endpoint (could not bind, connect or start) fails the run through a built-in check of
// kind "endpoint", even when every expectation of the lab holds, and no report counts its
// messages as sent: JSON (valid by its schema), JUnit, TAP, the terminal and the HTML page.
import t from "tap";
import { Ajv } from "ajv";
import { Parser, type Result } from "tap-parser";
import { judge } from "../../controller/run/index.js";
import { endpointFailures } from "../../controller/expect/index.js";
import { jsonReport, reportSchema } from "../../controller/report/json.js";
import { junitXml } from "../../controller/report/junit.js";
import { tapText } from "../../controller/report/tap.js";
import { expectationsText } from "../../controller/report/expectations-text.js";
import { trafficText } from "../../controller/report/traffic-text.js";
import { htmlReport } from "../../controller/report/html.js";
import type { Lab } from "../../controller/lab/types.js";
import type { Observations } from "../../controller/expect/types.js";
import type { EndpointReport } from "../../controller/traffic/types.js";

const BIND_ERROR = "bind tcp://*:5556: Address already in use";

function endpoint(name: string, more: Partial<EndpointReport>): EndpointReport {
  return {
    name,
    node: "server",
    socket: "pub",
    bind: [],
    connect: [],
    sent: 0,
    received: 0,
    from: {},
    gaps: 0,
    duplicates: 0,
    reordered: 0,
    peers: [],
    handshakes: [],
    noHandshake: [],
    errors: [],
    ...more,
  };
}

function observations(endpoints: EndpointReport[]): Observations {
  return { traffic: { lab: "twice", started: "2026-01-01T00:00:00.000Z", durationMs: 1500, clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 }, endpoints }, flows: {}, addresses: {} };
}

const healthy = [
  endpoint("quotes", { bind: ["tcp://198.19.40.10:5556"], sent: 100 }),
  endpoint("reader", { node: "client", socket: "sub", connect: ["tcp://198.19.40.10:5556"], received: 100, from: { quotes: 100 }, handshakes: ["tcp://198.19.40.10:5556"] }),
];
const broken = endpoint("quotes2", { bind: ["tcp://*:5556"], errors: [BIND_ERROR], failures: [BIND_ERROR] });
const lab: Lab = { name: "twice", networks: {}, nodes: {}, expect: [{ delivered: { endpoint: "reader", count: 100, from: "quotes" } }] };

const good = judge(lab, observations(healthy));
const bad = judge(lab, observations([...healthy, broken]));

t.test("every endpoint started: no built-in check shows, the lab's expectations decide", async (t) => {
  t.same(
    good.expectations.map((e) => e.kind),
    ["delivered"],
  );
  t.equal(good.ok, true);
  t.same(endpointFailures(observations(healthy)), []);
});

t.test("a broken endpoint fails the run though every expectation holds", async (t) => {
  t.same(
    bad.expectations.map((e) => [e.kind, e.ok]),
    [
      ["delivered", true],
      ["endpoint", false],
    ],
    "the lab's expectation first, in the file's order; then the built-in check",
  );
  t.equal(bad.ok, false, "the run fails (exit 1)");
  const check = bad.expectations[1]!;
  t.equal(check.description, "endpoint quotes2 on server starts (binds tcp://*:5556)");
  t.equal(check.observed, BIND_ERROR, "the error itself");
  t.match(check.message, /^endpoint failure: quotes2 on server could not start: bind tcp:\/\/\*:5556: Address already in use; it carried no traffic/);
  t.same(check.spec, { endpoint: "quotes2", node: "server" });
  t.same(check.evidence["failures"], [BIND_ERROR]);
});

t.test("an error later in the traffic is a note, not an endpoint failure", async (t) => {
  const late = endpoint("asker", { socket: "req", connect: ["tcp://198.19.40.10:5599"], errors: ["no reply to request 0 within 2000 ms; stopped sending"] });
  const report = judge({ ...lab, expect: [] }, observations([late]));
  t.same(report.expectations, []);
  t.equal(report.ok, true);
});

t.test("JSON: valid by the schema, with the endpoint's failures and the check", async (t) => {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate = ajv.compile(reportSchema());
  const parsed = JSON.parse(jsonReport(bad)) as { ok: boolean; endpoints: Record<string, unknown>[]; expectations: Record<string, unknown>[] };
  t.ok(validate(parsed), JSON.stringify(validate.errors));
  t.equal(parsed.ok, false);
  t.same(parsed.endpoints[2]?.["failures"], [BIND_ERROR]);
  t.equal(parsed.endpoints[2]?.["sent"], 0, "nothing counted as sent");
  t.equal(parsed.expectations[1]?.["kind"], "endpoint");
  const emptied = { ...parsed, endpoints: parsed.endpoints.map((e, i) => (i === 2 ? { ...e, failures: [] } : e)) };
  t.notOk(validate(emptied), "failures, when present, name at least one");
});

t.test("JUnit: a failed test case classed endpoint, counted among the failures", async (t) => {
  const xml = junitXml(bad);
  t.match(xml, /<testsuite name="twice" tests="2" failures="1"/);
  t.match(
    xml,
    /<testcase name="endpoint quotes2 on server starts \(binds tcp:\/\/\*:5556\)" classname="endpoint" time="0">\n {6}<failure message="endpoint failure: quotes2 on server could not start: bind tcp:\/\/\*:5556: Address already in use/,
  );
});

t.test("TAP: a test point that is not ok, and the verdict names the endpoint", async (t) => {
  const text = tapText(bad);
  const results: Result[] = [];
  const parser = new Parser();
  parser.on("assert", (r: Result) => results.push(r));
  const done = new Promise<{ ok: boolean }>((resolve) => parser.on("complete", resolve));
  parser.end(text);
  t.equal((await done).ok, false);
  t.same(
    results.map((r) => [r.ok, r.name]),
    [
      [true, bad.expectations[0]!.description],
      [false, "endpoint quotes2 on server starts (binds tcp://*:5556)"],
    ],
  );
  t.match(text, /# lab twice: 1 endpoint failed \(quotes2\); the expectation holds\n$/);
});

t.test("terminal: no numbers for the broken endpoint, its error marked, the verdict first names it", async (t) => {
  const traffic = trafficText(bad);
  const row = traffic.split("\n").find((l) => l.startsWith("quotes2"))!;
  t.match(row, /^quotes2\s+server\s+pub\s+-\s+-\s+/, "sent and received are not shown as numbers");
  t.match(row, /FAILED: bind tcp:\/\/\*:5556: Address already in use/);
  t.notMatch(
    traffic.split("\n").find((l) => l.startsWith("quotes "))!,
    /FAILED/,
    "the healthy endpoint is not marked",
  );
  const text = expectationsText(bad.expectations);
  t.match(text, /FAIL\s+endpoint\s+endpoint quotes2 on server starts/);
  t.match(text, /\n {2}FAIL endpoint failure: quotes2 on server could not start: bind/);
  t.match(text, /1 endpoint failed \(quotes2\); the expectation holds$/);
  t.match(expectationsText(good.expectations), /the expectation holds$/);
});

t.test("HTML: the check, the endpoint failure and the verdict", async (t) => {
  const html = htmlReport(lab, bad);
  t.match(html, /<td>endpoint<\/td><td>endpoint quotes2 on server starts/);
  t.match(html, /endpoint failure: bind tcp:\/\/\*:5556: Address already in use/);
  t.match(html, /class="verdict bad">1 endpoint failed \(quotes2\); the expectation holds/);
});

t.test("endpointCheck on its own: a healthy endpoint passes, a broken one names what it binds and connects", async (t) => {
  const { endpointCheck } = await import("../../controller/expect/index.js");
  const fine = endpointCheck(healthy[1]!);
  t.equal(fine.ok, true, "no failures field: it started");
  t.equal(fine.observed, "running");
  t.equal(fine.expected, "bound, connected, running");
  t.equal(fine.message, "reader started");
  t.equal(fine.description, "endpoint reader on client starts (connects tcp://198.19.40.10:5556)");
  t.same(fine.evidence, { failures: [], errors: [] });
  t.equal(endpointCheck(endpoint("quiet", { failures: [] })).ok, true, "an empty failures list: it started");
  t.equal(endpointCheck(endpoint("quiet", {})).description, "endpoint quiet on server starts", "nothing bound or connected: no parenthesis");

  const both = endpointCheck(endpoint("relay", { bind: ["tcp://198.19.40.10:6000"], connect: ["tcp://198.19.40.11:0;198.19.40.20:6001"], failures: ["a", "b"] }));
  t.equal(both.ok, false);
  t.equal(both.description, "endpoint relay on server starts (binds tcp://198.19.40.10:6000, connects tcp://198.19.40.11:0;198.19.40.20:6001)");
  t.equal(both.observed, "a; b");
  t.equal(both.message, "endpoint failure: relay on server could not start: a; b; it carried no traffic (nothing is counted as sent)");
  t.same(both.spec, { endpoint: "relay", node: "server" });
});
