// The dry run's text for what the shipped labs lack (IPv6 networks, a network with no free
// range, files from the lab and from disk, every kind of fault line) and the progress display
// on a terminal (the spinner's frames, the elapsed time), the TAP description and the verdict line.
import t from "tap";
import { parseLab } from "../../controller/lab/load.js";
import { planLab } from "../../controller/plan/plan.js";
import { dockerNames } from "../../controller/engine/naming.js";
import { faultsText, planText } from "../../controller/report/plan-text.js";
import { progress } from "../../controller/report/progress.js";
import { tapText } from "../../controller/report/tap.js";
import { verdictLine } from "../../controller/report/expectations-text.js";
import type { LabReport } from "../../controller/run/index.js";

const lab = parseLab(`name: t
networks:
  lan: { subnet: [198.18.9.0/24, "2001:db8:9::/64"] }
  tiny: { subnet: 198.18.8.0/29 }
nodes:
  a: { interfaces: { lan: [198.18.9.10, "2001:db8:9::10"], tiny: [198.18.8.2, 198.18.8.3, 198.18.8.4, 198.18.8.5, 198.18.8.6] } }
  r: { forward: true, interfaces: { lan: [198.18.9.2, "2001:db8:9::2"] } }
faults:
  s: { at: 1s, node: r, action: stop }
  g: { at: 2s, node: r, action: start }
  x: { at: 3s, node: r, action: restart }
  d: { at: 4s, node: a, network: lan, delay: 20ms }
  p: { at: 5s, node: a, action: pause }
`).lab;

t.test("the dry run: IPv6, no free range, files, every fault line", async (t) => {
  const plan = planLab(lab);
  plan.nodes[0]!.files = [
    { path: "/etc/a.conf", content: "  first\nsecond\n\n", mode: 0o644, why: "why a", kernelInterfaceNames: true },
    { path: "/etc/b.conf", source: "/src/b.conf", mode: 0o600, why: "why b" },
  ];
  const lines = planText(plan, dockerNames(plan)).split("\n");
  const has = (line: string, what: string) => t.ok(lines.includes(line), `${what}: ${line}`);
  has("  lan  docker network zmqlab-t-lan  subnet 2001:db8:9::/64  gateway 2001:db8:9::1 (Docker's)  docker allocates from 2001:db8:9:0:8000::/65", "the IPv6 subnet of a dual-stack network");
  has("  tiny  docker network zmqlab-t-tiny  subnet 198.18.8.0/29  gateway 198.18.8.1 (Docker's)  docker allocates from (nothing free)", "every address the lab's: nothing for Docker to allocate");
  has("    options com.docker.network.bridge.enable_ip_masquerade=false  labels zmqlab.lab=t zmqlab.network=lan", "options and labels");
  has("  a  container zmqlab-t-a  image zmqlab/node", "a node that does not forward");
  has("    capabilities NET_ADMIN, NET_RAW", "no sysctls: none listed");
  has("    capabilities NET_ADMIN, NET_RAW  sysctls net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1", "a router's sysctls");
  has("    interface lan: 198.18.9.10/24, 2001:db8:9::10/64  (Docker attaches 198.18.9.10 and 2001:db8:9::10)", "both families Docker attaches");
  has("    file /etc/a.conf (mode 644)   # why a; `interface NETWORK` lines get the kernel's interface name", "a file from the lab, with kernel interface names");
  const at = lines.indexOf("    file /etc/a.conf (mode 644)   # why a; `interface NETWORK` lines get the kernel's interface name");
  t.same(lines.slice(at + 1, at + 3), ["      |   first", "      | second"], "its content: leading spaces kept, trailing blank lines dropped");
  has("    file /etc/b.conf (mode 600) from /src/b.conf   # why b", "a file read from disk, its mode in octal");
  has("      ip link property add dev <Docker's name for lan / tiny> altname <network>   # name interfaces after their networks", "altnames for every network");
  const faults = lines.slice(lines.findIndex((l) => l.startsWith("faults (")));
  t.same(
    faults,
    [
      "faults (ms since time 0, when the senders are released; <network> is the node's kernel name for that interface, read when the fault runs):",
      "    1000 ms  s: stop node r (no grace time)",
      "      engine: stop container zmqlab-t-r (timeout 0: no grace time)",
      "    2000 ms  g: start node r, then configure it as declared",
      "      engine: start container zmqlab-t-r",
      "      then: configure r again from its plan (its commands above; Docker's default route removed, counters reinstalled)",
      "    3000 ms  x: restart node r (no grace time), then configure it as declared",
      "      engine: restart container zmqlab-t-r (timeout 0: no grace time)",
      "      then: configure r again from its plan (its commands above; Docker's default route removed, counters reinstalled)",
      "    4000 ms  d: delay a's interface on lan by 20 ms (egress)",
      "      a: tc qdisc replace dev '<lan>' root netem delay 20ms   # fault d: delay on lan (egress, netem)",
      "      needs netem in a's kernel: checked before the traffic starts (exit 3 without it)",
      "    5000 ms  p: pause node a (its processes freeze)",
      "      engine: pause container zmqlab-t-a",
    ],
    "every fault: engine action (stop and restart without grace), reconfiguring, commands, netem",
  );
  t.match(faultsText(plan, { nodes: {} }).join("\n"), "      engine: stop container r (timeout 0", "a node without an engine name: the lab's name");
  t.notOk(planText({ ...plan, faults: [] }, dockerNames(plan)).includes("faults ("), "no faults: no fault section");
});

/** A fake terminal (or pipe) that keeps what is written. */
function stream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = {
    isTTY,
    text: "",
    write(chunk: string) {
      s.text += chunk;
      return true;
    },
  };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

t.test("progress on a terminal: a spinner frame per render, the elapsed time, a tick when done", async (t) => {
  const out = stream(true);
  const p = progress(out);
  for (let i = 0; i < 11; i++) p.step(`s${i}`);
  p.stop();
  const frames = [...out.text.matchAll(/\r\x1b\[K(\S) s\d+ \(\d+\.\d s\)/g)].map((m) => m[1]).filter((f) => f !== "✓");
  t.same(frames.slice(0, 11), ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏", "⠋"], "the ten braille frames in turn, then again");
  const done = [...out.text.matchAll(/\r\x1b\[K✓ (s\d+) \((\d+\.\d) s\)\n/g)];
  t.same(
    done.map((m) => m[1]),
    ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10"],
    "each step ends with a tick on its own line",
  );
  t.ok(
    done.every((m) => Number(m[2]) < 5),
    `elapsed seconds, not milliseconds or a sum of times (${done.map((m) => m[2]).join(", ")})`,
  );
  const plain = stream(false);
  const q = progress(plain);
  q.step("one");
  q.step("two");
  q.stop();
  t.equal(plain.text, "one\ntwo\n", "elsewhere: plain lines");
});

const reportWith = (description: string): LabReport => ({
  lab: "t",
  started: "x",
  durationMs: 1,
  clock: { t0: "2026-01-01T00:00:00.000Z", epochMs: 1767225600000 },
  ok: true,
  endpoints: [],
  flows: {},
  expectations: [{ kind: "path", description, ok: true, expected: "e", observed: "o", message: "m", spec: {}, evidence: {} }],
});

t.test("TAP: a description on one line, # and \\ escaped", async (t) => {
  t.match(tapText(reportWith("a\r\nb\n\nc # d \\ e")), "ok 1 - a b c \\# d \\\\ e\n", "each run of line breaks one space; # and \\ escaped");
});

t.test("the verdict line names the broken endpoints", async (t) => {
  const broken = (endpoint: string) => ({ kind: "endpoint" as const, description: `endpoint ${endpoint}`, ok: false, expected: "", observed: "", message: "", spec: { endpoint }, evidence: {} });
  t.equal(verdictLine([broken("a")]), "1 endpoint failed (a); no expectations", "one broken endpoint, nothing else judged");
  t.equal(verdictLine([broken("a"), broken("b")]), "2 endpoints failed (a, b); no expectations", "two");
});
