// labs/own-app on the real engine: pyzmq and C programs built by zmqlab (build: app) as the lab's
// traffic, judged by exited, output, sourceSeen and path; and each judge failing when the lab is
// broken: a wrong source, swapped routes, a program that exits 1.
import t from "tap";
import { readFileSync } from "node:fs";
import { runLab } from "../../controller/index.js";
import { parseLab } from "../../controller/advanced.js";
import { cli, labeled } from "../support/helpers.js";

const FILE = "labs/own-app/lab.yaml";
const TEXT = readFileSync(FILE, "utf8");
const failing = (r: { expectations: { ok: boolean; kind: string }[] }) => r.expectations.flatMap((e, i) => (e.ok ? [] : [i]));

/** The lab with pieces replaced (each must occur as often as `times`). */
function variant(...edits: [string, string, number?][]) {
  let text = TEXT;
  for (const [from, to, times = 1] of edits) {
    const n = text.split(from).length - 1;
    if (n !== times) throw new Error(`test bug: ${from} occurs ${n} times, not ${times}`);
    text = text.split(from).join(to);
  }
  return parseLab(text, FILE);
}

t.test("as shipped: every program exits 0 and says so, the server saw both sources, each through its router", async (t) => {
  const result = await cli(["run", "labs/own-app"]);
  t.equal(result.code, 0, result.stderr.slice(-1000));
  t.match(result.stdout, /all 10 expectations hold/);
  t.match(
    result.stdout,
    /c-sub \(\/app\/csub .*\): exit 0 after [\d.]+ s; last lines: connecting .* with libzmq \d+\.\d+\.\d+, expecting 500 \| received 500 from 198\.18\.40\.11/,
    "the C program against libzmq ran with its source endpoint",
  );
  t.same(await labeled("own-app"), { containers: 0, networks: 0 });
});

t.test("broken: every subscriber connects from .10: sourceSeen, .11's path and the outputs naming .11 fail", async (t) => {
  const report = await runLab(variant(["198.18.40.11:0;", "198.18.40.10:0;", 4]));
  t.same(
    failing(report),
    [5, 7, 9],
    `failing: ${report.expectations
      .filter((e) => !e.ok)
      .map((e) => e.description)
      .join(" | ")}`,
  );
  t.match(report.expectations[7]!.message, /server saw 198\.18\.40\.10 only; 198\.18\.40\.11 missing/);
  t.match(report.expectations[9]!.message, /r2/);
  t.equal(report.ok, false);
});

t.test("broken: the policy routes swapped: both paths fail, naming the router each source took", async (t) => {
  const report = await runLab(
    variant(["via: 198.18.40.2, from: 198.18.40.10", "via: 198.18.40.3, from: 198.18.40.10"], ["via: 198.18.40.3, from: 198.18.40.11", "via: 198.18.40.2, from: 198.18.40.11"]),
  );
  // The replies still come back through the server's host routes: only the paths change.
  t.same(
    failing(report),
    [8, 9],
    `failing: ${report.expectations
      .filter((e) => !e.ok)
      .map((e) => `${e.description}: ${e.message}`)
      .join(" | ")}`,
  );
});

t.test("broken: a subscriber that expects more than is sent exits 1: exited and output fail", async (t) => {
  const report = await runLab(variant(['"tcp://198.18.40.10:0;198.18.41.10:5556", --count, "500"]', '"tcp://198.18.40.10:0;198.18.41.10:5556", --count, "600", --wait, "3"]']));
  t.same(
    failing(report),
    [1, 4],
    `failing: ${report.expectations
      .filter((e) => !e.ok)
      .map((e) => e.description)
      .join(" | ")}`,
  );
  t.match(report.expectations[1]!.message, /^sub-a exited with 1, not 0; its last lines: .*received 500 of 600/);
  t.match(report.expectations[4]!.message, /^no line of sub-a's output matched/);
});
