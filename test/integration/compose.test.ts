// `docker compose up` as a newcomer types it: the controller image builds, runs the flagship lab
// through the mounted Docker socket, exits with the run's status, and leaves no lab behind.
import t from "tap";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { labeled, ROOT } from "../support/helpers.js";

/** Docker Compose v2 (`docker compose`) where present, else Debian's docker-compose 1.29. */
function composeCommand(): string[] | undefined {
  if (spawnSync("docker", ["compose", "version"], { encoding: "utf8" }).status === 0) return ["docker", "compose"];
  if (spawnSync("docker-compose", ["version"], { encoding: "utf8" }).status === 0) return ["docker-compose"];
  return undefined;
}

const compose = composeCommand();

t.test("docker compose up runs the flagship lab and exits with its status", { skip: compose ? false : "neither docker compose nor docker-compose is installed" }, async (t) => {
  const [command, ...base] = compose!;
  const project = ["-p", "zmqlab-compose-test"];
  t.teardown(() => {
    spawnSync(command!, [...base, ...project, "down"], { cwd: ROOT });
  });
  // As the README tells a user behind a TLS proxy that re-signs npm's registry: the controller
  // image's `npm ci` gets npm's CA bundle as npm-ca.pem (not committed), for this build only.
  const cafile = spawnSync("npm", ["config", "get", "cafile"], { encoding: "utf8" }).stdout?.trim() ?? "";
  const ca = join(ROOT, "npm-ca.pem");
  if (cafile && cafile !== "null" && existsSync(cafile) && !existsSync(ca)) {
    copyFileSync(cafile, ca);
    t.teardown(() => rmSync(ca, { force: true }));
  }
  const run = spawnSync(command!, [...base, ...project, "up", "--build", "--exit-code-from", "zmqlab"], { cwd: ROOT, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const output = `${run.stdout}\n${run.stderr}`;
  t.equal(run.status, 0, "exit code 0: every expectation holds");
  t.match(output, /all 6 expectations hold/, "prints the report");
  t.match(output, /via-r1\s+client\s+sub\s+0\s+1000/, "the traffic table is there");
  t.same(await labeled("source-ip"), { containers: 0, networks: 0 }, "nothing of the lab remains");

  const other = spawnSync(command!, [...base, ...project, "up", "--exit-code-from", "zmqlab"], {
    cwd: ROOT,
    encoding: "utf8",
    env: { ...process.env, LAB: "labs/policy-routing" },
    maxBuffer: 64 * 1024 * 1024,
  });
  t.equal(other.status, 0, "LAB picks another lab");
  t.match(`${other.stdout}${other.stderr}`, /lab policy-routing: /, "it ran labs/policy-routing");
  t.same(await labeled(), { containers: 0, networks: 0 }, "nothing of ours remains");
});
