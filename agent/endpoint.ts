// One ZeroMQ endpoint of the node: its socket, handshake watch, sending, receiving, and the
// numbers for its final result.

import * as zmq from "zeromq";
import { CLOCK_ORIGIN } from "../shared/clock.js";
import type { SocketType } from "../shared/socket.js";
import { bindAddress, matchConnect } from "./address.js";
import { Accounting, decodeMessage, encodeRaw, RAW_SENDER, encodeReply, makePayload, MessageWriter, rateOf, Replies, subscribeMessage, subscriptionKind, wallNow } from "./messages.js";
import { peerKey, peersFor, readTcpTables, type BindAddr } from "../shared/proc-net.js";
import { TICK_MS, type AgentEvent, type EndpointJob, type EndpointResult, type Peer } from "../shared/protocol.js";
import { progressKey, Silences } from "./timeline.js";
import { Latencies } from "./latency.js";
import { BURST, breathe, Changes, sleep } from "./wait.js";

export type Emit = (event: AgentEvent) => void;

// zeromq.js gives each socket class only the calls its type allows. The agent decides by socket
// type what to call, so it holds every socket through this one shape.
type Sock = zmq.Socket & zmq.Readable & zmq.Writable;

type SendJob = NonNullable<EndpointJob["send"]>;

const DELIMITER = Buffer.alloc(0);

const CAN_SEND: ReadonlySet<SocketType> = new Set(["pub", "xpub", "xsub", "push", "req", "dealer", "pair"]);
/** Sockets with a receive loop; a REQ reads its replies in its send loop instead. */
const RECEIVES: ReadonlySet<SocketType> = new Set(["pub", "xpub", "sub", "xsub", "pull", "rep", "router", "dealer", "pair"]);

/** When the agent's senders may start: at once, or when the controller says `go` (AgentJob.waitForGo). */
export interface Start {
  go: Promise<void>;
  life: number;
}

function createSocket(job: EndpointJob, handshakeTimeout: number): Sock {
  // linger 0: at stop, whatever is still queued is dropped, so close never blocks.
  const options = { linger: 0, ipv6: job.ipv6 };
  const prefixes = job.subscribe.length > 0 ? job.subscribe : [""];
  switch (job.socket) {
    case "pub":
    case "xpub": {
      // An XPUB even for "pub": only an XPUB shows the subscriptions, which the sender waits for
      // (slow joiner). "allSubs" passes duplicates too, so two subscribers to "" count as two.
      const s = new zmq.XPublisher(options);
      s.verbosity = "allSubs";
      return s as Sock;
    }
    case "sub": {
      const s = new zmq.Subscriber(options);
      s.subscribe(...prefixes);
      return s as unknown as Sock;
    }
    case "xsub":
      return new zmq.XSubscriber(options) as Sock;
    case "push":
      return new zmq.Push(options) as unknown as Sock;
    case "pull":
      return new zmq.Pull(options) as unknown as Sock;
    case "req": {
      // Each request waits this long for its reply; then the next one goes (the lazy pirate:
      // `relaxed` lets a REQ send again without a reply, `correlate` drops a late one).
      const s = new zmq.Request({ ...options, receiveTimeout: job.replyTimeout ?? handshakeTimeout, relaxed: true, correlate: true });
      return s as Sock;
    }
    case "rep":
      return new zmq.Reply(options) as Sock;
    case "dealer":
      return new zmq.Dealer(options) as Sock;
    case "router":
      return new zmq.Router(options) as Sock;
    case "pair":
      return new zmq.Pair(options) as Sock;
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class Endpoint {
  private socket: Sock | undefined;
  private stopped = false;
  /** Set by an error at start: the endpoint then carries no traffic. */
  private broken = false;
  private readonly stopping = new AbortController();
  private readonly changes = new Changes();
  private readonly timers: NodeJS.Timeout[] = [];

  private readonly acct: Accounting;
  private readonly replies = new Replies();
  private sent = 0;
  /** A req's requests that got no reply in time. */
  private unanswered = 0;
  private firstSent: number | undefined;
  private lastSent: number | undefined;
  private subscriptions = 0;
  private handshakeCount = 0;
  private readonly handshaken = new Set<string>();
  private readonly binds: BindAddr[] = [];
  private readonly peers = new Map<string, Peer>();
  /** The receive timeline: silences, and what the last tick reported (see tick()). */
  private readonly silences = new Silences();
  /** One-way latency per sender since the last tick (messages whose header says when they were sent). */
  private readonly latencies = new Latencies();
  private lastTick = "";
  private lastPeers = "";

  constructor(
    private readonly job: EndpointJob,
    private readonly handshakeTimeout: number,
    private readonly emit: Emit,
    private readonly begin: Start = { go: Promise.resolve(), life: 1 },
  ) {
    this.acct = new Accounting(new Set(job.spreading ?? []));
  }

  get name(): string {
    return this.job.name;
  }

  /** Creates, binds and connects the socket, then starts its traffic in the background. */
  async start(): Promise<void> {
    const job = this.job;
    let socket: Sock;
    try {
      socket = createSocket(job, this.handshakeTimeout);
    } catch (err) {
      this.error(`socket: ${messageOf(err)}`, "start");
      return;
    }
    this.socket = socket;
    // Read events before bind and connect: the observer reports only what happens after it
    // is first read.
    void this.watchEvents(socket);

    if (job.socket === "xsub") {
      // XSUB keeps its subscriptions and sends them to every peer that attaches later.
      for (const p of job.subscribe.length > 0 ? job.subscribe : [""]) {
        try {
          await socket.send(subscribeMessage(p));
        } catch (err) {
          this.error(`subscribe "${p}": ${messageOf(err)}`, "start");
        }
      }
    }
    for (const b of job.bind) {
      try {
        await socket.bind(b);
        // lastEndpoint has interface names and wildcard ports resolved: what the kernel shows.
        const bound = bindAddress(socket.lastEndpoint ?? b);
        if (bound) this.binds.push(bound);
      } catch (err) {
        this.error(`bind ${b}: ${messageOf(err)}`, "start");
      }
      if (this.stopped) return;
    }
    for (const c of job.connect) {
      try {
        socket.connect(c);
        this.watchHandshake(c);
      } catch (err) {
        this.error(`connect ${c}: ${messageOf(err)}`, "start");
      }
    }
    if (job.send && !CAN_SEND.has(job.socket)) this.error(`a ${job.socket} socket cannot send; send ignored`, "start");
    this.say({ type: "ready", endpoint: job.name });
    // A broken endpoint sends and receives nothing: its numbers would claim traffic it did not carry.
    if (this.broken) return;

    // Every endpoint's progress goes on the timeline: what it received, and what it sent.
    this.tick(true);
    const ticker = setInterval(() => this.tick(false), TICK_MS);
    this.timers.push(ticker);
    if (RECEIVES.has(job.socket)) void this.receiveLoop(socket);
    if (job.send) void this.sendLoop(socket, job.send);
  }

  /** A checkpoint: report the progress now (just before a fault), whether it changed or not. */
  checkpoint(): void {
    if (this.socket && !this.broken) this.tick(true);
  }

  /** Stops sending and receiving and reports. Call once, then close(). */
  async finish(): Promise<EndpointResult> {
    this.stopped = true;
    this.stopping.abort();
    for (const t of this.timers) clearTimeout(t);
    if (this.binds.length > 0) await this.refreshPeers();
    if (!this.broken && this.socket) {
      // The timeline's end: the last counts, and a silence still going on at stop.
      const now = wallNow();
      this.emit({ type: "tick", endpoint: this.job.name, wall: now, ...this.progress(), ...this.lastMessage(), ...this.latency() });
      const open = this.silences.open(now);
      if (open) this.emit({ type: "silence", endpoint: this.job.name, ...open });
    }
    const connects = this.job.connect;
    const result: EndpointResult = {
      sent: this.sent,
      received: this.acct.received,
      from: this.acct.from,
      gaps: this.acct.gaps,
      duplicates: this.acct.duplicates,
      reordered: this.acct.reordered,
      handshakes: connects.filter((c) => this.handshaken.has(c)),
      // Includes connects whose timeout had not yet passed at stop: they never handshook either.
      noHandshake: connects.filter((c) => !this.handshaken.has(c)),
      peers: [...this.peers.values()],
      ...(this.job.socket === "req" ? { unanswered: this.unanswered } : {}),
    };
    const rate =
      this.job.send && CAN_SEND.has(this.job.socket) ? (this.firstSent !== undefined && this.lastSent !== undefined ? rateOf(this.sent, this.firstSent, this.lastSent) : undefined) : this.acct.rate;
    if (rate !== undefined) result.rate = rate;
    return result;
  }

  close(): void {
    try {
      this.socket?.close();
    } catch (err) {
      console.error(`agent: ${this.job.name}: close: ${messageOf(err)}`);
    }
  }

  /** Emits unless stopped: after stop only the final result speaks for the endpoint. */
  private say(event: AgentEvent): void {
    if (!this.stopped) this.emit(event);
  }

  private error(message: string, stage: "start" | "traffic" = "traffic"): void {
    if (stage === "start") this.broken = true;
    this.say({ type: "error", endpoint: this.job.name, message, stage });
  }

  private async watchEvents(socket: Sock): Promise<void> {
    try {
      for await (const event of socket.events) {
        if (this.stopped) return;
        if (event.type === "handshake") this.onHandshake(event.address);
        else if (event.type === "disconnect") this.say({ type: "disconnect", endpoint: this.job.name, address: event.address, wall: wallNow() });
        // A peer shows in the kernel's table from accept on; read it then, in case it leaves.
        else if (event.type === "accept" && this.binds.length > 0) void this.refreshPeers();
      }
    } catch (err) {
      if (!this.stopped) console.error(`agent: ${this.job.name}: events: ${messageOf(err)}`);
    }
  }

  private onHandshake(address: string): void {
    this.handshakeCount++;
    const connect = matchConnect(address, this.job.connect);
    this.say({ type: "handshake", endpoint: this.job.name, address, wall: wallNow(), ...(connect !== undefined ? { connect } : {}) });
    if (connect !== undefined) this.handshaken.add(connect);
    if (this.binds.length > 0) void this.refreshPeers();
    this.changes.notify();
  }

  /**
   * libzmq reports no error for a connect that cannot work (a source address the node does not
   * own, nothing listening, a route missing): it retries quietly. A missing handshake after the
   * timeout is how it shows.
   */
  private watchHandshake(connect: string): void {
    const start = performance.now();
    const timer = setTimeout(() => {
      if (this.handshaken.has(connect)) return;
      const after = Math.round(performance.now() - start);
      this.say({ type: "no-handshake", endpoint: this.job.name, connect, after });
    }, this.handshakeTimeout);
    this.timers.push(timer);
  }

  private async refreshPeers(): Promise<void> {
    const entries = await readTcpTables();
    const established = peersFor(entries, this.binds);
    for (const p of established) this.peers.set(peerKey(p), p);
    // The timeline keeps the established set whenever it changes: peers in a phase.
    const key = established.map(peerKey).sort().join(",");
    if (key !== this.lastPeers) {
      this.lastPeers = key;
      this.say({ type: "peers", endpoint: this.job.name, wall: wallNow(), peers: established });
    }
  }

  private progress() {
    return {
      sent: this.sent,
      received: this.acct.received,
      gaps: this.acct.gaps,
      duplicates: this.acct.duplicates,
      reordered: this.acct.reordered,
      from: this.acct.from,
      highest: this.acct.highest,
      ...(this.job.socket === "req" ? { unanswered: this.unanswered } : {}),
    };
  }

  private lastMessage(): { first?: number; last?: number } {
    const { first, last } = this.silences;
    return first !== undefined && last !== undefined ? { first, last } : {};
  }

  /** The latency histograms since the last tick, when any message came with its send time. */
  private latency(): { latency?: Record<string, string> } {
    const latency = this.latencies.take();
    return latency ? { latency } : {};
  }

  /** Reports progress when it changed since the last tick (`always`: the timeline's start); bound endpoints re-read their peers. */
  private tick(always: boolean): void {
    if (this.stopped) return;
    const progress = this.progress();
    const key = progressKey(progress);
    if (always || key !== this.lastTick) {
      this.lastTick = key;
      this.say({ type: "tick", endpoint: this.job.name, wall: wallNow(), ...progress, ...this.lastMessage(), ...this.latency() });
    }
    if (this.binds.length > 0) void this.refreshPeers().catch(() => undefined);
  }

  /** Waits for subscribers (publishers) or handshakes (other senders); bounded by the timeout. */
  private async waitForPeers(): Promise<void> {
    const expected = this.job.expectPeers;
    const start = performance.now();
    const publishes = this.job.socket === "pub" || this.job.socket === "xpub";
    if (expected > 0) {
      const enough = publishes ? () => this.subscriptions >= expected : () => this.handshakeCount >= expected;
      await this.changes.until(enough, this.handshakeTimeout, this.stopping.signal);
    }
    if (publishes) {
      const waited = Math.round(performance.now() - start);
      this.say({ type: "subscribed", endpoint: this.job.name, subscriptions: this.subscriptions, expected, waited });
    }
  }

  private async sendLoop(socket: Sock, send: SendJob): Promise<void> {
    await this.waitForPeers();
    this.say({ type: "primed", endpoint: this.job.name, wall: wallNow() });
    await Promise.race([this.begin.go, new Promise<void>((resolve) => this.stopping.signal.addEventListener("abort", () => resolve(), { once: true }))]);
    if (this.stopped) return;
    const life = this.begin.life;
    const payload = makePayload(send.size);
    const writer = this.job.format === "raw" ? undefined : new MessageWriter(this.job.name, payload, send.topic, life);
    const raw = encodeRaw(payload, send.topic);
    const stamp = this.job.stamp !== false;
    // A REP takes only requests that begin with an empty delimiter (REQ adds it itself);
    // a ROUTER passes it through, and the reply comes back with it.
    const delimited = this.job.socket === "dealer";
    // A send that may wait first asks libzmq whether the socket can take it (ZMQ_EVENTS), once per
    // message; with no timeout (sendTimeout 0) it just sends, and fails with EAGAIN when the
    // socket is full. A REQ waits for each reply anyway; the others send that way.
    const fast = this.job.socket !== "req";
    if (fast) socket.sendTimeout = 0;
    const interval = send.rate ? 1000 / send.rate : 0;
    const start = performance.now();
    for (let i = 0; i < send.count && !this.stopped; i++) {
      if (interval > 0) {
        // Pace by schedule, not by sleeping `interval` after each send, so the rate holds on
        // average; below a millisecond a timer cannot wait, so the messages go as a burst.
        const wait = start + i * interval - performance.now();
        if (wait >= 1) await sleep(wait, this.stopping.signal);
        if (this.stopped) return;
      }
      if (i % BURST === BURST - 1) await breathe();
      const message = writer ? writer.message(i, stamp ? wallNow() : 0) : raw;
      const frames = delimited ? [DELIMITER, ...message] : message;
      try {
        try {
          await socket.send(frames);
        } catch (err) {
          // Full (back-pressure): wait until it takes the message, then go on without asking.
          if (!fast || (err as { code?: unknown }).code !== "EAGAIN" || this.stopped) throw err;
          socket.sendTimeout = -1;
          await socket.send(frames);
          if (!this.stopped) socket.sendTimeout = 0;
        }
      } catch (err) {
        if (this.stopped) return;
        this.error(`send: ${messageOf(err)}`);
        break;
      }
      this.sent++;
      this.lastSent = performance.now();
      if (this.firstSent === undefined) {
        this.firstSent = this.lastSent;
        this.say({ type: "sending", endpoint: this.job.name, wall: wallNow() });
      }
      if (this.job.socket === "req" && !(await this.awaitReply(socket, i))) break;
    }
    const elapsed = Math.round(performance.now() - start);
    // When the last message went (a requester's last request, not the reply that followed it).
    const wall = this.lastSent !== undefined ? CLOCK_ORIGIN + this.lastSent : wallNow();
    this.say({ type: "sent", endpoint: this.job.name, count: this.sent, elapsed, wall });
  }

  /**
   * A REQ's reply. None within the reply timeout: the request counts as unanswered and the next
   * one goes (true); false (sending ends) on any other error.
   */
  private async awaitReply(socket: Sock, seq: number): Promise<boolean> {
    try {
      this.onMessage(await socket.receive());
      return true;
    } catch (err) {
      if (this.stopped) return false;
      const code = (err as { code?: unknown }).code;
      if (code === "EAGAIN") {
        // Said once; the count says the rest.
        if (this.unanswered++ === 0)
          this.error(`no reply to request ${seq} within ${this.job.replyTimeout ?? this.handshakeTimeout} ms; sent the next request (the report counts every unanswered one)`);
        return true;
      }
      this.error(`receive: ${messageOf(err)}`);
      return false;
    }
  }

  private async receiveLoop(socket: Sock): Promise<void> {
    // A receive that may wait first asks libzmq whether a message is there (ZMQ_EVENTS), once per
    // message; with no timeout (receiveTimeout 0) it just reads, and fails with EAGAIN when
    // nothing is there. So the loop reads that way while messages wait, and only when none does,
    // waits for one (timeout -1). Inline, not in a helper: one await per message, not two.
    socket.receiveTimeout = 0;
    for (let i = 1; !this.stopped; i++) {
      if (i % BURST === 0) await breathe();
      let frames: Buffer[];
      try {
        try {
          frames = await socket.receive();
        } catch (err) {
          if ((err as { code?: unknown }).code !== "EAGAIN" || this.stopped) throw err;
          socket.receiveTimeout = -1;
          frames = await socket.receive();
          if (!this.stopped) socket.receiveTimeout = 0;
        }
      } catch (err) {
        // Closing the socket at stop ends a pending receive: that is no error.
        if (this.stopped) return;
        const code = (err as { code?: unknown }).code;
        this.error(this.job.socket === "rep" && code === "EFSM" ? "a rep socket that does not reply cannot receive a second request" : `receive: ${messageOf(err)}`);
        return;
      }
      if (this.stopped) return;
      const reply = this.onMessage(frames);
      if (reply) {
        try {
          await socket.send(reply);
          this.sent++;
        } catch (err) {
          if (!this.stopped) this.error(`reply: ${messageOf(err)}`);
          return;
        }
      }
    }
  }

  /** Counts one message; returns the reply to send, if this endpoint answers it. */
  private onMessage(frames: Buffer[]): Buffer[] | undefined {
    const type = this.job.socket;
    if (type === "pub" || type === "xpub") {
      const kind = subscriptionKind(frames);
      if (kind === "subscribe") {
        this.subscriptions++;
        this.changes.notify();
        return undefined;
      }
      // A real PUB drops what an XSUB sends upstream; so does the XPUB standing in for it.
      if (kind === "unsubscribe" || type === "pub") return undefined;
    }
    const now = performance.now();
    const wall = CLOCK_ORIGIN + now;
    const m = this.job.format === "raw" ? null : decodeMessage(frames);
    const silence = this.silences.arrival(wall, m?.sentAt);
    if (silence) this.say({ type: "silence", endpoint: this.job.name, ...silence });
    if (this.job.format === "raw") {
      this.acct.recordUnknown(now, RAW_SENDER);
      return undefined;
    }
    if (!m) {
      this.acct.recordUnknown(now);
      return undefined;
    }
    this.acct.record(m.sender, m.seq, now, m.life);
    if (m.sentAt !== undefined && this.job.stamp !== false) this.latencies.record(m.sender, m.sentAt, wall);
    if ((type === "rep" || type === "router") && this.job.reply) {
      // The REP socket keeps the envelope itself; a ROUTER must send it back.
      const envelope = type === "router" ? m.envelope : [];
      return encodeReply(envelope, this.job.name, this.replies.seqFor(m.sender), m.payload, { life: this.begin.life });
    }
    return undefined;
  }
}
