import t from "tap";
import { JobError, parseJob } from "../../agent/job.js";

const endpoint = {
  name: "quotes",
  socket: "pub",
  bind: ["tcp://198.18.2.10:5556"],
  connect: [],
  ipv6: false,
  subscribe: [],
  send: { count: 10, size: 100, rate: 50, topic: "eur" },
  reply: false,
  expectPeers: 2,
  format: "raw",
};
const job = { node: "server", endpoints: [endpoint], handshakeTimeout: 3000, deadline: 60000 };

t.test("a complete job passes unchanged", async (t) => {
  t.same(parseJob(JSON.stringify(job)), job);
});

t.test("absent lists, flags and counts take defaults", async (t) => {
  const parsed = parseJob(
    JSON.stringify({
      node: "n",
      handshakeTimeout: 1,
      deadline: 2,
      endpoints: [
        { name: "r", socket: "router" },
        { name: "d", socket: "dealer", send: { count: 3 } },
      ],
    }),
  );
  t.same(
    parsed.endpoints[0],
    {
      name: "r",
      socket: "router",
      bind: [],
      connect: [],
      ipv6: false,
      subscribe: [],
      reply: true,
      expectPeers: 0,
      format: "zmqlab",
    },
    "repliers reply by default, in zmqlab's format",
  );
  t.equal(parsed.endpoints[1]?.reply, false);
  t.same(parsed.endpoints[1]?.send, { count: 3, size: 0 });
});

t.test("stamp: false (the bench's endpoints without time stamps) is kept; absent, the default", async (t) => {
  t.equal(parseJob(JSON.stringify({ ...job, endpoints: [{ ...endpoint, stamp: false }] })).endpoints[0]?.stamp, false);
  t.equal(parseJob(JSON.stringify({ ...job, endpoints: [{ ...endpoint, stamp: true }] })).endpoints[0]?.stamp, true);
  t.notOk("stamp" in parseJob(JSON.stringify(job)).endpoints[0]!);
  t.throws(() => parseJob(JSON.stringify({ ...job, endpoints: [{ ...endpoint, stamp: "no" }] })), /endpoints\[0\]\.stamp: expected true or false/);
});

t.test("malformed jobs name the problem", async (t) => {
  const bad = (text: string | undefined, pattern: RegExp) => t.throws(() => parseJob(text), pattern);
  bad(undefined, /argv\[2\]/);
  bad("{", /not JSON/);
  bad("[]", /job: expected an object/);
  bad(JSON.stringify({ ...job, node: 3 }), /job\.node/);
  bad(JSON.stringify({ ...job, deadline: 0 }), /job\.deadline/);
  bad(JSON.stringify({ ...job, handshakeTimeout: "3s" }), /job\.handshakeTimeout/);
  bad(JSON.stringify({ ...job, endpoints: [{ ...endpoint, format: "json" }] }), /job\.endpoints\[0\]\.format: "json" is not zmqlab or raw/);
  bad(JSON.stringify({ ...job, endpoints: {} }), /job\.endpoints: expected an array/);
  bad(JSON.stringify({ ...job, endpoints: [{ ...endpoint, socket: "stream" }] }), /unknown socket type "stream"/);
  bad(JSON.stringify({ ...job, endpoints: [{ ...endpoint, bind: "tcp://x:1" }] }), /endpoints\[0\]\.bind/);
  bad(JSON.stringify({ ...job, endpoints: [{ ...endpoint, connect: [1] }] }), /endpoints\[0\]\.connect\[0\]/);
  bad(JSON.stringify({ ...job, endpoints: [{ ...endpoint, send: { count: -1 } }] }), /send\.count/);
  bad(JSON.stringify({ ...job, endpoints: [{ ...endpoint, send: { count: 1, rate: 0 } }] }), /send\.rate/);
  bad(JSON.stringify({ ...job, endpoints: [{ ...endpoint, expectPeers: 1.5 }] }), /expectPeers/);
  bad(JSON.stringify({ ...job, endpoints: [endpoint, endpoint] }), /"quotes" appears twice/);
  let caught: unknown;
  try {
    parseJob("{");
  } catch (err) {
    caught = err;
  }
  t.ok(caught instanceof JobError, "a JobError");
});
