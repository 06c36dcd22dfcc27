// An example suite to copy into your own project: a lab on a real Docker engine, checked by tap.
// It ships with zmqlab (node_modules/zmqlab/examples/): copy it into your tests folder as it is
// (it needs tap: npm install --save-dev tap).
//
// Two ways to write it:
//  1. run: bring the lab up, drive its traffic, judge the lab file's expectations, take it
//     down, all in one call; then turn each expectation into a tap assertion.
//  2. up, then check (traffic and expectations), with your own checks on the nodes' kernels
//     beside; `await using` takes the lab down when the test's block ends, even when an
//     assertion throws.
import t, { type Test } from "tap";
import { fileURLToPath } from "node:url";
import { check, run, up, type LabReport } from "zmqlab";

// A lab that ships with zmqlab; for your own: const LAB = "labs/my-lab" (a folder or a lab.yaml).
const LAB = fileURLToPath(import.meta.resolve("zmqlab/labs/policy-routing/lab.yaml"));

/** One tap assertion per expectation, carrying what was expected and what was observed. */
function assertExpectations(t: Test, report: LabReport) {
  for (const e of report.expectations) {
    t.ok(e.ok, e.description, { expected: e.expected, observed: e.observed, message: e.message });
  }
}

t.test("the whole lab in one call", async (t) => {
  const report = await run(LAB);
  assertExpectations(t, report);
});

t.test("up, check, and a look into the nodes", async (t) => {
  // up: the lab exactly as its file says, checked against the kernel; gone at the block's end
  await using lab = await up(LAB);

  // check: zero the routers' packet counters, run every endpoint, read the counters back, and
  // judge the lab file's expectations
  const report = await check(lab);
  const fromA = report.endpoints.find((e) => e.name === "from-a")!;
  t.equal(fromA.received, 500, "from-a got every message");
  assertExpectations(t, report);

  // and anything else, straight from a node's kernel or the routers' counters
  const host = await lab.node("host").kernel();
  t.ok(
    host.rules.some((r) => r.from === "198.18.30.10"),
    "the host has a policy rule for 198.18.30.10",
  );
  const viaRb = (report.flows["rb"] ?? []).filter((f) => f.from === "198.18.31.10");
  t.ok(
    viaRb.some((f) => f.packets > 0),
    "the SYNs from 198.18.31.10 did leave through rb: it is the way back that is missing",
  );
});
