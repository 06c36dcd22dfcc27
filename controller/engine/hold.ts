// A start held until its moment. The engine takes from a few hundred ms to seconds to start a
// container on a busy machine, too unevenly for a start begun ahead by a guess to land on time.
// So a node of zmqlab's image is started well ahead, cut off from every network as it boots, and
// joins them at the moment by its own clock: the controller writes the moment into the stopped
// container (HOLD_FILE, epoch µs), the boot script (resources.ts) reads it first thing, drops
// every packet in and out but loopback's (nftables, inet and arp), and leaves a process that
// lifts the cut at the moment and writes when it did (RELEASED_FILE). Meanwhile zmqlab configures
// the node again. Between the engine bringing its interfaces up and the cut, the few ms that an
// `nft` takes to start, the node is on its networks with Docker's addresses and, a router (its
// ip_forward is set when the container is created), forwarding, as a booting host is.

import { WHEN } from "./shell-clock.js";

/** Where the moment goes, in the container (epoch µs). */
export const HOLD_FILE = "/run/zmqlab-hold";
/** Where the node writes when it joined its networks (EPOCHREALTIME: seconds with a fraction). */
export const RELEASED_FILE = "/run/zmqlab-released";

const CUT = [
  "table inet zmqlab_hold { chain held_in { type filter hook input priority -400; policy drop; iif lo accept; }; chain held_out { type filter hook output priority -400; policy drop; oif lo accept; }; chain held_forward { type filter hook forward priority -400; policy drop; }; }",
  "table arp zmqlab_hold { chain held_in { type filter hook input priority 0; policy drop; }; chain held_out { type filter hook output priority 0; policy drop; }; }",
];

/** nft's words that lift the cut (one line: both tables in one go). */
export const RELEASE_WORDS = ["delete", "table", "inet", "zmqlab_hold;", "delete", "table", "arp", "zmqlab_hold"];

/**
 * bash: lift the cut at the moment, begun ahead by what an nft takes here (timed once, listing the
 * cut); say when. Nothing to lift (lifted from beside the node first: traffic/held-start.ts), it
 * says nothing.
 */
const RELEASE = `${WHEN}
at=$(cat ${HOLD_FILE}); rm -f ${HOLD_FILE}
case $at in ''|*[!0-9]*) at=0 ;; esac
us "$EPOCHREALTIME"; a=$u; nft list table inet zmqlab_hold >/dev/null 2>&1; us "$EPOCHREALTIME"
when $(( at - (u - a) ))
nft '${RELEASE_WORDS.join(" ")}' 2>/dev/null || exit 0
printf '%s\\n' "$EPOCHREALTIME" > ${RELEASED_FILE}.new && mv ${RELEASED_FILE}.new ${RELEASED_FILE}`;

/** The boot script's first part (sh): a held start cuts the node off and leaves its release running. Fixed text. */
export const HOLD_AT_BOOT = `if [ -e ${HOLD_FILE} ]; then rm -f ${RELEASED_FILE}; printf '%s\\n' '${CUT[0]}' '${CUT[1]}' | nft -f -; bash -c '${RELEASE.replace(/'/g, `'\\''`)}' zmqlab-release & fi; `;

/** The file the engine's archive endpoint takes into /run: the moment, epoch µs. */
export function holdFile(untilMs: number): { name: string; content: string } {
  return { name: HOLD_FILE.slice("/run/".length), content: `${Math.round(untilMs * 1000)}\n` };
}

/** Waits (in the node, at most `boundS` seconds) until it joined its networks, and prints when. */
export function waitReleasedArgv(boundS: number): string[] {
  return ["sh", "-c", `i=0; while [ ! -s ${RELEASED_FILE} ] && [ $i -lt $(($1 * 50)) ]; do sleep 0.02; i=$((i + 1)); done; cat ${RELEASED_FILE}`, "zmqlab-wait", String(Math.ceil(boundS))];
}

/** The moment the node printed (ms since the epoch), or undefined. */
export function releasedAt(stdout: string): number | undefined {
  const seconds = Number(stdout.trim().replace(",", "."));
  return stdout.trim() !== "" && Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}
