// The kinds' registries drive everything: a kind written here, as a maintainer would add one (its
// module and one registry line), is admitted by the lab file's schema, checked against the lab,
// judged and documented, with no other file touched. And every registered kind is documented.
import t from "tap";
import { Ajv } from "ajv";
import { readFileSync } from "node:fs";
import Type from "typebox";
import { EXPECTATION_KINDS, evaluate, type ExpectationSpec } from "../../controller/expect/index.js";
import { endpointName, expectation, type ExpectationKind } from "../../controller/expect/kind.js";
import { FAULT_KINDS, writtenAs } from "../../controller/faults/registry.js";
import { labSchema } from "../../controller/lab/schema.js";
import { validateLab } from "../../controller/lab/validate.js";
import type { Lab } from "../../controller/lab/types.js";
import { expectationTable } from "../../scripts/generate.js";
import { endpoint, observations } from "./expect-cases.js";

// The module a maintainer would write: `heard: { endpoint, from }` holds when the endpoint
// received anything from `from`.
const heard = expectation({
  kind: "heard",
  body: Type.Object({ endpoint: endpointName("The receiver."), from: Type.String({ description: "A sender endpoint." }) }, { additionalProperties: false }),
  doc: { holds: "the endpoint received at least one message from `from`", observedFrom: "the receiver's count per sender" },
  needs: { endpoint: { of: "agent", hint: "heard reads zmqlab's agent's counts" } },
  validate(spec, check, at) {
    check.endpoint(spec.from, [...at, "from"]);
  },
  judge(spec, o) {
    const got = o.traffic.endpoints.find((e) => e.name === spec.endpoint)?.from[spec.from] ?? 0;
    return {
      kind: "heard",
      description: `${spec.endpoint} hears from ${spec.from}`,
      ok: got > 0,
      expected: "at least 1",
      observed: String(got),
      message: `${got} from ${spec.from}`,
      spec: { ...spec },
      evidence: { got },
    };
  },
});
// ... and its registry line.
const kinds = [...EXPECTATION_KINDS, heard] as unknown as ExpectationKind[];

const lab = (expect: unknown[]): Lab =>
  ({
    name: "demo",
    networks: { lan: { subnet: "198.18.9.0/24" } },
    nodes: { a: { interfaces: { lan: "198.18.9.10" } }, b: { interfaces: { lan: "198.18.9.11" } } },
    traffic: { pub: { node: "b", socket: "pub", bind: "tcp://198.18.9.11:5556", send: { count: 10 } }, sub: { node: "a", socket: "sub", connect: "tcp://198.18.9.11:5556" } },
    expect,
  }) as unknown as Lab;

t.test("a new kind: its module and one registry line are all it takes", async (t) => {
  const compile = (schema: object) => new Ajv({ strict: false, allErrors: true }).compile(schema);
  const withIt = compile(labSchema(kinds));
  const without = compile(labSchema());
  const good = lab([{ heard: { endpoint: "sub", from: "pub" } }]);
  t.ok(withIt(good), `the schema admits it: ${JSON.stringify(withIt.errors)}`);
  t.notOk(without(good), "the registry's own schema does not know it");
  t.notOk(withIt(lab([{ heard: { endpoint: "sub", from: "pub", loud: true } }])), "its body is closed, as its module says");
  t.ok(withIt(lab([{ heard: { endpoint: "sub", from: "pub", after: "x" } }])), "and takes the phase keys every kind takes");

  t.same(validateLab(good, kinds), [], "a sound one passes the lab's checks");
  t.same(
    validateLab(lab([{ heard: { endpoint: "sub", from: "pbu" } }]), kinds).map((f) => [f.at.join("."), f.message, f.hint]),
    [["expect.0.heard.from", 'no endpoint "pbu" under traffic', 'did you mean "pub"?']],
    "its own check, located",
  );
  t.same(
    validateLab(lab([{ heard: { endpoint: "nope", from: "pub" } }]), kinds).map((f) => f.at.join(".")),
    ["expect.0.heard.endpoint"],
    "the check every kind with an endpoint gets",
  );

  const o = observations([endpoint("sub", "a", { received: 3, from: { pub: 3 } })]);
  const [held] = evaluate([{ heard: { endpoint: "sub", from: "pub" } } as unknown as ExpectationSpec], o, kinds);
  t.match(held, { kind: "heard", ok: true, observed: "3" }, "judged by its judge");
  const [phased] = evaluate([{ heard: { endpoint: "sub", from: "pub", before: "cut" } } as unknown as ExpectationSpec], o, kinds);
  t.match(phased, { ok: false, observed: "the fault did not run" }, "and scoped to a phase like every kind");

  t.match(
    expectationTable(kinds),
    /^\| `heard: \{ endpoint, from \}` \| the endpoint received at least one message from `from` \| the receiver's count per sender \|$/m,
    "documented: its row in the table",
  );
});

t.test("every registered kind is documented", async (t) => {
  const expectations = readFileSync("docs/expectations.md", "utf8");
  for (const k of EXPECTATION_KINDS) t.match(expectations, `| \`${k.kind}: {`, `${k.kind} in docs/expectations.md`);
  const faults = readFileSync("docs/faults.md", "utf8");
  for (const k of FAULT_KINDS) t.match(faults, `| ${writtenAs(k)} |`, `${k.kind} in docs/faults.md`);
});
