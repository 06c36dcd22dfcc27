// Writes what is made from the registries and the one definition of each format:
//   controller/lab/lab.schema.json        the lab file's JSON Schema (lab/schema.ts)
//   controller/report/report.schema.json  the JSON report's (report/schema.ts)
//   controller/report/repeat.schema.json, sweep.schema.json  those of --repeat and sweep
//   docs/expectations.md, docs/faults.md  the tables of expectation and fault kinds
// `npm run generate`; test/unit/generated.test.ts fails when a committed file differs from what
// this makes now.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { EXPECTATION_KINDS } from "../controller/expect/registry.js";
import type { ExpectationKind } from "../controller/expect/kind.js";
import { FAULT_KINDS, writtenAs } from "../controller/faults/registry.js";
import { labSchema } from "../controller/lab/schema.js";
import { repeatSchema, reportSchema, sweepSchema } from "../controller/report/schema.js";

export interface Generated {
  /** Path from the package root. */
  file: string;
  /** The file's whole text as it must be now. */
  text: (current: string) => string;
}

const json = (value: object) => `${JSON.stringify(value, null, 2)}\n`;

/** The fields of a kind's body, for the table: required ones plain, optional ones with `?`. */
function fields(kind: ExpectationKind): string {
  const body = kind.body as unknown as { properties: Record<string, unknown>; required?: string[] };
  const required = new Set(body.required ?? []);
  return Object.keys(body.properties)
    .map((k) => (required.has(k) ? k : `${k}?`))
    .join(", ");
}

const escape = (text: string) => text.replace(/\|/g, "\\|");

export function expectationTable(kinds: readonly ExpectationKind[] = EXPECTATION_KINDS as unknown as ExpectationKind[]): string {
  return ["| kind | holds when | observed from |", "|---|---|---|", ...kinds.map((k) => `| \`${k.kind}: { ${escape(fields(k))} }\` | ${escape(k.doc.holds)} | ${escape(k.doc.observedFrom)} |`)].join(
    "\n",
  );
}

export function faultTable(): string {
  return ["| fault | what zmqlab does | in the kernel |", "|---|---|---|", ...FAULT_KINDS.map((k) => `| ${writtenAs(k)} | ${escape(k.doc.does)} | ${escape(k.doc.kernel)} |`)].join("\n");
}

/** `text` with what stands between the markers `<!-- generated: NAME -->` and `<!-- /generated: NAME -->` replaced. */
export function between(text: string, name: string, body: string): string {
  const open = `<!-- generated: ${name} -->`;
  const close = `<!-- /generated: ${name} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) throw new Error(`no markers ${open} ... ${close}`);
  return `${text.slice(0, start + open.length)}\n${body}\n${text.slice(end)}`;
}

export const GENERATED: Generated[] = [
  { file: "controller/lab/lab.schema.json", text: () => json(labSchema()) },
  { file: "controller/report/report.schema.json", text: () => json(reportSchema()) },
  { file: "controller/report/repeat.schema.json", text: () => json(repeatSchema()) },
  { file: "controller/report/sweep.schema.json", text: () => json(sweepSchema()) },
  { file: "docs/expectations.md", text: (current) => between(current, "expectation-kinds", expectationTable()) },
  { file: "docs/faults.md", text: (current) => between(current, "fault-kinds", faultTable()) },
];

/** Write every generated file under `root`; returns the ones that changed. */
export function generate(root: string): string[] {
  const changed: string[] = [];
  for (const g of GENERATED) {
    const path = join(root, g.file);
    let current = "";
    try {
      current = readFileSync(path, "utf8");
    } catch {
      // a new file
    }
    const text = g.text(current);
    if (text !== current) {
      writeFileSync(path, text);
      changed.push(g.file);
    }
  }
  return changed;
}

if (process.argv[1]?.endsWith("generate.js")) {
  const changed = generate(process.cwd());
  console.log(changed.length ? `wrote ${changed.join(", ")}` : "every generated file is up to date");
}
