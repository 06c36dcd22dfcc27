// The agent as a program: real sockets on loopback, one "server" and one "client" agent per
// test as two lab nodes would run them. Only 127.0.0.0/8 and ::1 carry traffic; a foreign
// source address (198.18.99.99) never gets a packet out because the kernel refuses to bind it.
import t, { type Test } from "tap";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { networkInterfaces } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { AgentEvent, AgentJob, EndpointJob, EndpointResult } from "../../shared/protocol.js";
import { decodeLatency } from "../../shared/latency.js";

const AGENT = fileURLToPath(new URL("../../agent/main.js", import.meta.url));
/** Generous bound on any one wait, so a broken agent fails a test instead of hanging it. */
const WAIT = 15_000;
/** Time receivers get after the last `sent` before the stop. */
const LINGER = 300;

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const running = new Set<Agent>();
t.teardown(() => {
  for (const a of running) a.kill();
});

class Agent {
  readonly events: AgentEvent[] = [];
  /** stdout lines that were not JSON: the protocol allows none. */
  readonly junk: string[] = [];
  stderr = "";
  readonly closed: Promise<number | null>;
  private readonly proc: ChildProcessWithoutNullStreams;
  private wake: Array<() => void> = [];

  constructor(readonly job: AgentJob | string) {
    this.proc = spawn(process.execPath, [AGENT, typeof job === "string" ? job : JSON.stringify(job)]);
    running.add(this);
    createInterface({ input: this.proc.stdout }).on("line", (line) => {
      try {
        this.events.push(JSON.parse(line) as AgentEvent);
      } catch {
        this.junk.push(line);
      }
      this.changed();
    });
    this.proc.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
    // "close": the process exited and its stdout is read to the end.
    this.closed = new Promise((resolve) => {
      this.proc.on("close", (code) => {
        running.delete(this);
        resolve(code);
        this.changed();
      });
    });
  }

  /** The first event matching `match`, waiting for it (bounded); undefined if none came. */
  async waitFor(match: (e: AgentEvent) => boolean, ms = WAIT): Promise<AgentEvent | undefined> {
    const end = Date.now() + ms;
    for (;;) {
      const found = this.events.find(match);
      if (found || this.proc.exitCode !== null || Date.now() >= end) return found;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, end - Date.now());
        this.wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  ready(): Promise<boolean> {
    const names = typeof this.job === "string" ? [] : this.job.endpoints.map((e) => e.name);
    return Promise.all(names.map((n) => this.waitFor((e) => e.type === "ready" && e.endpoint === n))).then((found) => found.every(Boolean));
  }

  has(endpoint: string): boolean {
    return typeof this.job !== "string" && this.job.endpoints.some((e) => e.name === endpoint);
  }

  stop(): void {
    this.proc.stdin.write('{"cmd":"stop"}\n');
  }

  endInput(): void {
    this.proc.stdin.end();
  }

  kill(): void {
    this.proc.kill("SIGKILL");
  }

  /** Waits for the exit (bounded; killed after that) and collects the outcome. */
  async finished(ms = WAIT): Promise<{ code: number | null; finals: Record<string, EndpointResult>; done: boolean }> {
    const timer = setTimeout(() => this.kill(), ms);
    const code = await this.closed;
    clearTimeout(timer);
    const finals: Record<string, EndpointResult> = {};
    for (const e of this.events) if (e.type === "final") finals[e.endpoint] = e.result;
    return { code, finals, done: this.events.at(-1)?.type === "done" };
  }

  errors(): AgentEvent[] {
    return this.events.filter((e) => e.type === "error");
  }

  private changed(): void {
    const wake = this.wake;
    this.wake = [];
    for (const w of wake) w();
  }
}

function ep(name: string, socket: EndpointJob["socket"], more: Partial<EndpointJob> = {}): EndpointJob {
  return { name, socket, bind: [], connect: [], ipv6: false, subscribe: [], reply: false, expectPeers: 0, format: "zmqlab", ...more };
}

function job(node: string, endpoints: EndpointJob[], more: Partial<AgentJob> = {}): AgentJob {
  return { node, endpoints, handshakeTimeout: 2000, deadline: 30_000, ...more };
}

/**
 * Runs a server agent and, once it is ready, a client agent; stops both after every sender
 * reported `sent` (plus LINGER). Returns every endpoint's final result.
 */
async function exchange(t: Test, server: EndpointJob[], client: EndpointJob[], more: Partial<AgentJob> = {}): Promise<{ results: Record<string, EndpointResult>; agents: Agent[] }> {
  const s = new Agent(job("server", server, more));
  t.ok(await s.ready(), "server ready");
  const c = new Agent(job("client", client, more));
  const agents = [s, c];
  const senders = [...server, ...client].filter((e) => e.send).map((e) => e.name);
  for (const name of senders) {
    const a = agents.find((x) => x.has(name));
    t.ok(await a?.waitFor((e) => e.type === "sent" && e.endpoint === name), `${name} sent`);
  }
  await delay(LINGER);
  for (const a of agents) a.stop();
  const [sf, cf] = await Promise.all(agents.map((a) => a.finished()));
  for (const [a, f] of [
    [s, sf],
    [c, cf],
  ] as const) {
    t.equal(f?.code, 0, `${typeof a.job === "string" ? "?" : a.job.node} exits 0`);
    t.ok(f?.done, "ends with done");
    t.same(a.junk, [], "nothing but JSON lines on stdout");
    t.same(a.errors(), [], "no errors");
  }
  return { results: { ...sf?.finals, ...cf?.finals }, agents };
}

function clean(t: Test, r: EndpointResult | undefined, from: Record<string, number>, what: string): void {
  t.same(r?.from, from, `${what}: from`);
  t.equal(
    r?.received,
    Object.values(from).reduce((a, b) => a + b, 0),
    `${what}: received`,
  );
  t.equal(r?.gaps, 0, `${what}: no gaps`);
  t.equal(r?.duplicates, 0, `${what}: no duplicates`);
  t.equal(r?.reordered, 0, `${what}: no reordering`);
}

const hasIPv6Loopback = Object.values(networkInterfaces()).some((list) => (list ?? []).some((a) => a.family === "IPv6" && a.address === "::1"));

t.test("pub/sub: 1000 messages reach each of two subscribers; peers show their sources", async (t) => {
  const { results, agents } = await exchange(
    t,
    [ep("quotes", "pub", { bind: ["tcp://127.0.0.1:25001"], send: { count: 1000, size: 64 }, expectPeers: 2 })],
    [ep("s1", "sub", { connect: ["tcp://127.0.0.2:0;127.0.0.1:25001"] }), ep("s2", "sub", { connect: ["tcp://127.0.0.1:25001"] })],
  );
  const subscribed = agents[0]?.events.find((e) => e.type === "subscribed");
  t.match(subscribed, { type: "subscribed", endpoint: "quotes", subscriptions: 2, expected: 2 });
  t.equal(results.quotes?.sent, 1000);
  t.type(results.quotes?.rate, "number");
  clean(t, results.s1, { quotes: 1000 }, "s1");
  clean(t, results.s2, { quotes: 1000 }, "s2");
  t.same(results.s1?.handshakes, ["tcp://127.0.0.2:0;127.0.0.1:25001"]);
  t.same(results.s1?.noHandshake, []);
  const peers = results.quotes?.peers ?? [];
  t.same(peers.map((p) => p.address).sort(), ["127.0.0.1", "127.0.0.2"]);
  t.ok(peers.every((p) => p.local === "127.0.0.1:25001" && p.port > 0));
  const clientEvents = agents[1]?.events ?? [];
  t.ok(clientEvents.some((e) => e.type === "handshake" && e.endpoint === "s1" && e.address === "tcp://127.0.0.2:0;127.0.0.1:25001"));
});

t.test("pub/sub topics: a subscriber gets only its prefixes", async (t) => {
  const { results } = await exchange(
    t,
    [ep("eur", "pub", { bind: ["tcp://127.0.0.1:25002"], send: { count: 200, size: 8, topic: "quotes.eur" }, expectPeers: 2 })],
    [ep("quotes", "sub", { connect: ["tcp://127.0.0.1:25002"], subscribe: ["quotes."] }), ep("news", "sub", { connect: ["tcp://127.0.0.1:25002"], subscribe: ["news"] })],
  );
  clean(t, results.quotes, { eur: 200 }, "matching prefix");
  clean(t, results.news, {}, "other prefix");
});

t.test("xpub/xsub: both directions", async (t) => {
  const { results } = await exchange(
    t,
    [ep("xp", "xpub", { bind: ["tcp://127.0.0.1:25003"], send: { count: 500, size: 16 }, expectPeers: 2 })],
    [ep("x1", "xsub", { connect: ["tcp://127.0.0.2:0;127.0.0.1:25003"], send: { count: 100, size: 16 }, expectPeers: 1 }), ep("x2", "xsub", { connect: ["tcp://127.0.0.1:25003"] })],
  );
  clean(t, results.x1, { xp: 500 }, "x1");
  clean(t, results.x2, { xp: 500 }, "x2");
  clean(t, results.xp, { x1: 100 }, "xpub reads what an xsub sends upstream");
  t.same(results.xp?.peers.map((p) => p.address).sort(), ["127.0.0.1", "127.0.0.2"]);
});

t.test("push/pull, also paced", async (t) => {
  const { results, agents } = await exchange(
    t,
    [ep("sink", "pull", { bind: ["tcp://127.0.0.1:25004"] })],
    [
      ep("fast", "push", { connect: ["tcp://127.0.0.2:0;127.0.0.1:25004"], send: { count: 1000, size: 100 }, expectPeers: 1 }),
      ep("paced", "push", { connect: ["tcp://127.0.0.1:25004"], send: { count: 50, size: 10, rate: 500 }, expectPeers: 1 }),
    ],
  );
  clean(t, results.sink, { fast: 1000, paced: 50 }, "sink");
  t.equal(results.fast?.sent, 1000);
  t.equal(results.paced?.sent, 50);
  t.type(results.paced?.rate, "number");
  t.type(results.sink?.rate, "number");
  t.same(results.sink?.peers.map((p) => p.address).sort(), ["127.0.0.1", "127.0.0.2"]);
  // Every message's latency is in exactly one tick's histogram, per sender.
  const ticks = agents[0]!.events.filter((e): e is Extract<AgentEvent, { type: "tick" }> => e.type === "tick" && e.endpoint === "sink");
  const measured: Record<string, number> = {};
  let largest = 0;
  for (const tick of ticks) {
    for (const [sender, text] of Object.entries(tick.latency ?? {})) {
      const h = decodeLatency(text);
      measured[sender] = (measured[sender] ?? 0) + h.totalCount;
      largest = Math.max(largest, h.maxValue);
    }
  }
  t.same(measured, { fast: 1000, paced: 50 }, "latency measured for every message, per sender");
  t.ok(largest > 0 && largest < 10_000_000, `one-way latency on loopback, in µs: ${largest}`);
});

t.test("a sender with nowhere to send waits (back-pressure), then sends everything, in order, once", async (t) => {
  // No peer yet: a PUSH cannot take a message (EAGAIN without a timeout), so the agent waits for
  // one with a timeout; the PULL comes up later and gets all of them.
  const c = new Agent(job("client", [ep("early", "push", { connect: ["tcp://127.0.0.1:25031"], send: { count: 3000, size: 200 } })]));
  t.ok(await c.ready(), "client ready");
  await delay(300);
  const s = new Agent(job("server", [ep("late", "pull", { bind: ["tcp://127.0.0.1:25031"] })]));
  t.ok(await s.ready(), "server ready");
  t.ok(await c.waitFor((e) => e.type === "sent"), "early sent");
  await delay(LINGER);
  c.stop();
  s.stop();
  const [cf, sf] = await Promise.all([c.finished(), s.finished()]);
  t.equal(cf?.finals.early?.sent, 3000);
  clean(t, sf?.finals.late, { early: 3000 }, "late");
  t.same([...c.errors(), ...s.errors()], [], "no errors");
});

t.test("stamp: false: the sender writes no time, the receiver measures no latency; its counts the same", async (t) => {
  const { results, agents } = await exchange(
    t,
    [ep("plain", "pub", { bind: ["tcp://127.0.0.1:25032"], send: { count: 300, size: 8 }, expectPeers: 1, stamp: false })],
    [ep("reader", "sub", { connect: ["tcp://127.0.0.1:25032"], stamp: false })],
  );
  clean(t, results.reader, { plain: 300 }, "reader");
  t.notOk(
    agents[1]!.events.some((e) => e.type === "tick" && e.latency !== undefined),
    "no latency in any tick",
  );
});

t.test("req/rep and req/router: every request answered, replies counted by replier", async (t) => {
  const { results } = await exchange(
    t,
    [ep("rep", "rep", { bind: ["tcp://127.0.0.1:25005"], reply: true }), ep("router", "router", { bind: ["tcp://127.0.0.1:25006"], reply: true })],
    [
      ep("req1", "req", { connect: ["tcp://127.0.0.1:25005"], send: { count: 100, size: 32 }, expectPeers: 1 }),
      ep("req2", "req", { connect: ["tcp://127.0.0.2:0;127.0.0.1:25006"], send: { count: 100, size: 32, topic: "t" }, expectPeers: 1 }),
    ],
  );
  clean(t, results.rep, { req1: 100 }, "rep");
  clean(t, results.router, { req2: 100 }, "router");
  clean(t, results.req1, { rep: 100 }, "req1");
  clean(t, results.req2, { router: 100 }, "req2");
  t.equal(results.rep?.sent, 100, "replies count as sent");
  t.equal(results.req1?.sent, 100);
  t.same(
    results.router?.peers.map((p) => p.address),
    ["127.0.0.2"],
  );
});

t.test("dealer round-robin over a router and a rep", async (t) => {
  const { results } = await exchange(
    t,
    [ep("router", "router", { bind: ["tcp://127.0.0.1:25007"], reply: true }), ep("rep", "rep", { bind: ["tcp://127.0.0.1:25008"], reply: true })],
    [
      ep("dealer", "dealer", {
        connect: ["tcp://127.0.0.1:25007", "tcp://127.0.0.1:25008"],
        send: { count: 200, size: 10 },
        expectPeers: 2,
      }),
    ],
  );
  t.equal(results.dealer?.sent, 200);
  // Each replier sees only its share of the dealer's numbers, so it counts the others as gaps:
  // gaps at one receiver of a load-balanced sender are expected. No duplicates or reordering.
  for (const r of [results.router, results.rep]) {
    t.same(Object.keys(r?.from ?? {}), ["dealer"]);
    t.equal(r?.duplicates, 0);
    t.equal(r?.reordered, 0);
  }
  t.equal((results.router?.received ?? 0) + (results.rep?.received ?? 0), 200, "all requests arrived");
  t.ok((results.router?.received ?? 0) > 0 && (results.rep?.received ?? 0) > 0, "both got some");
  clean(t, results.dealer, { router: results.router?.received ?? -1, rep: results.rep?.received ?? -1 }, "dealer's replies");
  t.same(results.dealer?.handshakes, ["tcp://127.0.0.1:25007", "tcp://127.0.0.1:25008"]);
});

t.test("pair: both ways", async (t) => {
  const { results } = await exchange(
    t,
    [ep("left", "pair", { bind: ["tcp://127.0.0.1:25009"], send: { count: 300, size: 20 }, expectPeers: 1 })],
    [ep("right", "pair", { connect: ["tcp://127.0.0.2:0;127.0.0.1:25009"], send: { count: 300, size: 20 }, expectPeers: 1 })],
  );
  clean(t, results.left, { right: 300 }, "left");
  clean(t, results.right, { left: 300 }, "right");
  t.same(
    results.left?.peers.map((p) => p.address),
    ["127.0.0.2"],
  );
});

t.test("IPv6: ::1 with a source, and IPv4 peers on a dual-stack wildcard bind", { skip: !hasIPv6Loopback && "no ::1" }, async (t) => {
  const { results } = await exchange(
    t,
    [ep("v6", "pull", { bind: ["tcp://[::1]:25010"], ipv6: true }), ep("any", "pull", { bind: ["tcp://*:25011"], ipv6: true })],
    [
      ep("p6", "push", { connect: ["tcp://[::1]:0;[::1]:25010"], ipv6: true, send: { count: 100, size: 10 }, expectPeers: 1 }),
      ep("p4", "push", { connect: ["tcp://127.0.0.2:0;127.0.0.1:25011"], send: { count: 100, size: 10 }, expectPeers: 1 }),
    ],
  );
  clean(t, results.v6, { p6: 100 }, "v6");
  clean(t, results.any, { p4: 100 }, "any");
  t.same(results.p6?.handshakes, ["tcp://[::1]:0;[::1]:25010"]);
  t.same(
    results.v6?.peers.map((p) => [p.local, p.address]),
    [["[::1]:25010", "::1"]],
  );
  t.same(
    results.any?.peers.map((p) => [p.local, p.address]),
    [["127.0.0.1:25011", "127.0.0.2"]],
    "not ::ffff:127.0.0.2",
  );
});

t.test("a source the node does not own: no-handshake, and a clean end", async (t) => {
  const bad = "tcp://198.18.99.99:0;127.0.0.1:25012";
  const good = "tcp://127.0.0.1:25012";
  const server = new Agent(job("server", [ep("sink", "pull", { bind: [good] })], { handshakeTimeout: 500 }));
  t.ok(await server.ready());
  const client = new Agent(job("client", [ep("src", "push", { connect: [bad], send: { count: 10, size: 10 }, expectPeers: 1 }), ep("ok", "push", { connect: [good] })], { handshakeTimeout: 500 }));
  const missed = await client.waitFor((e) => e.type === "no-handshake");
  t.match(missed, { type: "no-handshake", endpoint: "src", connect: bad });
  t.type(missed?.type === "no-handshake" && missed.after, "number");
  t.ok(await client.waitFor((e) => e.type === "sent" && e.endpoint === "src"), "sending went ahead after the timeout");
  client.stop();
  server.stop();
  const c = await client.finished();
  const s = await server.finished();
  t.equal(c.code, 0);
  t.ok(c.done);
  t.same(c.finals.src?.noHandshake, [bad]);
  t.same(c.finals.src?.handshakes, []);
  t.same(c.finals.ok?.handshakes, [good]);
  t.equal(client.events.filter((e) => e.type === "no-handshake").length, 1, "reported once");
  t.equal(s.finals.sink?.received, 0, "nothing got through");
  t.same(
    s.finals.sink?.peers.map((p) => p.address),
    ["127.0.0.1"],
    "only the good connect",
  );
});

t.test("stdin EOF stops the agent like the stop command", async (t) => {
  const a = new Agent(
    job("n", [ep("sub", "sub", { connect: ["tcp://127.0.0.1:25013"] }), ep("pub", "pub", { bind: ["tcp://127.0.0.1:25014"], send: { count: 5, size: 1 }, expectPeers: 1 })], {
      handshakeTimeout: 60_000,
    }),
  );
  t.ok(await a.ready());
  a.endInput();
  const f = await a.finished();
  t.equal(f.code, 0);
  t.ok(f.done);
  t.same(Object.keys(f.finals).sort(), ["pub", "sub"], "one final per endpoint");
  t.equal(f.finals.pub?.sent, 0, "still waiting for subscribers: nothing sent");
  t.same(f.finals.sub?.noHandshake, ["tcp://127.0.0.1:25013"], "never handshook");
  t.notOk(
    a.events.some((e) => e.type === "sent" || e.type === "subscribed"),
    "no events from the stopped sender",
  );
});

t.test("a long burst does not hold off the stop", async (t) => {
  // Sends to no subscriber complete at once; without yielding, the stop would wait for all.
  const count = 50_000_000;
  const a = new Agent(job("n", [ep("burst", "pub", { bind: ["tcp://127.0.0.1:25019"], send: { count, size: 1 } })]));
  t.ok(await a.waitFor((e) => e.type === "subscribed"));
  await delay(200);
  a.stop();
  const f = await a.finished();
  t.equal(f.code, 0);
  t.ok(f.done);
  t.ok((f.finals.burst?.sent ?? count) < count, "stopped mid-burst");
});

t.test("the deadline ends the agent", async (t) => {
  // A push to nowhere would wait for its peer far longer than the deadline.
  const a = new Agent(job("n", [ep("push", "push", { connect: ["tcp://127.0.0.1:25015"], send: { count: 10, size: 1 }, expectPeers: 1 })], { handshakeTimeout: 60_000, deadline: 1000 }));
  const f = await a.finished();
  t.equal(f.code, 0);
  t.ok(f.done);
  t.equal(f.finals.push?.sent, 0);
  t.equal(a.events.filter((e) => e.type === "final").length, 1);
});

t.test("a bind that fails is an error for that endpoint only", async (t) => {
  const holder = new Agent(job("holder", [ep("holder", "pull", { bind: ["tcp://127.0.0.1:25016"] })]));
  t.ok(await holder.ready());
  const a = new Agent(
    job("n", [
      ep("foreign", "pull", { bind: ["tcp://198.18.99.99:25017"] }),
      ep("taken", "pull", { bind: ["tcp://127.0.0.1:25016"] }),
      ep("first", "pull", { bind: ["tcp://127.0.0.1:25018"] }),
      ep("fine", "push", { connect: ["tcp://127.0.0.1:25018"], send: { count: 20, size: 1 }, expectPeers: 1 }),
    ]),
  );
  t.ok(await a.ready());
  t.ok(await a.waitFor((e) => e.type === "sent"));
  await delay(LINGER);
  a.stop();
  holder.stop();
  const f = await a.finished();
  t.equal((await holder.finished()).code, 0);
  t.equal(f.code, 0);
  const errors = a.errors();
  t.equal(errors.length, 2);
  t.match(
    errors.find((e) => e.type === "error" && e.endpoint === "foreign"),
    { message: /198\.18\.99\.99:25017.*Cannot assign requested address/ },
  );
  t.match(
    errors.find((e) => e.type === "error" && e.endpoint === "taken"),
    { message: /127\.0\.0\.1:25016.*Address already in use/ },
  );
  t.equal(f.finals.first?.received, 20, "the others kept running");
  t.same(Object.keys(f.finals).sort(), ["fine", "first", "foreign", "taken"]);
});

t.test("an endpoint whose bind fails sends nothing and says it could not start", async (t) => {
  const holder = new Agent(job("holder", [ep("holder", "pull", { bind: ["tcp://127.0.0.1:25030"] })]));
  t.ok(await holder.ready());
  // Both on one node, as a lab would have them: the second bind of the port fails.
  const a = new Agent(
    job(
      "n",
      [
        // A publisher drops what nobody receives: were it to run, it would count all 50 as sent.
        ep("taken", "pub", { bind: ["tcp://127.0.0.1:25030"], send: { count: 50, size: 1 } }),
        ep("fine", "push", { connect: ["tcp://127.0.0.1:25030"], send: { count: 50, size: 1 }, expectPeers: 1 }),
      ],
      { handshakeTimeout: 300 },
    ),
  );
  t.ok(await a.ready());
  t.ok(await a.waitFor((e) => e.type === "sent" && e.endpoint === "fine"), "the healthy endpoint sent");
  await delay(LINGER);
  a.stop();
  holder.stop();
  const f = await a.finished();
  t.equal((await holder.finished()).finals.holder?.received, 50, "what the healthy one sent arrived");
  t.match(a.errors(), [{ type: "error", endpoint: "taken", stage: "start", message: /bind tcp:\/\/127\.0\.0\.1:25030: Address already in use/ }]);
  t.equal(f.finals.taken?.sent, 0, "the broken endpoint sent nothing");
  t.notOk(
    a.events.some((e) => e.type === "sent" && e.endpoint === "taken"),
    "and never reported sending",
  );
  t.equal(f.finals.fine?.sent, 50, "the other endpoint of the node ran");
});

t.test("a malformed job: one error event, exit 2", async (t) => {
  for (const text of ["{not json", JSON.stringify({ node: "n", endpoints: [{ name: "x", socket: "nope" }], handshakeTimeout: 1, deadline: 1 })]) {
    const a = new Agent(text);
    const f = await a.finished();
    t.equal(f.code, 2);
    t.equal(a.events.length, 1);
    t.equal(a.events[0]?.type, "error");
    t.same(a.junk, []);
  }
});
