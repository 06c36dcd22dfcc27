// The agent's receive timeline, on loopback: a subscriber agent against a publisher this test
// drives by hand. A pause in sending shows as a silence with wall times; the counts come as
// ticks; a publisher that goes away and binds again makes the subscriber reconnect, and that
// reconnection is a second handshake event.
import t from "tap";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import * as zmq from "zeromq";
import type { AgentEvent, AgentJob } from "../../shared/protocol.js";
import { encodeMessage, makePayload } from "../../agent/messages.js";

const AGENT = fileURLToPath(new URL("../../agent/main.js", import.meta.url));
const ENDPOINT = "tcp://127.0.0.1:25040";
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

t.test("ticks, a silence and a reconnection", async (t) => {
  const job: AgentJob = {
    node: "client",
    endpoints: [{ name: "s", socket: "sub", bind: [], connect: [ENDPOINT], ipv6: false, subscribe: [], reply: false, expectPeers: 0, format: "zmqlab" }],
    handshakeTimeout: 5000,
    deadline: 30_000,
  };
  const events: AgentEvent[] = [];
  const agent = spawn(process.execPath, [AGENT, JSON.stringify(job)]);
  t.teardown(() => agent.kill("SIGKILL"));
  createInterface({ input: agent.stdout }).on("line", (line) => events.push(JSON.parse(line) as AgentEvent));
  const closed = new Promise((resolve) => agent.on("close", resolve));
  const until = async (what: () => boolean) => {
    for (let i = 0; i < 300 && !what(); i++) await delay(50);
    return what();
  };
  const handshakes = () => events.filter((e): e is Extract<AgentEvent, { type: "handshake" }> => e.type === "handshake");

  let pub = new zmq.Publisher({ linger: 0 });
  await pub.bind(ENDPOINT);
  t.ok(await until(() => handshakes().length === 1), "the first handshake");
  await delay(300); // the subscription reaches the publisher
  const payload = makePayload(8);
  const send = async (from: number, to: number) => {
    for (let i = from; i < to; i++) await pub.send(encodeMessage("p", i, payload));
  };
  await send(0, 5);
  t.ok(await until(() => events.some((e) => e.type === "tick" && e.received === 5)), "a tick reports 5 received");
  const beforePause = Date.now();
  await delay(400);
  await send(5, 10);
  t.ok(await until(() => events.some((e) => e.type === "silence")), "the pause is a silence");
  const silence = events.find((e): e is Extract<AgentEvent, { type: "silence" }> => e.type === "silence")!;
  t.ok(silence.start <= beforePause && silence.end !== null && silence.end - silence.start > 100, `from the last message before the pause to the first after (${JSON.stringify(silence)})`);

  // The publisher goes away and comes back on the same port: the subscriber reconnects.
  pub.close();
  pub = new zmq.Publisher({ linger: 0 });
  // Closing releases the port a moment later.
  for (let i = 0; ; i++) {
    try {
      await pub.bind(ENDPOINT);
      break;
    } catch (err) {
      if (i >= 100) throw err;
      await delay(50);
    }
  }
  t.ok(await until(() => handshakes().length === 2), "a reconnection is a new handshake");
  t.ok(handshakes()[1]!.wall > handshakes()[0]!.wall, "with a later wall time");
  t.equal(handshakes()[1]!.connect, ENDPOINT, "matched to the connect");
  t.ok(
    events.some((e) => e.type === "disconnect" && e.wall >= beforePause),
    "the disconnect before it, with its wall time",
  );

  agent.stdin.write('{"cmd":"stop"}\n');
  await closed;
  pub.close();
  const ticks = events.filter((e): e is Extract<AgentEvent, { type: "tick" }> => e.type === "tick");
  const last = ticks.at(-1)!;
  t.equal(last.received, 10, "the last tick, at stop, has the final count");
  t.same(last.highest, { p: 9 }, "and the highest sequence number per sender");
  t.ok(last.first !== undefined && last.last !== undefined && last.first <= silence.start && last.last >= silence.end!, "first and last message times around the silence");
  t.ok(
    ticks.every((tk, i) => i === 0 || tk.wall >= ticks[i - 1]!.wall),
    "ticks in time order",
  );
  const final = events.find((e): e is Extract<AgentEvent, { type: "final" }> => e.type === "final")!;
  t.same([final.result.received, final.result.gaps], [10, 0], "the final result is as before");
  t.equal(Object.keys(final.result).includes("highest"), false, "and has no new fields");
});
