// The HTML page's text for what the fixtures elsewhere lack: a failed expectation with its lab
// file's words, broken and program endpoints, nodes that went away, unreadable counters, pages
// with nothing observed, and flows from IPv6 peers and duplicate peers.
import t from "tap";
import { loadLab } from "../../controller/lab/load.js";
import { htmlReport, observedFlows } from "../../controller/report/html.js";
import type { LabReport } from "../../controller/run/index.js";
import type { EndpointReport } from "../../controller/traffic/types.js";

const { lab } = loadLab("labs/source-ip");
const endpoint = (over: Partial<EndpointReport>): EndpointReport => ({
  name: "e",
  node: "client",
  socket: "sub",
  sent: 0,
  received: 0,
  from: {},
  gaps: 0,
  duplicates: 0,
  reordered: 0,
  bind: [],
  connect: [],
  peers: [],
  handshakes: [],
  noHandshake: [],
  errors: [],
  ...over,
});
const base: LabReport = {
  lab: "source-ip",
  started: "2026-11-28T10:00:00.000Z",
  durationMs: 1500,
  clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 },
  ok: false,
  endpoints: [],
  flows: {},
  expectations: [],
};
const text = (html: string) => html.replace(/<style>[\s\S]*?<\/style>/g, "").replace(/<svg[\s\S]*?<\/svg>/g, "");

t.test("a page with nothing observed and nothing expected says so", async (t) => {
  const page = text(htmlReport(lab, { ...base, ok: true }));
  t.match(page, '<tr><td colspan="5">no flows observed</td></tr>', "no flows");
  t.match(page, '<tr><td colspan="5">this lab states no expectations</td></tr>', "no expectations");
  t.match(page, "<h2>Expectations (0 of 0 hold)</h2>", "the count");
  t.match(page, '<span class="verdict ok">no expectations</span>', "the verdict");
  t.notMatch(page, /Nodes that went away|<h2>Programs<\/h2>|<h2>Timeline<\/h2>/, "no sections for what did not happen");
  t.match(page, "2026-11-28T10:00:00.000Z · traffic 1500 ms", "when, and how long");
});

t.test("expectations, endpoints and programs: the page's words", async (t) => {
  const report: LabReport = {
    ...base,
    expectations: [
      { kind: "path", description: "198.18.1.10 -> x", actual: { description: "198.18.5.10 -> x" }, ok: false, expected: "r1 > 0", observed: "r1: 0", message: "no <packets>", spec: {}, evidence: {} },
      { kind: "delivered", description: "d", ok: true, expected: "e", observed: "o", message: "fine", spec: {}, evidence: {} },
    ],
    endpoints: [
      endpoint({ name: "bad", socket: "pub", sent: 7, received: 3, failures: ["bind failed", "agent died"], errors: ["bind failed"] }),
      endpoint({
        name: "sub1",
        sent: 0,
        received: 12,
        from: { q: 10, r: 2 },
        peers: [
          { local: "x", address: "198.18.1.10", port: 1 },
          { local: "y", address: "198.18.1.10", port: 2 },
        ],
        noHandshake: [{ connect: "c", destination: "198.18.2.9:5", afterMs: 1, nodeAddresses: [], message: "no handshake m" }],
        errors: ["err <x>"],
      }),
      endpoint({ name: "quiet" }),
      endpoint({ name: "app", socket: "program", program: { command: ["python3", "-c", "x\ny"], exitCode: 2, stopped: false, killed: false, durationMs: 1200, lastLines: ["one", "two <b>"] } }),
      endpoint({ name: "mute", socket: "program", program: { command: ["true"], exitCode: 0, stopped: false, killed: false, durationMs: 100, lastLines: [] } }),
    ],
  };
  const page = text(htmlReport(lab, report));
  t.match(
    page,
    '<tr class="fail"><td><b>FAIL</b></td><td>path</td><td>198.18.1.10 -&gt; x<div class="small">actual: 198.18.5.10 -&gt; x</div></td><td>r1 &gt; 0</td><td>r1: 0<div class="why">no &lt;packets&gt;</div></td></tr>',
    "a failed expectation: the lab file's words and why",
  );
  t.match(page, '<tr class="pass"><td><b>PASS</b></td><td>delivered</td><td>d</td><td>e</td><td>o</td></tr>', "a passed one: no why");
  t.match(page, "<h2>Expectations (1 of 2 hold)</h2>", "how many hold");
  t.match(
    page,
    '<tr><td>bad</td><td>client</td><td>pub</td><td>-</td><td>-</td><td>-</td><td>-</td><td><b class="why">endpoint failure: bind failed; agent died</b></td></tr>',
    "a broken endpoint: no counts, its failures",
  );
  t.match(
    page,
    "<tr><td>sub1</td><td>client</td><td>sub</td><td>0</td><td>12</td><td>q: 10, r: 2</td><td>198.18.1.10</td><td>no handshake m; err &lt;x&gt;</td></tr>",
    "counts, senders, a peer once, notes",
  );
  t.match(page, "<tr><td>quiet</td><td>client</td><td>sub</td><td>0</td><td>0</td><td>-</td><td>-</td><td>ok</td></tr>", "nothing to note: ok");
  t.match(page, "<h2>Programs</h2>", "a programs section");
  t.match(
    page,
    "<tr><td>app</td><td>client</td><td><code>python3 -c x y...</code></td><td>exit 2 after 1.2 s</td><td><pre>one\ntwo &lt;b&gt;</pre></td></tr>",
    "a program: its command, its state, its last lines",
  );
  t.match(page, "<tr><td>mute</td><td>client</td><td><code>true</code></td><td>exit 0 after 0.1 s</td><td><pre>(no output)</pre></td></tr>", "a program that printed nothing");
  t.match(page, '<span class="verdict bad">1 of 2 expectations failed</span>', "the verdict");
});

t.test("nodes that went away and counters that could not be read", async (t) => {
  const page = text(htmlReport(lab, { ...base, interrupted: [{ node: "r1", container: "c", state: "stopped", message: "r1 <stopped>" }], flowsUnavailable: { r2: "no answer" } }));
  t.match(
    page,
    '<h2>Nodes that went away during the traffic</h2>\n<ul><li class="why">stopped: r1 &lt;stopped&gt;</li><li class="why">counters of r2 unavailable: no answer</li></ul>',
    "each, escaped",
  );
});

t.test("flows: IPv6 peers, bracketed destinations, one flow per source and destination", async (t) => {
  const flows = observedFlows({
    ...base,
    endpoints: [
      endpoint({
        peers: [
          { local: "[2001:db8::10]:5556", address: "2001:db8::20", port: 1 },
          { local: "[2001:db8::10]:5556", address: "2001:db8::20", port: 2 },
          { local: "198.18.2.10:5556", address: "198.18.1.10", port: 3 },
        ],
        noHandshake: [
          { connect: "c", source: "2001:db8::20", destination: "[2001:db8::11]:5556", afterMs: 1, nodeAddresses: [], message: "m" },
          { connect: "c", destination: "198.18.2.11:5556", afterMs: 1, nodeAddresses: [], message: "m" },
        ],
      }),
    ],
    flows: {
      r1: [
        { from: "2001:db8::20", to: "2001:db8::10", packets: 4, bytes: 1 },
        { from: "2001:db8::20", to: "2001:db8::10", packets: 3, bytes: 1 },
      ],
      r2: [{ from: "198.18.1.10", to: "198.18.2.10", packets: 0, bytes: 0 }],
    },
  });
  t.same(
    flows,
    [
      { from: "2001:db8::20", to: "2001:db8::10", via: ["r1"], packets: 7 },
      { from: "198.18.1.10", to: "198.18.2.10", via: [], packets: 0 },
      { from: "2001:db8::20", to: "2001:db8::11", via: [], packets: 0, failed: true },
      { from: "client", to: "198.18.2.11", via: [], packets: 0, failed: true },
    ],
    "brackets and ports off; a router that forwarded nothing is not on the path; a missing handshake without a source starts at the node",
  );
});
