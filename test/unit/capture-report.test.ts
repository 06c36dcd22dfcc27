// The capture's settings, where its files go and how the reports point to them: sizes and the
// ring, the lab file's settings under the command line's, the marks (faults, failed expectations
// at their moments), JUnit's attachments, the terminal's lines, the HTML page's links and ladder,
// a live capture's target; a tar stream's files; a run on the in-memory engine (nothing to record).
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import t from "tap";
import { captureSettings, parseSize, ringFor } from "../../controller/capture/settings.js";
import { marksOf, momentOf, trafficSpan, wrapped } from "../../controller/capture/session.js";
import { parseCaptureTarget } from "../../controller/capture/live.js";
import type { CaptureReport, CapturedConnection } from "../../controller/capture/types.js";
import { extractFiles } from "../../controller/engine/tar.js";
import { ringArgv } from "../../controller/engine/capture.js";
import { attachments, junitXml } from "../../controller/report/junit.js";
import { captureText } from "../../controller/report/capture-text.js";
import { captureHtml, labelGroups, linkTo, rungsOf } from "../../controller/report/capture-html.js";
import { LabError, run, type LabReport } from "../../controller/index.js";
import { MemoryEngine, parseLab } from "../../controller/advanced.js";
import type { ExpectationResult } from "../../controller/expect/types.js";
import { writePcap, tcpFrame } from "../support/frames.js";
import { scratchDir } from "../support/scratch.js";

t.test("sizes as users write them", async (t) => {
  t.equal(parseSize("64MB"), 64_000_000);
  t.equal(parseSize("512MiB"), 512 * 1024 * 1024);
  t.equal(parseSize("1.5 GB"), 1_500_000_000);
  t.equal(parseSize(2_000_000), 2_000_000);
  t.equal(parseSize("500kB"), 500_000);
  for (const bad of ["lots", "64 parsecs", "-1MB", "", 1.5]) t.equal(parseSize(bad), undefined, String(bad));
});

t.test("the ring: four files of whole megabytes within the limit, two at the least", async (t) => {
  t.same(ringFor(64_000_000), { files: 4, fileMegabytes: 16 });
  t.same(ringFor(2_000_000), { files: 2, fileMegabytes: 1 });
  t.same(ringFor(3_500_000), { files: 3, fileMegabytes: 1 });
  t.same(ringFor(1_000_000_000), { files: 4, fileMegabytes: 250 });
  t.same(ringArgv("br-1", "/c/clients.pcap", { files: 4, fileMegabytes: 16 }, true), [
    "tcpdump",
    "-i",
    "br-1",
    "-n",
    "-U",
    "--immediate-mode",
    "-B",
    "4096",
    "-Z",
    "root",
    "-C",
    "16",
    "-W",
    "4",
    "-w",
    "/c/clients.pcap",
  ]);
  t.notOk(ringArgv("br-1", "f", { files: 2, fileMegabytes: 1 }, false).includes("-Z"), "not root: no -Z");
});

t.test("the command line over the lab file's settings over the defaults", async (t) => {
  t.same(captureSettings(undefined, {}, "source-ip"), { mode: "failed", limitBytes: 64_000_000, windowMs: 2000, dir: join(".zmqlab/capture", "source-ip"), ring: { files: 4, fileMegabytes: 16 } });
  const lab = { capture: "always" as const, captureLimit: "8MB", captureWindow: "500ms" };
  t.match(captureSettings(lab, {}, "x.i1"), { mode: "always", limitBytes: 8_000_000, windowMs: 500, dir: join(".zmqlab/capture", "x.i1"), ring: { files: 4, fileMegabytes: 2 } });
  t.match(captureSettings(lab, { mode: "off", window: 3000, dir: "out/capture" }, "x"), { mode: "off", windowMs: 3000, dir: join("out/capture", "x") });
});

t.test("the lab file's capture settings are checked before any engine is asked (exit 2, with where)", async (t) => {
  const lab = (settings: string) => `name: c\nnetworks: { lan: { subnet: 198.18.1.0/24 } }\nnodes: { a: { interfaces: { lan: 198.18.1.10 } } }\nsettings: ${settings}\n`;
  t.doesNotThrow(() => parseLab(lab("{ capture: always, captureLimit: 16MB, captureWindow: 1s }"), "lab.yaml"));
  const problem = (settings: string) => {
    try {
      parseLab(lab(settings), "lab.yaml");
    } catch (err) {
      t.ok(err instanceof LabError && err.exitCode === 2);
      return (err as Error).message;
    }
    return "";
  };
  t.match(problem("{ captureLimit: lots }"), /lab\.yaml:4:\d+: settings\.captureLimit: "lots" is not a size\n  hint: .*64MB/);
  t.match(problem("{ captureLimit: 1MB }"), /settings\.captureLimit: 1MB is below the smallest capture ring \(2MB\)/);
  t.match(problem("{ captureWindow: soon }"), /settings\.captureWindow: "soon" is not a duration/);
  t.match(problem("{ capture: sometimes }"), /settings\.capture/);
});

const traffic = { lab: "l", started: "2026-01-01T00:00:00.000Z", durationMs: 3000, clock: { t0: "2026-01-01T00:00:00.500Z", epochMs: Date.parse("2026-01-01T00:00:00.500Z") }, endpoints: [] };
const result = (kind: string, ok: boolean, evidence: Record<string, unknown> = {}, spec: Record<string, unknown> = {}): ExpectationResult => ({
  kind,
  description: `${kind} d`,
  ok,
  expected: "",
  observed: "",
  message: `${kind} failed`,
  spec,
  evidence,
});

t.test("each failed expectation's moment: a recovered at its deadline, timed ones at their fault, phased at their phase, the rest at the traffic's end", async (t) => {
  t.same(trafficSpan(traffic), { start: -500, end: 2500 });
  t.equal(momentOf(result("recovered", false, { faultAt: 2000 }, { within: "3s" }), 2500), 5000);
  t.equal(momentOf(result("reconnected", false, { faultAt: 2000 }), 2500), 2000);
  t.equal(momentOf(result("path", false, { phase: { start: 1200, end: 4000 } }), 2500), 1200);
  t.equal(momentOf(result("path", false, { phase: { end: 4000 } }), 2500), 0, "before a fault: from the start");
  t.equal(momentOf(result("delivered", false), 2500), 2500);
});

t.test("the marks: every fault, every failed expectation of the lab (not the built-in checks), in time order", async (t) => {
  const faults = [
    { name: "cut", atMs: 1000, actualMs: 1003.46, ok: true },
    { name: "broken", atMs: 1500, ok: false, error: "no such node" },
  ];
  const marks = marksOf({ ...traffic, faults }, [
    result("path", true),
    result("delivered", false),
    result("path", false, { phase: { start: 1003.46 } }),
    result("endpoint", false),
    result("capture", false),
  ]);
  t.same(marks, [
    { ms: 1003.5, text: "fault cut took effect at 1003.46 ms (planned at 1000 ms)" },
    { ms: 1003.5, text: "FAIL 3 (path) (judged from 1003.46 to the end): path failed" },
    { ms: 1500, text: "fault broken FAILED (planned at 1500 ms): no such node" },
    { ms: 2500, text: "FAIL 2 (delivered): delivered failed" },
  ]);
});

t.test("a ring wrapped when its earliest packet is not in its first file", async (t) => {
  const dir = scratchDir("zmqlab-wrap-");
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const frame = (ms: number) => ({ ms, data: tcpFrame({ src: "198.18.1.1", dst: "198.18.1.2", srcPort: 1, dstPort: 2, seq: 1, flags: ["ack"] }) });
  writePcap(join(dir, "n.pcap0"), [frame(1000)]);
  writePcap(join(dir, "n.pcap1"), [frame(2000)]);
  t.equal(wrapped([join(dir, "n.pcap1"), join(dir, "n.pcap0")]), false);
  writePcap(join(dir, "n.pcap0"), [frame(3000)]);
  t.equal(wrapped([join(dir, "n.pcap0"), join(dir, "n.pcap1")]), true, "pcap0 was written again after pcap1");
});

const connection: CapturedConnection = {
  client: { address: "198.18.1.10", port: 40000 },
  server: { address: "198.18.2.10", port: 5556 },
  networks: ["clients", "servers"],
  synMs: -80,
  synAckMs: -79.9,
  zmtp: true,
  clientSide: { version: "3.1", mechanism: "NULL", greetingMs: -70, readyMs: -60, socketType: "SUB" },
  serverSide: { version: "3.1", mechanism: "NULL", greetingMs: -69, readyMs: -61, socketType: "XPUB", firstMessageMs: 20 },
  retransmissions: [{ ms: 2100, from: "server" }],
  end: { kind: "fin", ms: 3000, from: "client" },
  lastMs: 3000,
  packets: 100,
  active: [
    { startMs: -80, endMs: 2000 },
    { startMs: 5000, endMs: 9000 },
  ],
};

const capture = (kept: boolean): CaptureReport => ({
  mode: "failed",
  kept,
  from: "host",
  limitBytes: 64_000_000,
  windowMs: 2000,
  files: kept
    ? [
        { network: "clients", path: "out/capture/l/clients.pcapng", interface: "br-1", packets: 10, bytes: 1000, firstMs: -900, lastMs: 2900, wrapped: false },
        { network: "servers", path: "out/capture/l/servers.pcapng", interface: "br-2", packets: 12, bytes: 1200, firstMs: 100, lastMs: 2900, wrapped: true },
      ]
    : [],
  windows: kept ? [{ fault: "cut", fromMs: -997, toMs: 3003, path: "out/capture/l/fault-cut.pcapng", packets: 7 }] : [],
  marks: [],
  connections: [connection],
});

const report = (kept: boolean): LabReport => ({ ...traffic, ok: !kept, expectations: [result("delivered", true), result("path", false)], flows: {}, capture: capture(kept) });

t.test("JUnit: the kept files as attachments of each failing test case, windows first; nothing when not kept", async (t) => {
  t.equal(attachments(report(true)), "\n[[ATTACHMENT|out/capture/l/fault-cut.pcapng]]\n[[ATTACHMENT|out/capture/l/clients.pcapng]]\n[[ATTACHMENT|out/capture/l/servers.pcapng]]");
  const xml = junitXml(report(true));
  const [passing, failing] = xml.split("<testcase").slice(1);
  t.notMatch(passing!, /ATTACHMENT/, "not on a passing test case");
  t.match(failing!, /<system-out>expected: \nobserved: \n\[\[ATTACHMENT\|out\/capture\/l\/fault-cut\.pcapng\]\]\n\[\[ATTACHMENT\|out\/capture\/l\/clients\.pcapng\]\]/);
  t.equal(attachments(report(false)), "");
  t.equal(attachments({ ...report(true), capture: undefined } as LabReport), "");
});

t.test("the terminal: where the files went, or why they were not kept", async (t) => {
  t.equal(
    captureText(capture(true)),
    [
      "capture: 1 TCP connection (1 ZeroMQ) in the packets; kept (the run failed), with marks at the faults and failed expectations:",
      "  out/capture/l/clients.pcapng  10 packets",
      "  out/capture/l/servers.pcapng  12 packets, from 100 ms (the ring of 64 MB wrapped)",
      "around each fault (2 s either side):",
      "  out/capture/l/fault-cut.pcapng  7 packets, -997 to 3003 ms",
    ].join("\n"),
  );
  t.equal(captureText(capture(false)), "capture: 1 TCP connection (1 ZeroMQ) in the packets; not kept (the run passed; --capture always keeps it)");
  t.equal(captureText({ ...capture(false), unavailable: "no image" }), "capture: nothing recorded (no image)");
});

t.test("the HTML page: links relative to the page, and a ladder per ZeroMQ connection with its steps", async (t) => {
  t.equal(linkTo("out/capture/l/clients.pcapng", "out"), "capture/l/clients.pcapng");
  t.equal(linkTo("/abs/x.pcapng", "out"), "/abs/x.pcapng");
  t.equal(linkTo("out/x.pcapng", undefined), "out/x.pcapng");
  t.same(
    rungsOf(connection).map((r) => [r.ms, r.label, r.down, r.kind]),
    [
      [-80, "SYN", true, "handshake"],
      [-79.9, "SYN-ACK", false, "handshake"],
      [-70, "greeting 3.1", true, "zmtp"],
      [-69, "greeting 3.1", false, "zmtp"],
      [-61, "READY XPUB", false, "zmtp"],
      [-60, "READY SUB", true, "zmtp"],
      [20, "1st message", false, "message"],
      [2100, "", false, "retransmission"],
      [3000, "FIN", true, "end"],
    ],
  );
  t.same(
    labelGroups([1, 5, 30, 100, 120], (x) => x, 40),
    [
      [1, 5, 30],
      [100, 120],
    ],
  );
  const html = captureHtml(capture(true), [{ name: "cut", ms: 1000 }], "out");
  t.match(html, /<a href="capture\/l\/clients\.pcapng">out\/capture\/l\/clients\.pcapng<\/a>/);
  t.match(html, /<a href="capture\/l\/fault-cut\.pcapng">/);
  t.match(html, /class="ladder"/);
  t.match(html, /198\.18\.1\.10:40000 \(SUB\)/);
  t.match(html, /class="rung retransmission"/);
  t.match(html, />cut<\/text>/, "the fault on the ladder's axis");
  t.match(html, /SYN … 1st message \(100 ms\)/, "the handshake's steps share one label");
  t.match(captureHtml(capture(false), []), /recorded, not kept/);
  t.equal(captureHtml(undefined, []), "");
});

t.test("a live capture's target: NETWORK or NODE:NETWORK", async (t) => {
  t.same(parseCaptureTarget("clients"), { network: "clients" });
  t.same(parseCaptureTarget("r1:servers"), { node: "r1", network: "servers" });
  for (const bad of ["r1:", ":x", "a:b:c", ""]) t.throws(() => parseCaptureTarget(bad), LabError, bad);
});

t.test("a tar stream's regular files, written as they come", async (t) => {
  const dir = scratchDir("zmqlab-tar-");
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const header = (name: string, size: number, type: string) => {
    const h = Buffer.alloc(512);
    h.write(name, 0);
    h.write(size.toString(8).padStart(11, "0"), 124);
    h.write(type, 156);
    return h;
  };
  const pad = (n: number) => Buffer.alloc((512 - (n % 512)) % 512);
  const body = Buffer.alloc(700, 7);
  const tar = Buffer.concat([header("capture/", 0, "5"), header("capture/clients.pcap0", 700, "0"), body, pad(700), header("capture/empty", 0, "0"), Buffer.alloc(1024)]);
  const stream = new PassThrough();
  const done = extractFiles(stream, dir);
  // In odd-sized pieces: a header or a file split across chunks.
  for (let i = 0; i < tar.length; i += 333) stream.write(tar.subarray(i, i + 333));
  stream.end();
  t.same(await done, [join(dir, "clients.pcap0"), join(dir, "empty")]);
  t.same(readFileSync(join(dir, "clients.pcap0")), body);
});

t.test("on the in-memory engine nothing is recorded: the report says so and the run goes on", async (t) => {
  const lab = parseLab("name: mem\nnetworks: { lan: { subnet: 198.18.1.0/24 } }\nnodes: { a: { interfaces: { lan: 198.18.1.10 } } }\n", "mem.yaml");
  const r = await run(lab, { runtime: new MemoryEngine().runtime() });
  t.match(r.capture, { mode: "failed", kept: false, unavailable: "this engine carries no packets to record", files: [], connections: [] });
  const off = await run(lab, { runtime: new MemoryEngine().runtime(), capture: { mode: "off" } });
  t.equal(off.capture, undefined);
});
