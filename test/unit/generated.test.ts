// Files made from the registries and the one definition of each format (scripts/generate.ts)
// are committed: each must be what the generator makes now (`npm run generate` rewrites them).
import t from "tap";
import { readFileSync } from "node:fs";
import { GENERATED } from "../../scripts/generate.js";

for (const g of GENERATED) {
  t.test(`${g.file} is what the generator makes now`, async (t) => {
    const current = readFileSync(g.file, "utf8");
    t.equal(current, g.text(current), "run `npm run generate` after changing a kind or a format, and commit what it writes");
  });
}
