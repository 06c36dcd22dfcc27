// The agent's per-message work, made cheap and kept exact: a sender's MessageWriter (one frame
// with a trailer), the seen sequence numbers as runs (every way a number can land), and
// decoding that reads names from a small cache.
import t from "tap";
import { Accounting, decodeHeader, decodeMessage, encodeMessage, makePayload, MessageWriter, SeenNumbers, subscriptionKind } from "../../agent/messages.js";

/** The trailer zmqlab's agent ends each message with (see agent/messages.ts), built by hand. */
function trailer(sender: string, seq: number, life: number, sentAt: number): Buffer {
  const name = Buffer.from(sender);
  const t = Buffer.alloc(20 + name.length);
  t[0] = 0x5a;
  t.writeUInt16BE(life, 1);
  t.writeUIntBE(seq, 3, 6);
  t.writeDoubleBE(sentAt, 9);
  name.copy(t, 17);
  t[17 + name.length] = name.length;
  t[18 + name.length] = 2;
  t[19 + name.length] = 0x5a;
  return t;
}

t.test("MessageWriter: one frame, topic then payload then the trailer, written again for each message", async (t) => {
  const payload = makePayload(8);
  const w = new MessageWriter("quotes", payload, "eur", 2);
  const first = w.message(0, 1000.5);
  t.equal(first.length, 1, "one frame");
  t.same(first[0], Buffer.concat([Buffer.from("eur"), payload, trailer("quotes", 0, 2, 1000.5)]), "byte for byte");
  const second = w.message(7, 2000.25);
  t.same(decodeMessage(second), { sender: "quotes", seq: 7, life: 2, sentAt: 2000.25, envelope: [], payload: Buffer.from("eurxxxxxxxx") }, "the payload is what precedes the trailer, topic included");
  t.equal(second, w.message(8, 1), "a short frame (copied by libzmq on send) is reused");
  t.same(decodeMessage(w.message(2 ** 48 - 1, 0)), { sender: "quotes", seq: 2 ** 48 - 1, life: 2, sentAt: 0, envelope: [], payload: Buffer.from("eurxxxxxxxx") }, "the largest number; no time: 0");
  t.same(new MessageWriter("q", makePayload(0)).message(1, 5), [trailer("q", 1, 1, 5)], "no topic, no payload: the trailer alone; life 1");
  t.equal(subscriptionKind(new MessageWriter("q", makePayload(0)).message(1, 5)), "data", "it starts with Z: an XPUB never takes it for a subscription");
});

t.test("MessageWriter: a frame longer than libzmq copies is made anew for each message", async (t) => {
  const copied = new MessageWriter("n", makePayload(107)); // 107 + 21 = 128 bytes: still copied
  t.equal(copied.message(1, 1)[0]!.length, 128);
  t.equal(copied.message(1, 1)[0], copied.message(2, 2)[0], "128 bytes: reused");
  const longer = new MessageWriter("n", makePayload(108), "t");
  const a = longer.message(1, 10);
  const b = longer.message(2, 20);
  t.not(a[0], b[0], "130 bytes: libzmq keeps a reference, so each message has its own");
  t.same([decodeMessage(a)?.seq, decodeMessage(b)?.seq, decodeMessage(a)?.sentAt, decodeMessage(b)?.sentAt], [1, 2, 10, 20], "the first is left as it was");
});

t.test("MessageWriter: a name too long for the trailer (over 255 bytes) sends the three-frame framing", async (t) => {
  const name = "n".repeat(256);
  const w = new MessageWriter(name, makePayload(4), "top", 3);
  const a = w.message(5, 50);
  t.same(
    a.map((f) => f.length),
    [3, 18 + 256, 4],
    "[topic, header, payload]",
  );
  t.same(decodeHeader(a[1]!), { sender: name, seq: 5, life: 3, sentAt: 50 });
  const b = w.message(6, 60);
  t.not(a[1], b[1], "a header that long is made anew");
  t.same(decodeHeader(a[1]!)?.seq, 5);
  t.equal(a[0], b[0], "the topic is shared");
  t.equal(new MessageWriter("m".repeat(255), makePayload(0)).message(1, 1).length, 1, "255 bytes still fit");
});

t.test("decoding one frame: routed envelopes, foreign frames, what comes first", async (t) => {
  const single = new MessageWriter("d", makePayload(2)).message(4, 9)[0]!;
  const id = Buffer.from("id");
  t.same(
    decodeMessage([id, Buffer.alloc(0), single]),
    { sender: "d", seq: 4, life: 1, sentAt: 9, envelope: [id, Buffer.alloc(0)], payload: Buffer.from("xx") },
    "a ROUTER's envelope: every frame before it",
  );
  const bad = (what: string, change: (f: Buffer) => Buffer) => t.equal(decodeMessage([change(Buffer.from(single))]), null, what);
  bad("last byte not Z", (f) => (f.writeUInt8(0x59, f.length - 1), f));
  bad("another version", (f) => (f.writeUInt8(3, f.length - 2), f));
  bad("a name longer than the frame", (f) => (f.writeUInt8(200, f.length - 3), f));
  bad("the trailer's first byte not Z", (f) => (f.writeUInt8(0x78, 2), f));
  bad("life 0", (f) => (f.writeUInt16BE(0, 3), f));
  t.equal(decodeMessage([single.subarray(0, 19)]), null, "shorter than a trailer");
  t.equal(decodeMessage([Buffer.from("xxZ\u0002Z")]), null, "too short for its name");
  t.equal(decodeMessage([Buffer.from("plain payload")]), null, "a raw message is not ours");
  t.same(
    decodeMessage([Buffer.alloc(0), trailer("p", 1, 1, 2)]),
    { sender: "p", seq: 1, life: 1, sentAt: 2, envelope: [Buffer.alloc(0)], payload: Buffer.alloc(0) },
    "a frame before it that is no header: an envelope",
  );
  const three = encodeMessage("v1", 3, Buffer.concat([Buffer.from("x"), trailer("v2", 9, 1, 1)]), "", { sentAt: 5 });
  t.match(decodeMessage(three), { sender: "v1", seq: 3 }, "a header second to last wins over a trailer in the payload");
});

t.test("SeenNumbers: in order, one run; a gap, a new run; every way a late number lands", async (t) => {
  const s = new SeenNumbers();
  t.same([s.count, s.max, s.missing], [0, -1, 0], "empty");
  for (const n of [0, 1, 2]) t.ok(s.add(n));
  t.same([s.count, s.max, s.missing], [3, 2, 0]);
  t.ok(s.add(6), "past a gap");
  t.ok(s.add(10));
  t.same([s.count, s.max, s.missing], [5, 10, 6], "3, 4, 5, 7, 8, 9 missing");
  for (const n of [0, 2, 6, 10]) t.notOk(s.add(n), `${n} again: seen`);
  t.ok(s.add(3), "joins the run on its left");
  t.ok(s.add(5), "joins the run on its right");
  t.ok(s.add(8), "alone between two runs");
  t.ok(s.add(4), "closes a hole: the runs on both sides merge");
  t.notOk(s.add(4));
  t.notOk(s.add(5), "inside the merged run");
  t.ok(s.add(9), "joins the run on its right, the last one");
  t.ok(s.add(7), "closes the last hole");
  t.same([s.count, s.max, s.missing], [11, 10, 0], "0 to 10, all seen");
  for (let n = 0; n <= 10; n++) t.notOk(s.add(n), `${n}: seen`);
  t.ok(s.add(11), "the one run goes on");
  const late = new SeenNumbers();
  t.ok(late.add(5), "the first number need not be 0");
  t.ok(late.add(1), "below the first run");
  t.ok(late.add(0), "joins it on the left of the first run");
  t.notOk(late.add(0));
  t.ok(late.add(3));
  t.same([late.count, late.max, late.missing], [4, 5, 2], "2 and 4 missing");
  t.notOk(late.add(5));
  t.notOk(late.add(1));
});

t.test("SeenNumbers agrees with a set of every number, over a shuffled stream with repeats", async (t) => {
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const numbers = Array.from({ length: 3000 }, () => Math.floor(random() * 1500));
  const runs = new SeenNumbers();
  const set = new Set<number>();
  let max = -1;
  for (const n of numbers) {
    t.equal(runs.add(n), !set.has(n), `add ${n}`);
    set.add(n);
    max = Math.max(max, n);
    if (runs.count !== set.size || runs.max !== max) t.fail(`after ${n}: ${runs.count} seen, max ${runs.max}`);
  }
  t.equal(runs.missing, max + 1 - set.size);
});

t.test("accounting across senders and lives, through the runs", async (t) => {
  const a = new Accounting();
  for (const n of [0, 1, 3, 2, 2, 5]) a.record("p", n, n);
  a.record("p", 0, 10, 2);
  a.record("p", 2, 11, 2);
  a.record("q", 4, 12);
  t.same({ received: a.received, gaps: a.gaps, duplicates: a.duplicates, reordered: a.reordered }, { received: 9, gaps: 1 + 1 + 4, duplicates: 1, reordered: 1 });
  t.same(a.highest, { p: 5, "p#2": 2, q: 4 });
  t.same(a.from, { p: 8, q: 1 });
  a.record("p", 4, 13);
  t.equal(a.gaps, 5, "back to life 1: its late 4 fills its gap");
  t.equal(a.reordered, 2);
});

t.test("decoding: names from the cache, for many senders and names that share bytes", async (t) => {
  const names = Array.from({ length: 40 }, (_, i) => `s${i}`);
  for (let round = 0; round < 2; round++) {
    for (const name of [...names, "s", "s1x", "é", ""]) {
      const m = decodeMessage(encodeMessage(name, round, makePayload(1)));
      t.equal(m?.sender, name, `${name || "(empty)"}, round ${round}`);
    }
  }
  const plain = decodeMessage(encodeMessage("a", 3, makePayload(2), "t", { sentAt: 5 }))!;
  t.same(plain.envelope, [], "no envelope");
  t.same(Object.keys(plain).sort(), ["envelope", "life", "payload", "sender", "sentAt", "seq"]);
  const json = decodeMessage([Buffer.from(""), Buffer.from('{"s":"prog","n":4}'), Buffer.from("x")])!;
  t.same({ ...json, payload: String(json.payload) }, { sender: "prog", seq: 4, life: 1, envelope: [], payload: "x" }, "a program's header without a time: no sentAt");
  t.notOk("sentAt" in json);
  const zero = encodeMessage("a", 1, makePayload(1));
  zero[1]!.writeUInt16BE(0, 2);
  t.equal(decodeMessage(zero), null, "life 0: not ours");
});
