// The node image carries agent/ and shared/ and, of npm packages, zeromq and hdr-histogram-js
// alone (controller/engine/images.ts): the agent imports only Node's own modules, those two, its
// own files and shared/; shared/ only Node's, hdr-histogram-js (latency histograms, which the
// controller decodes too) and its own.
// Read from the sources, type-only imports included (a type today is a value tomorrow).
import t from "tap";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = process.cwd();

/** Every module specifier a source names: import and export ... from, bare import, import(). */
export function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/\b(?:import|export)\s[^;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/g)) {
    found.push((m[1] ?? m[2] ?? m[3])!);
  }
  return found;
}

const NODE = /^node:[a-z_/]+$/;
const OWN = /^\.\/[\w.-]+\.js$/;
const SHARED = /^\.\.\/shared\/[\w.-]+\.js$/;
const allowed = {
  agent: (s: string) => NODE.test(s) || s === "zeromq" || s === "hdr-histogram-js" || OWN.test(s) || SHARED.test(s),
  shared: (s: string) => NODE.test(s) || s === "hdr-histogram-js" || OWN.test(s),
};

/** `file: specifier` for each import of the folder's sources its rule does not allow. */
function strays(folder: keyof typeof allowed): string[] {
  const files = readdirSync(join(ROOT, folder)).filter((f) => f.endsWith(".ts"));
  return files.flatMap((f) =>
    specifiers(readFileSync(join(ROOT, folder, f), "utf8"))
      .filter((s) => !allowed[folder](s))
      .map((s) => `${folder}/${f}: ${s}`),
  );
}

t.test("the rule reads every form of import, and refuses what the image does not carry", async (t) => {
  const source = [
    'import { a } from "./a.js";',
    'import type { B } from "../shared/b.js";',
    "import * as zmq from 'zeromq';",
    'export { c } from "../controller/lab/ip.js";',
    'import "ip-address";',
    'const d = await import("../controller/x.js");',
    'import {\n  e,\n  f,\n} from "node:fs";',
  ].join("\n");
  t.same(specifiers(source), ["./a.js", "../shared/b.js", "zeromq", "../controller/lab/ip.js", "ip-address", "../controller/x.js", "node:fs"]);
  t.same(
    specifiers(source).filter((s) => !allowed.agent(s)),
    ["../controller/lab/ip.js", "ip-address", "../controller/x.js"],
    "the agent: not the controller, no other package",
  );
  t.same(
    specifiers(source).filter((s) => !allowed.shared(s)),
    ["../shared/b.js", "zeromq", "../controller/lab/ip.js", "ip-address", "../controller/x.js"],
    "shared/: not even zeromq, nor a way out of its folder",
  );
  t.notOk(allowed.agent("../shared/../controller/x.js"), "no way out through shared/");
  t.notOk(allowed.agent("./../controller/x.js"), "nor through its own folder");
  t.ok(allowed.agent("hdr-histogram-js") && allowed.shared("hdr-histogram-js"), "the latency histograms' package, which the image carries");
});

t.test("agent/ imports only node:*, zeromq, hdr-histogram-js, its own files and shared/", async (t) => {
  t.ok(readdirSync(join(ROOT, "agent")).includes("main.ts"), "reads the agent's sources");
  t.same(strays("agent"), []);
});

t.test("shared/ imports only node:*, hdr-histogram-js and its own files", async (t) => {
  t.ok(readdirSync(join(ROOT, "shared")).includes("protocol.ts"), "reads shared/'s sources");
  t.same(strays("shared"), []);
});
