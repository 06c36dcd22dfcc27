// Addresses and subnets as numbers: parsing, containment, overlap, Docker's gateway and the free
// range Docker may allocate from.
import t from "tap";
import { contains, formatAddress, freeRange, gatewayOf, overlaps, parseAddress, parseSubnet, type Address, type Subnet } from "../../controller/lab/ip.js";
import { subnet } from "../support/subnet.js";

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

function address(text: string): Address {
  const a = parseAddress(text);
  if (!a) throw new Error(`test bug: ${text} is not an address`);
  return a;
}

t.test("parseAddress", async (t) => {
  t.same(parseAddress("198.18.1.10"), { text: "198.18.1.10", family: 4, value: (198n << 24n) + (18n << 16n) + (1n << 8n) + 10n });
  t.same(parseAddress("0.0.0.0"), { text: "0.0.0.0", family: 4, value: 0n });
  t.same(parseAddress("255.255.255.255"), { text: "255.255.255.255", family: 4, value: 0xffffffffn });

  t.test("IPv6 is written the way the kernel prints it", async (t) => {
    t.same(parseAddress("2001:2:0:1::10"), { text: "2001:2:0:1::10", family: 6, value: (0x2001n << 112n) + (2n << 96n) + (1n << 64n) + 0x10n });
    t.equal(parseAddress("2001:0002:0000:0001:0000:0000:0000:0010")?.text, "2001:2:0:1::10");
    t.equal(parseAddress("2001:DB8::A")?.text, "2001:db8::a");
    t.equal(parseAddress("::")?.value, 0n);
    t.equal(parseAddress("::1")?.value, 1n);
    t.equal(parseAddress("::")?.family, 6);
  });

  t.test("IPv6 with an embedded IPv4 part is IPv6", async (t) => {
    t.same(parseAddress("64:ff9b::198.18.1.10"), { text: "64:ff9b::c612:10a", family: 6, value: (0x64n << 112n) + (0xff9bn << 96n) + 0xc612010an });
    t.same(parseAddress("64:ff9b::8.8.8.8"), { text: "64:ff9b::808:808", family: 6, value: (0x64n << 112n) + (0xff9bn << 96n) + 0x08080808n });
  });

  t.test("an IPv4-mapped address is the IPv4 address it maps (one form: shared/address.ts)", async (t) => {
    t.same(parseAddress("::ffff:1.2.3.4"), { text: "1.2.3.4", family: 4, value: 0x01020304n });
    t.same(parseAddress("::FFFF:c612:10a"), parseAddress("198.18.1.10"));
  });

  t.test("not addresses", async (t) => {
    for (const text of ["", "198.18.1", "198.18.1.256", "198.18.1.10/32", "2001:2::/64", "1::2::3", "[2001:2::1]", " 198.18.1.10", "198.18.1.10 ", "01.2.3.4", "198.18.1.10:80", "server", "eth0"]) {
      t.equal(parseAddress(text), undefined, JSON.stringify(text));
    }
  });
});

t.test("parseSubnet", async (t) => {
  t.same(subnet("198.18.1.0/24"), { cidr: "198.18.1.0/24", family: 4, prefix: 24, first: address("198.18.1.0").value, last: address("198.18.1.255").value });
  t.same(subnet("198.18.1.8/29"), { cidr: "198.18.1.8/29", family: 4, prefix: 29, first: address("198.18.1.8").value, last: address("198.18.1.15").value });
  t.same(subnet("2001:2:0:1::/64"), { cidr: "2001:2:0:1::/64", family: 6, prefix: 64, first: address("2001:2:0:1::").value, last: address("2001:2:0:1:ffff:ffff:ffff:ffff").value });
  t.equal(subnet("2001:0002:0:0001::/64").cidr, "2001:2:0:1::/64", "IPv6 in its short form");
  t.equal(subnet("0.0.0.0/0").last, 0xffffffffn);

  t.test("why a text is not a subnet", async (t) => {
    t.equal(parseSubnet("198.18.1.0"), "is not in CIDR form (address/prefix)");
    t.equal(parseSubnet("default"), "is not in CIDR form (address/prefix)");
    for (const text of ["198.18.1.0/33", "198.18.1.0/", "198.18.1.0/-1", "198.18.256.0/24", "2001:2::/129", "lan/24"]) {
      t.equal(parseSubnet(text), "is not a valid subnet", text);
    }
    t.equal(parseSubnet("::ffff:198.18.1.0/120"), "is IPv4-mapped IPv6 space (::ffff:0:0/96): write the IPv4 subnet");
  });
  t.test("host bits set: the message names the network address", async (t) => {
    t.equal(parseSubnet("198.18.1.10/24"), "has host bits set (the network address is 198.18.1.0/24)");
    t.equal(parseSubnet("198.18.1.10/29"), "has host bits set (the network address is 198.18.1.8/29)");
    t.equal(parseSubnet("2001:2:0:1::1/64"), "has host bits set (the network address is 2001:2:0:1::/64)");
  });
});

t.test("contains", async (t) => {
  const lan = subnet("198.18.1.0/24");
  t.ok(contains(lan, address("198.18.1.0")), "the network address");
  t.ok(contains(lan, address("198.18.1.10")));
  t.ok(contains(lan, address("198.18.1.255")), "the broadcast address");
  t.notOk(contains(lan, address("198.18.2.0")));
  t.notOk(contains(lan, address("198.18.0.255")));
  const v6 = subnet("2001:2:0:1::/64");
  t.ok(contains(v6, address("2001:2:0:1::10")));
  t.ok(contains(v6, address("2001:2:0:1:ffff:ffff:ffff:ffff")));
  t.notOk(contains(v6, address("2001:2:0:2::10")));
  t.test("never across families", async (t) => {
    // ::c612:10a has the same number as 198.18.1.10.
    t.equal(address("::c612:10a").value, address("198.18.1.10").value);
    t.notOk(contains(lan, address("::c612:10a")));
    t.notOk(contains(subnet("::/96"), address("198.18.1.10")));
  });
});

t.test("overlaps", async (t) => {
  t.ok(overlaps(subnet("198.18.1.0/24"), subnet("198.18.1.128/25")), "one inside the other");
  t.ok(overlaps(subnet("198.18.1.128/25"), subnet("198.18.0.0/16")), "either way round");
  t.ok(overlaps(subnet("198.18.1.0/24"), subnet("198.18.1.0/24")), "the same");
  t.notOk(overlaps(subnet("198.18.1.0/24"), subnet("198.18.2.0/24")), "neighbours");
  t.notOk(overlaps(subnet("198.18.1.0/25"), subnet("198.18.1.128/25")), "halves");
  t.ok(overlaps(subnet("2001:2::/48"), subnet("2001:2:0:1::/64")));
  t.notOk(overlaps(subnet("2001:2:0:1::/64"), subnet("2001:2:0:2::/64")));
  t.notOk(overlaps(subnet("0.0.0.0/0"), subnet("::/0")), "never across families");
});

t.test("gatewayOf is the first host address", async (t) => {
  t.same(gatewayOf(subnet("198.18.1.0/24")), address("198.18.1.1"));
  t.same(gatewayOf(subnet("198.18.1.8/29")), address("198.18.1.9"));
  t.same(gatewayOf(subnet("2001:2:0:1::/64")), address("2001:2:0:1::1"));
});

t.test("formatAddress", async (t) => {
  t.equal(formatAddress(address("198.18.1.10").value, 4), "198.18.1.10");
  t.equal(formatAddress(1n, 6), "::1");
  t.equal(formatAddress(address("2001:2:0:1::10").value, 6), "2001:2:0:1::10");
});

t.test("freeRange", async (t) => {
  /** Every rule a free range obeys, checked on one subnet and its taken addresses. */
  const checkRange = (t: Tap, s: Subnet, taken: Address[], range: Subnet | undefined): void => {
    if (!range) return;
    const where = `${range.cidr} in ${s.cidr} with ${taken.map((a) => a.text).join(" ")}`;
    t.ok(range.family === s.family && range.first >= s.first && range.last <= s.last, `inside the subnet: ${where}`);
    t.ok(range.prefix > s.prefix, `smaller than the subnet: ${where}`);
    t.ok(range.first % (range.last - range.first + 1n) === 0n, `aligned: ${where}`);
    t.ok(range.cidr === `${formatAddress(range.first, range.family)}/${range.prefix}`, `cidr matches: ${where}`);
    t.ok(!contains(range, address(formatAddress(s.first, s.family))), `not the network address: ${where}`);
    t.ok(!contains(range, gatewayOf(s)), `not the gateway: ${where}`);
    for (const a of taken) t.ok(!contains(range, a), `not ${a.text}: ${where}`);
  };

  t.test("a /24 with lab addresses low: the upper half", async (t) => {
    const lan = subnet("198.18.1.0/24");
    const taken = ["198.18.1.2", "198.18.1.3", "198.18.1.10", "198.18.1.11"].map(address);
    const range = freeRange(lan, taken);
    t.equal(range?.cidr, "198.18.1.128/25");
    checkRange(t, lan, taken, range);
  });
  t.test("a /24 with a lab address high: a smaller block clear of it", async (t) => {
    const lan = subnet("198.18.1.0/24");
    const taken = ["198.18.1.10", "198.18.1.250"].map(address);
    const range = freeRange(lan, taken);
    t.equal(range?.cidr, "198.18.1.128/26");
    checkRange(t, lan, taken, range);
  });
  t.test("a /24 with nothing taken still leaves out the network address and the gateway", async (t) => {
    const lan = subnet("198.18.1.0/24");
    const range = freeRange(lan, []);
    t.equal(range?.cidr, "198.18.1.128/25");
    checkRange(t, lan, [], range);
  });
  t.test("a /24 with every block taken but the network's", async (t) => {
    const lan = subnet("198.18.1.0/24");
    const taken = [];
    for (let i = 4; i < 256; i += 4) taken.push(address(`198.18.1.${i}`));
    t.equal(freeRange(lan, taken), undefined, "no block of four is free: no range rather than a wrong one");
  });
  t.test("every choice of taken addresses in a /29", async (t) => {
    const small = subnet("198.18.1.8/29");
    const hosts = [10, 11, 12, 13, 14, 15].map((i) => address(`198.18.1.${i}`));
    let ranges = 0;
    for (let mask = 0; mask < 1 << hosts.length; mask++) {
      const taken = hosts.filter((_, i) => mask & (1 << i));
      const range = freeRange(small, taken);
      if (range) ranges++;
      checkRange(t, small, taken, range);
      // The only candidate is the upper /30; it is chosen exactly when it is free.
      const upperFree = !taken.some((a) => a.value >= address("198.18.1.12").value);
      t.equal(range?.cidr, upperFree ? "198.18.1.12/30" : undefined, `taken: ${taken.map((a) => a.text).join(" ") || "none"}`);
    }
    t.equal(ranges, 4, "the upper /30 is free for 4 of the 64 choices");
  });
  t.test("an IPv6 /64", async (t) => {
    const v6 = subnet("2001:2:0:1::/64");
    const taken = ["2001:2:0:1::2", "2001:2:0:1::10", "2001:2:0:1::11"].map(address);
    const range = freeRange(v6, taken);
    t.equal(range?.cidr, "2001:2:0:1:8000::/65");
    checkRange(t, v6, taken, range);
  });
  t.test("an IPv6 /64 with addresses at the top", async (t) => {
    const v6 = subnet("2001:2:0:1::/64");
    const taken = ["2001:2:0:1::10", "2001:2:0:1:ffff:ffff:ffff:fff0", "2001:2:0:1:8000::1", "2001:2:0:1:4000::1"].map(address);
    const range = freeRange(v6, taken);
    checkRange(t, v6, taken, range);
    t.equal(range?.cidr, "2001:2:0:1:c000::/67");
  });
  t.test("addresses of the other family or outside the subnet do not matter", async (t) => {
    const lan = subnet("198.18.1.0/24");
    const taken = ["198.18.2.200", "2001:2:0:1::10"].map(address);
    t.equal(freeRange(lan, taken)?.cidr, "198.18.1.128/25");
  });
});
