// `reconnected` on the real engine: the server resets the subscriber's connection with TCP resets
// (an exec fault), libzmq reconnects, and a new handshake after the fault is seen; without the
// reset (the same fault doing nothing) the connection survives and `reconnected` fails.
import t from "tap";
import { readFileSync } from "node:fs";
import { runLab } from "../../controller/index.js";
import { parseLab } from "../../controller/advanced.js";
import { labeled } from "../support/helpers.js";

const FILE = "test/fixtures/reconnect/lab.yaml";
const TEXT = readFileSync(FILE, "utf8");

t.test("a connection reset by the server: the subscriber reconnects, and recovers", async (t) => {
  const report = await runLab(FILE);
  t.same(
    report.faults?.map((f) => [f.name, f.ok]),
    [
      ["reset", true],
      ["lift", true],
    ],
    `both faults ran: ${JSON.stringify(report.faults)}`,
  );
  t.same(
    report.expectations.map((e) => [e.kind, e.ok]),
    [
      ["reconnected", true],
      ["delivered", true],
      ["recovered", true],
    ],
    report.expectations.map((e) => e.message).join(" | "),
  );
  t.match(report.expectations[0]!.observed, /handshake/, "says which handshake it saw");
  t.same(await labeled("reconnect"), { containers: 0, networks: 0 });
});

t.test("the same fault doing nothing: the connection survives and reconnected fails", async (t) => {
  const start = TEXT.indexOf('[nft, "add table');
  const end = TEXT.indexOf("\n", start);
  if (start < 0) throw new Error("test bug: the reset fault changed");
  // The lift then finds no table to delete: that fault fails too, and says so (kind `fault`).
  const report = await runLab(parseLab(TEXT.slice(0, start) + '["true"] }' + TEXT.slice(end), FILE));
  t.same(
    report.expectations.map((e) => [e.kind, e.ok]),
    [
      ["reconnected", false],
      ["delivered", true],
      ["recovered", true],
      ["fault", false],
    ],
    report.expectations.map((e) => e.message).join(" | "),
  );
  t.match(
    report.expectations[3]!.message,
    /^fault lift failed \(planned at 2100 ms, took effect at [\d.]+ ms\): in node server, `nft delete table inet zreset`/,
    "the lift that found nothing to lift",
  );
  t.match(report.expectations[0]!.message, /no new handshake|no handshake/i, "says no new handshake was seen");
});
