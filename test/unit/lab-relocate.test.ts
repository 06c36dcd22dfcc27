// Instances: choosing a free block for a lab's addresses and translating every address in it.
import t from "tap";
import { parseLab } from "../../controller/lab/load.js";
import {
  autoInstanceName,
  checkInstanceName,
  chooseRelocations,
  enclosingBlock,
  formatRelocations,
  freeBlock,
  instanceKey,
  instanceLab,
  parseRelocations,
  RelocationError,
  reverse,
  translateText,
  translateValue,
} from "../../controller/lab/relocate.js";
import { LabError } from "../../controller/errors.js";
import { parseDuration } from "../../shared/duration.js";
import { readFileSync } from "node:fs";
import { subnet } from "../support/subnet.js";

/** The error `fn` throws (the test fails when it throws none). */
function thrown(t: Tap, fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  t.fail("expected an error");
  return undefined;
}

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

const SOURCE_IP = parseLab(readFileSync("labs/source-ip/lab.yaml", "utf8"), "labs/source-ip/lab.yaml").lab;

t.test("the enclosing block of a lab's subnets", async (t) => {
  t.equal(enclosingBlock([subnet("198.18.1.0/24"), subnet("198.18.2.0/24")])?.cidr, "198.18.0.0/22", "1 and 2 straddle a /23 boundary: a /22");
  t.equal(enclosingBlock([subnet("198.18.20.0/24"), subnet("198.18.21.0/24")])?.cidr, "198.18.20.0/23", "adjacent and aligned: a /23");
  t.equal(enclosingBlock([subnet("198.18.3.0/24")])?.cidr, "198.18.3.0/24", "one subnet is its own block");
  t.equal(enclosingBlock([subnet("2001:2:0:1::/64"), subnet("2001:2:0:2::/64")])?.cidr, "2001:2::/62", "IPv6 as well");
  t.equal(enclosingBlock([]), undefined, "no subnet, no block");
});

t.test("a free block: the first of the pool clear of everything taken and of the lab's own", async (t) => {
  const pool = subnet("198.18.0.0/15");
  const block = subnet("198.18.0.0/22");
  t.equal(freeBlock(block, pool, [])?.cidr, "198.18.4.0/22", "the lab's own block is left for a plain run");
  t.equal(freeBlock(block, pool, [subnet("198.18.5.0/24")])?.cidr, "198.18.8.0/22", "a block with one taken subnet is skipped");
  t.equal(freeBlock(block, pool, [subnet("198.18.4.0/22"), subnet("198.18.8.0/21")])?.cidr, "198.18.16.0/22", "a larger taken range skips several");
  t.equal(freeBlock(subnet("10.0.0.0/16"), pool, [])?.cidr, "198.18.0.0/16", "a lab outside the pool may use its start");
  t.equal(freeBlock(subnet("10.0.0.0/16"), pool, [subnet("198.18.0.0/16")])?.cidr, "198.19.0.0/16", "or the next block");
  t.equal(freeBlock(subnet("10.0.0.0/16"), pool, [subnet("198.18.0.0/16"), subnet("198.19.255.0/24")]), undefined, "a full pool has none");
  t.equal(freeBlock(subnet("10.0.0.0/14"), pool, []), undefined, "a block larger than the pool never fits");
  t.equal(freeBlock(subnet("198.19.252.0/22"), pool, [])?.cidr, "198.18.0.0/22", "the last block of the pool is the lab's own: the first is chosen");
  t.equal(freeBlock(block, pool, [], () => 0.5)?.cidr, "198.19.0.0/22", "a random start: half way through the pool's 128 blocks");
  t.equal(freeBlock(block, pool, [subnet("198.19.0.0/21")], () => 0.5)?.cidr, "198.19.8.0/22", "from there, the next free one");
  t.equal(freeBlock(block, pool, [subnet("198.19.0.0/16")], () => 0.5)?.cidr, "198.18.4.0/22", "past the pool's end, it wraps to its start");
  t.equal(freeBlock(block, pool, [], () => 0.999999)?.cidr, "198.19.252.0/22", "the last block can be chosen");
  const v6 = freeBlock(subnet("2001:db8::/120"), subnet("2001:2::/48"), [], () => 0.25);
  t.equal(v6?.cidr, "2001:2:0:0:400::/120", "a pool of 2^72 small blocks: a random start among the first 2^52, searched from there, not block by block");
});

t.test("relocations per family, errors that say what to do", async (t) => {
  t.same(chooseRelocations(SOURCE_IP, []), [{ from: "198.18.0.0/22", to: "198.18.4.0/22" }], "IPv4 only: one relocation");
  t.same(chooseRelocations(SOURCE_IP, [subnet("198.18.4.0/24")]), [{ from: "198.18.0.0/22", to: "198.18.8.0/22" }], "taken blocks are avoided");
  t.same(
    chooseRelocations(SOURCE_IP, [], () => 0.5),
    [{ from: "198.18.0.0/22", to: "198.19.0.0/22" }],
    "the random start is used",
  );
  const dual = parseLab(readFileSync("test/fixtures/dual-stack/lab.yaml", "utf8")).lab;
  const both = chooseRelocations(dual, []);
  t.equal(both.length, 2, "a dual-stack lab moves both families");
  t.ok(both[1]!.to.startsWith("2001:2:"), `IPv6 goes to 2001:2::/48 (${both[1]!.to})`);
  const full = [subnet("198.18.0.0/15")];
  const none = thrown(t, () => chooseRelocations(SOURCE_IP, full));
  t.ok(none instanceof RelocationError, "no room is a relocation error");
  t.match((none as RelocationError).message, /^the lab's IPv4 block 198\.18\.0\.0\/22 has no free \/22 left in 198\.18\.0\.0\/15$/);
  t.match((none as RelocationError).hint, /zmqlab down LAB --instance NAME/, "the hint names the command that frees one");
  const wide = { ...SOURCE_IP, networks: { a: { subnet: "10.0.0.0/24" }, b: { subnet: "10.200.0.0/24" } } };
  const far = thrown(t, () => chooseRelocations(wide, []));
  t.match((far as RelocationError).message, /^the lab's IPv4 subnets span 10\.0\.0\.0\/8, too large to move within 198\.18\.0\.0\/15$/, "subnets far apart cannot move as one block");
  t.match((far as RelocationError).hint, /one \/16 at most/);
});

t.test("translating text moves only addresses inside the block, wherever they stand", async (t) => {
  const r = [{ from: "198.18.0.0/22", to: "198.18.8.0/22" }];
  t.equal(translateText("198.18.1.10", r), "198.18.9.10");
  t.equal(translateText("tcp://198.18.1.11:0;198.18.2.10:5556", r), "tcp://198.18.9.11:0;198.18.10.10:5556", "a source endpoint: both addresses, ports kept");
  t.equal(translateText("198.18.2.0/24", r), "198.18.10.0/24", "a CIDR keeps its prefix");
  t.equal(translateText("198.18.4.1 and 10.0.0.1 and 0.0.0.0/0", r), "198.18.4.1 and 10.0.0.1 and 0.0.0.0/0", "outside the block: unchanged");
  t.equal(translateText("^received 500 from 198\\.18\\.1\\.10$", r), "^received 500 from 198\\.18\\.9\\.10$", "an address in a regular expression, its dots escaped");
  t.equal(translateText("198\\.18\\.4\\.1 or 10\\.0\\.0\\.1", r), "198\\.18\\.4\\.1 or 10\\.0\\.0\\.1", "escaped, outside the block: unchanged");
  t.equal(translateText("198\\.18\\.1\\.10\\.5", r), "198\\.18\\.1\\.10\\.5", "five numbers are no address");
  t.equal(translateText("{ 0 : 198.18.3.255, 1 : 198.18.0.0 }", r), "{ 0 : 198.18.11.255, 1 : 198.18.8.0 }", "both ends of the block, inside an nft map");
  t.equal(translateText("1.198.18.1.10", r), "1.198.18.1.10", "not an address on its own: a longer dotted number");
  t.equal(translateText("version 2.10.1.3.4", r), "version 2.10.1.3.4");
  const r6 = [{ from: "2001:2::/62", to: "2001:2:0:8::/62" }];
  t.equal(translateText("tcp://[2001:2:0:1::10]:0;[2001:2:0:2::10]:5556", r6), "tcp://[2001:2:0:9::10]:0;[2001:2:0:a::10]:5556", "IPv6 in brackets");
  t.equal(translateText("2001:2:0:1::/64", r6), "2001:2:0:9::/64", "an IPv6 subnet");
  t.equal(translateText("10:30:00 aa:bb:cc:dd:ee:ff 2001:db8::1", r6), "10:30:00 aa:bb:cc:dd:ee:ff 2001:db8::1", "times, MACs and other addresses stay");
  t.equal(translateText("198.18.1.10", []), "198.18.1.10", "no relocation, no change");
  t.equal(translateText(translateText("tcp://198.18.1.11:0;198.18.2.10:5556", r), reverse(r)), "tcp://198.18.1.11:0;198.18.2.10:5556", "reverse brings the lab file's addresses back");
});

t.test("translating a value: strings anywhere, mapping keys too, other types kept", async (t) => {
  const r = [{ from: "198.18.20.0/23", to: "198.18.0.0/23" }];
  const value = { mapping: { "198.18.20.10": "b1" }, count: 500, only: true, list: ["198.18.21.10", null] };
  t.same(translateValue(value, r), { mapping: { "198.18.0.10": "b1" }, count: 500, only: true, list: ["198.18.1.10", null] });
});

t.test("the instance's lab: its name carries the instance, every address is moved", async (t) => {
  const relocations = chooseRelocations(SOURCE_IP, []);
  const lab = instanceLab(SOURCE_IP, "ci-1", relocations);
  t.equal(lab.name, "source-ip.ci-1");
  t.same(lab.networks, { clients: { subnet: "198.18.5.0/24" }, servers: { subnet: "198.18.6.0/24" } });
  t.same(lab.nodes["client"]!.interfaces, { clients: ["198.18.5.10", "198.18.5.11"] });
  t.same(lab.nodes["client"]!.routes![1], { to: "198.18.6.0/24", via: "198.18.5.3", from: "198.18.5.11" });
  t.equal(lab.traffic!["via-r2"]!.connect, "tcp://198.18.5.11:0;198.18.6.10:5556");
  t.same(lab.expect![2], { sourceSeen: { endpoint: "quotes", source: ["198.18.5.10", "198.18.5.11"], only: true } });
  t.same(lab.expect![3], { path: { from: "198.18.5.10", to: "198.18.6.10", via: "r1", not: "r2" } });
  t.equal(SOURCE_IP.nodes["client"]!.interfaces["clients"]![0], "198.18.1.10", "the lab file's lab is not changed");
});

t.test("instance names and keys, relocation labels", async (t) => {
  t.equal(instanceKey("source-ip"), "source-ip");
  t.equal(instanceKey("source-ip", "a1"), "source-ip.a1");
  t.equal(checkInstanceName("ci-3"), "ci-3");
  for (const bad of ["CI", "-x", "a_b", "a.b", "", "x".repeat(21)]) {
    const err = thrown(t, () => checkInstanceName(bad));
    t.ok(err instanceof LabError && err.exitCode === 2, `"${bad}" is refused with exit 2`);
    t.match((err as Error).message, /^--instance: ".*" is not a valid instance name\n  hint: use lowercase letters/);
  }
  t.equal(checkInstanceName("x".repeat(20)), "x".repeat(20), "20 characters are fine");
  t.equal(
    autoInstanceName(() => 0),
    "i000000",
  );
  t.equal(
    autoInstanceName(() => 0.5),
    "i7fffff",
  );
  t.match(autoInstanceName(), /^i[0-9a-f]{6}$/);
  const r = [
    { from: "198.18.0.0/22", to: "198.18.8.0/22" },
    { from: "2001:2::/62", to: "2001:2:0:4::/62" },
  ];
  t.equal(formatRelocations(r), "198.18.0.0/22=198.18.8.0/22,2001:2::/62=2001:2:0:4::/62");
  t.same(parseRelocations(formatRelocations(r)), r, "a label reads back");
  t.same(parseRelocations(undefined), []);
  t.same(parseRelocations(""), []);
});

t.test("durations", async (t) => {
  t.equal(parseDuration("1500ms"), 1500);
  t.equal(parseDuration("2s"), 2000);
  t.equal(parseDuration("1.5s"), 1500);
  t.equal(parseDuration("10m"), 600_000);
  t.equal(parseDuration("1h"), 3_600_000);
  t.equal(parseDuration("90"), 90, "a bare number is milliseconds by default");
  t.equal(parseDuration("90", "s"), 90_000, "or seconds where the caller says so (--wait)");
  t.equal(parseDuration(250), 250);
  t.equal(parseDuration(3, "s"), 3000);
  for (const bad of ["", "s", "10 minutes", "-1s", "1d"]) t.equal(parseDuration(bad), undefined, `"${bad}" is not a duration`);
  t.equal(parseDuration(-1), undefined);
  t.equal(parseDuration(Number.NaN), undefined);
});
