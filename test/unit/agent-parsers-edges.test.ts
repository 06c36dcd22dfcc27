// The agent's pure parsers at their edges: endpoints that are almost tcp endpoints, kernel table
// lines that are almost entries, jobs that name exactly what is wrong, headers that are not ours.
import t from "tap";
import { bindAddress, matchConnect } from "../../agent/address.js";
import { JobError, parseJob } from "../../agent/job.js";
import { Accounting, decodeMessage, encodeRaw, RAW_SENDER, subscriptionKind, UNKNOWN_SENDER } from "../../agent/messages.js";
import { decodeSockAddr, parseProcNetTcp, peerKey } from "../../shared/proc-net.js";
import { canonicalAddress } from "../../shared/address.js";

t.test("bind addresses: only whole, well-formed tcp endpoints", async (t) => {
  t.equal(bindAddress("udp://198.18.2.10:5556"), null, "another transport is not tcp");
  t.equal(bindAddress("ipc://198.18.2.10:5556"), null, "nor is ipc, even with an address in it");
  for (const bad of ["tcp://x[::1]:5556", "tcp://[::1]:5556:7", "tcp://]198.18.2.10:5556", "tcp://198.18.2.10:5556:1"]) {
    t.equal(bindAddress(bad), null, `${bad} is no endpoint: text around the host and port is not ignored`);
  }
  t.equal(bindAddress("tcp://198.18.2.10:x5"), null, "a port must be digits from its first character");
  t.equal(bindAddress("tcp://198.18.2.10:5x"), null, "and to its last");
  t.same(bindAddress("tcp://198.18.2.10:5556"), { address: "198.18.2.10", port: 5556 });
});

t.test("matching a handshake to its connect", async (t) => {
  const connects = ["tcp://198.18.1.11:0;198.18.2.10:5556"];
  t.equal(matchConnect("tcp://198.18.1.99:0;198.18.2.10:5556", connects), undefined, "another source part is another connect, even to the same destination");
  t.equal(matchConnect("tcp://198.18.2.10:5556", connects), connects[0], "a report without the source part falls back on the destination");
  t.equal(matchConnect("ipc://a", ["ipc://b"]), undefined, "endpoints that are not tcp never match by destination");
});

t.test("kernel table lines: only whole entries count", async (t) => {
  const entry = (sl: string, local: string, remote: string, state: string) => `${sl} ${local} ${remote} ${state} 00000000:00000000 00:00000000 00000000 0 0 1 1`;
  const good = entry("0:", "0A121502:15B4", "0B121402:C350", "01");
  t.equal(parseProcNetTcp(good).length, 1, "a well-formed line");
  t.equal(parseProcNetTcp(good.replaceAll(" ", "   ")).length, 1, "fields apart by several spaces");
  t.equal(parseProcNetTcp(entry("12:", "0A121502:15B4", "0B121402:C350", "01")).length, 1, "a line number of two digits");
  for (const sl of ["a0:", "0:x", "0"]) t.equal(parseProcNetTcp(entry(sl, "0A121502:15B4", "0B121402:C350", "01")).length, 0, `a line number "${sl}" is no entry`);
  for (const state of ["X01", "01X", "1"]) t.equal(parseProcNetTcp(entry("0:", "0A121502:15B4", "0B121402:C350", state)).length, 0, `a state "${state}" is no entry`);
  t.equal(decodeSockAddr("x0A121502:15B4"), null, "text before the address");
  t.equal(decodeSockAddr("0A121502:15B4x"), null, "text after the port");
  t.equal(canonicalAddress("::ffff:198.18.21.10"), "198.18.21.10", "an IPv4-mapped address with two-digit octets is plain IPv4");
  t.equal(peerKey({ local: "198.18.2.10:5556", address: "198.18.1.11", port: 50000 }), "198.18.2.10:5556 198.18.1.11 50000", "a peer's key: local end, address, port");
});

t.test("jobs: each problem is named by its place in the job", async (t) => {
  const base = { name: "e", socket: "pull" };
  const bad = (endpoint: Record<string, unknown>, message: string) => {
    const job = { node: "n", handshakeTimeout: 1, deadline: 2, endpoints: [endpoint] };
    t.throws(() => parseJob(JSON.stringify(job)), new JobError(message), message);
  };
  bad({ ...base, name: 3 }, "job.endpoints[0].name: expected a string");
  bad({ ...base, ipv6: "yes" }, "job.endpoints[0].ipv6: expected true or false");
  bad({ ...base, subscribe: [1] }, "job.endpoints[0].subscribe[0]: expected a string");
  bad({ ...base, reply: 1 }, "job.endpoints[0].reply: expected true or false");
  bad({ ...base, send: [] }, "job.endpoints[0].send: expected an object");
  bad({ ...base, send: { count: -1 } }, "job.endpoints[0].send.count: expected an integer >= 0");
  bad({ ...base, send: { count: 1, size: 1.5 } }, "job.endpoints[0].send.size: expected an integer >= 0");
  bad({ ...base, send: { count: 1, topic: 7 } }, "job.endpoints[0].send.topic: expected a string");
  for (const text of ["null", "5", "[]"]) t.throws(() => parseJob(text), new JobError("job: expected an object"), `${text} is not a job`);
  const rep = parseJob(JSON.stringify({ node: "n", handshakeTimeout: 1, deadline: 2, endpoints: [{ name: "r", socket: "rep" }] }));
  t.equal(rep.endpoints[0]?.reply, true, "a REP replies by default");
});

t.test("messages that are not ours, raw messages, subscriptions", async (t) => {
  t.equal(decodeMessage([Buffer.from("null"), Buffer.from("x")]), null, "a header of JSON null is not ours");
  t.equal(decodeMessage([Buffer.from("5"), Buffer.from("x")]), null, "nor a number");
  t.same(encodeRaw(Buffer.from("x"), "eur"), [Buffer.from("eurx")], "a raw message: the topic's bytes, then the payload's, in one frame");
  t.same(encodeRaw(Buffer.from("x")), [Buffer.from("x")], "without a topic, the payload alone");
  t.equal(subscriptionKind([Buffer.alloc(0)]), "data", "an empty frame is no subscription");
  const a = new Accounting();
  a.recordUnknown(0);
  a.recordUnknown(1, RAW_SENDER);
  t.same(a.from, { "?": 1, raw: 1 }, `unparsed messages count under "${UNKNOWN_SENDER}", raw ones under "${RAW_SENDER}" (the names reports show)`);
});
