// The node image: built from images/node/Dockerfile with the agent and zeromq from this
// installation, tagged by a hash of its inputs so it is rebuilt only when they change.
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { EnvironmentError } from "../errors.js";
import { DEFAULT_IMAGE } from "../plan/plan.js";
import { FRR_IMAGE } from "../plan/routing.js";
import { describe, engineAddress, isNotFound, isRemoteEngine, type Engine } from "./docker.js";
import { engineFailure, onEngine } from "./failures.js";

/** The package's root folder (holds package.json, images/, dist/). */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const BASE_IMAGE = "node:20-bookworm-slim";
/** What the agent loads, each found from the package that depends on it, wherever npm put it. */
const MODULES: { name: string; from: "zmqlab" | "zeromq" | "hdr-histogram-js" }[] = [
  { name: "zeromq", from: "zmqlab" },
  { name: "cmake-ts", from: "zeromq" },
  { name: "node-addon-api", from: "zeromq" },
  // Latency histograms (shared/latency.ts) and what they load.
  { name: "hdr-histogram-js", from: "zmqlab" },
  { name: "@assemblyscript/loader", from: "hdr-histogram-js" },
  { name: "base64-js", from: "hdr-histogram-js" },
  { name: "pako", from: "hdr-histogram-js" },
];
/** All the agent needs of a package.json: its modules are ES modules. Not the project's own, whose every change would rebuild the image. */
const AGENT_PACKAGE_JSON = JSON.stringify({ name: "zmqlab-agent", private: true, type: "module" }) + "\n";

interface Input {
  /** Path inside the build context. */
  target: string;
  source: string;
}

function inputs(): Input[] {
  // Installed as a dependency, npm hoists these into the project's node_modules (above
  // PACKAGE_ROOT), or nests them under their dependent when versions clash: resolve as Node does.
  const folders: Record<string, string> = { zmqlab: PACKAGE_ROOT };
  const modules = MODULES.map((m) => {
    const from = folders[m.from];
    if (!from) throw new Error(`${m.name} is resolved before ${m.from}`);
    let resolved: string;
    try {
      resolved = createRequire(join(from, "package.json")).resolve(m.name);
    } catch {
      throw new EnvironmentError(
        `The node image needs the package ${m.name}, which ${m.from} (in ${from}) cannot find.`,
        "install zmqlab's dependencies: `npm ci` in the zmqlab folder, or `npm install` in the project that depends on zmqlab",
      );
    }
    folders[m.name] = moduleFolder(resolved, m.name);
    return { target: `node_modules/${m.name}`, source: folders[m.name]! };
  });
  return [
    { target: "images/node/Dockerfile", source: join(PACKAGE_ROOT, "images", "node", "Dockerfile") },
    // The agent and what it shares with the controller; nothing of the controller itself.
    { target: "dist/agent", source: join(PACKAGE_ROOT, "dist", "agent") },
    { target: "dist/shared", source: join(PACKAGE_ROOT, "dist", "shared") },
    ...modules,
  ];
}

/** `/x/node_modules/cmake-ts/build/lib.js` -> `/x/node_modules/cmake-ts` (not every package exports package.json). */
function moduleFolder(resolved: string, name: string): string {
  const marker = join("node_modules", name);
  return resolved.slice(0, resolved.lastIndexOf(marker) + marker.length);
}

// Prebuilt binaries for other systems never reach the image.
const skip = (path: string) => /[\\/]build[\\/](darwin|win32)([\\/]|$)/.test(path) || path.endsWith(".map");

function files(dir: string): string[] {
  const stat = statSync(dir);
  if (!stat.isDirectory()) return [dir];
  return readdirSync(dir)
    .sort()
    .flatMap((name) => files(join(dir, name)))
    .filter((f) => !skip(f));
}

/** A tag that changes whenever anything that goes into the image changes. */
export function nodeImageTag(baseImageId = ""): string {
  const hash = createHash("sha256").update(baseImageId).update(inputsDigest());
  return `${DEFAULT_IMAGE}:${hash.digest("hex").slice(0, 12)}`;
}

let digest: string | undefined;

/** The files that go into the image, hashed once per process (every `up` asks for the tag). */
function inputsDigest(): string {
  if (digest) return digest;
  const hash = createHash("sha256").update(AGENT_PACKAGE_JSON);
  for (const input of inputs()) {
    if (!existsSync(input.source)) throw new EnvironmentError(`The node image needs ${input.source}, which is missing.`, "run `npm ci` (it also compiles the agent) in the zmqlab folder");
    for (const file of files(input.source)) {
      hash.update(join(input.target, relative(input.source, file)));
      hash.update(readFileSync(file));
    }
  }
  digest = hash.digest("hex");
  return digest;
}

export async function imageExists(docker: Engine, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).inspect();
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw engineFailure(err, "inspect", { kind: "image", name });
  }
}

/** Make sure the node image for this installation exists; build it if not. Returns its tag. */
export async function ensureNodeImage(docker: Engine, log: (line: string) => void = () => {}): Promise<string> {
  if (!(await imageExists(docker, BASE_IMAGE))) await pullBase(docker, log);
  // The base is an input too: a new base (a newer official image, or one made locally) rebuilds.
  const tag = nodeImageTag((await onEngine("inspect", { kind: "image", name: BASE_IMAGE }, () => docker.getImage(BASE_IMAGE).inspect())).Id);
  if (await imageExists(docker, tag)) return tag;
  log(`building node image ${tag}`);
  const context = mkdtempSync(join(tmpdir(), "zmqlab-image-"));
  try {
    for (const input of inputs()) cpSync(input.source, join(context, input.target), { recursive: true, dereference: true, filter: (src) => !skip(src) });
    writeFileSync(join(context, "package.json"), AGENT_PACKAGE_JSON);
    const stream = await docker.buildImage({ context, src: ["."] }, { t: tag, dockerfile: "images/node/Dockerfile", labels: { "zmqlab.image": "node" }, rm: true, forcerm: true });
    await followBuild(docker, stream, (line) => /^Step \d+\/\d+/.test(line) && log(`  ${line}`));
  } catch (err) {
    throw new EnvironmentError(
      `Building the node image failed: ${describe(err)}`,
      "read the build output above; images/node/Dockerfile installs Debian packages, which needs Debian's package mirror reachable from Docker's default bridge",
    );
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  await onEngine(`tag ${DEFAULT_IMAGE}:latest from`, { kind: "image", name: tag }, () => docker.getImage(tag).tag({ repo: DEFAULT_IMAGE, tag: "latest" }));
  await removeOlderTags(docker, tag, log);
  return tag;
}

/** Earlier builds of the node image are of no further use: drop them (ones still in use stay). */
async function removeOlderTags(docker: Engine, keep: string, log: (line: string) => void): Promise<void> {
  const images = await onEngine("list the images of", { kind: "engine" }, () => docker.listImages({ filters: { reference: [DEFAULT_IMAGE] } }));
  for (const image of images) {
    for (const tag of image.RepoTags ?? []) {
      if (tag === keep || tag === `${DEFAULT_IMAGE}:latest`) continue;
      try {
        await docker.getImage(tag).remove();
        log(`removed the older node image ${tag}`);
      } catch {
        // In use by a lab that is up: it goes with a later build.
      }
    }
  }
}

async function pullBase(docker: Engine, log: (line: string) => void): Promise<void> {
  log(`pulling base image ${BASE_IMAGE}`);
  try {
    const stream = await docker.pull(BASE_IMAGE);
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
  } catch (err) {
    const make = `bash ${relative(process.cwd(), join(PACKAGE_ROOT, "images", "base", "make-local-base.sh"))}`;
    // On another machine's engine, the base (or a stand-in made here) can be carried over.
    const address = engineAddress(docker);
    const hint = isRemoteEngine(docker)
      ? `load it onto that engine from a machine that has it: \`docker save ${BASE_IMAGE} | docker -H ${address} load\`; or make it there from Debian's packages: \`DOCKER_HOST=${address} ${make}\` (as root; it uses debootstrap here and imports into that engine)`
      : `where no registry answers, make it locally from Debian's packages: \`${make}\` (as root; it uses debootstrap)`;
    throw new EnvironmentError(`The base image ${BASE_IMAGE} is not on the engine at ${address} and cannot be pulled (${describe(err)}).`, hint);
  }
}

/**
 * Copy an image from one engine to another (`docker save | docker load` through this process,
 * streamed: nothing lands on disk here). Resolves once the target has loaded it and has it under
 * `tag`; a failure is an EnvironmentError naming both engines.
 */
export async function copyImage(from: Engine, to: Engine, tag: string, log: (line: string) => void = () => {}): Promise<void> {
  const source = engineAddress(from);
  const target = engineAddress(to);
  log(`copying image ${tag} from ${source} to ${target}`);
  try {
    const image = (await from.getImage(tag).get()) as NodeJS.ReadableStream;
    // A failure while reading the source must end the load too, not leave it waiting.
    const failed = new Promise<never>((_, reject) => image.on("error", reject));
    const loading = (async () => {
      const answer = (await to.loadImage(image, { quiet: true })) as NodeJS.ReadableStream;
      await new Promise<void>((resolve, reject) =>
        to.modem.followProgress(answer, (err, output) => {
          const failure = err ?? (output as { error?: string }[] | undefined)?.find((o) => o.error)?.error;
          if (failure) reject(failure instanceof Error ? failure : new Error(String(failure)));
          else resolve();
        }),
      );
    })();
    await Promise.race([loading, failed]);
    if (!(await imageExists(to, tag))) throw new Error(`the load ended but ${target} has no image ${tag}`);
  } catch (err) {
    throw new EnvironmentError(
      `Copying the image ${tag} from the engine at ${source} to the engine at ${target} failed: ${isNotFound(err) ? `${source} has no image ${tag}` : describe(err).trim()}.`,
      `check that both engines answer and that ${source} has the image; by hand: \`docker -H ${source} save ${tag} | docker -H ${target} load\``,
    );
  }
}

/** An image for the lab lock's container (it only runs `cat`): the base, made or pulled if missing. */
export async function lockImage(docker: Engine, log: (line: string) => void = () => {}): Promise<string> {
  if (await imageExists(docker, BASE_IMAGE)) return BASE_IMAGE;
  await ensureNodeImage(docker, log);
  return BASE_IMAGE;
}

/** Wait for a build; each line of its output goes to `line`; its error (with its last lines) rejects. */
function followBuild(docker: Engine, stream: NodeJS.ReadableStream, line: (text: string) => void): Promise<void> {
  const last: string[] = [];
  return new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err, output) => {
        const failure = err ?? (output as { error?: string }[] | undefined)?.find((o) => o.error)?.error;
        if (!failure) return resolve();
        const message = failure instanceof Error ? failure.message : String(failure);
        reject(new Error(last.length ? `${message}\n    ${last.join("\n    ")}` : message));
      },
      (event: { stream?: string }) => {
        for (const text of (event.stream ?? "")
          .split("\n")
          .map((l) => l.trimEnd())
          .filter(Boolean)) {
          last.push(text);
          if (last.length > 8) last.shift();
          line(text);
        }
      },
    );
  });
}

/** A tag for a node's own image: the folder's name (or `repository`), and a hash of its files and of its base. */
export function builtImageTag(dir: string, base: string, repository?: string): string {
  const hash = createHash("sha256").update(base);
  for (const file of files(dir)) {
    hash.update(relative(dir, file));
    hash.update(readFileSync(file));
  }
  const name =
    dir
      .split(/[\\/]/)
      .filter(Boolean)
      .slice(-2)
      .join("-")
      .toLowerCase()
      .replace(/[^a-z0-9_.-]+/g, "-")
      .replace(/^[^a-z0-9]+/, "") || "node";
  return `${repository ?? `zmqlab/built-${name}`}:${hash.digest("hex").slice(0, 12)}`;
}

/**
 * A node's own image (`build: DIR`): DIR's Dockerfile built with ZMQLAB_NODE_IMAGE set to
 * zmqlab's node image, so `FROM ${ZMQLAB_NODE_IMAGE}` carries the current agent and tools.
 * Rebuilt only when DIR's files or the node image change. A failed build is exit 3 with the
 * build's own words.
 */
export async function ensureBuiltImage(docker: Engine, dir: string, nodeImage: string, log: (line: string) => void = () => {}, repository?: string): Promise<string> {
  const tag = builtImageTag(dir, nodeImage, repository);
  if (await imageExists(docker, tag)) return tag;
  log(`building ${tag} from ${dir}`);
  try {
    const stream = await docker.buildImage(
      { context: dir, src: files(dir).map((f) => relative(dir, f)) },
      { t: tag, buildargs: { ZMQLAB_NODE_IMAGE: nodeImage }, labels: { "zmqlab.image": "built" }, rm: true, forcerm: true },
    );
    await followBuild(docker, stream, (line) => log(`  ${line}`));
  } catch (err) {
    throw new EnvironmentError(
      `Building the image of ${dir} failed: ${describe(err)}`,
      `fix ${join(dir, "Dockerfile")} (it starts with ARG ZMQLAB_NODE_IMAGE and FROM \${ZMQLAB_NODE_IMAGE}); try it by hand: docker build --build-arg ZMQLAB_NODE_IMAGE=${nodeImage} ${dir}`,
    );
  }
  return tag;
}

/**
 * The node image's FRR flavour (images/node-frr: the node image plus Debian's frr), for nodes
 * with `routing:`. A second image rather than FRR in every node: labs without dynamic routing
 * keep the node image's build time and size. Rebuilt only when the node image changes.
 */
export function ensureFrrImage(docker: Engine, nodeImage: string, log: (line: string) => void = () => {}): Promise<string> {
  return ensureBuiltImage(docker, join(PACKAGE_ROOT, "images", "node-frr"), nodeImage, log, FRR_IMAGE);
}
