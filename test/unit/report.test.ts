// The report formats: JSON that validates against its documented schema, a well-formed JUnit
// file naming every expectation, TAP that a TAP parser reads back, and the terminal table.
import t from "tap";
import { Ajv } from "ajv";
import { Parser, type Result } from "tap-parser";
import { judge, type LabReport } from "../../controller/run/index.js";
import { jsonReport, reportSchema } from "../../controller/report/json.js";
import { junitXml, xmlEscape } from "../../controller/report/junit.js";
import { tapText } from "../../controller/report/tap.js";
import { expectationsText } from "../../controller/report/expectations-text.js";
import { htmlReport } from "../../controller/report/html.js";
import { instanceText, relocationText } from "../../controller/report/instance-text.js";
import type { Lab } from "../../controller/lab/types.js";
import type { Observations } from "../../controller/expect/types.js";
import { instanceKey, instanceLab, translateValue, type Relocation } from "../../controller/lab/relocate.js";

const observations: Observations = {
  traffic: {
    lab: "source-ip",
    started: "2025-01-01T00:00:00.000Z",
    durationMs: 6719,
    clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 },
    endpoints: [
      {
        name: "quotes",
        node: "server",
        socket: "pub",
        bind: ["tcp://198.18.2.10:5556"],
        connect: [],
        sent: 1000,
        received: 0,
        from: {},
        gaps: 0,
        duplicates: 0,
        reordered: 0,
        peers: [{ local: "198.18.2.10:5556", address: "198.18.1.10", port: 40001 }],
        handshakes: [],
        noHandshake: [],
        errors: [],
        rate: 11000,
      },
      {
        name: "via-r1",
        node: "client",
        socket: "sub",
        bind: [],
        connect: ["tcp://198.18.1.10:0;198.18.2.10:5556"],
        sent: 0,
        received: 1000,
        from: { quotes: 1000 },
        gaps: 0,
        duplicates: 0,
        reordered: 0,
        peers: [],
        handshakes: ["tcp://198.18.1.10:0;198.18.2.10:5556"],
        noHandshake: [],
        errors: [],
      },
      {
        name: "wrong-ip",
        node: "client",
        socket: "sub",
        bind: [],
        connect: ["tcp://198.18.1.10:0;198.18.2.11:5556"],
        sent: 0,
        received: 0,
        from: {},
        gaps: 0,
        duplicates: 0,
        reordered: 0,
        peers: [],
        handshakes: [],
        noHandshake: [
          {
            connect: "tcp://198.18.1.10:0;198.18.2.11:5556",
            source: "198.18.1.10",
            destination: "198.18.2.11:5556",
            afterMs: 2000,
            nodeAddresses: ["198.18.1.10 (clients)"],
            message: 'no handshake <&> "quoted" # not a directive',
          },
        ],
        errors: [],
      },
    ],
  },
  flows: { r1: [{ from: "198.18.1.10", to: "198.18.2.10", packets: 40, bytes: 4000 }], r2: [] },
  addresses: {},
};

const lab: Lab = {
  name: "source-ip",
  networks: {},
  nodes: {},
  expect: [
    { delivered: { endpoint: "via-r1", count: 1000, from: "quotes" } },
    { sourceSeen: { endpoint: "quotes", source: ["198.18.1.10", "198.18.1.11"], only: true } },
    { path: { from: "198.18.1.10", to: "198.18.2.10", via: "r1", not: "r2" } },
    { unreachable: { endpoint: "wrong-ip" } },
    { unreachable: { endpoint: "via-r1" } },
  ],
};
const report: LabReport = judge(lab, observations);

t.test("the verdicts behind the fixtures", async (t) => {
  t.same(
    report.expectations.map((e) => e.ok),
    [true, false, true, true, false],
  );
  t.equal(report.ok, false);
});

t.test("JSON: the traffic report plus ok and expectations, valid by its schema", async (t) => {
  const ajv = new Ajv({ allErrors: true, strict: true });
  const validate = ajv.compile(reportSchema());
  const parsed = JSON.parse(jsonReport(report)) as Record<string, unknown>;
  t.ok(validate(parsed), JSON.stringify(validate.errors));
  for (const key of ["lab", "started", "durationMs", "endpoints", "ok", "expectations", "flows"]) t.ok(key in parsed, `has ${key}`);
  for (const e of parsed["expectations"] as Record<string, unknown>[]) {
    for (const key of ["kind", "description", "ok", "expected", "observed"]) t.ok(key in e, `expectation has ${key}`);
  }
  const bad = { ...parsed, expectations: [{ kind: "teleported", description: "x", ok: true }] };
  t.notOk(validate(bad), "the schema rejects an unknown kind and missing fields");
  t.notOk(validate({ ...parsed, ok: "yes" }), "ok is a boolean");
});

/** A strict-enough XML well-formedness check: one root, nested tags, quoted attributes, entities. */
function wellFormed(xml: string): { ok: boolean; why?: string; elements: { name: string; attrs: Record<string, string> }[] } {
  const elements: { name: string; attrs: Record<string, string> }[] = [];
  const body = xml.replace(/^<\?xml [^?]*\?>\s*/, "");
  const stack: string[] = [];
  let roots = 0;
  const entity = /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/;
  const decode = (s: string) =>
    s
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&apos;/g, "'")
      .replace(/&amp;/g, "&");
  const token = /<[^>]*>|[^<]+/g;
  for (const m of body.matchAll(token)) {
    const text = m[0];
    if (!text.startsWith("<")) {
      if (entity.test(text)) return { ok: false, why: `bad entity in text: ${text}`, elements };
      if (stack.length === 0 && text.trim()) return { ok: false, why: `text outside the root: ${text}`, elements };
      continue;
    }
    const close = /^<\/([A-Za-z_][\w.-]*)\s*>$/.exec(text);
    if (close) {
      if (stack.pop() !== close[1]) return { ok: false, why: `unbalanced </${close[1]}>`, elements };
      continue;
    }
    const open = /^<([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>$/.exec(text);
    if (!open) return { ok: false, why: `malformed tag: ${text}`, elements };
    const attrs: Record<string, string> = {};
    for (const a of open[2]!.matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
      if (a[1]! in attrs) return { ok: false, why: `duplicate attribute ${a[1]}`, elements };
      if (entity.test(a[2]!)) return { ok: false, why: `bad entity in attribute: ${a[2]}`, elements };
      attrs[a[1]!] = decode(a[2]!);
    }
    elements.push({ name: open[1]!, attrs });
    if (stack.length === 0) roots++;
    if (!open[3]) stack.push(open[1]!);
  }
  if (stack.length) return { ok: false, why: `unclosed ${stack.join(", ")}`, elements };
  if (roots !== 1) return { ok: false, why: `${roots} root elements`, elements };
  return { ok: true, elements };
}

t.test("JUnit: well-formed, one test case per expectation, failures with messages", async (t) => {
  const xml = junitXml(report);
  const parsed = wellFormed(xml);
  t.ok(parsed.ok, parsed.why ?? "well-formed");
  t.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>'));
  const suites = parsed.elements.filter((e) => e.name === "testsuite");
  t.equal(suites.length, 1);
  t.same(suites[0]!.attrs, { ...suites[0]!.attrs, name: "source-ip", tests: "5", failures: "2" });
  const cases = parsed.elements.filter((e) => e.name === "testcase");
  t.same(
    cases.map((c) => c.attrs["name"]),
    report.expectations.map((e) => e.description),
    "each test case is named by its expectation",
  );
  t.same(
    cases.map((c) => c.attrs["classname"]),
    report.expectations.map((e) => e.kind),
    "classed by kind",
  );
  const failures = parsed.elements.filter((e) => e.name === "failure");
  t.same(
    failures.map((f) => f.attrs["message"]),
    report.expectations.filter((e) => !e.ok).map((e) => e.message),
    "a failure per failed expectation, with its message",
  );

  t.equal(xmlEscape(`a<b>&"c"'d'`), "a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos;");
  t.equal(xmlEscape("bell\u0007"), "bell", "characters XML cannot carry are dropped");
  t.ok(wellFormed(junitXml({ ...report, lab: `<"&lab'>`, expectations: [] })).ok, "an empty suite with an awkward name");
  t.notOk(wellFormed("<a><b></a></b>").ok, "the checker itself rejects bad nesting");
  t.notOk(wellFormed('<a x="1 & 2"/>').ok, "and raw ampersands");
});

t.test("TAP: version 14, parsed back by a TAP parser", async (t) => {
  const text = tapText(report);
  t.match(text, /^TAP version 14\n1\.\.5\n/);
  const results: Result[] = [];
  const parser = new Parser();
  parser.on("assert", (r: Result) => results.push(r));
  const done = new Promise<{ ok: boolean; count: number; pass: number; fail: number; plan: { start: number; end: number } }>((resolve) => parser.on("complete", resolve));
  parser.end(text);
  const final = await done;
  t.equal(final.count, 5);
  t.equal(final.pass, 3);
  t.equal(final.fail, 2);
  t.equal(final.ok, false);
  t.same(final.plan, { ...final.plan, start: 1, end: 5 });
  t.same(
    results.map((r) => r.name),
    report.expectations.map((e) => e.description),
    "names read back",
  );
  t.same(
    results.map((r) => r.ok),
    report.expectations.map((e) => e.ok),
  );
  const failed = results.find((r) => !r.ok)!;
  const diag = failed.diag as Record<string, unknown>;
  t.equal(diag["kind"], "sourceSeen", "the YAML block parses");
  t.equal(diag["expected"], "198.18.1.10, 198.18.1.11 (only)");
  t.equal(diag["observed"], "198.18.1.10");
  t.match(String(diag["message"]), /198\.18\.1\.11 missing/);

  // A description with a # must not turn into a directive.
  const hashy = tapText({ ...report, expectations: [{ ...report.expectations[0]!, description: "a # TODO b" }] });
  const p2 = new Parser();
  const todo: Result[] = [];
  p2.on("assert", (r: Result) => todo.push(r));
  const end2 = new Promise((resolve) => p2.on("complete", resolve));
  p2.end(hashy);
  await end2;
  t.notOk(todo[0]!.todo, "no TODO directive");
  t.equal(todo[0]!.name, "a # TODO b");
});

t.test("terminal table", async (t) => {
  const text = expectationsText(report.expectations);
  t.match(text, /PASS\s+delivered\s+via-r1 receives exactly 1000 messages from quotes/);
  t.match(text, /FAIL\s+sourceSeen/);
  t.match(text, /FAIL 2 \(sourceSeen\): server saw 198\.18\.1\.10 only; 198\.18\.1\.11 missing/);
  t.match(text, /2 of 5 expectations failed$/);
  t.match(expectationsText([]), /no expectations/);
  t.match(expectationsText(report.expectations.filter((e) => e.ok)), /all 3 expectations hold$/);
});

/** The fixtures run as an instance whose block moved: the lab, traffic and counters at the moved addresses. */
function asInstance(name: string, to: string): LabReport {
  const relocations: Relocation[] = [{ from: "198.18.0.0/22", to }];
  const moved = translateValue(observations, relocations);
  return judge(instanceLab(lab, name, relocations), { ...moved, traffic: { ...moved.traffic, lab: instanceKey(lab.name, name) } }, { fileLab: lab, instance: name, relocations });
}

t.test("an instance: every format names what the lab file names; the instance and its addresses beside", async (t) => {
  const first = asInstance("i3fa2c1", "198.18.8.0/22");
  const second = asInstance("i0b1d2e", "198.18.12.0/22");
  t.same(
    first.expectations.map((e) => e.ok),
    report.expectations.map((e) => e.ok),
    "the same verdicts at the moved addresses",
  );
  t.equal(first.lab, "source-ip", "the report's lab is the lab file's");
  t.same(
    first.expectations.map((e) => e.description),
    report.expectations.map((e) => e.description),
    "descriptions as in a plain run",
  );
  t.same(
    first.expectations.map((e) => e.actual?.description),
    [
      undefined,
      "connections to quotes come only from 198.18.9.10 and 198.18.9.11",
      "198.18.9.10 -> 198.18.10.10 crosses r1, not r2",
      "wrong-ip never completes a handshake (198.18.9.10:0 -> 198.18.10.11:5556)",
      "via-r1 never completes a handshake (198.18.9.10:0 -> 198.18.10.10:5556)",
    ],
    "the actual ones beside, where they differ",
  );

  t.test("JUnit: identical suite and test case names; the instance in properties", async (t) => {
    const names = (r: LabReport) => {
      const parsed = wellFormed(junitXml(r));
      t.ok(parsed.ok, parsed.why ?? "well-formed");
      return parsed.elements.filter((e) => e.name === "testsuite" || e.name === "testcase").map((e) => `${e.name} ${e.attrs["name"]}`);
    };
    t.same(names(first), names(second), "two instances: the same names");
    t.same(names(first), names(report), "and those of a plain run");
    const xml = junitXml(first);
    t.match(
      xml,
      '    <properties>\n      <property name="clock.t0" value="2026-01-01T00:00:00.000Z"/>\n      <property name="instance.name" value="i3fa2c1"/>\n      <property name="instance.relocation" value="198.18.0.0/22 -&gt; 198.18.8.0/22"/>\n    </properties>\n    <testcase ',
      "the suite's properties come before its test cases",
    );
    t.match(
      xml,
      '<testcase name="198.18.1.10 -&gt; 198.18.2.10 crosses r1, not r2" classname="path" time="0">\n      <properties>\n        <property name="actual.description" value="198.18.9.10 -&gt; 198.18.10.10 crosses r1, not r2"/>\n      </properties>\n',
      "a test case's actual description",
    );
    t.match(xml, /<system-out>expected: 198\.18\.9\.10, 198\.18\.9\.11 \(only\)/, "what was expected and observed, at the actual addresses");
    t.notMatch(junitXml(report), "instance.", "a plain run: no instance properties");
    t.match(junitXml(report), '<property name="clock.t0" value="2026-01-01T00:00:00.000Z"/>', "but its time base");
  });

  t.test("JSON: valid by the schema, with the instance and the actual descriptions", async (t) => {
    const validate = new Ajv({ allErrors: true, strict: true }).compile(reportSchema());
    const parsed = JSON.parse(jsonReport(first)) as Record<string, unknown> & { expectations: Record<string, unknown>[] };
    t.ok(validate(parsed), JSON.stringify(validate.errors));
    t.same(parsed["instance"], { name: "i3fa2c1", lab: "source-ip", relocations: [{ from: "198.18.0.0/22", to: "198.18.8.0/22" }] });
    t.same(parsed.expectations[2]!["actual"], { description: "198.18.9.10 -> 198.18.10.10 crosses r1, not r2" });
    const old = { ...parsed, expectations: [{ ...parsed.expectations[2]!, actual: undefined, labFile: { description: "x" } }] };
    t.notOk(validate(JSON.parse(JSON.stringify(old))), "the former labFile field is no longer part of the format");
  });

  t.test("TAP, the terminal and the page: the lab file's names, the actual ones beside", async (t) => {
    const tap = tapText(first);
    t.match(
      tap,
      "not ok 2 - connections to quotes come only from 198.18.1.10 and 198.18.1.11\n  ---\n  kind: sourceSeen\n  actual: connections to quotes come only from 198.18.9.10 and 198.18.9.11\n",
    );
    t.match(tap, /# lab source-ip \(instance i3fa2c1\): 2 of 5 expectations failed\n$/);
    t.match(tapText(report), /# lab source-ip: 2 of 5/, "a plain run names no instance");
    t.match(expectationsText(first.expectations), "198.18.1.10 -> 198.18.2.10 crosses r1, not r2 (actual: 198.18.9.10 -> 198.18.10.10 crosses r1, not r2)");
    const page = htmlReport(instanceLab(lab, "i3fa2c1", first.instance!.relocations), first);
    t.match(page, "<h1>Lab source-ip</h1>\n<div>instance i3fa2c1 of lab source-ip: the lab file&#39;s 198.18.0.0/22 runs at 198.18.8.0/22</div>\n");
    t.match(page, '<td>198.18.1.10 -&gt; 198.18.2.10 crosses r1, not r2<div class="small">actual: 198.18.9.10 -&gt; 198.18.10.10 crosses r1, not r2</div></td>');
    t.notMatch(htmlReport(lab, report), "instance", "a plain run's page names no instance");
  });
});

t.test("an instance in words", async (t) => {
  t.equal(
    instanceText({
      name: "ci-3",
      lab: "ecmp",
      relocations: [
        { from: "198.18.0.0/22", to: "198.18.8.0/22" },
        { from: "2001:2::/64", to: "2001:2:0:8::/64" },
      ],
    }),
    "instance ci-3 of lab ecmp: the lab file's 198.18.0.0/22 runs at 198.18.8.0/22, 2001:2::/64 runs at 2001:2:0:8::/64",
  );
  t.equal(relocationText([]), "no address moved", "an instance that kept the lab file's block");
});
