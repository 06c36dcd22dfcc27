// How far ahead of their time faults begin: a command in an armed node (the lower quartile of what
// its commands took, at most 50 ms) and a held start (5 s ahead until a start was measured on the
// engine, then twice the slowest and a second).
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import t from "tap";
import { commandLead, MAX_COMMAND_LEAD_MS } from "../../controller/traffic/armed.js";

t.test("a command's lead: the lower quartile of its node's costs, at most 50 ms", async (t) => {
  t.equal(commandLead([]), undefined, "nothing ran: nothing measured");
  t.equal(commandLead([7]), 7);
  t.equal(commandLead([3, 4, 5, 212]), 3, "one slowed command does not move the lead");
  t.equal(commandLead([212, 5, 4, 3, 6]), 4, "in any order");
  t.equal(commandLead([9, 1, 8, 2, 7, 3, 6, 4, 5]), 3, "the lower quartile, not the median");
  t.equal(commandLead([80, 90, 100]), MAX_COMMAND_LEAD_MS, "never more than 50 ms ahead");
  t.equal(commandLead([50, 60]), 50, "50 ms itself is kept");
  t.equal(commandLead([49, 60]), 49);
});

t.test("a held start: 5 s ahead before any start was measured, then twice the slowest and a second", async (t) => {
  const engine = `lead-test-${process.pid}`;
  const saved = process.env["DOCKER_HOST"];
  process.env["DOCKER_HOST"] = engine;
  t.teardown(() => {
    if (saved === undefined) delete process.env["DOCKER_HOST"];
    else process.env["DOCKER_HOST"] = saved;
    rmSync(join(tmpdir(), `zmqlab-engine-latency-${engine}.json`), { force: true });
  });
  const { heldStartLead, learnLatency } = await import("../../controller/traffic/engine-latency.js");
  t.equal(heldStartLead(), 5_000, "nothing measured on this engine: the whole 5 s");
  learnLatency("stop", 900);
  t.equal(heldStartLead(), 5_000, "a stop measured says nothing of a start");
  learnLatency("start", 300);
  t.equal(heldStartLead(), 1_600, "2 x 300 + 1000");
  learnLatency("start", 700);
  t.equal(heldStartLead(), 2_400, "the slowest start seen");
  learnLatency("start", 2_500);
  t.equal(heldStartLead(), 5_000, "at most 5 s");
});
