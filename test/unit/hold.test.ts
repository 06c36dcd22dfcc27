// A held start, without Docker: the boot script's hold on this machine's bash with a stand-in
// `nft` that logs its calls, the one-file tar the engine takes, and the lead.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import t from "tap";
import { HOLD_AT_BOOT, HOLD_FILE, holdFile, RELEASED_FILE, releasedAt, waitReleasedArgv } from "../../controller/engine/hold.js";
import { extractFiles, oneFileTar } from "../../controller/engine/tar.js";
import { heldStartLead } from "../../controller/traffic/engine-latency.js";
import { wallNow } from "../../shared/clock.js";
import { scratchDir } from "../support/scratch.js";

const dir = scratchDir("zmqlab-hold-");
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
// The stand-in: each call's time and arguments, one line each.
// With a file `lifted` in dir, the hold was already lifted (from beside the node): the delete fails.
writeFileSync(
  join(dir, "nft"),
  `#!/bin/bash\necho "$EPOCHREALTIME $*" >> "${dir}/nft.log"\n[ "$1" = -f ] && cat > "${dir}/cut.txt"\ncase "$1" in delete*) [ -e "${dir}/lifted" ] && exit 1 ;; esac\nexit 0\n`,
);
chmodSync(join(dir, "nft"), 0o755);

/** The boot script's hold with its files in `dir`, run by sh as a boot would; resolves once the node said it joined. */
async function boot(hold: string | undefined): Promise<{ calls: { at: number; args: string }[]; released?: number; cut: string }> {
  const [holdPath, releasedPath] = [HOLD_FILE, RELEASED_FILE].map((f) => join(dir, f.split("/").at(-1)!));
  for (const f of [holdPath!, releasedPath!, join(dir, "nft.log"), join(dir, "cut.txt")]) rmSync(f, { force: true });
  if (hold !== undefined) writeFileSync(holdPath!, hold);
  const script = HOLD_AT_BOOT.replaceAll(HOLD_FILE, holdPath!).replaceAll(RELEASED_FILE, releasedPath!) + "wait";
  spawnSync("sh", ["-c", script], { env: { PATH: `${dir}:/usr/bin:/bin` } });
  const log = existsSync(join(dir, "nft.log")) ? readFileSync(join(dir, "nft.log"), "utf8") : "";
  const calls = log
    .split("\n")
    .filter(Boolean)
    .map((l) => ({ at: Number(l.slice(0, l.indexOf(" "))) * 1000, args: l.slice(l.indexOf(" ") + 1) }));
  const released = existsSync(releasedPath!) ? releasedAt(readFileSync(releasedPath!, "utf8")) : undefined;
  return { calls, ...(released !== undefined ? { released } : {}), cut: existsSync(join(dir, "cut.txt")) ? readFileSync(join(dir, "cut.txt"), "utf8") : "" };
}

t.test("a held boot cuts the node off first, and lifts the cut at the moment", async (t) => {
  const moment = wallNow() + 400;
  const { calls, released, cut } = await boot(`${Math.round(moment * 1000)}\n`);
  t.same(
    calls.map((c) => c.args),
    ["-f -", "list table inet zmqlab_hold", "delete table inet zmqlab_hold; delete table arp zmqlab_hold"],
    "cut, time an nft, lift",
  );
  t.match(cut, /^table inet zmqlab_hold \{ chain held_in \{ type filter hook input priority -400; policy drop; iif lo accept; \};.*\ntable arp zmqlab_hold/, "every packet but loopback's, ARP too");
  const cost = calls[1]!.at - calls[0]!.at;
  t.ok(calls[2]!.at >= moment - 2 * cost - 1, `the cut is lifted at the moment, begun ahead by an nft's time: ${(calls[2]!.at - moment).toFixed(3)} ms`);
  t.ok(released !== undefined && released >= calls[2]!.at, `and the node says when: after the lift (${released})`);
  t.notOk(existsSync(join(dir, "zmqlab-hold")), "the hold is used up: the next boot is not held");
});

t.test("a moment that passed (the engine was slower than the lead), or no number: released at once", async (t) => {
  for (const hold of [`${Math.round((wallNow() - 5000) * 1000)}\n`, "soon\n"]) {
    const start = wallNow();
    const { calls, released } = await boot(hold);
    t.equal(calls.at(-1)?.args, "delete table inet zmqlab_hold; delete table arp zmqlab_hold", JSON.stringify(hold));
    t.ok(released !== undefined && released - start < 5000, "not waited for");
  }
});

t.test("lifted from beside the node first: its own release finds nothing to lift and says nothing", async (t) => {
  writeFileSync(join(dir, "lifted"), "");
  t.teardown(() => rmSync(join(dir, "lifted")));
  const { calls, released } = await boot(`${Math.round((wallNow() + 100) * 1000)}\n`);
  t.equal(calls.at(-1)?.args, "delete table inet zmqlab_hold; delete table arp zmqlab_hold", "it tried");
  t.equal(released, undefined, "no record of a release it did not make");
});

t.test("no hold: the boot touches nothing", async (t) => {
  const { calls, released } = await boot(undefined);
  t.same([calls, released], [[], undefined]);
});

t.test("the hold goes into the stopped container as a one-file tar that tar and zmqlab's reader read", async (t) => {
  const file = holdFile(1_796_621_495_971.9372);
  t.same(file, { name: "zmqlab-hold", content: "1796621495971937\n" }, "epoch µs");
  const tar = oneFileTar(file.name, file.content);
  t.equal(tar.length % 512, 0);
  t.equal(execFileSync("tar", ["-xOf", "-", "zmqlab-hold"], { input: tar }).toString(), file.content, "GNU tar reads it (its checksum holds)");
  const out = mkdtempSync(join(dir, "x-"));
  const [path] = await extractFiles(Readable.from([tar]), out);
  t.equal(readFileSync(path!, "utf8"), file.content);
});

t.test("the node's word on when it joined, and the wait for it", async (t) => {
  t.equal(releasedAt("1796621495.971937\n"), 1796621495971.937);
  t.equal(releasedAt("1796621495,5\n"), 1796621495500, "a decimal comma (the node's locale)");
  for (const bad of ["", "\n", "soon", "0"]) t.equal(releasedAt(bad), undefined, JSON.stringify(bad));
  const argv = waitReleasedArgv(2.2);
  t.same([argv[0], argv[3], argv[4]], ["sh", "zmqlab-wait", "3"], "bounded, in whole seconds");
});

t.test("a held start begins ahead by twice the slowest start seen and a second, at most 5 s", async (t) => {
  const lead = heldStartLead();
  t.ok(lead >= 1_500 && lead <= 5_000, `${lead} ms`);
});
