// The small pieces the reports are made of: quoting for display, XML escaping, table layout,
// address order, kernel parsers' edge cases, and the progress line.
import t from "tap";
import { PassThrough } from "node:stream";
import { xmlEscape } from "../../controller/report/junit.js";
import { displayArgv, table } from "../../controller/report/plan-text.js";
import { byAddress } from "../../controller/report/traffic-text.js";
import { progress } from "../../controller/report/progress.js";
import { parseFlowSet } from "../../controller/observe/flows.js";
import { parseAddr, parseRoutes, parseRules, sameDestination } from "../../controller/observe/kernel.js";

t.test("displayArgv quotes only what a shell would read differently", async (t) => {
  t.equal(displayArgv(["ip", "-4", "route", "add", "198.18.2.0/24", "via", "198.18.1.2", "dev", "eth0"]), "ip -4 route add 198.18.2.0/24 via 198.18.1.2 dev eth0");
  t.equal(displayArgv(["a@b%c+d=e:f,g.h/i-j_k"]), "a@b%c+d=e:f,g.h/i-j_k", "safe characters stay bare");
  t.equal(displayArgv(["sh", "-c", "echo $(id) > /tmp/x"]), "sh -c 'echo $(id) > /tmp/x'");
  t.equal(displayArgv(["it's"]), "'it'\\''s'", "a single quote is closed, escaped and reopened");
  t.equal(displayArgv([""]), "''", "an empty argument shows as ''");
  t.equal(displayArgv(["a b", "c"]), "'a b' c");
});

t.test("xmlEscape", async (t) => {
  t.equal(xmlEscape(`<a href="x">&'</a>`), "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;");
  t.equal(xmlEscape("a\u0000b\u0008c\u000bd\u000ce\u000ff\u001fg\ufffeh\uffffi"), "abcdefghi", "characters XML 1.0 cannot carry are dropped");
  t.equal(xmlEscape("tab\tnewline\ncr\r"), "tab\tnewline\ncr\r", "tab, newline and carriage return stay");
  t.equal(xmlEscape("&amp;"), "&amp;amp;", "escaped once, ampersand first");
});

t.test("table pads every column but the last", async (t) => {
  t.equal(
    table([
      ["a", "bb", "c"],
      ["ccc", "d", "e"],
    ]),
    "a    bb  c\nccc  d   e",
  );
  t.equal(table([["h1", "h2"], ["x"]]), "h1  h2\nx", "a short row ends where it ends");
  t.equal(table([["only"]]), "only");
});

t.test("traffic byAddress: numeric, IPv4 before IPv6", async (t) => {
  t.same(["2001:db8::a", "198.18.1.10", "10.0.0.1", "198.18.1.9", "2001:db8::9"].sort(byAddress), ["10.0.0.1", "198.18.1.9", "198.18.1.10", "2001:db8::9", "2001:db8::a"]);
  t.equal(byAddress("198.18.1.9", "198.18.1.9"), 0);
});

t.test("flow sets: counters, missing counters, other entries", async (t) => {
  const json = JSON.stringify({
    nftables: [
      { metainfo: { version: "1.0.6" } },
      {
        set: {
          name: "flows4",
          elem: [{ elem: { val: { concat: ["198.18.1.10", "198.18.2.10"] }, counter: { packets: 3, bytes: 180 } } }, { elem: { val: { concat: ["198.18.1.11", "198.18.2.10"] } } }, { other: true }],
        },
      },
      { set: { name: "empty" } },
    ],
  });
  t.same(parseFlowSet(json), [
    { from: "198.18.1.10", to: "198.18.2.10", packets: 3, bytes: 180 },
    { from: "198.18.1.11", to: "198.18.2.10", packets: 0, bytes: 0 },
  ]);
});

t.test("kernel parsers: edge cases", async (t) => {
  t.same(
    parseAddr(
      `[{"ifname":"eth0","address":"02:42:AC:11:00:02","addr_info":[{"family":"inet6","local":"fe80::1","prefixlen":64,"scope":"link"},{"family":"inet6","local":"2001:db8::1","prefixlen":64,"scope":"global"},{"family":"inet","local":"198.18.1.10","prefixlen":24}]},{"ifname":"lo"}]`,
    ),
    [
      { name: "eth0", altnames: [], mac: "02:42:ac:11:00:02", addresses: ["2001:db8::1/64", "198.18.1.10/24"] },
      { name: "lo", altnames: [], mac: "", addresses: [] },
    ],
    "link-local left out, MAC lower case, missing fields empty",
  );
  t.same(
    parseRoutes(`[{"dst":"default","nexthops":[{"gateway":"2001:db8::2","dev":"eth0"},{"dev":"eth1"}],"flags":[]},{"dst":"default","dev":"eth0","flags":[]}]`),
    [
      { to: "default", family: 6, via: ["2001:db8::2"], dev: ["eth0", "eth1"], table: "main" },
      { to: "default", family: 4, via: [], dev: ["eth0"], table: "main" },
    ],
    "a default route's family from its first next hop; next hops without a gateway keep their device",
  );
  t.same(parseRoutes(`[{"dst":"2001:db8::/64","flags":[]}]`), [{ to: "2001:db8::/64", family: 6, via: [], dev: [], table: "main" }], "or from the prefix");
  t.same(
    parseRules(
      `[{"priority":0,"table":"local"},{"priority":5,"src":"198.18.1.0","srclen":24,"table":"7"},{"priority":6,"src":"198.18.1.10","srclen":32,"table":"8"},{"priority":7,"src":"2001:db8::1","srclen":128},{"priority":8,"src":"2001:db8::","srclen":64,"table":"9"},{"priority":9,"src":"198.18.1.11","table":"10"}]`,
    ),
    [
      { priority: 0, from: "all", table: "local" },
      { priority: 5, from: "198.18.1.0/24", table: "7" },
      { priority: 6, from: "198.18.1.10", table: "8" },
      { priority: 7, from: "2001:db8::1", table: "" },
      { priority: 8, from: "2001:db8::/64", table: "9" },
      { priority: 9, from: "198.18.1.11", table: "10" },
    ],
    "a host source is shown bare, a prefix with its length",
  );
  t.ok(sameDestination("198.18.1.10/32", "198.18.1.10"));
  t.ok(sameDestination("2001:db8::1", "2001:db8::1/128"));
  t.notOk(sameDestination("198.18.1.0/24", "198.18.1.0"), "a /24 is no host route");
  t.notOk(sameDestination("198.18.1.10/320", "198.18.1.10/32"), "only a whole /32 suffix is stripped");
});

t.test("progress on a terminal: the status line is redrawn while a step runs", async (t) => {
  const terminal = () => {
    const out = new PassThrough() as PassThrough & { isTTY?: boolean };
    out.isTTY = true;
    const writes: string[] = [];
    out.on("data", (c: Buffer) => writes.push(c.toString()));
    return { stream: out as unknown as NodeJS.WriteStream, writes };
  };
  const idle = terminal();
  progress(idle.stream).stop();
  await new Promise((resolve) => setImmediate(resolve));
  t.same(idle.writes, [], "stop before any step writes nothing");

  const busy = terminal();
  const steps = progress(busy.stream);
  steps.step("one");
  // The redraw timer (every 100 ms) is due before this 350 ms one: order, not speed.
  await new Promise((resolve) => setTimeout(resolve, 350));
  steps.step("two");
  steps.stop();
  steps.stop();
  await new Promise((resolve) => setImmediate(resolve));
  const text = busy.writes.join("");
  t.match(text, /^\r\x1b\[K⠋ one \(0\.0 s\)\r\x1b\[K⠙ one \(\d+\.\d s\)/, "the next frame is drawn while the step runs");
  t.match(text, /\r\x1b\[K✓ one \(\d+\.\d s\)\n\r\x1b\[K. two \(0\.0 s\)\r\x1b\[K✓ two \(\d+\.\d s\)\n$/, "each step ends with a tick before the next starts; a second stop adds nothing");
});
