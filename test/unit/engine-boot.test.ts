// A node of zmqlab's image is configured by its container's first command: its output is read
// from an attach made before the start, until the exit line the boot script prints.
import t from "tap";
import Docker from "dockerode";
import { PassThrough } from "node:stream";
import { readUntil } from "../../controller/engine/exec.js";
import { HOLD_AT_BOOT } from "../../controller/engine/hold.js";
import { BOOT_SCRIPT } from "../../controller/engine/resources.js";

const docker = new Docker({ socketPath: "/nonexistent" });
const EXIT = /(?:^|\n)zmqlab-boot-exit (\d+)\n/;

/** One frame of Docker's multiplexed stream: 1 stdout, 2 stderr. */
function frame(kind: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = kind;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

t.test("reads until the exit line and lets go, though the container goes on", async (t) => {
  const stream = new PassThrough();
  const done = readUntil(docker, stream, EXIT);
  stream.write(frame(1, '{"state":'));
  stream.write(frame(2, "a warning\n"));
  stream.write(frame(1, "{}}\nzmqlab-boot-exit 0\n"));
  const result = await done;
  t.equal(result.stdout, '{"state":{}}\nzmqlab-boot-exit 0\n', "stdout across two frames");
  t.equal(result.stderr, "a warning\n", "stderr kept apart");
  t.equal(result.ended, false, "the stream did not end: the exit line was enough");
  t.ok(stream.destroyed, "the attach is let go");
});

t.test("a stream that ends first (the container stopped) says so", async (t) => {
  const stream = new PassThrough();
  const done = readUntil(docker, stream, EXIT);
  stream.write(frame(2, "node: not found\n"));
  stream.end();
  const result = await done;
  t.equal(result.ended, true, "ended");
  t.equal(result.stdout, "", "no stdout");
  t.equal(result.stderr, "node: not found\n", "what it said");
});

t.test("the boot script is fixed: lab input only ever comes as its arguments", async (t) => {
  t.match(BOOT_SCRIPT, /"\$@"; echo "zmqlab-boot-exit \$\?"/, "runs its arguments, then prints their exit code");
  t.match(BOOT_SCRIPT, /if \[ ! -e \/run\/zmqlab-booted \]; then : > \/run\/zmqlab-booted;/, "once: a marker keeps a restart from running it again");
  t.match(BOOT_SCRIPT, /exec sleep infinity$/, "then the node settles");
  t.ok(BOOT_SCRIPT.startsWith(HOLD_AT_BOOT), "first, a held start's cut (hold.ts)");
  t.notMatch(BOOT_SCRIPT.slice(HOLD_AT_BOOT.length), /\$\{|\$[a-zA-Z]/, "then no variable but its arguments and their exit code");
  t.notMatch(HOLD_AT_BOOT, /"\$@"|\$\*/, "the hold passes none of them on: its moment is a file zmqlab wrote");
  t.match(HOLD_AT_BOOT, /' zmqlab-release & fi; $/, "and its release runs with no argument");
});
