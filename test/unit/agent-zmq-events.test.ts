// What libzmq (through zeromq.js) reports in socket events, which the agent relies on to match
// handshakes to connects. Loopback only.
import t from "tap";
import * as zmq from "zeromq";

type Seen = { type: string; address?: string };

/** Records a socket's events until it closes. */
function record(socket: zmq.Socket): Seen[] {
  const seen: Seen[] = [];
  void (async () => {
    for await (const e of socket.events) seen.push("address" in e ? { type: e.type, address: e.address } : { type: e.type });
  })().catch(() => undefined);
  return seen;
}

/** Waits (bounded) until `done` holds. */
async function until(done: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!done() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return done();
}

t.test("a source-endpoint connect reports its events under the string as given", async (t) => {
  const server = new zmq.Pull({ linger: 0 });
  const client = new zmq.Push({ linger: 0 });
  t.teardown(() => {
    server.close();
    client.close();
  });
  const serverSeen = record(server);
  const clientSeen = record(client);
  await server.bind("tcp://127.0.0.1:25020");
  const connect = "tcp://127.0.0.2:0;127.0.0.1:25020";
  client.connect(connect);
  t.ok(await until(() => clientSeen.some((e) => e.type === "handshake")), "handshake");
  t.same(
    clientSeen.find((e) => e.type === "handshake"),
    { type: "handshake", address: connect },
    "source part included",
  );
  t.same(
    clientSeen.find((e) => e.type === "connect"),
    { type: "connect", address: connect },
  );
  t.ok(await until(() => serverSeen.some((e) => e.type === "handshake")));
  t.same(
    serverSeen.find((e) => e.type === "handshake"),
    { type: "handshake", address: "tcp://127.0.0.1:25020" },
    "the binding side reports its own endpoint, not the peer",
  );
});

t.test("a source the host does not own: no error, only retries, never a handshake", async (t) => {
  const server = new zmq.Pull({ linger: 0 });
  const client = new zmq.Push({ linger: 0, reconnectInterval: 50 });
  t.teardown(() => {
    server.close();
    client.close();
  });
  await server.bind("tcp://127.0.0.1:25021");
  const clientSeen = record(client);
  const connect = "tcp://198.18.99.99:0;127.0.0.1:25021";
  t.doesNotThrow(() => client.connect(connect));
  t.ok(await until(() => clientSeen.filter((e) => e.type === "connect:retry").length >= 2), "retries");
  t.notOk(clientSeen.some((e) => e.type === "handshake" || e.type === "connect"));
  t.ok(clientSeen.every((e) => e.address === undefined || e.address === connect));
});

t.test("a dual-stack wildcard bind reports the accepting local address, IPv4-mapped", async (t) => {
  const server = new zmq.Pull({ linger: 0, ipv6: true });
  const client = new zmq.Push({ linger: 0 });
  t.teardown(() => {
    server.close();
    client.close();
  });
  const serverSeen = record(server);
  await server.bind("tcp://*:25022");
  t.equal(server.lastEndpoint, "tcp://[::]:25022", "lastEndpoint resolves the wildcard");
  client.connect("tcp://127.0.0.2:0;127.0.0.1:25022");
  t.ok(await until(() => serverSeen.some((e) => e.type === "handshake")));
  t.same(
    serverSeen.find((e) => e.type === "handshake"),
    { type: "handshake", address: "tcp://[::ffff:127.0.0.1]:25022" },
  );
});

t.test("an XPUB passes duplicate subscriptions only with verbosity allSubs", async (t) => {
  // zeromq.js has no `verbose` option: ZMQ_XPUB_VERBOSE is `verbosity = "allSubs"`.
  const count = async (port: number, verbose: boolean): Promise<number> => {
    const pub = new zmq.XPublisher({ linger: 0 });
    if (verbose) pub.verbosity = "allSubs";
    const subs = [new zmq.Subscriber({ linger: 0 }), new zmq.Subscriber({ linger: 0 })];
    try {
      await pub.bind(`tcp://127.0.0.1:${port}`);
      for (const s of subs) {
        s.subscribe("");
        s.connect(`tcp://127.0.0.1:${port}`);
      }
      pub.receiveTimeout = 1000;
      let n = 0;
      try {
        for (;;) {
          await pub.receive();
          n++;
        }
      } catch {
        // the timeout: nothing more came
      }
      return n;
    } finally {
      pub.close();
      for (const s of subs) s.close();
    }
  };
  t.equal(await count(25023, false), 1, "default: the second identical subscription is not shown");
  t.equal(await count(25024, true), 2);
});
