// The capture on the real engine, as a user meets it: a failing run (the flagship with its policy
// routes swapped) leaves one pcapng file per network and one around its fault; tcpdump reads them;
// their SYN sources are the report's peers; the fault's mark is at the fault's time; the JUnit
// file attaches them and the HTML page links them. Recorded from the engine's host where zmqlab
// can, and from a capture container where it cannot (forced here). `zmqlab capture` streams a
// running lab's network, and Ctrl-C leaves nothing; nor does an interrupted run.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import t, { type Test } from "tap";
import { Ajv } from "ajv";
import { reportSchema } from "../../controller/report/json.js";
import { decodeFrame } from "../../controller/capture/packet.js";
import { readPackets } from "../../controller/capture/pcap.js";
import { connectEngine } from "../../controller/engine/docker.js";
import { hostCaptureDir } from "../../controller/engine/capture.js";
import { down, runLab, up, type LabReport } from "../../controller/index.js";
import { CLI, cli, labeled, ROOT } from "../support/helpers.js";
import { scratchDir } from "../support/scratch.js";

const LAB = "test/fixtures/capture";

/** Capture containers of a lab (or of any lab) on the engine, running or not. */
async function captureContainers(lab?: string): Promise<string[]> {
  const docker = await connectEngine();
  const found = await docker.listContainers({ all: true, filters: { label: ["zmqlab.role=capture", ...(lab ? [`zmqlab.lab=${lab}`] : [])] } });
  return found.map((c) => c.Names[0] ?? c.Id);
}

/** tcpdump processes on this host that write or read a lab's capture (the host's recorders). */
function hostRecorders(lab: string): number[] {
  const dir = hostCaptureDir(lab);
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const cmdline = readFileSync(`/proc/${p}/cmdline`, "utf8");
        return cmdline.startsWith("tcpdump") && cmdline.includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** `tcpdump -r FILE` exits 0: on this host, else in the node image. */
function tcpdumpReads(file: string): string {
  try {
    return execFileSync("tcpdump", ["-n", "-r", file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    return execFileSync("docker", ["run", "--rm", "-v", `${file}:/f.pcapng:ro`, "zmqlab/node:latest", "tcpdump", "-n", "-r", "/f.pcapng"], { encoding: "utf8" });
  }
}

/** What a kept capture must show: files tcpdump reads, SYN sources as the kernel's peers, the fault's mark at its time. */
async function checkKept(t: Test, report: LabReport): Promise<void> {
  const capture = report.capture!;
  t.equal(capture.kept, true, "kept");
  t.same(capture.files.map((f) => f.network).sort(), ["clients", "servers"]);
  t.same(
    capture.windows.map((w) => w.fault),
    ["nothing"],
  );
  for (const file of [...capture.files.map((f) => f.path), ...capture.windows.map((w) => w.path)]) {
    t.ok(existsSync(file), `${file} exists`);
    t.match(tcpdumpReads(file), /Flags \[S\]/, `tcpdump reads ${file}, SYNs in it`);
  }
  // The SYNs reaching the server's bound address, by the packets in the servers file.
  const servers = readPackets(capture.files.find((f) => f.network === "servers")!.path);
  const quotes = report.endpoints.find((e) => e.name === "quotes")!;
  const bound = quotes.bind[0]!.replace(/^tcp:\/\//, "");
  const synSources = new Set<string>();
  for (const p of servers.packets) {
    const ip = decodeFrame(p.data, servers.link.linkType);
    if (ip?.tcp?.syn && !ip.tcp.ack_ && `${ip.dst}:${ip.tcp.dstPort}` === bound) synSources.add(ip.src);
  }
  t.same([...synSources].sort(), [...new Set(quotes.peers.map((p) => p.address))].sort(), "the SYN sources are the kernel's peers");
  // The fault's mark is at the fault's time (ms since time 0), with its comment.
  const fault = report.faults!.find((f) => f.name === "nothing")!;
  const t0 = BigInt(Math.round(report.clock.epochMs * 1000)) * 1000n;
  const mark = servers.packets.find((p) => p.comment?.startsWith("zmqlab: fault nothing"));
  t.ok(mark, "a marked packet for the fault");
  t.ok(Math.abs(Number(mark!.ns - t0) / 1e6 - fault.actualMs!) < 0.1, `the mark at ${Number(mark!.ns - t0) / 1e6} ms, the fault at ${fault.actualMs} ms`);
  t.ok(
    servers.packets.some((p) => p.comment?.startsWith("zmqlab: FAIL 2 (path)")),
    "a marked packet for the failed path",
  );
  // The packets agree with the counters: the expectations fail, the capture check does not.
  t.same(
    report.expectations.map((e) => [e.kind, e.ok]),
    [
      ["sourceSeen", true],
      ["path", false],
      ["path", false],
    ],
    report.expectations.map((e) => e.message).join(" | "),
  );
  // Each ZeroMQ connection read back: its greeting, READY and first message.
  const zmq = capture.connections.filter((c) => c.zmtp);
  t.equal(zmq.length, 2, "two ZeroMQ connections");
  for (const c of zmq) t.match(c, { clientSide: { version: "3.1", socketType: "SUB" }, serverSide: { socketType: "XPUB" } });
  t.ok(
    zmq.every((c) => c.serverSide.firstMessageMs !== undefined && c.synMs! < c.serverSide.firstMessageMs),
    "SYN, then the first message",
  );
}

t.test("a failing run from the command line: the files beside the reports, attached and linked; nothing left", async (t) => {
  const dir = scratchDir("zmqlab-capture-it-");
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = await cli(["run", LAB, "--instance", "auto", "--junit", join(dir, "report.xml"), "--json", join(dir, "report.json"), "--html", join(dir, "report.html")]);
  t.equal(run.code, 1, `exit 1: ${run.stderr.slice(-500)}`);
  const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as LabReport;
  const ajv = new Ajv({ allErrors: true });
  t.ok(ajv.validate(reportSchema(), report), `the JSON report, capture included, has its schema's shape: ${JSON.stringify(ajv.errors)}`);
  t.match(run.stdout, /capture: .* kept \(the run failed\)/);
  // CI installs tcpdump (.ci/run): recording from this host is what is tested here, not skipped for a container.
  t.equal(report.capture!.from, "host", "recorded by tcpdump on this host");
  t.ok(
    report.capture!.files.every((f) => f.path.startsWith(join(dir, "capture", `capture.${report.instance!.name}`))),
    "in capture/ beside the reports",
  );
  await checkKept(t, report);
  const junit = readFileSync(join(dir, "report.xml"), "utf8");
  for (const f of report.capture!.files) t.ok(junit.includes(`[[ATTACHMENT|${f.path}]]`), `JUnit attaches ${f.path}`);
  const html = readFileSync(join(dir, "report.html"), "utf8");
  t.ok(
    report.capture!.files.every((f) => html.includes(`href="capture/capture.${report.instance!.name}/${f.network}.pcapng"`)),
    "the page links each file, relative to it",
  );
  t.match(html, /class="ladder"/, "the page draws the ladders");
  const key = `capture.${report.instance!.name}`;
  t.same(await captureContainers(key), [], "no capture container left");
  t.same(hostRecorders(key), [], "no tcpdump left");
  t.notOk(existsSync(hostCaptureDir(key)), "no host capture folder left");
  t.same(await labeled(key), { containers: 0, networks: 0 });
});

t.test("a broken lab whose server's kernel shows a peer the wire never carried: the capture check fails the run", async (t) => {
  const dir = scratchDir("zmqlab-capture-it-");
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = await cli(["run", "test/fixtures/capture-kernel-lies", "--instance", "auto", "--json", join(dir, "report.json")]);
  t.equal(run.code, 1, `exit 1: ${run.stderr.slice(-500)}`);
  const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as LabReport;
  // The lab's own expectations pass on the kernel's word (the peer is the client's other address).
  t.same(
    report.expectations.map((e) => [e.kind, e.ok]),
    [
      ["delivered", true],
      ["sourceSeen", true],
      ["capture", false],
    ],
    report.expectations.map((e) => e.message).join(" | "),
  );
  const check = report.expectations.find((e) => e.kind === "capture")!;
  // (Addresses as this instance placed them.)
  const wire = /tcp:\/\/([\d.]+):0;/.exec(report.endpoints.find((e) => e.name === "ticker")!.connect[0]!)![1]!;
  const told = [...new Set(report.endpoints.find((e) => e.name === "quotes")!.peers.map((p) => p.address))];
  t.equal(told.length, 1);
  t.not(told[0], wire, "the kernel names an address the client did not send from");
  t.match(check.evidence, { kernel: told, packets: [wire], missing: told, extra: [wire] }, check.message);
  t.match(check.message, /^capture disagrees with expectation 2 \(sourceSeen\): the kernel of server showed .*, whose connections the packets do not show; the packets show connections from/);
  t.match(run.stdout, /capture disagrees with expectation 2/, "the terminal says it");
  t.equal(report.capture!.kept, true, "the failed check keeps the files");
  t.match(tcpdumpReads(report.capture!.files[0]!.path), new RegExp(`${wire!.replace(/\./g, "\\.")}\\.\\d+ > .*Flags \\[S\\]`), "and tcpdump shows the SYN from the client's real address");
});

t.test("the failover lab's one ZeroMQ connection on the page: the outage when r1 stops, the retransmissions, the traffic again through r2", async (t) => {
  const dir = scratchDir("zmqlab-capture-it-");
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = await cli(["run", "labs/failover", "--instance", "auto", "--capture", "always", "--json", join(dir, "report.json"), "--html", join(dir, "report.html")]);
  t.equal(run.code, 0, `the lab passes: ${run.stdout.slice(-800)}`);
  const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as LabReport;
  const [down, back] = ["r1-down", "r1-back"].map((n) => report.faults!.find((f) => f.name === n)!.actualMs!) as [number, number];
  const zmq = report.capture!.connections.filter((c) => c.zmtp);
  t.equal(zmq.length, 1, "one ZeroMQ connection");
  const c = zmq[0]!;
  // TCP outlives the outage: the same connection, opened before time 0, closed after r1 came back.
  t.ok(c.synMs! < 0 && c.end!.ms > back, `opened at ${c.synMs} ms, closed at ${c.end?.ms} ms`);
  // The outage in the packets is the one the subscriber saw: its silence that ended with the recovery.
  const recovered = report.expectations.find((e) => e.kind === "recovered")!.evidence as { faultAt: number; recoveredAfterMs: number; silences: { start: number; end: number | null }[] };
  const silence = recovered.silences.find((x) => x.end !== null && Math.abs(x.end - recovered.recoveredAfterMs) < 1)!;
  const lastMessage = recovered.faultAt + silence.start;
  const again = recovered.faultAt + recovered.recoveredAfterMs;
  const gaps = c.active
    .slice(1)
    .map((a, i) => ({ from: c.active[i]!.endMs, to: a.startMs }))
    .filter((g) => g.to - g.from > 1000);
  const near = gaps.filter((g) => Math.abs(g.from - lastMessage) < 150);
  t.equal(near.length, 1, `the packets stop once where the subscriber's messages do, at ${lastMessage} ms (r1-down at ${down} ms): ${JSON.stringify(c.active)}`);
  const [gap] = near;
  t.ok(gap!.to <= again && again - gap!.to < 500, `they flow again at ${gap!.to} ms, through r2, before the messages do at ${again} ms`);
  t.ok(gap!.to < back, "before r1 is back");
  t.ok(
    c.retransmissions.some((r) => r.from === "server" && r.ms > gap!.from && r.ms < gap!.to),
    "the publisher sent again into the outage",
  );
  // The page draws it: the faults across the ladder, two stretches of traffic on each rail, red rungs.
  const html = readFileSync(join(dir, "report.html"), "utf8");
  const ladder = html.slice(html.indexOf('class="ladder"'));
  for (const f of ["r1-down", "r1-back"]) t.match(ladder, new RegExp(`class="fault"/><text[^>]*>${f}<`), `${f} across the ladder`);
  t.ok((ladder.match(/class="active"/g) ?? []).length >= 4, "the traffic's stretches on both rails");
  t.match(ladder, /class="rung retransmission"/, "the retransmissions");
});

t.test("from a capture container (as a controller in a container, or with a remote engine, records)", async (t) => {
  const dir = scratchDir("zmqlab-capture-it-");
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  process.env.ZMQLAB_CAPTURE_FROM = "container";
  t.teardown(() => void delete process.env.ZMQLAB_CAPTURE_FROM);
  let during: string[] = [];
  const report = await runLab(LAB, { instance: "auto", capture: { dir }, onReport: async (r) => void (during = await captureContainers(`capture.${r.instance!.name}`)) });
  t.equal(report.capture!.from, "container");
  t.same(during, [], "the container is gone once its files are read (before the lab goes)");
  await checkKept(t, report);
  t.same(await captureContainers(`capture.${report.instance!.name}`), []);
});

t.test("zmqlab capture streams a network of a running lab; Ctrl-C ends it and leaves nothing", async (t) => {
  const lab = await up(LAB, { instance: "auto" });
  const key = lab.plan.lab;
  t.teardown(() => down(LAB, { instance: lab.instance! }).then(() => {}));
  await lab.release();
  for (const [what, env] of [
    ["clients", {}],
    ["clients", { ZMQLAB_CAPTURE_FROM: "container" }],
    ["r1:servers", {}],
  ] as const) {
    const child = spawn(process.execPath, [CLI, "capture", LAB, what, "--instance", lab.instance!], { cwd: ROOT, env: { ...process.env, ...env } });
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    for (let i = 0; i < 200 && !/Ctrl-C ends it/.test(stderr); i++) await new Promise((r) => setTimeout(r, 100));
    t.match(stderr, "ZMQLAB_CAPTURE_FROM" in env || what.includes(":") ? /capturing network .*a capture container/ : /capturing network .*tcpdump on /, `${what}: started (${stderr.trim()})`);
    // Traffic on that network: the client pings r1 (r1 pings the server for r1:servers).
    const [node, target] = what === "r1:servers" ? ["r1", lab.lab.nodes.server!.interfaces.servers as string[]] : ["client", [lab.lab.nodes.r1!.interfaces.clients as string]];
    await lab.node(node!).exec(["ping", "-c", "3", "-i", "0.2", target![0]!]);
    await new Promise((r) => setTimeout(r, 300));
    child.kill("SIGINT");
    t.equal(await exited, 0, `${what}: Ctrl-C ends it with exit 0: ${stderr}`);
    const pcap = Buffer.concat(chunks);
    t.equal(pcap.readUInt32LE(0), 0xa1b2c3d4, `${what}: pcap on stdout`);
    const file = join(scratchDir("zmqlab-live-"), "live.pcap");
    writeFileSync(file, pcap);
    t.match(tcpdumpReads(file), /ICMP echo request/, `${what}: the pings are in it`);
    t.same(await captureContainers(key), [], `${what}: no capture container left`);
    t.same(hostRecorders(key), [], `${what}: no tcpdump left`);
  }
  // A network the lab does not have: the user's mistake, before any engine call.
  const wrong = await cli(["capture", LAB, "client", "--instance", lab.instance!]);
  t.equal(wrong.code, 2);
  t.match(wrong.stderr, /no network "client"/);
});

t.test("an interrupted run leaves no capture: no container, no tcpdump, no folder", async (t) => {
  let key = "";
  const run = await cli(["run", LAB, "--instance", "auto", "--capture", "always"], (text, child) => {
    key ||= /instance (i[0-9a-f]+)/.exec(text)?.[1] ?? "";
    if (/senders released/.test(text) && !child.killed) child.kill("SIGINT");
  });
  t.equal(run.code, 130, run.stderr.slice(-400));
  t.ok(key, "the instance's name was said");
  t.same(await captureContainers(`capture.${key}`), []);
  t.same(hostRecorders(`capture.${key}`), []);
  t.notOk(existsSync(hostCaptureDir(`capture.${key}`)));
  t.same(await labeled(`capture.${key}`), { containers: 0, networks: 0 });
});

t.test("a killed run (SIGKILL) leaves its capture to the lab's down, which removes it", async (t) => {
  for (const from of ["host", "container"] as const) {
    let instance = "";
    const run = await cli(
      ["run", LAB, "--instance", "auto"],
      (text, child) => {
        instance ||= /instance (i[0-9a-f]+)/.exec(text)?.[1] ?? "";
        if (/senders released/.test(text) && !child.killed) child.kill("SIGKILL");
      },
      from === "container" ? { ZMQLAB_CAPTURE_FROM: "container" } : {},
    );
    t.equal(run.code, null, `${from}: killed`);
    const key = `capture.${instance}`;
    // The recorders end with zmqlab: the host's tcpdump by its parent-death signal, the container as its stdin closes.
    for (let i = 0; i < 50 && hostRecorders(key).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    t.same(hostRecorders(key), [], `${from}: no tcpdump runs on`);
    if (from === "host") t.ok(existsSync(hostCaptureDir(key)), "host: its folder is left");
    else t.equal((await captureContainers(key)).length, 1, "container: its capture container is left");
    const removed = await cli(["down", LAB, "--instance", instance]);
    t.equal(removed.code, 0, removed.stderr);
    t.same(await captureContainers(key), [], `${from}: down removed the capture container`);
    t.notOk(existsSync(hostCaptureDir(key)), `${from}: down removed the folder`);
    t.same(await labeled(key), { containers: 0, networks: 0 });
  }
});
