// Where each node ran, on a cluster (issue 11): the graph, the HTML page and the JSON report say
// it; on one engine nothing about hosts appears.
import t from "tap";
import { Ajv } from "ajv";
import { loadLab } from "../../controller/lab/load.js";
import { topologyMermaid } from "../../controller/report/mermaid.js";
import { htmlReport } from "../../controller/report/html.js";
import { jsonReport, reportSchema } from "../../controller/report/json.js";
import { hostsOf, type LabReport } from "../../controller/run/index.js";

const { lab } = loadLab("labs/source-ip");
const HOSTS = { client: "h1", r1: "h2", r2: "h2", server: "h3" };
const report: LabReport = {
  lab: "source-ip",
  started: "2026-11-28T10:00:00.000Z",
  durationMs: 1000,
  clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 },
  ok: true,
  endpoints: [],
  flows: {},
  expectations: [],
  hosts: HOSTS,
};

t.test("hostsOf: a node's host when the plan has one, nothing on one engine", async (t) => {
  t.same(
    hostsOf([
      { name: "a", host: "h1" },
      { name: "b", host: "h2" },
    ]),
    { a: "h1", b: "h2" },
    "each placed node",
  );
  t.equal(hostsOf([{ name: "a" }, { name: "b" }]), undefined, "one engine: no hosts at all");
  t.same(hostsOf([{ name: "a" }, { name: "b", host: "h2" }]), { b: "h2" }, "only the placed ones");
});

t.test("the graph shows each node's host under its name", async (t) => {
  const mermaid = topologyMermaid(lab, [], HOSTS);
  t.match(mermaid, `node_client["client<br/><i>on h1</i>"]`, "a host under a node's name");
  t.match(mermaid, `node_r1{{"r1<br/><i>on h2</i><br/><i>forwards</i>"}}`, "a router: its host, then that it forwards");
  t.notMatch(topologyMermaid(lab), /<i>on /, "one engine: no host");
});

t.test("the HTML page shows each node's host in its box", async (t) => {
  const html = htmlReport(lab, report);
  for (const [node, host] of Object.entries(HOSTS)) t.match(html, `on host ${host}`, `${node}'s host`);
  t.equal(html.split("on host h2").length - 1, 2, "both routers on h2");
  t.notMatch(htmlReport(lab, { ...report, hosts: undefined as never }), /on host/, "one engine: no host");
});

t.test("the JSON report carries hosts, and its schema accepts them", async (t) => {
  const json = JSON.parse(jsonReport(report)) as { hosts?: unknown };
  t.same(json.hosts, HOSTS, "hosts in the JSON report");
  const validate = new Ajv({ strict: false }).compile(reportSchema());
  t.ok(validate(json), `valid: ${JSON.stringify(validate.errors)}`);
  t.notOk(validate({ ...json, hosts: { client: 1 } }), "a host is a name");
});
