// zmqlab as its users get it: `npm install --save-dev zmqlab` in their own project. The packed
// tarball goes into a fresh project (dependencies hoisted into the project's node_modules), and
// from there the CLI, the TypeScript API under `strict`, CommonJS and ES module consumers under
// Node and under tsx, and the node image all work.
import t from "tap";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "../support/helpers.js";

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(program: string, args: string[], cwd: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(program, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const TINY_LAB = `# Two nodes, nothing else: enough for the node image to be built and a lab to come up.
name: zmqlab-package
networks:
  lan: { subnet: 198.19.50.0/24 }
nodes:
  a: { interfaces: { lan: 198.19.50.10 } }
  b: { interfaces: { lan: 198.19.50.20 } }
`;

const SUITE_TS = `import { Cancelled, up, VERSION, ZmqlabError, type Lab, type LabNode, type LabReport, type Program, type RunningLab } from "zmqlab";
import { loadLab, planLab } from "zmqlab/advanced";

const { lab } = loadLab("labs/tiny");
const declared: Lab = lab;
const nodes: string[] = planLab(declared).nodes.map((n) => n.name);
// Proof that the types are zmqlab's own and not \`any\`: this must not compile (and is never called).
// @ts-expect-error a lab file is named by a string
const wrong = () => loadLab(42);
const bringUp: (target: string) => Promise<RunningLab> = up;
// What a node and a lab give back, named by the main entry's own types (never called).
const program = (node: LabNode): Promise<Program> => node.spawn(["true"]);
const inBlock = async (): Promise<boolean> => {
  await using lab = await up("labs/tiny");
  const report: LabReport | undefined = undefined;
  return (await lab.node("a").exec(["true"])).exitCode === 0 && report === undefined;
};
const cancelled = new Cancelled();
console.log(JSON.stringify({ version: VERSION, nodes, up: typeof bringUp, wrong: typeof wrong, used: typeof program + typeof inBlock, cancelled: cancelled instanceof ZmqlabError ? cancelled.exitCode : "not a ZmqlabError" }));
`;

/** The main entry's values, all of them: the lifecycle, many runs (repeat, sweep), the lab object, the errors. */
const MAIN_VALUES = ["Cancelled", "EnvironmentError", "LabError", "LabNode", "RunningLab", "VERSION", "ZmqlabError", "attach", "check", "down", "repeat", "run", "runLab", "sweep", "up"];

// A lab with a subnet that is no subnet: the error must name the file, line and path.
const BAD_LAB = `name: zmqlab-bad
networks:
  lan: { subnet: 198.19.300.0/24 }
nodes:
  a: { interfaces: { lan: 198.19.50.10 } }
`;

/**
 * A consumer: loads (and so validates) a shipped lab and the bad one, and prints what it got.
 * `use` gets loadLab and LabError from zmqlab, the way each module system and loader does.
 */
const consumer = (use: string, then: (body: string) => string = (body) => body) => `${use}
${then(`const { lab } = loadLab("node_modules/zmqlab/labs/source-ip");
let invalid = "accepted";
try { loadLab("labs/bad"); } catch (e) { invalid = e instanceof LabError ? e.message : "not a LabError: " + (e && e.stack); }
console.log(JSON.stringify({ lab: lab.name, nodes: Object.keys(lab.nodes).length, invalid }));`)}
`;
const dynamicImport = (body: string) => `Promise.all([import("zmqlab"), import("zmqlab/advanced")]).then(([{ LabError }, { loadLab }]) => {\n${body}\n});`;
// Each takes LabError from the main entry and loadLab from the second one, zmqlab/advanced.
const REQUIRE = `const { LabError } = require("zmqlab");\nconst { loadLab } = require("zmqlab/advanced");`;
const IMPORT = `import { LabError } from "zmqlab";\nimport { loadLab } from "zmqlab/advanced";`;
const CONSUMERS: Record<string, string> = {
  // A "type": "commonjs" project, as `npm init -y` makes it.
  "cjs/require.js": consumer(REQUIRE),
  "cjs/import.js": consumer("", dynamicImport),
  "cjs/require.ts": consumer(`const { LabError } = require("zmqlab") as typeof import("zmqlab");\nconst { loadLab } = require("zmqlab/advanced") as typeof import("zmqlab/advanced");`),
  "cjs/import.ts": consumer(IMPORT),
  // The project itself is "type": "module".
  "esm/import.js": consumer(IMPORT),
  "esm/require.cjs": consumer(REQUIRE),
  "esm/import.ts": consumer(IMPORT),
  // Not here: require() from a .cts in a "type": "module" project under tsx. On Node 20 that fails
  // for any ES module that imports another ("request for './b.js' is not in cache"), ip-cidr too,
  // so no entry of zmqlab's could mend it.
};

/** The example suite (examples/ in the package), as the README names it. */
const EXAMPLES = ["policy-routing.test.ts", "program.test.ts"];

/** The examples copied into the project's own test folder, compiled under strict (skipLibCheck: tap's own types name react's, which nobody installs). */
const EXAMPLES_TSCONFIG = {
  compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, noUncheckedIndexedAccess: true, skipLibCheck: true, outDir: "out-examples" },
  include: ["test/*.test.ts"],
};

const TSCONFIG = {
  compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, outDir: "out" },
  include: ["suite.ts"],
};

t.test("packed, installed as a dev dependency in a fresh project, and used from there", async (t) => {
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  const temp = mkdtempSync(join(tmpdir(), "zmqlab-package-"));
  t.teardown(() => rmSync(temp, { recursive: true, force: true }));
  const project = join(temp, "suite");
  mkdirSync(join(project, "labs", "tiny"), { recursive: true });

  // The tests run on a built dist/ already: pack it as it is (`npm pack` alone also builds).
  const started = performance.now();
  const elapsed = (what: string) => t.comment(`${what}: ${((performance.now() - started) / 1000).toFixed(0)} s since the start`);
  const packed = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", temp], ROOT);
  t.equal(packed.code, 0, packed.stderr);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  const shipped = info!.files.map((f) => f.path);
  t.ok(shipped.includes("dist/controller/cli.js"), "ships the CLI");
  t.ok(shipped.includes("dist/controller/index.d.ts"), "ships the types");
  t.ok(shipped.includes("images/node/Dockerfile"), "ships the node image's Dockerfile");
  t.ok(shipped.includes("dist/agent/main.js"), "ships the agent");
  t.ok(shipped.includes("dist/shared/protocol.js"), "ships what the agent shares with the controller");
  t.ok(shipped.includes("labs/source-ip/lab.yaml"), "ships the example labs");
  t.ok(
    EXAMPLES.every((f) => shipped.includes(`examples/${f}`)),
    "ships the example suite the README points to",
  );
  const examples = (f: string) => f.startsWith("examples/");
  t.same(
    shipped.filter((f) => !examples(f) && (/^(dist\/)?(test|bench)\//.test(f) || f.endsWith(".map") || (f.endsWith(".ts") && !f.endsWith(".d.ts")))),
    [],
    "no tests, no benchmarks, no sources, no source maps (but the examples)",
  );

  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "my-suite", version: "1.0.0", private: true, type: "module" }, null, 2));
  const installed = await run("npm", ["install", "--save-dev", "--no-audit", "--no-fund", "--prefer-offline", join(temp, info!.filename)], project);
  t.equal(installed.code, 0, installed.stderr);
  elapsed("packed and installed");
  const manifest = JSON.parse(readFileSync(join(project, "package.json"), "utf8")) as { devDependencies?: Record<string, string> };
  t.ok(manifest.devDependencies?.zmqlab, "a dev dependency of the project");
  t.ok(existsSync(join(project, "node_modules", "zeromq")) && !existsSync(join(project, "node_modules", "zmqlab", "node_modules", "zeromq")), "zeromq is hoisted into the project's node_modules");

  const npx = (args: string[]) => run("npx", ["--no", "--", "zmqlab", ...args], project);

  t.test("the CLI", async (t) => {
    const v = await npx(["--version"]);
    t.equal(v.code, 0, v.stderr);
    t.equal(v.stdout.trim(), version);
    writeFileSync(join(project, "labs", "tiny", "lab.yaml"), TINY_LAB);
    const mine = await npx(["validate", "labs/tiny"]);
    t.equal(mine.code, 0, mine.stderr);
    t.match(mine.stdout, /lab zmqlab-package is valid \(1 networks, 2 nodes\)/);
    const example = await npx(["validate", "node_modules/zmqlab/labs/source-ip"]);
    t.equal(example.code, 0, example.stderr);
  });

  t.test("the TypeScript API under strict, compiled and run", async (t) => {
    writeFileSync(join(project, "suite.ts"), SUITE_TS);
    writeFileSync(join(project, "tsconfig.json"), JSON.stringify(TSCONFIG, null, 2));
    const compiled = await run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "."], project);
    t.equal(compiled.code, 0, compiled.stdout + compiled.stderr);
    const ran = await run(process.execPath, ["out/suite.js"], project);
    t.equal(ran.code, 0, ran.stderr);
    t.same(JSON.parse(ran.stdout), { version, nodes: ["a", "b"], up: "function", wrong: "function", used: "functionfunction", cancelled: 130 });
    const values = await run(process.execPath, ["--input-type=module", "-e", "console.log(JSON.stringify(Object.keys(await import('zmqlab')).sort()))"], project);
    t.equal(values.code, 0, values.stderr);
    t.same(JSON.parse(values.stdout), MAIN_VALUES, "the main entry holds the lifecycle, the lab object and the errors; the rest is in zmqlab/advanced");
  });

  t.test("CommonJS and ES module consumers, under Node and under tsx, load and validate labs", async (t) => {
    // tsx is zmqlab's dev dependency: the project uses it from there (nothing more to install).
    const tsxCli = fileURLToPath(new URL("dist/cli.mjs", import.meta.resolve("tsx/package.json")));
    const tsxLoader = import.meta.resolve("tsx");
    mkdirSync(join(project, "labs", "bad"), { recursive: true });
    writeFileSync(join(project, "labs", "bad", "lab.yaml"), BAD_LAB);
    for (const folder of ["cjs", "esm"]) mkdirSync(join(project, folder), { recursive: true });
    writeFileSync(join(project, "cjs", "package.json"), JSON.stringify({ name: "cjs-suite", version: "1.0.0", main: "index.js", type: "commonjs" }, null, 2));
    for (const [file, text] of Object.entries(CONSUMERS)) writeFileSync(join(project, file), text);
    const runs: [string, string[]][] = [
      ["node cjs/require.js", ["cjs/require.js"]],
      ["node cjs/import.js (import() from CommonJS)", ["cjs/import.js"]],
      ["tsx cjs/import.ts (tsx's require hook)", [tsxCli, "cjs/import.ts"]],
      ["tsx cjs/require.ts", [tsxCli, "cjs/require.ts"]],
      ["node --import tsx cjs/import.ts", ["--import", tsxLoader, "cjs/import.ts"]],
      ["node esm/import.js", ["esm/import.js"]],
      ["node esm/require.cjs", ["esm/require.cjs"]],
      ["tsx esm/import.ts", [tsxCli, "esm/import.ts"]],
    ];
    for (const [what, args] of runs) {
      const ran = await run(process.execPath, args, project);
      t.equal(ran.code, 0, `${what}: exit 0 (${ran.stderr.trim().split("\n").slice(0, 6).join(" | ")})`);
      if (ran.code !== 0) continue;
      const got = JSON.parse(ran.stdout.trim().split("\n").pop()!) as { lab: string; nodes: number; invalid: string };
      t.same({ lab: got.lab, nodes: got.nodes }, { lab: "source-ip", nodes: 4 }, `${what}: the shipped lab is valid`);
      t.match(got.invalid, /^labs\/bad\/lab\.yaml:3:10: networks\.lan\.subnet: "198\.19\.300\.0\/24" is not a valid subnet$/m, `${what}: the bad lab is refused, located`);
    }
  });

  t.test("the example suite: found where the README says, compiled from a copy, its labs found through the package", async (t) => {
    t.match(readFileSync(join(project, "node_modules", "zmqlab", "README.md"), "utf8"), "node_modules/zmqlab/examples/", "the README points into the package");
    mkdirSync(join(project, "test"), { recursive: true });
    // The project's own tap, as after npm install --save-dev tap: zmqlab's, linked (no registry needed).
    symlinkSync(join(ROOT, "node_modules", "tap"), join(project, "node_modules", "tap"));
    for (const f of EXAMPLES) writeFileSync(join(project, "test", f), readFileSync(join(project, "node_modules", "zmqlab", "examples", f)));
    writeFileSync(join(project, "tsconfig.examples.json"), JSON.stringify(EXAMPLES_TSCONFIG, null, 2));
    const compiled = await run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.examples.json"], project);
    t.equal(compiled.code, 0, compiled.stdout + compiled.stderr);
    // The labs the examples name, resolved from the project as the examples do it.
    const resolve = "import { fileURLToPath } from 'node:url'; for (const l of ['policy-routing', 'source-ip']) console.log(fileURLToPath(import.meta.resolve(`zmqlab/labs/${l}/lab.yaml`)));";
    const resolved = await run(process.execPath, ["--input-type=module", "-e", resolve], project);
    t.equal(resolved.code, 0, resolved.stderr);
    const labs = resolved.stdout.trim().split("\n");
    t.same(
      labs,
      ["policy-routing", "source-ip"].map((l) => join(project, "node_modules", "zmqlab", "labs", l, "lab.yaml")),
    );
    t.ok(
      labs.every((l) => existsSync(l)),
      "the lab files are there",
    );
    for (const f of EXAMPLES) t.match(readFileSync(join(project, "test", f), "utf8"), /import\.meta\.resolve\("zmqlab\/labs\/[a-z-]+\/lab\.yaml"\)/, `${f} finds its lab that way`);
  });

  t.test("up and down: the node image from the installed package", async (t) => {
    const upped = await npx(["up", "labs/tiny"]);
    t.teardown(() => npx(["down", "zmqlab-package"]));
    t.equal(upped.code, 0, upped.stderr);
    t.match(upped.stdout, /lab zmqlab-package is up: 1 networks, 2 nodes/);
    t.match(upped.stdout, /198\.19\.50\.20\/24/);
    t.comment(/building node image/.test(upped.stderr) ? "the node image was built from the installed package" : "the installed package's node image tag was on the engine already (same inputs)");
    // The agent in the image answers: zeromq from the project's node_modules loads in there.
    const agent = await npx(["exec", "zmqlab-package", "a", "--", "node", "-e", "import('/opt/zmqlab/node_modules/zeromq/lib/index.js').then((z) => console.log('libzmq', z.version))"]);
    t.equal(agent.code, 0, agent.stderr);
    t.match(agent.stdout, /^libzmq \d+\.\d+\.\d+/);
    const down = await npx(["down", "labs/tiny"]);
    t.equal(down.code, 0, down.stderr);
    t.match(down.stdout, /removed 2 containers and 1 networks/);
  });
});
