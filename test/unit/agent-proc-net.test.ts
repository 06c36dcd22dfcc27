import t from "tap";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bindAddress, matchConnect } from "../../agent/address.js";
import { parseTcpEndpoint } from "../../shared/endpoint.js";
import { decodeAddress, parseProcNetTcp, peersFor, readTcpTables } from "../../shared/proc-net.js";
import { canonicalAddress } from "../../shared/address.js";

// Lines as the kernel writes them (taken from a live host, one IPv6 line added by hand):
// 127.0.0.2:40809 -> 127.0.0.1:25995, and on the dual-stack listener *:25995 (tcp6) its other
// end, seen as ::ffff:127.0.0.1 <- ::ffff:127.0.0.2, plus ::1 both ways.
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:07E8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1147 1 00000000406bc601 100 0 0 10 0
   1: 0200007F:9F69 0100007F:658B 01 00000000:00000000 00:00000000 00000000     0        0 89895 1 00000000c97066b6 20 4 25 14 -1
   2: 0A0212C6:15B4 0B0112C6:D431 01 00000000:00000000 00:00000000 00000000     0        0 89900 1 00000000c97066b7 20 4 25 14 -1
   3: 0A0212C6:15B4 0B0112C6:D432 06 00000000:00000000 03:00001554 00000000     0        0 0 3 000000005b42323d
`;

const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:658B 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 89893 1 0000000041c71792 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:658B 0000000000000000FFFF00000200007F:9F69 01 00000000:00000000 00:00000000 00000000     0        0 89897 1 00000000abf63f72 20 4 24 14 -1
   2: 00000000000000000000000001000000:658B 00000000000000000000000001000000:8166 01 00000000:00000000 00:00000000 00000000     0        0 89898 1 0000000075248665 20 4 25 14 -1
   3: 00000000000000000000000001000000:8166 00000000000000000000000001000000:658B 01 00000000:00000000 00:00000000 00000000     0        0 89896 1 000000000e7364d9 20 4 24 14 -1
   4: 02000120000000000000000010000000:15B4 02000120000000000000000011000000:C350 01 00000000:00000000 00:00000000 00000000     0        0 89899 1 000000000e7364da 20 4 24 14 -1
`;

t.test("addresses decode from the kernel's word order", async (t) => {
  t.equal(decodeAddress("0100007F"), "127.0.0.1");
  t.equal(decodeAddress("0A0212C6"), "198.18.2.10");
  t.equal(decodeAddress("00000000"), "0.0.0.0");
  t.equal(decodeAddress("00000000000000000000000001000000"), "::1");
  t.equal(decodeAddress("00000000000000000000000000000000"), "::");
  t.equal(decodeAddress("02000120000000000000000010000000"), "2001:2::10");
  t.equal(decodeAddress("0000000000000000FFFF00000200007F"), "127.0.0.2", "IPv4-mapped reads as IPv4");
  t.equal(decodeAddress("B80D0120000000000000000001000000"), "2001:db8::1");
});

t.test("IPv4 lines", async (t) => {
  const entries = parseProcNetTcp(TCP);
  t.equal(entries.length, 4, "the header is skipped");
  t.same(entries[0], { local: { address: "0.0.0.0", port: 2024 }, remote: { address: "0.0.0.0", port: 0 }, state: "0A" });
  t.same(entries[1], { local: { address: "127.0.0.2", port: 40809 }, remote: { address: "127.0.0.1", port: 25995 }, state: "01" });
  t.same(entries[2]?.local, { address: "198.18.2.10", port: 5556 });
  t.same(entries[2]?.remote, { address: "198.18.1.11", port: 54321 });
});

t.test("IPv6 lines", async (t) => {
  const entries = parseProcNetTcp(TCP6);
  t.equal(entries.length, 5);
  t.same(entries[1], { local: { address: "127.0.0.1", port: 25995 }, remote: { address: "127.0.0.2", port: 40809 }, state: "01" });
  t.same(entries[2], { local: { address: "::1", port: 25995 }, remote: { address: "::1", port: 33126 }, state: "01" });
  t.same(entries[4], { local: { address: "2001:2::10", port: 5556 }, remote: { address: "2001:2::11", port: 50000 }, state: "01" });
});

t.test("garbage lines are skipped", async (t) => {
  t.same(parseProcNetTcp(""), []);
  t.same(parseProcNetTcp("hello world\n  7: nothex:zz 0100007F:0050 01\n  8: 0100007F:0050\n"), []);
});

t.test("peers of a bind: established connections whose local end is the bind", async (t) => {
  const entries = [...parseProcNetTcp(TCP), ...parseProcNetTcp(TCP6)];
  t.same(peersFor(entries, [{ address: "198.18.2.10", port: 5556 }]), [{ local: "198.18.2.10:5556", address: "198.18.1.11", port: 54321 }], "the closing (06) connection is left out");
  t.same(
    peersFor(entries, [{ address: null, port: 25995 }]),
    [
      { local: "127.0.0.1:25995", address: "127.0.0.2", port: 40809 },
      { local: "[::1]:25995", address: "::1", port: 33126 },
    ],
    "a wildcard bind matches any local address; the client side (local port 33126) is not a peer",
  );
  t.same(peersFor(entries, [{ address: "127.0.0.1", port: 25995 }]), [{ local: "127.0.0.1:25995", address: "127.0.0.2", port: 40809 }], "an IPv4 peer on a dual-stack socket matches an IPv4 bind");
  t.same(peersFor(entries, [{ address: "2001:2::10", port: 5556 }]), [{ local: "[2001:2::10]:5556", address: "2001:2::11", port: 50000 }]);
  t.same(peersFor(entries, [{ address: "198.18.2.99", port: 5556 }]), []);
  t.same(peersFor(entries, []), []);
});

t.test("reading the tables: a missing file counts as empty", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "agent-proc-net-"));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, "tcp"), TCP);
  const entries = await readTcpTables([join(dir, "tcp"), join(dir, "tcp6-missing")]);
  t.equal(entries.length, 4);
});

t.test("canonical addresses", async (t) => {
  t.equal(canonicalAddress("2001:0002:0000::0010"), "2001:2::10");
  t.equal(canonicalAddress("::ffff:198.18.1.11"), "198.18.1.11");
  t.equal(canonicalAddress("198.18.1.11"), "198.18.1.11");
  t.equal(canonicalAddress("eth1"), "eth1", "not an address: unchanged");
});

t.test("tcp endpoints as the agent gets them back from libzmq (the lab's parser)", async (t) => {
  const hp = (host: string, port: string) => ({ host, port });
  t.same(parseTcpEndpoint("tcp://198.18.2.10:5556"), { text: "tcp://198.18.2.10:5556", destination: hp("198.18.2.10", "5556") });
  t.same(parseTcpEndpoint("tcp://[2001:2::10]:5556"), { text: "tcp://[2001:2::10]:5556", destination: hp("2001:2::10", "5556") });
  t.same(parseTcpEndpoint("tcp://198.18.1.11:0;198.18.2.10:5556"), { text: "tcp://198.18.1.11:0;198.18.2.10:5556", source: hp("198.18.1.11", "0"), destination: hp("198.18.2.10", "5556") });
  t.same(parseTcpEndpoint("tcp://eth1:0;198.18.2.10:5556"), { text: "tcp://eth1:0;198.18.2.10:5556", source: hp("eth1", "0"), destination: hp("198.18.2.10", "5556") });
  t.same(parseTcpEndpoint("tcp://[2001:2::11]:0;[2001:2::10]:5556"), { text: "tcp://[2001:2::11]:0;[2001:2::10]:5556", source: hp("2001:2::11", "0"), destination: hp("2001:2::10", "5556") });
  t.same(parseTcpEndpoint("tcp://[fe80::1%eth1]:5556"), { text: "tcp://[fe80::1%eth1]:5556", destination: hp("fe80::1%eth1", "5556") }, "a link-local bind as libzmq reports it, with its zone");
  t.same(parseTcpEndpoint("tcp://*:*"), { text: "tcp://*:*", destination: hp("*", "*") });
  t.type(parseTcpEndpoint("ipc:///tmp/x"), "string");
  t.type(parseTcpEndpoint("tcp://nohost"), "string");
});

t.test("bind addresses", async (t) => {
  t.same(bindAddress("tcp://198.18.2.10:5556"), { address: "198.18.2.10", port: 5556 });
  t.same(bindAddress("tcp://0.0.0.0:5556"), { address: null, port: 5556 });
  t.same(bindAddress("tcp://[::]:5556"), { address: null, port: 5556 });
  t.same(bindAddress("tcp://*:5556"), { address: null, port: 5556 });
  t.same(bindAddress("tcp://[2001:0002::0010]:5556"), { address: "2001:2::10", port: 5556 });
  t.same(bindAddress("tcp://[fe80::1%eth1]:5556"), { address: "fe80::1", port: 5556 }, "the zone is no part of the address the kernel's tables show");
  t.equal(bindAddress("tcp://*:*"), null, "an unresolved wildcard port cannot be matched");
});

t.test("handshake events match their connect", async (t) => {
  const connects = ["tcp://198.18.1.11:0;198.18.2.10:5556", "tcp://198.18.1.12:0;198.18.2.10:5556", "tcp://[2001:2::10]:5557"];
  t.equal(matchConnect("tcp://198.18.1.12:0;198.18.2.10:5556", connects), connects[1], "exact, source included");
  t.equal(matchConnect("tcp://198.18.2.10:5556", connects), undefined, "two connects share the destination: no guess");
  t.equal(matchConnect("tcp://[2001:0002::10]:5557", connects), connects[2], "fallback on the destination alone");
  t.equal(matchConnect("tcp://198.18.1.99:0;198.18.2.10:5556", connects), undefined, "another source is another connect");
  t.equal(matchConnect("tcp://198.18.9.9:1", connects), undefined);
});
