// Commands armed in a node ahead of their moment. A fault's commands (a link down, a loss rule,
// an exec) and the routers' counter readings must happen at a precise time, and an exec started
// from the controller lands anywhere from 10 ms to seconds later on a busy engine. So each node
// that has such commands gets a process before the traffic starts (beside the node for zmqlab's
// own commands, engine/beside.ts; in it for the lab's exec commands): a fixed POSIX sh script that
// holds every command list as its arguments (argument lists, never parsed by a shell: a list runs
// as `"${1}" "${2}" ...`) and runs list K when the controller writes the line "K" to its input,
// or, with "K T", at the node's wall-clock time T (epoch microseconds): the controller sends the
// line a little ahead and the node itself waits for the moment, so neither the controller's event
// loop nor the engine's exec stream (tens to hundreds of ms on a busy engine) stands between the
// plan and the command. Its output marks each list's begin and end with the node's clock (bash's
// EPOCHREALTIME, where the image runs bash), and each command's exit code and output. Without a
// clock (a plain sh), the node cannot wait for a time: the controller sends "K" at the moment.
// Where it runs bash, zmqlab's own tc, ip and nft commands start no process either (armed-tools.ts).
import { wallNow } from "../../shared/clock.js";
import type { Process } from "../engine/exec.js";
import { WHEN } from "../engine/shell-clock.js";
import { END_PROCESSES } from "../faults/kinds/node-actions.js";
import type { NodeHandle } from "../engine/runtime.js";
import { lineWords, TOOLS_SH, type Batched } from "./armed-tools.js";

const MARK = "--zmqlab-- ";
/** How long a closed script has to end before its stream is let go (ms). */
const RELEASE_AFTER_MS = 2_000;

/**
 * Arguments: the tools to start (names, space-separated), N, then N lists, each its number of
 * commands, then each command as its number of words followed by the words (negative: a command
 * for a tool, its first word the tool's name). Input: one list index a line, optionally followed by the time to
 * run it (epoch microseconds; at once when it passed or the shell has no clock). Lists run one
 * after another in the order of the lines. Output per list: `begin K TIME`,
 * then per command `command J EXIT TIME` (when it ended) followed by its stdout (and `stderr J` with its stderr when it
 * failed, which ends the list), then `end K TIME`. TIME is EPOCHREALTIME (seconds.microseconds)
 * where the shell has it, else empty. `ready` once, before the first list.
 */
export const ARMED_SCRIPT = `
tools=$1; shift
# Every process of the node but its init and this script, ended as a stop ends them (none left is
# no failure); a function, as a kill of a process of its own would end this script too. In the
# node, the long-lived tools end too. Beside the node (engine/beside.ts: the node's processes, a
# cgroup of its own), the node's processes are those in its init's cgroup (twice: one forked
# meanwhile).
${END_PROCESSES}() {
  own=""; node=""
  if [ -n "\${BASH_VERSION:-}" ]; then read -r -d '' own </proc/$$/cgroup; read -r -d '' node </proc/1/cgroup; fi
  if [ "$own" = "$node" ]; then kill -s KILL -1 2>/dev/null; for t in $tools; do eval "bp_$t="; done; return 0; fi
  for d in /proc/[0-9]* /proc/[0-9]*; do
    p=\${d#/proc/}; c=""
    [ "$p" != 1 ] && read -r -d '' c 2>/dev/null <"$d/cgroup"
    [ "$c" = "$node" ] && kill -s KILL "$p" 2>/dev/null
  done
  return 0
}
mark() { printf '\\n${MARK}%s\\n' "$*"; }
# Nothing between the moment and a command forks but the command (shell-clock.ts); the marks
# read bash's clock as a variable, no $(...).
${WHEN}
out=$(mktemp) || exit 1; err=$(mktemp) || exit 1
${TOOLS_SH}
fire() {
  k=$1; shift; shift; i=0
  while [ "$i" -lt "$k" ]; do
    c=$1; shift
    while [ "$c" -gt 0 ]; do w=$1; shift; shift "\${w#-}"; c=$((c - 1)); done
    i=$((i + 1))
  done
  cs=$1; shift; j=0
  mark begin "$k" "\${EPOCHREALTIME:-}"
  while [ "$j" -lt "$cs" ]; do
    w=$1; shift; bp=""; t=""
    # A command for a long-lived tool: -W words, the first the tool, the others its line's.
    case $w in -*) w=\${w#-}; t=$1; eval "bp=\\\${bp_$t:-}" ;; esac
    if [ -n "$bp" ] && kill -0 "$bp" 2>/dev/null; then
      line=""; x=2
      while [ "$x" -le "$w" ]; do eval "line=\\"\\$line \\\${$x}\\""; x=$((x + 1)); done
      b_run "$t" "\${line# }"
      mark command "$j" "$code" "\${EPOCHREALTIME:-}"; printf '%s' "$bout"
      [ "$code" -eq 0 ] || { mark stderr "$j"; printf '%s' "$berr"; break; }
    else
      # Its tool is not running (not started, or ended): the command as a process of its own.
      case $t in '') words=""; x=1 ;; nftj) words="nft -j"; x=2 ;; *) words=$t; x=2 ;; esac
      while [ "$x" -le "$w" ]; do words="$words \\"\\\${$x}\\""; x=$((x + 1)); done
      eval "$words $shut" >"$out" 2>"$err" 3<&-; code=$?
      mark command "$j" "$code" "\${EPOCHREALTIME:-}"; [ -s "$out" ] && cat "$out"
      [ "$code" -eq 0 ] || { mark stderr "$j"; cat "$err"; break; }
    fi
    shift "$w"; j=$((j + 1))
  done
  mark end "$k" "\${EPOCHREALTIME:-}"
}
mark ready
while read -r k at; do when "$at"; fire "$k" "$@"; done
rm -f "$out" "$err"
`;

/** One list of commands, run as one step (stopping at the first that fails): argv lists, or zmqlab's own tc, ip and nft commands. */
export type ArmedList = (string[] | Batched)[];

/** The script's argv for these lists; `bash` where the image has it (its clock has microseconds; only bash runs the tools). */
export function armedArgv(lists: ArmedList[], bash: boolean): string[] {
  const tools = bash ? [...new Set(lists.flat().flatMap((c) => (Array.isArray(c) ? [] : [c.tool])))] : [];
  // A batched command: -(its words + 1), the tool, its line's words (the script runs `tool words` without the tool).
  const encode = (c: string[] | Batched): string[] =>
    Array.isArray(c) ? [String(c.length), ...c] : bash ? [String(-(lineWords(c).length + 1)), c.tool, ...lineWords(c)] : [String(c.argv.length), ...c.argv];
  return [bash ? "bash" : "sh", "-c", ARMED_SCRIPT, "zmqlab-armed", tools.join(" "), String(lists.length), ...lists.flatMap((list) => [String(list.length), ...list.flatMap(encode)])];
}

export interface CommandRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** When it ended, by the node's clock (where the node has one). */
  end?: number;
}

/** What one list did: when it began and ended (ms since the epoch), and each command that ran. */
export interface ListRun {
  begin: number;
  end: number;
  commands: CommandRun[];
  /** The node's clock gave the times (else: when the controller read the lines). */
  nodeClock: boolean;
}

/** The lists' results from the script's output, as lines come; `now` stands in where the node had no clock. */
export class ArmedOutput {
  private current: { index: number; begin: number; nodeClock: boolean; commands: CommandRun[]; into?: "stdout" | "stderr" } | undefined;
  ready = false;

  constructor(private readonly done: (index: number, run: ListRun) => void) {}

  line(text: string, now: number): void {
    if (!text.startsWith(MARK)) {
      const command = this.current?.commands.at(-1);
      if (command && this.current?.into) command[this.current.into] += `${text}\n`;
      return;
    }
    const [kind, first, second, third] = text.slice(MARK.length).split(" ");
    const clockOf = (word: string | undefined) => (word ? Number(word.replace(",", ".")) * 1000 : NaN);
    const clock = clockOf(second);
    if (kind === "ready") this.ready = true;
    else if (kind === "begin") this.current = { index: Number(first), begin: Number.isFinite(clock) ? clock : now, nodeClock: Number.isFinite(clock), commands: [] };
    else if (kind === "command" && this.current) {
      const ended = clockOf(third);
      this.current.commands.push({ exitCode: Number(second), stdout: "", stderr: "", ...(Number.isFinite(ended) ? { end: ended } : {}) });
      this.current.into = "stdout";
    } else if (kind === "stderr" && this.current) this.current.into = "stderr";
    else if (kind === "end" && this.current && Number(first) === this.current.index) {
      const { index, begin, nodeClock, commands } = this.current;
      this.current = undefined;
      // Each command's output ends with the newline that comes before the next mark.
      for (const c of commands) {
        c.stdout = c.stdout.replace(/\n\n?$/, "");
        c.stderr = c.stderr.replace(/\n\n?$/, "");
      }
      this.done(index, { begin, end: nodeClock && Number.isFinite(clock) ? clock : now, commands, nodeClock });
    }
  }
}

/**
 * What each change of a list took (ms, the node's clock: from the end of the command before, or
 * the list's begin): what a fault's command costs there. A wait (`sleep`) and a reading (`nft -j`,
 * its output's time) tell nothing about a change.
 */
export function changeCosts(list: ArmedList, run: ListRun): number[] {
  const change = (c: ArmedList[number] | undefined) => (Array.isArray(c) ? c[0] !== "sleep" && !(c[0] === "nft" && c[1] === "-j") : c !== undefined && c.tool !== "nftj");
  return run.commands.flatMap((c, j) => {
    const before = j === 0 ? run.begin : run.commands[j - 1]!.end;
    return change(list[j]) && c.end !== undefined && before !== undefined ? [c.end - before] : [];
  });
}

/** A node's armed lists: `fireAt(k, at)` runs list k at `at` and resolves with what it did. */
export class ArmedNode {
  private readonly waiting = new Map<number, ((run: ListRun | undefined) => void)[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** ms per change of the lists run so far (the node's clock, changeCosts), newest last. */
  private readonly costs: number[] = [];
  private ended = false;
  readonly finished: Promise<void>;

  private constructor(
    readonly node: string,
    lists: ArmedList[],
    private readonly process: Process,
    /** The node's shell has a clock: it waits for a list's time itself. */
    readonly clock: boolean,
  ) {
    // The script runs the lists one after another, in the order asked: each end answers the oldest ask.
    const output = new ArmedOutput((index, run) => {
      if (run.nodeClock) {
        this.costs.push(...changeCosts(lists[index] ?? [], run));
        this.costs.splice(0, this.costs.length - 20);
      }
      this.waiting.get(index)?.shift()?.(run);
    });
    // How it ended is not asked (its lists' answers are); one let go of may not be found any more.
    process.exited.catch(() => undefined);
    this.finished = (async () => {
      try {
        for await (const line of process.lines) output.line(line, wallNow());
      } catch {
        // The node went away under it: every list not done yet never will be.
      }
      this.ended = true;
      this.clearTimers();
      for (const waiters of this.waiting.values()) for (const w of waiters) w(undefined);
      this.waiting.clear();
    })();
  }

  /**
   * Start the script with its lists; it waits for the controller's word. `bash`: the image runs
   * bash (a clock). `beside`: the lists touch only the node's network and processes, so the script
   * runs beside the node where the engine can (engine/beside.ts), out of the node's CPU share.
   */
  static async arm(handle: NodeHandle, lists: ArmedList[], bash: boolean, beside = false): Promise<ArmedNode> {
    const argv = armedArgv(lists, bash);
    return new ArmedNode(handle.node, lists, await (beside && bash && handle.spawnBeside ? handle.spawnBeside(argv) : handle.spawn(argv)), bash);
  }

  /** Run list `index` now; undefined when the node went away before it ended. */
  fire(index: number): Promise<ListRun | undefined> {
    return this.fireAt(index, 0);
  }

  /**
   * Run list `index` at `at` (ms since the epoch; now if that passed). With a clock, the line goes
   * now and the node waits; without, it goes at `at`. Lists run in the order of the calls (with a
   * clock): call in time order. Undefined when the node went away before it ended.
   */
  fireAt(index: number, at: number): Promise<ListRun | undefined> {
    if (this.ended) return Promise.resolve(undefined);
    const result = new Promise<ListRun | undefined>((resolve) => this.waiting.set(index, [...(this.waiting.get(index) ?? []), resolve]));
    const wait = at - wallNow();
    if (wait <= 0) this.process.write(String(index));
    else if (this.clock) this.process.write(`${index} ${Math.round(at * 1000)}`);
    else {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (!this.ended) this.process.write(String(index));
      }, wait);
      this.timers.add(timer);
    }
    return result;
  }

  /** How far ahead of its time a command of a list starts in this node (commandLead of those run, ms), or undefined before any ran. */
  commandMs(): number | undefined {
    return commandLead(this.costs);
  }

  /**
   * No more lists: the script ends when its input does (a list waiting for its time is not sent).
   * Its stream is let go a moment later, whatever the engine says (Process.release).
   */
  close(): void {
    this.clearTimers();
    this.process.closeInput();
    if (!this.ended) setTimeout(() => this.process.release(), RELEASE_AFTER_MS).unref();
  }

  /** Its node went down (stopped, restarted): let go of it now; a list not run answers undefined. */
  drop(): void {
    this.clearTimers();
    this.process.release();
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** A command never starts more than this ahead of its time (ms), whatever one took. */
export const MAX_COMMAND_LEAD_MS = 50;

/**
 * How far ahead a command starts, from what the node's commands took (ms): their lower quartile,
 * at most MAX_COMMAND_LEAD_MS. Low rather than the median: one command slowed by the machine (a tc
 * that waited 212 ms for the kernel) would make the next lists start that far ahead and land early,
 * and early is worse than late. Undefined when none ran.
 */
export function commandLead(costs: readonly number[]): number | undefined {
  if (costs.length === 0) return undefined;
  const sorted = [...costs].sort((a, b) => a - b);
  return Math.min(MAX_COMMAND_LEAD_MS, sorted[Math.floor((sorted.length - 1) / 4)]!);
}
