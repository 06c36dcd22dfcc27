// Validation of program endpoints (command:), their expectations (exited, output), format: raw
// and build:, each problem located by file, line and path, with a hint.
import t from "tap";
import { parseLab } from "../../controller/lab/load.js";
import { problemsIn } from "../support/problems.js";

type Tap = Parameters<Parameters<typeof t.test>[0]>[0];

const VALID = `name: own
networks:
  clients: { subnet: 198.18.1.0/24 }
nodes:
  client: { interfaces: { clients: [198.18.1.10, 198.18.1.11] } }
  server: { interfaces: { clients: 198.18.1.20 } }
traffic:
  pub:
    node: server
    command: [python3, /app/pub.py, "tcp://198.18.1.20:5556"]
    bind: tcp://198.18.1.20:5556
    env: { COUNT: "500" }
    ready: listen
    timeout: 20s
  sub:
    node: client
    command: [python3, /app/sub.py]
    connect: "tcp://198.18.1.11:0;198.18.1.20:5556"
    ready: { output: "^connected" }
  agent-sub: { node: client, socket: sub, format: raw, connect: "tcp://198.18.1.10:0;198.18.1.20:5556" }
expect:
  - exited: { endpoint: sub, code: 0 }
  - output: { endpoint: sub, matches: "received 500" }
  - sourceSeen: { endpoint: pub, source: [198.18.1.10, 198.18.1.11], only: true }
  - delivered: { endpoint: agent-sub, atLeast: 1 }
`;

function edit(text: string, from: string, to: string): string {
  if (text.split(from).length !== 2) throw new Error(`test bug: ${JSON.stringify(from)} is not in the lab once`);
  return text.replace(from, () => to);
}

/** The lab has exactly this one problem, on the line holding `line`. */
function only(t: Tap, text: string, path: string, line: string, message: RegExp, hint: RegExp): void {
  const problems = problemsIn(text);
  t.equal(problems.length, 1, `exactly one problem (${problems.map((p) => `${p.path}: ${p.message}`).join("; ")})`);
  const p = problems[0];
  t.equal(p?.path, path, "path");
  t.equal(p?.file, "lab.yaml", "file");
  t.equal(p?.line, text.split("\n").findIndex((l) => l.includes(line)) + 1, `line of ${line}`);
  t.match(p?.message ?? "", message, "message");
  t.match(p?.hint ?? "", hint, "hint");
}

t.test("the valid lab: programs, an agent in raw format, their expectations", async (t) => {
  t.same(problemsIn(VALID), []);
  const { lab } = parseLab(VALID);
  t.same(lab.traffic!["pub"]!.command, ["python3", "/app/pub.py", "tcp://198.18.1.20:5556"]);
});

t.test("a program endpoint", async (t) => {
  t.test("both socket and command", async (t) => {
    only(
      t,
      edit(VALID, "    command: [python3, /app/sub.py]\n", "    command: [python3, /app/sub.py]\n    socket: sub\n"),
      "traffic.sub.command",
      "command: [python3, /app/sub.py]",
      /^both socket and command$/,
      /Keep one/,
    );
  });
  t.test("neither socket nor command", async (t) => {
    only(t, edit(VALID, "    command: [python3, /app/sub.py]\n", ""), "traffic.sub", "  sub:", /^neither socket nor command$/, /command: \[python3/);
  });
  t.test("an empty command is refused by the schema", async (t) => {
    const problems = problemsIn(edit(VALID, "command: [python3, /app/sub.py]", "command: []"));
    t.equal(problems[0]?.path, "traffic.sub.command");
  });
  t.test("a shell string is not a command", async (t) => {
    const problems = problemsIn(edit(VALID, "command: [python3, /app/sub.py]", 'command: "python3 /app/sub.py"'));
    t.equal(problems[0]?.path, "traffic.sub.command");
    t.match(problems[0]?.message ?? "", /must be a list/);
  });
  for (const [key, value] of [
    ["send", "{ count: 1 }"],
    ["subscribe", "q"],
    ["reply", "true"],
    ["format", "raw"],
  ] as const) {
    t.test(`${key} is the agent's`, async (t) => {
      only(
        t,
        edit(VALID, "    command: [python3, /app/sub.py]\n", `    command: [python3, /app/sub.py]\n    ${key}: ${value}\n`),
        `traffic.sub.${key}`,
        `    ${key}: ${value}`,
        new RegExp(`^${key} is for zmqlab's agent \\(socket:\\), not a program$`),
        /does its own sending/,
      );
    });
  }
  t.test("ready: listen without a bind", async (t) => {
    const text = edit(edit(VALID, "    ready: listen\n    timeout: 20s", "    timeout: 20s"), '    ready: { output: "^connected" }\n', "    ready: listen\n");
    only(t, text, "traffic.sub.ready", "    ready: listen", /^ready: listen but the program declares no bind$/, /ready: \{ output: PATTERN \}/);
  });
  t.test("ready: an output pattern that is no regular expression", async (t) => {
    only(t, edit(VALID, '"^connected"', '"(connected"'), "traffic.sub.ready.output", "(connected", /^not a regular expression: /, /JavaScript regular expression/);
  });
  t.test("a timeout that is no duration", async (t) => {
    only(t, edit(VALID, "timeout: 20s", "timeout: soon"), "traffic.pub.timeout", "timeout: soon", /^"soon" is not a duration$/, /1500ms, 20s, 2m/);
    t.same(problemsIn(edit(VALID, "timeout: 20s", "timeout: 1500")), [], "a number is milliseconds");
  });
  t.test("the declarations are checked like the agent's: a source the node does not own", async (t) => {
    only(
      t,
      edit(VALID, '"tcp://198.18.1.11:0;198.18.1.20:5556"\n    ready', '"tcp://198.18.1.99:0;198.18.1.20:5556"\n    ready'),
      "traffic.sub.connect",
      "198.18.1.99:0",
      /^source 198\.18\.1\.99 is not an address of node "client"/,
      /own addresses/,
    );
  });
  t.test("a bind on an address of another node", async (t) => {
    only(
      t,
      edit(VALID, "    bind: tcp://198.18.1.20:5556\n", "    bind: tcp://198.18.1.10:5556\n"),
      "traffic.pub.bind",
      "    bind: tcp://198.18.1.10:5556",
      /^198\.18\.1\.10 is not an address of node "server"/,
      /bind on one of the node's own addresses/,
    );
  });
});

t.test("format raw is for senders and receivers of plain messages", async (t) => {
  only(
    t,
    edit(VALID, "socket: sub, format: raw", "socket: req, format: raw"),
    "traffic.agent-sub.format",
    "agent-sub:",
    /^format raw is for pub, xpub, push, sub, xsub, pull sockets$/,
    /plain payloads/,
  );
  const bad = problemsIn(edit(VALID, "format: raw", "format: json"));
  t.equal(bad[0]?.path, "traffic.agent-sub.format");
  t.match(bad[0]?.hint ?? "", /zmqlab|raw/);
});

t.test("expectations of programs", async (t) => {
  t.test("exited on an agent endpoint", async (t) => {
    only(
      t,
      edit(VALID, "exited: { endpoint: sub, code: 0 }", "exited: { endpoint: agent-sub, code: 0 }"),
      "expect[0].exited.endpoint",
      "exited: { endpoint: agent-sub",
      /^endpoint "agent-sub" is zmqlab's agent, not a program$/,
      /for the agent, use delivered/,
    );
  });
  t.test("output on an agent endpoint", async (t) => {
    only(
      t,
      edit(VALID, 'output: { endpoint: sub, matches: "received 500" }', 'output: { endpoint: agent-sub, matches: "x" }'),
      "expect[1].output.endpoint",
      "output: { endpoint: agent-sub",
      /^endpoint "agent-sub" is zmqlab's agent, not a program$/,
      /output judges a program endpoint/,
    );
  });
  t.test("output with a pattern that is no regular expression", async (t) => {
    only(t, edit(VALID, '"received 500"', '"received [500"'), "expect[1].output.matches", "received [500", /^not a regular expression: /, /received 500/);
  });
  t.test("exited with both code and stopped", async (t) => {
    only(
      t,
      edit(VALID, "exited: { endpoint: sub, code: 0 }", "exited: { endpoint: sub, code: 0, stopped: true }"),
      "expect[0].exited",
      "exited: { endpoint: sub, code: 0, stopped: true }",
      /^both code and stopped: true$/,
      /stopped: true expects/,
    );
  });
  t.test("exited of a program that is not there", async (t) => {
    only(
      t,
      edit(VALID, "exited: { endpoint: sub, code: 0 }", "exited: { endpoint: subb, code: 0 }"),
      "expect[0].exited.endpoint",
      "exited: { endpoint: subb",
      /^no endpoint "subb" under traffic$/,
      /did you mean "sub"\?/,
    );
  });
  t.test("delivered on a program", async (t) => {
    only(
      t,
      edit(VALID, "delivered: { endpoint: agent-sub, atLeast: 1 }", "delivered: { endpoint: sub, atLeast: 1 }"),
      "expect[3].delivered.endpoint",
      "delivered: { endpoint: sub",
      /^endpoint "sub" is a program$/,
      /judge its output: output: \{ endpoint, matches/,
    );
  });
  t.test("unreachable on a program", async (t) => {
    only(
      t,
      edit(VALID, "delivered: { endpoint: agent-sub, atLeast: 1 }", "unreachable: { endpoint: sub }"),
      "expect[3].unreachable.endpoint",
      "unreachable: { endpoint: sub }",
      /^endpoint "sub" is a program$/,
      /judge its exit or output/,
    );
  });
  t.test("delivered from a named sender on a raw receiver", async (t) => {
    only(
      t,
      edit(VALID, "delivered: { endpoint: agent-sub, atLeast: 1 }", "delivered: { endpoint: agent-sub, atLeast: 1, from: pub }"),
      "expect[3].delivered.from",
      "from: pub",
      /^agent-sub reads raw messages: it cannot tell senders apart$/,
      /remove from/,
    );
  });
  t.test("an unknown kind names the new ones", async (t) => {
    const problems = problemsIn(edit(VALID, "exited: { endpoint: sub, code: 0 }", "exited: { endpoint: sub, code: 0 }\n    output: { endpoint: sub, matches: x }"));
    t.match(problems[0]?.hint ?? "", /exited, output/);
  });
});
