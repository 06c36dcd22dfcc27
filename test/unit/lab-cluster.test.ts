// The cluster file (issue 11): hosts and their engines, nodes placed on hosts. Every problem is
// located (file, line, path) with a hint; placement is checked against the lab's nodes.
import t from "tap";
import { LabError } from "../../controller/errors.js";
import { parseCluster, placeNodes } from "../../controller/lab/cluster.js";

const THREE = `hosts:
  h1: { engine: tcp://198.18.250.11:2375 }
  h2: { engine: tcp://198.18.250.12:2375 }
  h3: { engine: tcp://198.18.250.13:2375 }
`;

function problems(text: string): { line?: number; path: string; message: string; hint?: string }[] {
  try {
    parseCluster(text, "c.yaml");
  } catch (err) {
    if (err instanceof LabError)
      return err.problems.map((p) => ({ ...(p.line !== undefined ? { line: p.line } : {}), path: p.path, message: p.message, ...(p.hint !== undefined ? { hint: p.hint } : {}) }));
    throw err;
  }
  return [];
}

t.test("a cluster file: hosts in file order, each with its engine", async (t) => {
  const c = parseCluster(THREE + "place: { client: h2, r1: h3 }\n", "c.yaml");
  t.same(
    c.hosts,
    [
      { name: "h1", engine: "tcp://198.18.250.11:2375" },
      { name: "h2", engine: "tcp://198.18.250.12:2375" },
      { name: "h3", engine: "tcp://198.18.250.13:2375" },
    ],
    "three hosts, in the file's order",
  );
  t.same(c.place, { client: "h2", r1: "h3" }, "placed nodes");
  t.equal(c.file, "c.yaml", "the file is kept for messages");
  t.same(
    parseCluster("hosts: { a: { engine: 'unix:///var/run/docker.sock' }, b: { engine: 'ssh://me@host.example:2222' }, c: { engine: 'tcp://[fd00::1]:2375' } }").hosts.map((h) => h.name),
    ["a", "b", "c"],
    "unix, ssh and IPv6 tcp addresses are engines",
  );
});

t.test("placement: the file's first, the rest on the host with the fewest nodes", async (t) => {
  const c = parseCluster(THREE, "c.yaml");
  t.same(placeNodes(c, ["client", "r1", "r2", "server"]), { client: "h1", r1: "h2", r2: "h3", server: "h1" }, "spread in the lab's order, ties to the first host");
  const placed = parseCluster(THREE + "place: { server: h1, client: h1 }\n");
  t.same(placeNodes(placed, ["client", "r1", "r2", "server"]), { client: "h1", r1: "h2", r2: "h3", server: "h1" }, "placed nodes count before the others are spread");
  const two = parseCluster(THREE + "place: { a: h3 }\n");
  t.same(placeNodes(two, ["a", "b", "c", "d"]), { a: "h3", b: "h1", c: "h2", d: "h1" }, "h3 already has one: b and c go to h1 and h2, then h1 again");
  t.same(Object.keys(placeNodes(two, ["d", "a", "b"])), ["d", "a", "b"], "in the lab's order");
  t.same(placeNodes(parseCluster("hosts: { only: { engine: tcp://10.0.0.1:2375 } }"), ["x", "y"]), { x: "only", y: "only" }, "one host takes every node");
});

t.test("placing a node the lab does not have is located in the cluster file", async (t) => {
  const c = parseCluster(THREE + "place:\n  clinet: h2\n", "c.yaml");
  const err = t.throws(() => placeNodes(c, ["client", "server"])) as LabError;
  t.ok(err instanceof LabError, "a LabError (exit 2)");
  t.same(err.problems, [{ file: "c.yaml", line: 6, column: 3, path: "place.clinet", message: `the lab has no node "clinet"`, hint: `did you mean "client"?` }], "file, line, path, the closest node");
  const far = t.throws(() => placeNodes(parseCluster(THREE + "place: { zzzzzz: h1 }\n"), ["client", "server"])) as LabError;
  t.equal(far.problems[0]!.hint, "the lab's nodes: client, server", "nothing close: the lab's nodes");
});

t.test("bad cluster files: each problem located, with a hint", async (t) => {
  t.same(problems("hosts: {}\n"), [{ line: 1, path: "hosts", message: "hosts must name at least one engine", hint: "hosts: { h1: { engine: tcp://198.18.250.11:2375 } }" }], "no hosts");
  t.same(
    problems("place: { a: h1 }\n"),
    [{ line: 1, path: "", message: `missing "hosts"`, hint: "hosts: { h1: { engine: tcp://198.18.250.11:2375 } }" }],
    "no hosts key: placements are not judged against hosts that are not there",
  );
  t.same(problems(THREE + "place: { a: zzzzzz }\n")[0]?.hint, "hosts: h1, h2, h3", "a host far from any: the hosts");
  t.same(
    problems("host:\n  h1: { engine: tcp://a:1 }\n"),
    [
      { line: 1, path: "host", message: `unknown key "host"`, hint: `did you mean "hosts"?` },
      { line: 1, path: "", message: `missing "hosts"`, hint: "hosts: { h1: { engine: tcp://198.18.250.11:2375 } }" },
    ],
    "a misspelt key",
  );
  t.same(
    problems("hosts: { h1: { engine: tcp://a:1 } }\nzzzzzzzz: 1\n"),
    [{ line: 2, path: "zzzzzzzz", message: `unknown key "zzzzzzzz"`, hint: "allowed here: hosts, place" }],
    "an unknown key far from any",
  );
  t.same(
    problems("hosts:\n  H1: { engine: tcp://a:1 }\n"),
    [{ line: 2, path: "hosts.H1", message: `"H1" is not a valid host name`, hint: "use lowercase letters, digits and dashes, starting with a letter, e.g. h1" }],
    "a host name with capitals",
  );
  t.same(problems("hosts:\n  h1: tcp://a:1\n"), [{ line: 2, path: "hosts.h1", message: "must be a mapping with engine:", hint: "h1: { engine: tcp://HOST:2375 }" }], "a host given as a string");
  t.same(
    problems("hosts:\n  h1: { engin: tcp://a:1 }\n"),
    [
      { line: 2, path: "hosts.h1.engin", message: `unknown key "engin"`, hint: `did you mean "engine"?` },
      { line: 2, path: "hosts.h1.engine", message: `missing "engine"`, hint: "an engine is tcp://HOST:PORT (e.g. tcp://198.18.250.11:2375), unix:///var/run/docker.sock or ssh://USER@HOST" },
    ],
    "a misspelt engine key",
  );
  t.same(problems("hosts:\n  h1: { engine: tcp://a:1, zzzzzzzzz: 2 }\n")[0]?.hint, "a host has only engine:", "an unknown key in a host");
  for (const bad of ["http://a:2375", "tcp://a", "tcp://a:65536", "tcp://a:2375/x", "a:2375", "unix://relative"]) {
    t.same(
      problems(`hosts:\n  h1: { engine: "${bad}" }\n`).map((p) => `${p.line} ${p.path} ${p.message}`),
      [`2 hosts.h1.engine ${JSON.stringify(bad)} is not an engine address`],
      `${bad} is not an engine address`,
    );
  }
  t.same(problems("hosts:\n  h1: { engine: tcp://a:65535 }\n"), [], "the highest port is one");
  t.same(
    problems("hosts:\n  h1: { engine: tcp://a:1 }\n  h2: { engine: tcp://a:1 }\n"),
    [{ line: 3, path: "hosts.h2.engine", message: "the same engine as host h1", hint: "each host of a cluster is its own engine" }],
    "two hosts, one engine",
  );
  t.same(problems(THREE + "place: [a]\n"), [{ line: 5, path: "place", message: "must be a mapping of node to host", hint: "place: { client: h1, r1: h2 }" }], "place as a list");
  t.same(problems(THREE + "place: { a: 3 }\n")[0]?.message, `3 is not a host of this cluster`, "a host that is not a name");
  t.same(
    problems("- a\n"),
    [{ path: "", message: "a cluster file is a mapping with hosts: (and optionally place:)", hint: "hosts: { h1: { engine: tcp://198.18.250.11:2375 }, h2: { engine: tcp://198.18.250.12:2375 } }" }],
    "not a mapping",
  );
  t.match(problems("hosts: [\n")[0], { line: 2, path: "", message: /^YAML: / }, "YAML the parser refuses");
});
