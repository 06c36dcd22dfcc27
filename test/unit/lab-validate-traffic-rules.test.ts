// validateLab's traffic rules on labs built in code: binds that collide or not, connects, sockets
// and how much a sender sends; each finding's path, message and hint exactly (issue 12).
import t from "tap";
import { validateLab } from "../../controller/lab/validate.js";
import type { EndpointSpec, Lab, NodeSpec } from "../../controller/lab/types.js";

const findings = (lab: Lab) => validateLab(lab).map((f) => ({ at: f.at.join("."), message: f.message, hint: f.hint }));

/** A server on lan (two addresses) and wan, a client on lan; the endpoints given. */
const lab = (traffic: Record<string, EndpointSpec>, server: NodeSpec["interfaces"] = { lan: ["198.18.1.10", "198.18.1.11"], wan: "198.18.2.10" }, settings?: Lab["settings"]): Lab =>
  ({
    name: "traffic",
    networks: { lan: { subnet: "198.18.1.0/24" }, wan: { subnet: "198.18.2.0/24" } },
    nodes: { server: { interfaces: server }, client: { interfaces: { lan: "198.18.1.20" } } },
    traffic,
    ...(settings ? { settings } : {}),
  }) as Lab;

const pub = (bind: string | string[]): EndpointSpec => ({ node: "server", socket: "pub", bind }) as EndpointSpec;
const clash = (at: string, text: string, earlierAt: string, earlier: string) => ({
  at,
  message: `${text} takes the port that ${earlierAt} (${earlier}) binds on node "server": the second bind would fail with "Address already in use"`,
  hint: 'give one of the two another port, or bind them on different addresses of "server"',
});

t.test("binds", async (t) => {
  t.test("one kernel interface name bound twice on one port collides", async (t) => {
    t.same(findings(lab({ a: pub("tcp://eth0:5556"), b: pub("tcp://eth0:5556") })), [clash("traffic.b.bind", "tcp://eth0:5556", "traffic.a.bind", "tcp://eth0:5556")]);
  });
  t.test("two kernel interface names on one port do not", async (t) => {
    t.same(findings(lab({ a: pub("tcp://eth0:5556"), b: pub("tcp://eth1:5556") })), []);
  });
  t.test("an interface binds its first address only: the second address is free", async (t) => {
    t.same(findings(lab({ a: pub("tcp://lan:5556"), b: pub("tcp://198.18.1.11:5556") })), []);
    t.same(findings(lab({ a: pub("tcp://lan:5556"), b: pub("tcp://198.18.1.10:5556") })), [clash("traffic.b.bind", "tcp://198.18.1.10:5556", "traffic.a.bind", "tcp://lan:5556")]);
  });
  t.test("an interface without addresses takes none of another bind's", async (t) => {
    t.same(findings(lab({ a: pub("tcp://198.18.2.10:5556"), b: pub("tcp://lan:5556") }, { lan: [], wan: "198.18.2.10" })), []);
  });
  t.test("a wildcard bound first: the hint explains the wildcard", async (t) => {
    t.same(findings(lab({ a: pub("tcp://*:5556"), b: pub("tcp://198.18.1.10:5556") })), [
      {
        ...clash("traffic.b.bind", "tcp://198.18.1.10:5556", "traffic.a.bind", "tcp://*:5556"),
        hint: "tcp://*:5556 takes port 5556 on every address of the node (IPv4 and IPv6): give one of the two another port",
      },
    ]);
  });
  const neither = (host: string) => ({
    at: "traffic.a.bind",
    message: `"${host}" is neither an address nor an interface of node "server" (interfaces: lan, wan)`,
    hint: "bind on one of the node's own addresses, an interface name, or *",
  });
  t.test("a kernel name is ethN exactly", async (t) => {
    t.same(findings(lab({ a: pub("tcp://eth10:5556") })), []);
    t.same(findings(lab({ a: pub("tcp://xeth0:5556") })), [neither("xeth0")]);
    t.same(findings(lab({ a: pub("tcp://eth0x:5556") })), [neither("eth0x")]);
  });
});

t.test("connects", async (t) => {
  const sub = (connect: string | string[]): EndpointSpec => ({ node: "client", socket: "sub", connect }) as EndpointSpec;
  t.test("a malformed endpoint in a list", async (t) => {
    t.same(findings(lab({ a: sub(["tcp://198.18.1.10:5556", "udp://198.18.1.10:5556"]) })), [
      {
        at: "traffic.a.connect.1",
        message: '"udp://198.18.1.10:5556" only tcp:// endpoints are supported',
        hint: "e.g. tcp://198.18.2.10:5556 or, with a chosen source, tcp://198.18.1.11:0;198.18.2.10:5556",
      },
    ]);
  });
  t.test("a wildcard source is not an address of the node", async (t) => {
    t.same(findings(lab({ a: sub("tcp://*:0;198.18.1.10:5556") })), [
      {
        at: "traffic.a.connect",
        message: 'source "*" is neither an address nor an interface of node "client" (interfaces: lan)',
        hint: "connect from one of the node's own addresses (or an interface name)",
      },
    ]);
  });
});

t.test("sockets", async (t) => {
  t.test("an xsub socket subscribes", async (t) => {
    t.same(findings(lab({ a: { node: "client", socket: "xsub", connect: "tcp://198.18.1.10:5556", subscribe: "news" } as EndpointSpec })), []);
  });
  t.test("an xpub socket sends topics", async (t) => {
    t.same(findings(lab({ a: { node: "server", socket: "xpub", bind: "tcp://198.18.1.10:5556", send: { count: 10, topic: "news" } } as EndpointSpec })), []);
  });
});

t.test("how much a sender sends", async (t) => {
  const sender = (send: object, settings?: Lab["settings"]) => findings(lab({ a: { node: "server", socket: "push", bind: "tcp://198.18.1.10:5556", send } as EndpointSpec }, undefined, settings));
  t.test("a count alone is enough", async (t) => {
    t.same(sender({ count: 10 }), []);
  });
  t.test("neither count nor duration", async (t) => {
    t.same(sender({ size: 10 }), [{ at: "traffic.a.send", message: "neither count nor duration", hint: "count: 1000 (that many messages), or rate: 100 with duration: 5s (100 a second for 5 s)" }]);
  });
  const notADuration = (text: string) => ({ at: "traffic.a.send.duration", message: `"${text}" is not a duration`, hint: "milliseconds, or 1500ms, 5s, 2m (more than 0)" });
  t.test("a duration of nothing, or of no time", async (t) => {
    t.same(sender({ duration: "soon", rate: 10 }), [notADuration("soon")]);
    t.same(sender({ duration: 0, rate: 10 }), [notADuration("0")]);
    t.same(sender({ duration: "0s", rate: 10 }), [notADuration("0s")]);
    t.same(sender({ duration: 1, rate: 10 }), []);
  });
  t.test("a duration without a rate", async (t) => {
    t.same(sender({ duration: "5s" }), [
      {
        at: "traffic.a.send.duration",
        message: "a duration needs a rate (or a count to spread over it)",
        hint: "add rate: 100 (messages a second, for 5s); as fast as possible for a time would flood the receivers",
      },
    ]);
  });
  t.test("a duration with a count to spread", async (t) => {
    t.same(sender({ duration: "5s", count: 100 }), []);
  });
  t.test("within settings.trafficTimeout, up to it exactly", async (t) => {
    t.same(sender({ duration: "5s", rate: 10 }, { trafficTimeout: 5000 }), []);
    t.same(sender({ duration: "4s", rate: 10 }, { trafficTimeout: 5000 }), []);
  });
  t.test("longer than settings.trafficTimeout", async (t) => {
    t.same(sender({ duration: "5001ms", rate: 10 }, { trafficTimeout: 5000 }), [
      {
        at: "traffic.a.send.duration",
        message: "sends for 5001 ms, longer than settings.trafficTimeout (5000 ms), which ends the traffic phase",
        hint: "raise settings.trafficTimeout above 5001 (with room for handshakes and linger), or remove it: the default makes room for the longest sender",
      },
    ]);
  });
});
