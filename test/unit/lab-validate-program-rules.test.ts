// validateLab's rules for program endpoints and expectations, on labs built in code: each
// finding's path, message and hint exactly, and the labs at each rule's edge that give none
// (issue 12: surviving mutants of controller/lab/validate.ts, programs and expectations).
import t from "tap";
import { validateLab } from "../../controller/lab/validate.js";
import type { EndpointSpec, ExpectationSpec, Lab } from "../../controller/lab/types.js";

const findings = (lab: Lab) => validateLab(lab).map((f) => ({ at: f.at.join("."), message: f.message, hint: f.hint }));

/** A client on lan, a router r1 between lan and wan, a server on wan; the traffic and expectations given. */
const lab = (traffic: Record<string, EndpointSpec> | undefined, expect: unknown[] = []): Lab =>
  ({
    name: "expectations",
    networks: { lan: { subnet: "198.18.1.0/24" }, wan: { subnet: "198.18.2.0/24" } },
    nodes: {
      client: { interfaces: { lan: "198.18.1.10" } },
      r1: { forward: true, interfaces: { lan: "198.18.1.2", wan: "198.18.2.2" } },
      server: { interfaces: { wan: "198.18.2.10" } },
    },
    ...(traffic ? { traffic } : {}),
    expect: expect as ExpectationSpec[],
  }) as Lab;

/** A publisher on the server and a subscriber on the client: two agent endpoints. */
const AGENTS: Record<string, EndpointSpec> = {
  feed: { node: "server", socket: "pub", bind: "tcp://198.18.2.10:5556", send: { count: 10 } },
  reader: { node: "client", socket: "sub", connect: "tcp://198.18.2.10:5556" },
} as Record<string, EndpointSpec>;

t.test("program endpoints", async (t) => {
  t.test("an empty command is reported at command", async (t) => {
    t.same(findings(lab({ prog: { node: "client", command: [] } as EndpointSpec })), [
      { at: "traffic.prog.command", message: "an empty command", hint: "an argument list: [python3, /app/pub.py, tcp://198.18.2.10:5556]" },
    ]);
  });
  t.test("a command of one argument is enough", async (t) => {
    t.same(findings(lab({ prog: { node: "client", command: ["/app/run"] } as EndpointSpec })), []);
  });
  t.test("both socket and command: that alone, at command", async (t) => {
    t.same(findings(lab({ prog: { node: "client", socket: "pub", command: ["/app/run"], send: { count: 1 } } as EndpointSpec })), [
      { at: "traffic.prog.command", message: "both socket and command", hint: "socket: zmqlab's agent opens that socket; command: your own program runs. Keep one" },
    ]);
  });
});

t.test("an expectation names an endpoint under traffic", async (t) => {
  t.test("a lab without traffic says there are none", async (t) => {
    t.same(findings(lab(undefined, [{ delivered: { endpoint: "reader", count: 10 } }])), [
      { at: "expect.0.delivered.endpoint", message: 'no endpoint "reader" under traffic', hint: "endpoints: (none)" },
    ]);
  });
  t.test("a name like none of them lists them all", async (t) => {
    t.same(findings(lab(AGENTS, [{ unreachable: { endpoint: "backup" } }])), [{ at: "expect.0.unreachable.endpoint", message: 'no endpoint "backup" under traffic', hint: "endpoints: feed, reader" }]);
  });
  t.test("sourceSeen's endpoint is checked at its own path", async (t) => {
    t.same(findings(lab(AGENTS, [{ sourceSeen: { endpoint: "backup", source: "198.18.1.10" } }])), [
      { at: "expect.0.sourceSeen.endpoint", message: 'no endpoint "backup" under traffic', hint: "endpoints: feed, reader" },
    ]);
  });
});

t.test("an expectation's addresses", async (t) => {
  t.test("one source that no node owns is reported at source", async (t) => {
    t.same(findings(lab(AGENTS, [{ sourceSeen: { endpoint: "feed", source: "198.18.9.9" } }])), [
      { at: "expect.0.sourceSeen.source", message: "198.18.9.9 is not an address of any node in this lab", hint: "name an address declared under nodes.*.interfaces" },
    ]);
  });
  t.test("a source in a list that is no address is reported at its index", async (t) => {
    t.same(findings(lab(AGENTS, [{ sourceSeen: { endpoint: "feed", source: ["198.18.1.10", "client"] } }])), [
      { at: "expect.0.sourceSeen.source.1", message: '"client" is not an IP address', hint: "e.g. 198.18.1.10" },
    ]);
  });
  t.test("balanced checks each of its sources", async (t) => {
    t.same(findings(lab(AGENTS, [{ balanced: { sources: ["198.18.1.10", "198.18.1.99"], to: "198.18.2.10", over: ["r1"] } }])), [
      { at: "expect.0.balanced.sources.1", message: "198.18.1.99 is not an address of any node in this lab", hint: "name an address declared under nodes.*.interfaces" },
    ]);
  });
});

t.test("an expectation names a node", async (t) => {
  t.test("a name like none of them lists the lab's nodes", async (t) => {
    t.same(findings(lab(AGENTS, [{ path: { from: "198.18.1.10", to: "198.18.2.10", via: "gateway" } }])), [
      { at: "expect.0.path.via", message: 'no node "gateway" in this lab', hint: "nodes: client, r1, server" },
    ]);
  });
});

t.test("exited: code and stopped", async (t) => {
  const prog = { prog: { node: "client", command: ["/app/run"] } as EndpointSpec };
  t.test("a code beside stopped: false is fine", async (t) => {
    t.same(findings(lab(prog, [{ exited: { endpoint: "prog", code: 3, stopped: false } }])), []);
  });
  t.test("stopped: true without a code is fine", async (t) => {
    t.same(findings(lab(prog, [{ exited: { endpoint: "prog", stopped: true } }])), []);
  });
  t.test("a code beside stopped: true is not", async (t) => {
    t.same(findings(lab(prog, [{ exited: { endpoint: "prog", code: 3, stopped: true } }])), [
      { at: "expect.0.exited", message: "both code and stopped: true", hint: "stopped: true expects the program to be stopped at its deadline; code: N expects it to exit by itself" },
    ]);
  });
});
