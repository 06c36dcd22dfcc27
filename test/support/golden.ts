// Golden files: an output compared with a checked-in copy under test/golden/, so a change of
// wording or of a count shows as a diff. `npm run golden:update` rewrites them when a change is
// intended (review the diff before committing it).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Test } from "tap";

/** The project's root: tests run from dist/test/..., sources sit beside dist/. */
export const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const updating = process.env["ZMQLAB_GOLDEN_UPDATE"] === "1";

type Asserts = Pick<Test, "equal" | "fail">;

/** Compares `actual` with test/golden/NAME (or writes it there when updating). */
export function golden(t: Asserts, name: string, actual: string): void {
  const file = join(root, "test", "golden", name);
  if (updating) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    return;
  }
  if (!existsSync(file)) {
    t.fail(`test/golden/${name} is missing: run npm run golden:update and review the new file`);
    return;
  }
  t.equal(actual, readFileSync(file, "utf8"), `output matches test/golden/${name} (npm run golden:update if the change is intended)`);
}
