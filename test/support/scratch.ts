// A test's temporary folder: made under the system's temp folder and removed when the test
// process exits, passed or failed (a test run leaves nothing of its own behind).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made: string[] = [];

/** A new empty folder named PREFIX + six random characters, removed at the process's exit. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (made.push(dir) === 1) process.on("exit", () => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
  return dir;
}
