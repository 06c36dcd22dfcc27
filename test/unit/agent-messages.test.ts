import t from "tap";
import {
  Accounting,
  decodeHeader,
  decodeMessage,
  encodeHeader,
  encodeMessage,
  encodeReply,
  jsonHeader,
  makePayload,
  rateOf,
  Replies,
  subscribeMessage,
  subscriptionKind,
  UNKNOWN_SENDER,
} from "../../agent/messages.js";

const texts = (frames: Buffer[]) => frames.map((f) => f.toString());

t.test("a message is [topic, header, payload]", async (t) => {
  const frames = encodeMessage("quotes", 17, makePayload(5), "eur", { sentAt: 1234.5 });
  t.same([texts(frames)[0], texts(frames)[2]], ["eur", "xxxxx"]);
  t.same(decodeHeader(frames[1]!), { sender: "quotes", seq: 17, life: 1, sentAt: 1234.5 });
  t.same(
    texts(encodeMessage("q", 0, makePayload(0))).filter((_, i) => i !== 1),
    ["", ""],
    "no topic: empty first frame",
  );
});

t.test("the binary header: marker, version, life, sequence, send time, sender", async (t) => {
  const h = encodeHeader("pub-1", 0x0102030405, 3, 1796594101123.25);
  t.same([...h.subarray(0, 4)], [0x5a, 1, 0, 3], "Z, version 1, life 3 (u16 big-endian)");
  t.same([...h.subarray(4, 10)], [0, 0x01, 0x02, 0x03, 0x04, 0x05], "the sequence number, u48 big-endian");
  t.equal(h.readDoubleBE(10), 1796594101123.25, "the send time, f64 big-endian ms since the epoch");
  t.equal(h.subarray(18).toString(), "pub-1");
  t.same(decodeHeader(h), { sender: "pub-1", seq: 0x0102030405, life: 3, sentAt: 1796594101123.25 });
  t.match(decodeHeader(encodeHeader("é", 2 ** 48 - 1)), { sender: "é", seq: 2 ** 48 - 1, life: 1, sentAt: Number }, "the largest sequence number and a UTF-8 name; now as the time");
  const zeroLife = Buffer.from(h);
  zeroLife.writeUInt16BE(0, 2);
  t.equal(decodeHeader(zeroLife), null, "life 0 is no header");
  t.equal(decodeHeader(h.subarray(0, 17)), null, "shorter than 18 bytes: no header");
  const v2 = Buffer.from(h);
  v2[1] = 2;
  t.equal(decodeHeader(v2), null, "an unknown version is no header");
  t.same(decodeHeader(h.subarray(0, 18)), { sender: "", seq: 0x0102030405, life: 3, sentAt: 1796594101123.25 }, "an empty name is a name");
});

t.test("a program's JSON header reads the same", async (t) => {
  t.same(decodeHeader(Buffer.from('{"s":"a","n":2}')), { sender: "a", seq: 2, life: 1 });
  t.same(decodeHeader(Buffer.from('{"s":"a","n":2,"l":2,"t":99.5}')), { sender: "a", seq: 2, life: 2, sentAt: 99.5 });
  t.same(decodeHeader(jsonHeader({ sender: "b", seq: 3, life: 2, sentAt: 7 })), { sender: "b", seq: 3, life: 2, sentAt: 7 }, "what jsonHeader writes");
  t.equal(jsonHeader({ sender: "b", seq: 3, life: 1 }).toString(), '{"s":"b","n":3}', "life 1 and no time: the short form");
  t.equal(decodeHeader(Buffer.from('{"s":"a","n":2,"l":0}')), null, "life 0");
  t.equal(decodeHeader(Buffer.from('{"s":"a","n":2,"l":1.5}')), null, "a fractional life");
  t.equal(decodeHeader(Buffer.from('{"s":"a","n":2,"t":"soon"}')), null, "a time that is no number");
  t.equal(decodeHeader(Buffer.from(' {"s":"a","n":2}')), null, "JSON starts with {");
});

t.test("the payload never looks like a subscription to an XPUB", async (t) => {
  const payload = makePayload(3);
  t.not(payload[0], 0);
  t.not(payload[0], 1);
});

t.test("decoding reads from the end, whatever envelope precedes", async (t) => {
  const plain = decodeMessage(encodeMessage("a", 3, makePayload(2), "t"));
  t.equal(plain?.sender, "a");
  t.equal(plain?.seq, 3);
  t.same(plain?.envelope, []);
  t.equal(plain?.payload.length, 2);

  // What a ROUTER reads from a REQ (or from our DEALER): identity, delimiter, message.
  const id = Buffer.from([0, 1, 2, 3]);
  const routed = decodeMessage([id, Buffer.alloc(0), ...encodeMessage("req", 9, makePayload(1))]);
  t.equal(routed?.sender, "req");
  t.equal(routed?.seq, 9);
  t.same(routed?.envelope, [id, Buffer.alloc(0)]);

  // What a REP reads from a REQ: the envelope is gone. And a DEALER reading a reply.
  t.equal(decodeMessage(encodeMessage("r", 1, makePayload(0)))?.seq, 1);
  t.equal(decodeMessage([Buffer.alloc(0), ...encodeReply([], "rep", 4, makePayload(0))])?.seq, 4);
});

t.test("foreign messages do not decode", async (t) => {
  t.equal(decodeMessage([]), null);
  t.equal(decodeMessage([Buffer.from("hello")]), null);
  t.equal(decodeMessage([Buffer.from("not json"), Buffer.from("")]), null);
  t.equal(decodeMessage([Buffer.from('{"s":1,"n":2}'), Buffer.from("")]), null);
  t.equal(decodeMessage([Buffer.from('{"s":"a","n":-1}'), Buffer.from("")]), null);
  t.equal(decodeMessage([Buffer.from('{"s":"a","n":1.5}'), Buffer.from("")]), null);
  t.equal(decodeMessage([Buffer.from("null"), Buffer.from("")]), null);
});

t.test("a ROUTER reply keeps the envelope", async (t) => {
  const id = Buffer.from("peer");
  const reply = encodeReply([id, Buffer.alloc(0)], "router", 0, Buffer.from("pp"));
  t.same(
    texts(reply).filter((_, i) => i !== 3),
    ["peer", "", "", "pp"],
  );
  t.match(decodeHeader(reply[3]!), { sender: "router", seq: 0, life: 1 });
});

t.test("subscriptions", async (t) => {
  t.same([...subscribeMessage("quo")], [1, 0x71, 0x75, 0x6f]);
  t.same([...subscribeMessage("")], [1]);
  t.equal(subscriptionKind([subscribeMessage("a")]), "subscribe");
  t.equal(subscriptionKind([Buffer.from([0, 0x61])]), "unsubscribe");
  t.equal(subscriptionKind(encodeMessage("x", 0, makePayload(3))), "data");
  t.equal(subscriptionKind([Buffer.alloc(0)]), "data");
});

t.test("accounting: a clean run", async (t) => {
  const a = new Accounting();
  for (let n = 0; n < 100; n++) a.record("s", n, n);
  t.equal(a.received, 100);
  t.same(a.from, { s: 100 });
  t.equal(a.gaps, 0);
  t.equal(a.duplicates, 0);
  t.equal(a.reordered, 0);
});

t.test("accounting: gaps are the missing numbers below the highest seen", async (t) => {
  const a = new Accounting();
  for (const n of [0, 1, 4, 5, 9]) a.record("s", n, 0);
  t.equal(a.gaps, 5, "2, 3, 6, 7, 8");
  t.equal(a.reordered, 0);
  t.equal(a.duplicates, 0);
  const lateStart = new Accounting();
  lateStart.record("s", 3, 0);
  t.equal(lateStart.gaps, 3, "a late joiner misses the first ones: 0, 1, 2");
});

t.test("accounting: duplicates", async (t) => {
  const a = new Accounting();
  for (const n of [0, 1, 1, 2, 0, 2]) a.record("s", n, 0);
  t.equal(a.duplicates, 3);
  t.equal(a.reordered, 0, "a duplicate is not also a reordering");
  t.equal(a.received, 6, "duplicates are received messages");
  t.same(a.from, { s: 6 });
  t.equal(a.gaps, 0);
});

t.test("accounting: reordering, and a late message fills its gap", async (t) => {
  const a = new Accounting();
  for (const n of [0, 2, 1, 5, 3, 4]) a.record("s", n, 0);
  t.equal(a.reordered, 3, "1 after 2; 3 and 4 after 5");
  t.equal(a.gaps, 0);
  t.equal(a.duplicates, 0);
  const b = new Accounting();
  for (const n of [0, 3, 1]) b.record("s", n, 0);
  t.equal(b.gaps, 1, "only 2 is missing");
  t.equal(b.reordered, 1);
});

t.test("accounting: senders are counted apart", async (t) => {
  const a = new Accounting();
  a.record("a", 0, 0);
  a.record("b", 0, 1);
  a.record("a", 1, 2);
  a.record("b", 2, 3);
  t.same(a.from, { a: 2, b: 2 });
  t.equal(a.gaps, 1, "b's 1");
  t.equal(a.duplicates, 0, "the same number from two senders is no duplicate");
  t.equal(a.reordered, 0);
  a.recordUnknown(4);
  t.equal(a.received, 5);
  t.same(a.from, { a: 2, b: 2, [UNKNOWN_SENDER]: 1 });
  t.equal(a.gaps, 1, "foreign messages have no sequence");
});

t.test("rates", async (t) => {
  t.equal(rateOf(11, 0, 1000), 10, "11 messages over one second are 10 intervals");
  t.equal(rateOf(1, 0, 1000), undefined);
  t.equal(rateOf(5, 100, 100), undefined);
  const a = new Accounting();
  t.equal(a.rate, undefined);
  a.record("s", 0, 1000);
  a.record("s", 1, 1500);
  a.record("s", 2, 2000);
  t.equal(a.rate, 2);
});

t.test("replies are numbered per requester", async (t) => {
  const r = new Replies();
  t.same([r.seqFor("a"), r.seqFor("b"), r.seqFor("a"), r.seqFor("a"), r.seqFor("b")], [0, 0, 1, 2, 1]);
});

t.test("boundaries of decoding and of subscriptions", async (t) => {
  t.same(
    decodeMessage([Buffer.from('{"s":"a","n":0}'), Buffer.from("p")]),
    { sender: "a", seq: 0, life: 1, envelope: [], payload: Buffer.from("p") },
    "sequence 0 is ours; two frames have no envelope",
  );
  t.same(decodeMessage([Buffer.from("t"), Buffer.from('{"s":"a","n":2}'), Buffer.from("")])?.envelope, [], "the topic is not envelope");
  t.same(decodeMessage([Buffer.from("e"), Buffer.from("t"), Buffer.from('{"s":"a","n":2}'), Buffer.from("")])?.envelope, [Buffer.from("e")], "what precedes the topic is");
  t.equal(decodeMessage([Buffer.from('"text"'), Buffer.from("")]), null, "a JSON string is not a header");
  t.equal(decodeMessage([Buffer.from('{"s":"a"}'), Buffer.from("")]), null, "a header needs a number");
  t.equal(decodeMessage([Buffer.from('{"n":1}'), Buffer.from("")]), null, "a header needs a sender");
  t.equal(subscriptionKind([Buffer.from([1, 0x61]), Buffer.from("more")]), "data", "a multi-frame message starting with byte 1 is data");
  t.equal(subscriptionKind([Buffer.from([0]), Buffer.from("more")]), "data", "a multi-frame message starting with byte 0 is data");
  t.equal(subscriptionKind([Buffer.from([1])]), "subscribe", "byte 1 alone subscribes to everything");
  t.equal(subscriptionKind([Buffer.from([0])]), "unsubscribe");
  t.equal(subscriptionKind([Buffer.from([2, 0x61])]), "data", "any other first byte is data");
  t.equal(subscriptionKind([]), "data");
});

t.test("rates: two events are the least that say something, rounded to hundredths", async (t) => {
  t.equal(rateOf(2, 0, 500), 2, "two messages half a second apart: 2 per second");
  t.equal(rateOf(4, 0, 900), 3.33, "rounded to two decimals");
  t.equal(rateOf(2, 10, 9), undefined, "a clock that went back says nothing");
  t.equal(rateOf(0, 0, 1000), undefined);
});

t.test("accounting: reordering and gaps per sender, exactly", async (t) => {
  const a = new Accounting();
  a.record("s", 2, 0);
  a.record("s", 0, 1);
  a.record("s", 2, 2);
  a.record("s", 5, 3);
  a.record("t", 1, 4);
  t.equal(a.received, 5);
  t.equal(a.duplicates, 1, "2 twice");
  t.equal(a.reordered, 1, "0 after 2; the duplicate is not also reordered");
  t.equal(a.gaps, 3 + 1, "s misses 1, 3, 4; t misses 0");
  t.same(a.from, { s: 4, t: 1 });
  a.recordUnknown(5);
  a.recordUnknown(6);
  t.same(a.from, { s: 4, t: 1, [UNKNOWN_SENDER]: 2 }, "foreign messages add up under one name");
  t.equal(a.received, 7);
  t.equal(a.rate, 1000, "7 messages over 6 ms");
});

t.test("accounting: the highest sequence number per sender, for the receive timeline", async (t) => {
  const a = new Accounting();
  t.same(a.highest, {}, "nothing yet");
  a.record("p", 0, 1);
  a.record("p", 4, 2);
  a.record("p", 2, 3);
  a.record("q", 0, 4);
  a.recordUnknown(5);
  t.same(a.highest, { p: 4, q: 0 }, "a late lower number leaves the highest; unnumbered messages have none");
});

t.test("accounting: a sender's lives are counted apart, its messages together", async (t) => {
  const a = new Accounting();
  for (const n of [0, 1, 2]) a.record("p", n, 0);
  for (const n of [0, 1, 3]) a.record("p", n, 0, 2);
  t.same(a.from, { p: 6 }, "one sender");
  t.equal(a.duplicates, 0, "life 2's 0 and 1 are no duplicates of life 1's");
  t.equal(a.gaps, 1, "life 2 misses its 2");
  t.same(a.highest, { p: 2, "p#2": 3 }, "the highest per life");
});

t.test("accounting: senders whose messages are shared among receivers leave no gaps", async (t) => {
  const a = new Accounting(new Set(["push"]));
  for (const n of [0, 2, 4]) a.record("push", n, 0);
  for (const n of [0, 2]) a.record("pub", n, 0);
  t.equal(a.gaps, 1, "only pub's 1: push's odd numbers went to another receiver");
  t.same(a.from, { push: 3, pub: 2 });
  t.same(a.highest, { pub: 2 }, "no sequence kept for a sharing sender");
  t.equal(a.received, 5);
});
