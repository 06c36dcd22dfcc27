import t from "tap";
import { CLOCK_BRACKET_MS, wallNow } from "../../shared/clock.js";

t.test("the calibrated wall clock is the system clock to within its bracket: Date.now() is its whole milliseconds", async (t) => {
  t.ok(CLOCK_BRACKET_MS >= 0 && CLOCK_BRACKET_MS < 1, `the bracket (${CLOCK_BRACKET_MS} ms) is narrower than Date.now()'s tick`);
  const slack = CLOCK_BRACKET_MS / 2;
  const off: string[] = [];
  for (let i = 0; i < 2000; i++) {
    const before = Date.now();
    const now = wallNow();
    const after = Date.now();
    if (now < before - slack || now >= after + 1 + slack) off.push(`${before} <= ${now} < ${after + 1}`);
  }
  t.same(off, [], "every read lies between the system clock's reads around it");
});
