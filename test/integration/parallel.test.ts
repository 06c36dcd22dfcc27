// Parallel CI on one engine: runs of one lab wait for each other and never share it, a killed
// holder's lock is taken over, and instances run the same lab many times at once.
import t from "tap";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { attach, down, up } from "../../controller/index.js";
import { cli, labeled } from "../support/helpers.js";
import { scratchDir } from "../support/scratch.js";

const LAB = "labs/source-ip";
const exitOk = (r: { code: number | null; stderr: string; stdout: string }) => `exit ${r.code}: ${r.stderr.split("\n").slice(-6).join(" | ")}`;

/** A JUnit file's suite and test case names (what CI keys its history on), and its properties. */
function junitNames(file: string): { names: string[]; properties: string[] } {
  const xml = readFileSync(file, "utf8");
  return {
    names: [...xml.matchAll(/<(testsuite|testcase) name="([^"]*)"/g)].map((m) => `${m[1]} ${m[2]}`),
    properties: [...xml.matchAll(/<property name="([^"]*)" value="([^"]*)"/g)].map((m) => `${m[1]}=${m[2]}`),
  };
}

t.test("two plain runs of one lab at once: one waits for the other, both pass", async (t) => {
  await down(LAB);
  const first = cli(["run", LAB]);
  await new Promise((r) => setTimeout(r, 1000));
  const second = await cli(["run", LAB]);
  const done = await first;
  t.equal(done.code, 0, `the first passes (${exitOk(done)})`);
  t.equal(second.code, 0, `the second passes (${exitOk(second)})`);
  // Which one takes the lock first is up to the machine's load: exactly one waits.
  const waiting = /lab source-ip is in use by pid \d+ on host \S+ \(zmqlab run since [^)]+\): waiting up to 10m \(--wait\)/;
  t.equal([done, second].filter((r) => waiting.test(r.stderr)).length, 1, "one of them says whom it waits for");
  for (const r of [done, second]) t.notMatch(r.stderr, /already up: using it as it is/, "neither attaches to the other one's lab");
  t.same(await labeled("source-ip"), { containers: 0, networks: 0 }, "nothing left");
});

t.test("a lab in use past --wait: exit 3 naming the holder", async (t) => {
  const held = await up(LAB);
  t.teardown(() => held.down());
  const started = Date.now();
  // A child of the holder shares its lock (the environment names it): this one is a stranger.
  const result = await cli(["run", LAB, "--wait", "2s"], undefined, { ZMQLAB_LOCKS: "" });
  t.equal(result.code, 3, exitOk(result));
  t.match(
    result.stderr,
    new RegExp(
      `Lab source-ip is in use by pid ${process.pid} on host \\S+ \\(zmqlab up since [^)]+\\); waited 2s\\.\\n  hint: wait longer \\(--wait 30m\\), or run a separate copy beside it: --instance auto`,
    ),
  );
  t.ok(Date.now() - started >= 2000, "it did wait");
  const ls = await cli(["ls"]);
  t.match(ls.stdout, new RegExp(`source-ip +- +4 +2 +pid ${process.pid} on host`), "ls names the process using the lab");
  const child = await cli(["check", LAB, "--wait", "2s"]);
  t.equal(child.code, 0, `a program the holder started shares its lock: no wait (${exitOk(child)})`);
  const bad = await cli(["run", LAB, "--wait", "soon"]);
  t.equal(bad.code, 2, "a wait that is no duration is the user's mistake");
  t.match(bad.stderr, /--wait: "soon" is not a duration/);
});

t.test("a holder killed with SIGKILL: its lock is taken over, the lab it left is used as it is", async (t) => {
  await down(LAB);
  t.teardown(() => cli(["down", LAB]));
  const killed = await cli(["run", LAB], (text, child) => {
    if (/traffic: /.test(text)) child.kill("SIGKILL");
  });
  t.equal(killed.code, null, "the holder died by the signal");
  const ls = await cli(["ls"]);
  t.match(ls.stdout, /source-ip +- +4 +2 +nobody \(a killed run's lock\)/, "ls shows the lock as nobody's");
  const result = await cli(["run", LAB, "--wait", "30s"]);
  t.equal(result.code, 0, exitOk(result));
  t.notMatch(result.stderr, /in use by/, "no wait for a dead holder");
  t.match(result.stderr, /already up: using it as it is/, "the lab the killed run left is reused: no process holds it");
  const gone = await cli(["down", LAB]);
  t.equal(gone.code, 0);
  t.match(gone.stdout, /removed 4 containers and 2 networks/);
  const after = await cli(["ls"]);
  t.notMatch(after.stdout, /source-ip/, "down cleared the lab and the dead lock");
});

t.test("four instances of one lab at once: each passes at its own addresses, reported under the lab file's names", async (t) => {
  const dir = scratchDir("zmqlab-instances-");
  const runs = await Promise.all([1, 2, 3, 4].map((i) => cli(["run", LAB, "--instance", "auto", "--json", join(dir, `${i}.json`), "--junit", join(dir, `${i}.xml`)])));
  const blocks = new Set<string>();
  for (const [i, run] of runs.entries()) {
    t.equal(run.code, 0, `instance run ${i + 1}: ${exitOk(run)}`);
    const report = JSON.parse(readFileSync(join(dir, `${i + 1}.json`), "utf8")) as {
      lab: string;
      ok: boolean;
      instance: { name: string; lab: string; relocations: { from: string; to: string }[] };
      expectations: { actual?: { description: string }; description: string }[];
    };
    t.equal(report.lab, "source-ip", "the report names the lab file");
    t.match(report.instance.name, /^i[0-9a-f]{6}$/, "and the instance beside it");
    t.equal(report.instance.lab, "source-ip");
    t.equal(report.instance.relocations[0]!.from, "198.18.0.0/22");
    blocks.add(report.instance.relocations[0]!.to);
    t.equal(report.expectations[3]!.description, "198.18.1.10 -> 198.18.2.10 crosses r1, not r2", "each verdict in the lab file's addresses");
    t.notMatch(report.expectations[3]!.actual?.description ?? "", /198\.18\.1\.10|^$/, "the actual ones beside");
    t.match(run.stdout, "198.18.1.10 -> 198.18.2.10 crosses r1, not r2 (actual: ", "the terminal shows both");
  }
  // CI's per-test history and flaky-test tracking key on these names: every run must write the same.
  const junit = [1, 2, 3, 4].map((i) => junitNames(join(dir, `${i}.xml`)));
  t.ok(junit[0]!.names.includes("testsuite source-ip") && junit[0]!.names.includes("testcase 198.18.1.10 -&gt; 198.18.2.10 crosses r1, not r2"), junit[0]!.names.join(" | "));
  for (const other of junit.slice(1)) t.same(other.names, junit[0]!.names, "identical JUnit suite and test case names");
  t.equal(new Set(junit.map((j) => j.properties.find((p) => p.startsWith("instance.name="))).filter(Boolean)).size, 4, "each file names its own instance in a property");
  const actual = junit.map((j) => j.properties.filter((p) => p.startsWith("actual.description=")));
  t.same(
    actual.map((a) => a.length),
    [4, 4, 4, 4],
    "each test case that names an address has its actual description",
  );
  t.notOk(
    actual.flat().some((p) => /198\.18\.[12]\.1\d\b/.test(p)),
    `at the moved addresses (${actual[0]!.join(" | ")})`,
  );
  t.equal(blocks.size, 4, `four different blocks (${[...blocks].join(", ")})`);
  t.notOk(blocks.has("198.18.0.0/22"), "none took the lab file's own block");
  const ls = await cli(["ls"]);
  t.notMatch(ls.stdout, /source-ip/, `nothing of any instance is left (${ls.stdout.trim()})`);
});

t.test("an instance of the own-program lab: its output patterns name lab-file addresses, judged at the moved ones", async (t) => {
  const dir = scratchDir("zmqlab-own-app-");
  const run = await cli(["run", "labs/own-app", "--instance", "auto", "--json", join(dir, "own-app.json")]);
  t.equal(run.code, 0, exitOk(run));
  const report = JSON.parse(readFileSync(join(dir, "own-app.json"), "utf8")) as {
    instance: { relocations: { from: string; to: string }[] };
    expectations: { kind: string; ok: boolean; description: string; actual?: { description: string } }[];
  };
  const outputs = report.expectations.filter((e) => e.kind === "output");
  t.equal(outputs.length, 3, "the lab's three output expectations");
  t.ok(
    outputs.every((e) => e.ok),
    outputs.map((e) => e.actual?.description ?? e.description).join(" | "),
  );
  t.match(outputs[0]!.description, /198\\\.18\\\.40\\\.10/, "described as the lab file writes the pattern");
  t.notMatch(outputs[0]!.actual?.description ?? "198\\.18\\.40\\.10", /198\\\.18\\\.40\\\.10/, "the pattern was moved with the addresses");
  t.notMatch((await cli(["ls"])).stdout, /own-app/, "nothing of the instance is left");
});

t.test("an instance through the API: moved addresses in the kernel, found again by test and down", async (t) => {
  t.teardown(() => down(LAB, { instance: "api-1" }));
  const lab = await up(LAB, { instance: "api-1" });
  t.equal(lab.name, "source-ip.api-1");
  t.equal(lab.instance, "api-1");
  const to = lab.relocations[0]!.to;
  const base = to.split(".").slice(0, 2).join(".") + "." + (Number(to.split(".")[2]) + 1);
  const client = await lab.node("client").kernel();
  const addresses = client.interfaces.flatMap((i) => i.addresses.map((a) => a.split("/")[0]!));
  t.ok(addresses.includes(`${base}.10`) && addresses.includes(`${base}.11`), `the client holds ${base}.10 and .11 (${addresses.join(" ")})`);
  t.notOk(addresses.includes("198.18.1.10"), "not the lab file's address");
  t.ok(
    client.rules.some((r) => r.from === `${base}.11`),
    "its policy rule is for the moved source",
  );
  await lab.release();

  const shown = await cli(["ls"]);
  t.match(shown.stdout, /source-ip +api-1 +4 +2 +- /, "ls shows the instance, used by nobody");
  const again = await cli(["check", LAB, "--instance", "api-1"]);
  t.equal(again.code, 0, exitOk(again));
  t.match(again.stdout, /instance api-1 of lab source-ip: the lab file's 198\.18\.0\.0\/22 runs at /);
  const found = await attach(LAB, { instance: "api-1" });
  t.same(found.relocations, lab.relocations, "attach finds the relocation on the engine");
  await found.release();
  const plain = await cli(["check", LAB]);
  t.equal(plain.code, 3, "the plain lab is another lab: not up");
  const gone = await cli(["down", LAB, "--instance", "api-1"]);
  t.match(gone.stdout, /removed 4 containers and 2 networks/);
  t.same(await labeled("source-ip.api-1"), { containers: 0, networks: 0 });
  const env = await cli(["down", LAB], undefined, { ZMQLAB_INSTANCE: "api-1" });
  t.match(env.stdout, /lab source-ip\.api-1 is not up: nothing to remove/, "ZMQLAB_INSTANCE names the instance too");
});

t.test("down by name while this process's RunningLab still holds the lab: its lock goes too", async (t) => {
  // The workshop tests do this: up() in the test, down(name) in its teardown. The lock used to
  // stay until the process ended, then was left on the engine as a stale lock container.
  await up(LAB);
  const removed = await down(LAB);
  t.match(removed, { found: true, containers: 4, networks: 2 });
  const locks = await cli(["ls"]);
  t.notMatch(locks.stdout, /source-ip/, `no lab and no lock of it is left (${locks.stdout.trim()})`);
});
