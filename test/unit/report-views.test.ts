// The views people look at: Mermaid topology, the HTML page, progress lines.
import t from "tap";
import { PassThrough } from "node:stream";
import { loadLab } from "../../controller/lab/load.js";
import { topologyMermaid } from "../../controller/report/mermaid.js";
import { htmlReport, observedFlows } from "../../controller/report/html.js";
import { progress } from "../../controller/report/progress.js";
import type { LabReport } from "../../controller/run/index.js";

const { lab } = loadLab("labs/source-ip");

t.test("graph: networks, nodes, every address per interface, forwarding nodes, endpoints", async (t) => {
  const mermaid = topologyMermaid(lab);
  t.match(mermaid, /^flowchart LR/);
  t.match(mermaid, /net_clients\(\["clients<br\/>198\.18\.1\.0\/24"\]\)/);
  t.match(mermaid, /node_client ---\|"198\.18\.1\.10<br\/>198\.18\.1\.11"\| net_clients/, "both client addresses on its interface");
  t.match(mermaid, /node_r1\{\{"r1<br\/><i>forwards<\/i>"\}\}/, "routers drawn as such");
  t.match(mermaid, /ep_via_r1 ==>\|connects\| ep_quotes/, "which connect reaches which bind");
  t.notMatch(mermaid, /ep_wrong_ip ==>/, "a connect to an address nobody binds reaches nothing");
});

const report: LabReport = {
  lab: "source-ip",
  started: "2026-11-27T10:00:00.000Z",
  durationMs: 1500,
  clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 },
  ok: false,
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
      handshakes: [],
      errors: [],
      peers: [
        { local: "198.18.2.10:5556", address: "198.18.1.10", port: 40000 },
        { local: "198.18.2.10:5556", address: "198.18.1.11", port: 40001 },
      ],
      noHandshake: [],
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
      handshakes: [],
      errors: [],
      peers: [],
      noHandshake: [{ connect: "tcp://198.18.1.10:0;198.18.2.11:5556", source: "198.18.1.10", destination: "198.18.2.11:5556", afterMs: 2000, nodeAddresses: [], message: "no handshake" }],
    },
  ],
  flows: {
    r1: [{ from: "198.18.1.10", to: "198.18.2.10", packets: 20, bytes: 2000 }],
    r2: [
      { from: "198.18.1.11", to: "198.18.2.10", packets: 19, bytes: 1900 },
      { from: "198.18.2.10", to: "198.18.1.11", packets: 18, bytes: 1800 },
    ],
  },
  expectations: [
    { kind: "path", description: "198.18.1.10 -> 198.18.2.10 crosses r1, not r2", ok: true, expected: "r1 > 0", observed: "r1: 20", message: "ok", spec: {}, evidence: {} },
    { kind: "delivered", description: "via-r1 receives <1000>", ok: false, expected: "1000", observed: "0", message: "via-r1 got nothing & more", spec: {}, evidence: {} },
    { kind: "unreachable", description: "wrong-ip never completes a handshake", ok: true, expected: "no handshake", observed: "no handshake within 2000 ms", message: "ok", spec: {}, evidence: {} },
  ],
};

t.test("the flows drawn are the ones the kernels showed, along the routers that counted them", async (t) => {
  t.same(observedFlows(report), [
    { from: "198.18.1.10", to: "198.18.2.10", via: ["r1"], packets: 20 },
    { from: "198.18.1.11", to: "198.18.2.10", via: ["r2"], packets: 19 },
    { from: "198.18.1.10", to: "198.18.2.11", via: [], packets: 0, failed: true },
  ]);
});

t.test("the HTML page is self-contained and escapes what it shows", async (t) => {
  const html = htmlReport(lab, report);
  t.match(html, /^<!doctype html>/);
  t.notMatch(html, /<script|src="http|href="http/, "no scripts, nothing fetched");
  t.match(html, /<svg [^>]*>/, "the topology is drawn");
  t.match(html, /<polyline [^>]*><title>198\.18\.1\.10 → 198\.18\.2\.10<\/title>/, "each flow is drawn");
  // 2 pass, 1 fails: a count swapped for the other shows.
  t.match(html, /1 of 3 expectations fail/, "the verdict counts the failures");
  t.match(html, /Expectations \(2 of 3 hold\)/, "the heading counts the passes");
  t.match(html, /via-r1 receives &lt;1000&gt;/, "text is escaped");
  t.match(html, /via-r1 got nothing &amp; more/, "a failure says why");
});

t.test("progress: plain lines when the output is not a terminal", async (t) => {
  const out = new PassThrough();
  let text = "";
  out.on("data", (c: Buffer) => (text += c.toString()));
  const steps = progress(out as unknown as NodeJS.WriteStream);
  steps.step("creating 4 nodes");
  steps.step("configuring addresses and routes");
  steps.stop();
  t.equal(text, "creating 4 nodes\nconfiguring addresses and routes\n");
});

t.test("progress: one line updated in place on a terminal", async (t) => {
  const out = new PassThrough() as PassThrough & { isTTY?: boolean };
  out.isTTY = true;
  let text = "";
  out.on("data", (c: Buffer) => (text += c.toString()));
  const steps = progress(out as unknown as NodeJS.WriteStream);
  steps.step("building node image");
  steps.stop();
  t.match(text, /\r\x1b\[K. building node image \(\d+\.\d s\)/, "the status line is rewritten in place");
  t.match(text, /✓ building node image \(\d+\.\d s\)\n$/, "and ends with a tick");
});
