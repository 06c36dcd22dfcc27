// Loading a lab file: YAML with source positions, the JSON Schema, then the lab's own rules.
// Every problem comes back with file, line, its path inside the lab and a hint; nothing here
// touches Docker.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Ajv, type ErrorObject } from "ajv";
import { isMap, isScalar, LineCounter, parseDocument, type Document } from "yaml";
import { closest, formatPath, LabError, type Problem } from "../errors.js";
import { labSchema } from "./schema.js";
import { EXPECTATION_KINDS } from "../expect/registry.js";
import type { Lab } from "./types.js";
import { validateLab, type Finding } from "./validate.js";
import { markSweep } from "./sweep.js";

export interface LoadedLab {
  lab: Lab;
  /** The lab file's path as given (or `<dir>/lab.yaml`). */
  file: string;
}

export type Segment = string | number;

// Compiled as each command starts: without checking the schema itself against the meta-schema
// (a unit test does) and without ajv's code optimisation, it takes 50 ms instead of 120.
const ajv = new Ajv({
  allErrors: true,
  verbose: true,
  strict: false,
  // Stryker disable next-line BooleanLiteral: how fast the schema compiles, never what it finds
  validateSchema: false,
  // Stryker disable next-line BooleanLiteral,ObjectLiteral: how fast the schema compiles, never what it finds
  code: { optimize: false },
});
const validateSchema = ajv.compile(labSchema());

/** A lab file, or a folder that holds `lab.yaml`. */
export function resolveLabFile(target: string): string {
  let stat;
  try {
    stat = statSync(target);
  } catch {
    throw new LabError([{ file: target, path: "", message: "no such lab file or folder", hint: "give a lab file (lab.yaml) or a folder that holds one, e.g. labs/source-ip" }]);
  }
  return stat.isDirectory() ? join(target, "lab.yaml") : target;
}

export function loadLab(target: string): LoadedLab {
  const file = resolveLabFile(target);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new LabError([
      { file, path: "", message: `cannot read the lab file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, hint: `a lab folder must hold lab.yaml; looked for ${resolve(file)}` },
    ]);
  }
  return parseLab(text, file);
}

/** Parse and validate lab text; throws LabError with every problem found. */
export function parseLab(text: string, file = "lab.yaml"): LoadedLab {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new LabError(
      doc.errors.map((e) => {
        const pos = lines.linePos(e.pos[0]);
        return { file, line: pos.line, column: pos.col, path: "", message: `YAML: ${e.message.split("\n")[0]}`, hint: "check indentation, colons and quotes on this line" };
      }),
    );
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // The parser refuses some documents only when it builds them: an alias explosion (more
    // alias uses than yaml's maxAliasCount), an alias to a node it cannot resolve.
    const message = err instanceof Error ? err.message : String(err);
    const excessive = /alias count|resource exhaustion/i.test(message);
    throw new LabError([
      {
        file,
        path: "",
        message: `YAML: ${message.split("\n")[0]}`,
        hint: excessive
          ? 'the file expands YAML aliases (*name) far too many times (a "billion laughs" document); write the lab out plainly, or use few aliases'
          : "the YAML parser refused this document; check its anchors (&name) and aliases (*name)",
      },
    ]);
  }
  const locate = (segments: Segment[]) => position(doc, lines, segments);

  if (!validateSchema(data)) {
    throw new LabError(schemaProblems(validateSchema.errors ?? []).map((f) => toProblem(f, file, locate)));
  }
  const lab = data as unknown as Lab;
  const findings = [...validateLab(lab), ...resolveBuilds(lab, file), ...resolveRoutingFiles(lab, file)];
  if (findings.length > 0) throw new LabError(findings.map((f) => toProblem(f, file, locate)));
  return { lab: markSweep(lab), file };
}

/** `build:` folders are relative to the lab file: made absolute, and each must hold a Dockerfile. */
function resolveBuilds(lab: Lab, file: string): Finding[] {
  const findings: Finding[] = [];
  for (const [name, node] of Object.entries(lab.nodes)) {
    if (node.build === undefined) continue;
    const at = ["nodes", name, "build"];
    if (node.image !== undefined) findings.push({ at, message: "both image and build", hint: "image: runs an image as it is; build: builds one from a folder's Dockerfile. Keep one" });
    const dir = resolve(dirname(file), node.build);
    if (!existsSync(join(dir, "Dockerfile"))) {
      findings.push({
        at,
        message: `no Dockerfile in ${dir}`,
        hint: "build: names a folder, relative to the lab file, that holds a Dockerfile starting with ARG ZMQLAB_NODE_IMAGE and FROM ${ZMQLAB_NODE_IMAGE}",
      });
    }
    node.build = dir;
  }
  return findings;
}

/** `routing.frr` files are relative to the lab file: made absolute, and each must be a readable file. */
function resolveRoutingFiles(lab: Lab, file: string): Finding[] {
  const findings: Finding[] = [];
  for (const [name, node] of Object.entries(lab.nodes)) {
    if (node.routing?.frr === undefined) continue;
    const path = resolve(dirname(file), node.routing.frr);
    if (!existsSync(path) || !statSync(path).isFile()) {
      findings.push({ at: ["nodes", name, "routing", "frr"], message: `no file ${path}`, hint: "frr: names an FRR configuration file (frr.conf), relative to the lab file" });
    }
    node.routing.frr = path;
  }
  return findings;
}

function toProblem(f: Finding, file: string, locate: (s: Segment[]) => { line?: number; column?: number }): Problem {
  return { file, ...locate(f.at), path: formatPath(f.at), message: f.message, ...(f.hint ? { hint: f.hint } : {}) };
}

/** Line and column of the deepest YAML node that exists along the path. */
export function position(doc: Document, lines: LineCounter, segments: Segment[]): { line?: number; column?: number } {
  for (let n = segments.length; n >= 0; n--) {
    const parentPath = segments.slice(0, n - 1);
    const last = segments[n - 1];
    // Point at the key for a map entry (an unknown key has no value worth pointing at).
    const parent = n === 0 ? doc.contents : doc.getIn(parentPath, true);
    if (n > 0 && isMap(parent) && typeof last === "string") {
      // String(): a key such as `42:` or `true:` is a number or boolean in YAML but a string in the path.
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === last);
      const range = pair && isScalar(pair.key) ? pair.key.range : undefined;
      if (range) return pos(lines, range[0]);
    }
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return pos(lines, range[0]);
  }
  return {};
}

function pos(lines: LineCounter, offset: number): { line: number; column: number } {
  const p = lines.linePos(offset);
  return { line: p.line, column: p.col };
}

const NAME_RULE = "lowercase letters, digits and dashes, starting with a letter";

function schemaProblems(errors: ErrorObject[]): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const at: Segment[] = e.instancePath
      .split("/")
      .slice(1)
      .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    let finding: Finding;
    switch (e.keyword) {
      case "additionalProperties": {
        const key = String(e.params.additionalProperty);
        const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
        const near = closest(key, allowed);
        finding = {
          at: [...at, key],
          message: `unknown key "${key}"`,
          hint: near ? `did you mean "${near}"?` : allowed.length ? `allowed here: ${allowed.join(", ")}` : "remove it",
        };
        break;
      }
      case "required":
        finding = { at, message: `missing "${e.params.missingProperty}"`, hint: `add ${e.params.missingProperty}: ...` };
        break;
      case "propertyNames":
        // The pattern error that follows names the offending key; this one adds nothing.
        continue;
      case "pattern": {
        const name = String(e.data);
        const max = /\{0,(\d+)\}/.exec(e.params.pattern)?.[1];
        const isKey = e.propertyName !== undefined;
        const key = isKey ? String(e.propertyName) : name;
        finding = {
          at: isKey ? [...at, key] : at,
          message: `"${key}" is not a valid name`,
          hint: `use ${NAME_RULE}, at most ${Number(max ?? 14) + 1} characters (it becomes part of Docker names and commands), e.g. "${suggestName(key, Number(max ?? 14) + 1)}"`,
        };
        break;
      }
      case "enum": {
        const allowed = (e.params.allowedValues as unknown[]).map(String);
        const near = closest(String(e.data), allowed);
        finding = { at, message: `"${String(e.data)}" is not one of ${allowed.join(", ")}`, hint: near ? `did you mean "${near}"?` : `use one of ${allowed.join(", ")}` };
        break;
      }
      case "type":
        finding = { at, message: `must be ${describeType(e.params.type as string | string[])}`, hint: `got ${JSON.stringify(e.data)}` };
        break;
      case "minProperties":
      case "maxProperties":
        if (at[0] === "expect") {
          finding = { at, message: "an expectation has exactly one kind", hint: `one of ${EXPECTATION_KINDS.map((k) => k.kind).join(", ")}` };
        } else {
          finding = { at, message: `must not be empty`, hint: "declare at least one entry" };
        }
        break;
      default:
        finding = { at, message: e.message ?? "is not valid", hint: "see controller/lab/lab.schema.json" };
    }
    const key = `${formatPath(finding.at)}|${finding.message}`;
    if (!seen.has(key)) {
      seen.add(key);
      findings.push(finding);
    }
  }
  return findings;
}

function describeType(type: string | string[]): string {
  const words: Record<string, string> = { string: "a string", array: "a list", object: "a mapping", integer: "a whole number", number: "a number", boolean: "true or false" };
  return ([] as string[])
    .concat(type)
    .map((t) => words[t] ?? t)
    .join(" or ");
}

function suggestName(name: string, max: number): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .slice(0, max)
    .replace(/-+$/, "");
  return cleaned || "n1";
}
