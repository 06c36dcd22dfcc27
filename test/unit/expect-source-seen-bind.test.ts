// sourceSeen with bind: only the peers on one of the endpoint's binds count, so a broker that
// binds a frontend for clients and a backend for workers can say "the frontend sees only these
// clients" with only: true. Verdicts pinned in test/golden/expect/source-seen-bind.txt and by
// name here; which local ends a bind matches; the lab file's rule that bind is one of the
// endpoint's binds.
import t from "tap";
import { evaluateOne } from "../../controller/expect/index.js";
import { onBind } from "../../controller/expect/kinds/source-seen.js";
import type { ExpectationResult } from "../../controller/expect/types.js";
import { golden } from "../support/golden.js";
import { problemsIn } from "../support/problems.js";
import { endpoint, observations, peer, type Case } from "./expect-cases.js";

const FRONT = "tcp://198.18.2.10:5555";
const BACK = "tcp://198.18.3.10:5556";
// Two clients on the frontend, two workers on the backend.
const broker = endpoint("broker", "broker", {
  socket: "router",
  bind: [FRONT, BACK],
  peers: [peer("198.18.1.10", "198.18.2.10:5555"), peer("198.18.1.11", "198.18.2.10:5555"), peer("198.18.3.20", "198.18.3.10:5556"), peer("198.18.3.21", "198.18.3.10:5556")],
});
const clients = ["198.18.1.10", "198.18.1.11"];
const workers = ["198.18.3.20", "198.18.3.21"];
const frontOnly = endpoint("broker", "broker", { socket: "router", bind: [FRONT, BACK], peers: [peer("198.18.1.10", "198.18.2.10:5555")] });

const cases: Case[] = [
  { name: "every peer counts without bind: the workers break only", spec: { sourceSeen: { endpoint: "broker", source: clients, only: true } }, observations: observations([broker]) },
  { name: "the frontend, by its endpoint: only the clients", spec: { sourceSeen: { endpoint: "broker", source: clients, only: true, bind: FRONT } }, observations: observations([broker]) },
  { name: "the backend, by its port: only the workers", spec: { sourceSeen: { endpoint: "broker", source: workers, only: true, bind: 5556 } }, observations: observations([broker]) },
  { name: "a client on the backend is an extra there", spec: { sourceSeen: { endpoint: "broker", source: workers[0]!, only: true, bind: BACK } }, observations: observations([broker]) },
  { name: "nothing on the backend", spec: { sourceSeen: { endpoint: "broker", source: workers, bind: BACK } }, observations: observations([frontOnly]) },
  { name: "nothing on the port", spec: { sourceSeen: { endpoint: "broker", source: workers[0]!, atLeast: 1, bind: 5556 } }, observations: observations([frontOnly]) },
];

function render(list: Case[]): string {
  return list
    .map((c) => {
      const r: ExpectationResult = evaluateOne(c.spec, c.observations);
      return [
        `## ${c.name}`,
        `spec:        ${JSON.stringify(Object.values(c.spec)[0])}`,
        `ok:          ${r.ok}`,
        `description: ${r.description}`,
        `expected:    ${r.expected}`,
        `observed:    ${r.observed}`,
        `message:     ${r.message}`,
        `evidence:    ${JSON.stringify(r.evidence)}`,
        "",
      ].join("\n");
    })
    .join("\n");
}

const verdict = (name: string) => {
  const c = cases.find((x) => x.name === name);
  if (!c) throw new Error(`no case ${name}`);
  return evaluateOne(c.spec, c.observations);
};

t.test("golden verdicts", async (t) => {
  golden(t, "expect/source-seen-bind.txt", render(cases));
});

t.test("a broker's frontend and backend judged apart", async (t) => {
  const all = verdict("every peer counts without bind: the workers break only");
  t.equal(all.ok, false, "without bind, the workers are extras");
  t.match(all.message, /198\.18\.3\.20 and 198\.18\.3\.21 are not among the expected sources/);
  const front = verdict("the frontend, by its endpoint: only the clients");
  t.equal(front.ok, true, "on the frontend only the clients");
  t.equal(front.description, "connections to broker on tcp://198.18.2.10:5555 come only from 198.18.1.10 and 198.18.1.11");
  t.equal(front.message, "broker saw 198.18.1.10 and 198.18.1.11 on tcp://198.18.2.10:5555");
  t.same(front.evidence["peers"], [peer("198.18.1.10", "198.18.2.10:5555"), peer("198.18.1.11", "198.18.2.10:5555")], "the evidence holds the peers that counted");
  const back = verdict("the backend, by its port: only the workers");
  t.equal(back.ok, true, "on port 5556 only the workers");
  t.equal(back.description, "connections to broker on port 5556 come only from 198.18.3.20 and 198.18.3.21");
  t.equal(back.message, "broker saw 198.18.3.20 and 198.18.3.21 on port 5556");
  const extra = verdict("a client on the backend is an extra there");
  t.equal(extra.ok, false);
  t.same(extra.evidence["extra"], ["198.18.3.21"]);
  t.match(extra.message, /^broker saw 198\.18\.3\.20 and 198\.18\.3\.21 on tcp:\/\/198\.18\.3\.10:5556; 198\.18\.3\.21 is not among/, "says which bind");
  const none = verdict("nothing on the backend");
  t.equal(none.ok, false, "a bind nobody reached fails");
  t.match(none.message, /^broker saw no connection on tcp:\/\/198\.18\.3\.10:5556; /);
  t.equal(none.observed, "no connection");
  t.match(verdict("nothing on the port").message, /^broker saw no connection on port 5556; /);
});

t.test("which local ends a bind matches", async (t) => {
  t.equal(onBind("198.18.2.10:5555", 5555), true, "a port: any local address");
  t.equal(onBind("198.18.2.10:5555", 5556), false, "another port");
  t.equal(onBind("198.18.2.10:5555", FRONT), true, "the endpoint as written");
  t.equal(onBind("198.18.2.11:5555", FRONT), false, "the same port on another address");
  t.equal(onBind("198.18.2.10:5556", FRONT), false, "the same address on another port");
  t.equal(onBind("198.18.2.10:5555", "tcp://*:5555"), true, "* : any local address");
  t.equal(onBind("198.18.2.10:5555", "tcp://0.0.0.0:5555"), true, "0.0.0.0: any local address");
  t.equal(onBind("[2001:2::10]:5555", "tcp://[::]:5555"), true, ":: : any local address");
  t.equal(onBind("198.18.2.10:5555", "tcp://eth1:5555"), true, "an interface name: by the port");
  t.equal(onBind("198.18.2.10:5555", "tcp://eth1:5556"), false, "an interface name, another port");
  t.equal(onBind("198.18.2.10:40123", "tcp://198.18.2.10:*"), true, "a * port: by the address");
  t.equal(onBind("198.18.2.10:40123", "tcp://198.18.2.10:0"), true, "a 0 port: by the address");
  t.equal(onBind("198.18.2.11:40123", "tcp://198.18.2.10:*"), false, "a * port, another address");
  t.equal(onBind("[2001:2::10]:5555", "tcp://[2001:2:0:0:0:0:0:10]:5555"), true, "IPv6 in any spelling");
  t.equal(onBind("[2001:2::11]:5555", "tcp://[2001:2::10]:5555"), false, "another IPv6 address");
  t.equal(onBind("198.18.2.10:5555", "tcp://[::ffff:c612:20b]:5555"), false, "an IPv6 bind does not match an IPv4 peer of the same value");
  t.equal(onBind("198.18.2.10:5555", "ipc:///tmp/x"), false, "not a tcp endpoint: nothing");
  t.equal(onBind("unknown:5555", FRONT), false, "a local end that is no address: nothing");
});

const LAB = `name: broker
networks:
  front:
    subnet: 198.18.2.0/24
  back:
    subnet: 198.18.3.0/24
nodes:
  client:
    interfaces:
      front: 198.18.2.20
  broker:
    interfaces:
      front: 198.18.2.10
      back: 198.18.3.10
traffic:
  frontend:
    node: broker
    socket: router
    bind: [tcp://198.18.2.10:5555, tcp://198.18.3.10:5556]
  asker:
    node: client
    socket: dealer
    connect: tcp://198.18.2.10:5555
expect:
  - sourceSeen:
      endpoint: ENDPOINT
      source: 198.18.2.20
      only: true
      bind: BIND
`;
const lab = (bind: string, name = "frontend") => LAB.replace("BIND", bind).replace("ENDPOINT", name);

t.test("the lab file: bind is one of the endpoint's binds", async (t) => {
  t.same(problemsIn(lab("tcp://198.18.2.10:5555")), [], "an endpoint as written");
  t.same(problemsIn(lab("5556")), [], "a port");
  const wrong = problemsIn(lab("tcp://198.18.2.10:5556"));
  t.equal(wrong.length, 1, "a bind it does not have");
  t.equal(wrong[0]?.path, "expect[0].sourceSeen.bind");
  t.equal(wrong[0]?.message, 'tcp://198.18.2.10:5556 is not one of the binds of endpoint "frontend"');
  t.equal(wrong[0]?.hint, "one of tcp://198.18.2.10:5555, tcp://198.18.3.10:5556, as written there, or its port");
  t.equal(wrong[0]?.line, LAB.split("\n").findIndex((l) => l.includes("bind: BIND")) + 1, "the bind line");
  const port = problemsIn(lab("5557"));
  t.equal(port[0]?.message, 'port 5557 is not one of the binds of endpoint "frontend"');
  const nothing = problemsIn(lab("5555", "asker"));
  t.same(
    nothing.map((p) => [p.path, p.message]),
    [["expect[0].sourceSeen.bind", 'endpoint "asker" binds nothing']],
    "an endpoint that only connects",
  );
  t.match(nothing[0]?.hint, /remove it, or judge an endpoint that binds/);
  const unknown = problemsIn(lab("5555", "frontdoor"));
  t.same(
    unknown.map((p) => p.path),
    ["expect[0].sourceSeen.endpoint"],
    "an unknown endpoint: said once, for the endpoint",
  );
  t.equal(problemsIn(lab("70000")).length, 1, "a port out of range: the schema");
  t.equal(problemsIn(lab("true")).length, 1, "neither text nor a port: the schema");
});
