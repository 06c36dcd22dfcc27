// Loading a lab file, the messages a user reads for each kind of mistake: the YAML parser's,
// each schema keyword's (with the exact hint), paths with numbers and odd keys, names suggested
// for invalid ones, `build:` and `routing.frr` files, and a lab file that cannot be read.
import t from "tap";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LabError, type Problem } from "../../controller/errors.js";
import { loadLab, parseLab } from "../../controller/lab/load.js";
import { scratchDir } from "../support/scratch.js";

const LAN = "networks:\n  lan: { subnet: 198.18.9.0/24 }\n";
const withA = (extra: string) => `name: t\n${LAN}nodes:\n  a: { interfaces: { lan: 198.18.9.10 } }\n${extra}`;

function problems(text: string, file?: string): Problem[] {
  try {
    if (file === undefined) parseLab(text);
    else parseLab(text, file);
  } catch (err) {
    if (err instanceof LabError) return err.problems;
    throw err;
  }
  return [];
}
const brief = (p: Problem) => ({ path: p.path, message: p.message, hint: p.hint });
const nameHint = (max: number, example: string) =>
  `use lowercase letters, digits and dashes, starting with a letter, at most ${max} characters (it becomes part of Docker names and commands), e.g. "${example}"`;

t.test("YAML the parser refuses: its first line, at the file the caller names (lab.yaml by default)", async (t) => {
  t.same(
    problems("name: t\nname: u\n"),
    [{ file: "lab.yaml", line: 2, column: 1, path: "", message: "YAML: Map keys must be unique", hint: "check indentation, colons and quotes on this line" }],
    "a duplicate key, without the parser's pretty context",
  );
  t.same(
    problems("a: *x\n", "my.yaml"),
    [
      {
        file: "my.yaml",
        path: "",
        message: "YAML: Unresolved alias (the anchor must be set before the alias): x",
        hint: "the YAML parser refused this document; check its anchors (&name) and aliases (*name)",
      },
    ],
    "an alias to no anchor: refused when the document is built",
  );
  const bomb =
    "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n";
  const [exploded] = problems(bomb);
  t.equal(exploded?.path, "", "an alias explosion is the whole file's problem");
  t.match(exploded?.hint, /"billion laughs"/, "named as such");
});

t.test("schema problems: each keyword's message and hint", async (t) => {
  t.same(
    problems("name: T_1\nnetworks: {}\nnodes: {}\n").map(brief),
    [
      { path: "name", message: `"T_1" is not a valid name`, hint: nameHint(24, "t-1") },
      { path: "networks", message: "must not be empty", hint: "declare at least one entry" },
      { path: "nodes", message: "must not be empty", hint: "declare at least one entry" },
    ],
    "a lab name may have 24 characters; empty mappings that are not expectations",
  );
  t.same(
    problems(withA('traffic:\n  q: { node: a, socket: zzzzzz, bind: "tcp://198.18.9.10:5556" }\n')).map(brief),
    [
      {
        path: "traffic.q.socket",
        message: `"zzzzzz" is not one of pub, sub, xpub, xsub, push, pull, req, rep, dealer, router, pair`,
        hint: "use one of pub, sub, xpub, xsub, push, pull, req, rep, dealer, router, pair",
      },
    ],
    "an enum value close to none: the allowed ones",
  );
  t.same(
    problems(withA("settings: { handshakeTimeout: 5 }\n")).map(brief),
    [{ path: "settings.handshakeTimeout", message: "must be >= 100", hint: "see controller/lab/lab.schema.json" }],
    "another keyword: the schema's own words and where to look",
  );
  const types = Object.fromEntries(
    problems(
      `name: 5\n${LAN}nodes:\n  a: { interfaces: { lan: 198.18.9.10 }, run: x, forward: yes, hashSeed: 1.5 }\ntraffic:\n  q: { node: a, socket: pub, bind: "tcp://198.18.9.10:5556", send: { rate: fast } }\n`,
    ).map((p) => [p.path, p.message]),
  );
  t.same(
    types,
    {
      name: "must be a string",
      "nodes.a.run": "must be a list",
      "nodes.a.forward": "must be true or false",
      "nodes.a.hashSeed": "must be a whole number",
      "traffic.q.send.rate": "must be a number",
    },
    "each type in words",
  );
  t.same(
    problems(`name: t\nnetworks: []\nnodes: { a: 5 }\n`).map(brief),
    [
      { path: "networks", message: "must be a mapping", hint: "got []" },
      { path: "nodes.a", message: "must be a mapping", hint: "got 5" },
    ],
    "mappings in words",
  );
});

t.test("paths: list indexes of two digits, keys with / and ~", async (t) => {
  const route = "{ to: 198.18.8.0/24, via: 198.18.9.1 }";
  const routes = [...Array(10).fill(route), "{ to: 198.18.8.0/24, via: 198.18.9.1, bogus: 1 }"].join(", ");
  t.same(
    problems(`name: t\n${LAN}nodes:\n  a: { interfaces: { lan: 198.18.9.10 }, routes: [${routes}] }\n`).map(brief),
    [{ path: "nodes.a.routes[10].bogus", message: `unknown key "bogus"`, hint: "allowed here: to, via, from" }],
    "the eleventh route is routes[10]",
  );
  t.same(
    problems(`name: t\nnetworks:\n  a/b: { subnet: 198.18.9.0/24 }\n  c~d: { subnet: 198.18.8.0/24 }\nnodes:\n  n: { interfaces: { a/b: 198.18.9.10 } }\n`)
      .filter((p) => p.path.startsWith("networks"))
      .map(brief),
    [
      { path: "networks.a/b", message: `"a/b" is not a valid name`, hint: nameHint(15, "a-b") },
      { path: "networks.c~d", message: `"c~d" is not a valid name`, hint: nameHint(15, "c-d") },
    ],
    "keys keep their / and ~ (JSON pointers escape them)",
  );
});

t.test("a name that is not valid: where, and a valid one suggested", async (t) => {
  const found = problems(
    `name: t\n${LAN}nodes:\n  1x: { interfaces: { lan: 198.18.9.10 } }\n  Bad.Name-: { interfaces: { lan: 198.18.9.11 } }\n  "123": { interfaces: { lan: 198.18.9.12 } }\n  "9a--": { interfaces: { lan: 198.18.9.13 } }\n  ab!cd: { interfaces: { lan: 198.18.9.14 } }\n`,
  );
  const byPath = Object.fromEntries(found.map((p) => [p.path, [p.line, p.message, p.hint]]));
  t.same(byPath["nodes.1x"], [5, `"1x" is not a valid name`, nameHint(15, "x")], "a key starting with digits stays a name (not a list index); leading digits dropped");
  t.same(byPath["nodes.Bad.Name-"], [6, `"Bad.Name-" is not a valid name`, nameHint(15, "bad-name")], "lowercased, punctuation a dash, a trailing dash dropped");
  t.same(byPath["nodes.123"], [7, `"123" is not a valid name`, nameHint(15, "n1")], "nothing left of it: n1");
  t.same(byPath["nodes.9a--"], [8, `"9a--" is not a valid name`, nameHint(15, "a")], "trailing dashes dropped, all of them");
  t.same(byPath["nodes.ab!cd"], [9, `"ab!cd" is not a valid name`, nameHint(15, "ab-cd")], "one dash for what is not allowed");
  const long = problems(`name: t\n${LAN}nodes:\n  Abcdefghijklmnopqrstu: { interfaces: { lan: 198.18.9.10 } }\n`)[0];
  t.equal(long?.hint, nameHint(15, "abcdefghijklmno"), "cut to the longest allowed");
});

t.test("build: and routing.frr files, relative to the lab file", async (t) => {
  const dir = scratchDir("zmqlab-load-");
  mkdirSync(join(dir, "b"));
  mkdirSync(join(dir, "ok"));
  writeFileSync(join(dir, "ok", "Dockerfile"), "ARG ZMQLAB_NODE_IMAGE\nFROM ${ZMQLAB_NODE_IMAGE}\n");
  const text = `name: t\n${LAN}nodes:\n  a: { interfaces: { lan: 198.18.9.10 }, image: foo, build: ./ok }\n  c: { interfaces: { lan: 198.18.9.11 }, build: ./nope }\n  d: { interfaces: { lan: 198.18.9.12 }, routing: { frr: ./missing.conf } }\n  e: { interfaces: { lan: 198.18.9.13 }, routing: { frr: ./b } }\n`;
  t.same(
    problems(text, join(dir, "lab.yaml")).map((p) => [p.line, brief(p)]),
    [
      [5, { path: "nodes.a.build", message: "both image and build", hint: "image: runs an image as it is; build: builds one from a folder's Dockerfile. Keep one" }],
      [
        6,
        {
          path: "nodes.c.build",
          message: `no Dockerfile in ${join(dir, "nope")}`,
          hint: "build: names a folder, relative to the lab file, that holds a Dockerfile starting with ARG ZMQLAB_NODE_IMAGE and FROM ${ZMQLAB_NODE_IMAGE}",
        },
      ],
      [7, { path: "nodes.d.routing.frr", message: `no file ${join(dir, "missing.conf")}`, hint: "frr: names an FRR configuration file (frr.conf), relative to the lab file" }],
      [8, { path: "nodes.e.routing.frr", message: `no file ${join(dir, "b")}`, hint: "frr: names an FRR configuration file (frr.conf), relative to the lab file" }],
    ],
    "image and build together; no Dockerfile; no frr file; a folder is not a file",
  );
  writeFileSync(join(dir, "frr.conf"), "router ospf\n");
  const good = parseLab(
    `name: t\n${LAN}nodes:\n  a: { interfaces: { lan: 198.18.9.10 }, build: ./ok }\n  d: { interfaces: { lan: 198.18.9.12 }, routing: { frr: ./frr.conf } }\n`,
    join(dir, "lab.yaml"),
  ).lab;
  t.equal(good.nodes.a!.build, join(dir, "ok"), "a build folder becomes absolute");
  t.equal(good.nodes.d!.routing!.frr, join(dir, "frr.conf"), "so does an frr file");
});

t.test("a lab file that cannot be read: the whole file's problem, with where it looked", async (t) => {
  const dir = scratchDir("zmqlab-load-");
  const err = t.throws(() => loadLab(dir)) as LabError;
  t.same(
    err.problems,
    [{ file: join(dir, "lab.yaml"), path: "", message: "cannot read the lab file (ENOENT)", hint: `a lab folder must hold lab.yaml; looked for ${join(dir, "lab.yaml")}` }],
    "a folder without lab.yaml: ENOENT, path empty, where it looked",
  );
});
