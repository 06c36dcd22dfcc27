// Instances, the edges of relocation: subnets in any order, the whole address space, a full pool
// of many blocks, a block as large as the pool, addresses of the other family.
import t from "tap";
import { readFileSync } from "node:fs";
import { parseLab } from "../../controller/lab/load.js";
import { chooseRelocations, enclosingBlock, freeBlock, RelocationError, translateText } from "../../controller/lab/relocate.js";
import { subnet } from "../support/subnet.js";

const SOURCE_IP = parseLab(readFileSync("labs/source-ip/lab.yaml", "utf8"), "labs/source-ip/lab.yaml").lab;

t.test("the enclosing block does not depend on the order of the subnets", async (t) => {
  t.equal(enclosingBlock([subnet("198.18.2.0/24"), subnet("198.18.1.0/24")])?.cidr, "198.18.0.0/22", "the lowest first address is not the first subnet's");
  t.equal(enclosingBlock([subnet("198.18.3.0/24"), subnet("198.18.1.0/24"), subnet("198.18.2.0/24")])?.cidr, "198.18.0.0/22", "nor is the highest last address the last subnet's");
  t.equal(enclosingBlock([subnet("10.0.0.0/8"), subnet("200.0.0.0/8")])?.cidr, "0.0.0.0/0", "subnets in both halves of the space: the whole space, /0");
});

t.test("a free block: its last address ends the block, the search is bounded", async (t) => {
  const pool = subnet("198.18.0.0/15");
  t.equal(freeBlock(subnet("198.18.0.0/22"), pool, [subnet("198.18.8.0/24")])?.cidr, "198.18.4.0/22", "a taken subnet right after a block leaves the block free");
  const found = freeBlock(subnet("198.18.0.0/22"), pool, []);
  t.same(
    found && { first: found.first, last: found.last, prefix: found.prefix, family: found.family },
    { first: subnet("198.18.4.0/22").first, last: subnet("198.18.4.0/22").last, prefix: 22, family: 4 },
    "the block's numbers match its CIDR",
  );
  t.equal(freeBlock(subnet("10.0.0.0/15"), pool, [])?.cidr, "198.18.0.0/15", "a block as large as the pool fits when the pool is empty");
  t.equal(freeBlock(subnet("10.0.0.0/15"), pool, [subnet("198.19.0.0/24")]), undefined, "and not when anything in it is taken");
  // 2^72 blocks, all taken: the search gives up after a bounded number of rounds instead of
  // looking at every one of them.
  t.equal(freeBlock(subnet("2001:db8::/120"), subnet("2001:2::/48"), [subnet("2001:2::/48")]), undefined, "a full pool of 2^72 blocks: none, in bounded time");
});

t.test("relocation errors: a block as large as the pool is too large, not merely crowded", async (t) => {
  const wide = { ...SOURCE_IP, networks: { a: { subnet: "10.0.0.0/24" }, b: { subnet: "10.1.0.0/24" } } };
  let err: unknown;
  try {
    chooseRelocations(wide, [subnet("198.18.5.0/24")]);
  } catch (e) {
    err = e;
  }
  t.ok(err instanceof RelocationError, "a relocation error");
  t.equal((err as RelocationError).name, "RelocationError", "named so in stack traces");
  t.equal((err as RelocationError).message, "the lab's IPv4 subnets span 10.0.0.0/15, too large to move within 198.18.0.0/15");
});

t.test("translating text: an address of the other family stays, whatever its number", async (t) => {
  const r4 = [{ from: "198.18.0.0/22", to: "198.18.8.0/22" }];
  t.equal(translateText("tcp://[::c612:10a]:5556", r4), "tcp://[::c612:10a]:5556", "an IPv6 address whose number is 198.18.1.10's is not IPv4");
  const r6 = [{ from: "2001::/62", to: "2001:0:0:8::/62" }];
  t.equal(translateText("tcp://[2001::5]:5556", r6), "tcp://[2001:0:0:8::5]:5556", "a short IPv6 address (three groups as written) moves too");
});
