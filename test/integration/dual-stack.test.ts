// A dual-stack lab that spells an IPv6 address out in full (issue 20): it validates, its run
// passes against what the server's kernel saw (2001:2:0:5::10), and an expectation naming another
// of the client's addresses, in the same spelling, fails and says which one is missing.
import t from "tap";
import { readFileSync } from "node:fs";
import { judge, observe, parseLab } from "../../controller/advanced.js";
import { upWhenFree } from "../support/helpers.js";

const FIXTURE = "test/fixtures/dual-stack-seen";
const FULL = "2001:0002:0000:0005:0000:0000:0000:0010";

t.test("sourceSeen and path name the client's IPv6 source uncompressed: pass; another address: fail", async (t) => {
  const text = readFileSync(`${FIXTURE}/lab.yaml`, "utf8");
  const lab = await upWhenFree(FIXTURE);
  t.teardown(() => lab.down());
  const observations = await observe(lab, { justCreated: true });

  const report = judge(lab.lab, observations);
  for (const e of report.expectations) t.ok(e.ok, `${e.description}: ${e.message}`);
  t.equal(report.ok, true, "the lab passes");
  const seen = report.expectations.find((e) => e.kind === "sourceSeen")!;
  t.same(seen.evidence["seen"], ["2001:2:0:5::10"], "the server's kernel saw the client's source, in its own spelling");
  t.equal(seen.expected, "2001:2:0:5::10 (only)", "the expected source in that spelling too");
  t.equal(report.endpoints.find((e) => e.name === "via-r1")?.handshakes.length, 1, "the connect spelled out in full completed its handshake");

  // The client's other address, spelled the same way: a valid lab, a failing expectation.
  const wrongText = text.replace(`source: "${FULL}"`, `source: "${FULL.replace(/10$/, "11")}"`);
  t.not(wrongText, text, "the test changed the lab");
  const wrong = judge(parseLab(wrongText).lab, observations);
  const failed = wrong.expectations.find((e) => e.kind === "sourceSeen")!;
  t.equal(failed.ok, false, "another address fails");
  t.match(failed.message, /^server saw 2001:2:0:5::10 only; 2001:2:0:5::11 missing; 2001:2:0:5::10 is not among the expected sources/, "says which address is missing, in the kernel's spelling");
  t.same(
    wrong.expectations.filter((e) => !e.ok).map((e) => e.kind),
    ["sourceSeen"],
    "and nothing else",
  );
});
