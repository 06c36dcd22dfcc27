// The agent's per-message work, made cheap and kept exact: a sender's MessageWriter (the same
// frames as encodeMessage), the seen sequence numbers as runs (every way a number can land),
// and decoding that reads names from a small cache.
import t from "tap";
import { Accounting, decodeHeader, decodeMessage, encodeMessage, makePayload, MessageWriter, SeenNumbers } from "../../agent/messages.js";

t.test("MessageWriter: the frames encodeMessage makes, the header written again for each message", async (t) => {
  const payload = makePayload(8);
  const w = new MessageWriter("quotes", payload, "eur", 2);
  const first = w.message(0, 1000.5).map((f) => Buffer.from(f));
  t.same(first, encodeMessage("quotes", 0, payload, "eur", { life: 2, sentAt: 1000.5 }));
  const second = w.message(7, 2000.25);
  t.same(decodeHeader(second[1]!), { sender: "quotes", seq: 7, life: 2, sentAt: 2000.25 });
  t.equal(second[2], payload, "the payload as given");
  t.equal(second, w.message(8, 1), "a short header (copied by libzmq on send) is reused, and so are the frames");
  t.same(decodeHeader(w.message(2 ** 48 - 1, 0)[1]!), { sender: "quotes", seq: 2 ** 48 - 1, life: 2, sentAt: 0 }, "no time: 0");
  t.same(new MessageWriter("q", payload).message(1, 5).map(String), ["", decodeHeaderText("q", 1, 1, 5), "xxxxxxxx"], "no topic: an empty frame; life 1");
});

/** The header's bytes as a string, for comparing frames as text. */
function decodeHeaderText(sender: string, seq: number, life: number, sentAt: number): string {
  return String(encodeMessage(sender, seq, Buffer.alloc(0), "", { life, sentAt })[1]);
}

t.test("MessageWriter: a header longer than libzmq copies is made anew for each message", async (t) => {
  const long = "n".repeat(110); // 18 + 110 = 128 bytes: still copied
  const copied = new MessageWriter(long, makePayload(1));
  t.equal(copied.message(1, 1)[1], copied.message(2, 2)[1], "128 bytes: reused");
  const longer = new MessageWriter(`${long}x`, makePayload(1));
  const a = longer.message(1, 10);
  const b = longer.message(2, 20);
  t.not(a[1], b[1], "129 bytes: libzmq keeps a reference, so each message has its own");
  t.same([decodeHeader(a[1]!)?.seq, decodeHeader(b[1]!)?.seq, decodeHeader(a[1]!)?.sentAt], [1, 2, 10], "the first is left as it was");
  t.equal(decodeHeader(a[1]!)?.sender, `${long}x`);
  t.equal(a[0], b[0], "the topic frame is shared");
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
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
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
