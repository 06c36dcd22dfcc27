// Commands armed in a node ahead of their moment. A fault's commands (a link down, a loss rule,
// an exec) and the routers' counter readings must happen at a precise time, and an exec started
// from the controller lands anywhere from 10 ms to seconds later on a busy engine. So each node
// that has such commands gets one process before the traffic starts: a fixed POSIX sh script that
// holds every command list as its arguments (argument lists, never parsed by a shell: a list runs
// as `"${1}" "${2}" ...`) and runs list K when the controller writes the line "K" to its input,
// or, with "K T", at the node's wall-clock time T (epoch microseconds): the controller sends the
// line a little ahead and the node itself waits for the moment, so neither the controller's event
// loop nor the engine's exec stream (tens to hundreds of ms on a busy engine) stands between the
// plan and the command. Its output marks each list's begin and end with the node's clock (bash's
// EPOCHREALTIME, where the image runs bash), and each command's exit code and output. Without a
// clock (a plain sh), the node cannot wait for a time: the controller sends "K" at the moment.
// Where it runs bash, zmqlab's own tc, ip and nft commands do not even start a process at the
// moment: the script starts each tool once, reading commands a line at a time (`tc -batch`,
// `ip -batch`, `nft -i`, `nft -j -i`), so a command is a write and a read (a process started at
// the moment took 5-170 ms on a busy 2-core machine, the same command in the running tool 0.3-7).
// After each command a line no tool knows follows; the error it answers marks the command's end.
import { wallNow } from "../../shared/clock.js";
import type { Process } from "../engine/exec.js";
import { WHEN } from "../engine/shell-clock.js";
import { END_PROCESSES } from "../faults/kinds/node-actions.js";
import type { NodeHandle } from "../engine/runtime.js";

const MARK = "--zmqlab-- ";
/** The line sent to a tool after each command: none of them knows it, and the error it answers marks the command's end. */
const SYNC = "%zmqlab-sync%";

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
# no failure; the long-lived tools end too); a function, as a kill of a process of its own would
# end this script too.
${END_PROCESSES}() { kill -s KILL -1 2>/dev/null; for t in $tools; do eval "bp_$t="; done; return 0; }
mark() { printf '\\n${MARK}%s\\n' "$*"; }
# Nothing between the moment and a command forks but the command (shell-clock.ts); the marks
# read bash's clock as a variable, no $(...).
${WHEN}
out=$(mktemp) || exit 1; err=$(mktemp) || exit 1
# The long-lived tools (bash only: {fd} redirections, read -t). bi_T/bo_T: its input and output
# (fifos, read-write so that neither open waits), bp_T: its pid, bn_T: lines it was sent; shut:
# the redirections that keep a command from holding them.
SYNC='${SYNC}'; shut=""; nl='
'
# Send tool $1 the line $2 (none when empty), then SYNC, and read until SYNC's answer: its output
# in bout, code 1 when the line failed (its text in berr), 125 when the tool did not answer.
b_run() {
  eval "bi=\\$bi_$1 bo=\\$bo_$1 n=\\$bn_$1"
  bout=""; berr=""; code=0; c=0; e=""; held=""
  if [ -n "$2" ]; then printf '%s\\n' "$2" >&"$bi"; n=$((n + 1)); c=$n; fi
  printf '%s\\n' "$SYNC" >&"$bi"; n=$((n + 1)); eval "bn_$1=$n"
  while :; do
    if ! IFS= read -r -t 10 line <&"$bo"; then eval "bp_$1="; berr="$berr$1 did not answer$nl"; code=125; return; fi
    case $1 in
      tc|ip)
        # Each failed line is followed by "Command failed -:N" (its line number); SYNC always fails.
        case $line in
          "Command failed -:$n") return ;;
          "Command failed -:$c") code=1 ;;
          "Object \\"$SYNC\\" is unknown"*) ;;
          *) berr=$berr$line$nl ;;
        esac ;;
      *)
        # nft: an error is "Error: ...", the line, a caret line; SYNC's own error line comes just before SYNC.
        if [ "$line" = "$SYNC" ]; then IFS= read -r -t 10 line <&"$bo"; return; fi
        if [ -n "$held" ]; then
          case $held_line in Error:*) code=1; e=1 ;; esac
          if [ -n "$e" ]; then berr=$berr$held_line$nl; else bout=$bout$held_line$nl; fi
        fi
        held=1; held_line=$line ;;
    esac
  done
}
# Start tool $1; it is used only when its first SYNC is answered as expected.
b_open() {
  d=$(mktemp -d) || return
  if mkfifo "$d/i" "$d/o" && exec {bi}<>"$d/i" {bo}<>"$d/o"; then
    shut="$shut $bi>&- $bo>&-"
    (
      eval "exec 3<&- $shut"
      case $1 in tc) exec tc -force -batch - ;; ip) exec ip -force -batch - ;; nft) exec nft -i ;; nftj) exec nft -j -i ;; esac
    ) <"$d/i" >"$d/o" 2>&1 &
    eval "bi_$1=$bi bo_$1=$bo bp_$1=$! bn_$1=0"
    b_run "$1" ""
    if [ "$code" -ne 0 ] || [ -n "$bout$berr" ]; then eval "kill \\$bp_$1 2>/dev/null; bp_$1="; fi
  fi
  rm -rf "$d"
}
if [ -n "\${BASH_VERSION:-}" ]; then for t in $tools; do command -v "\${t%j}" >/dev/null 2>&1 && b_open "$t"; done; fi
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

/** A long-lived tool of the script: `nftj` is `nft -j`. */
export type BatchTool = "tc" | "ip" | "nft" | "nftj";

/** One of zmqlab's own commands (its output is not the lab's), to run in its tool where the node has it running. */
export interface Batched {
  tool: BatchTool;
  argv: string[];
}

/** One list of commands, run as one step (stopping at the first that fails): argv lists, or zmqlab's own tc, ip and nft commands. */
export type ArmedList = (string[] | Batched)[];

/** What a tc or ip batch line reads as one word: nothing it would split, unquote or take for a comment. */
const PLAIN_WORD = /^[A-Za-z0-9_.:/@%+,=-]+$/;

/**
 * zmqlab's own `argv` as a line for its tool, where it can be one: tc and ip without options
 * (a batch line has none) and plain words; nft without options but `-j` (nft joins its words with
 * spaces itself: any word but a line break). Else undefined: it runs as a process.
 */
export function batched(argv: string[]): Batched | undefined {
  const [program, first] = argv;
  if (first === undefined || argv.some((w) => w === "" || w.includes("\n"))) return undefined;
  if ((program === "tc" || program === "ip") && !first.startsWith("-") && argv.every((w) => PLAIN_WORD.test(w))) return { tool: program, argv };
  if (program === "nft" && first === "-j" && argv[2] !== undefined && !argv[2].startsWith("-")) return { tool: "nftj", argv };
  if (program === "nft" && !first.startsWith("-")) return { tool: "nft", argv };
  return undefined;
}

/** The line the script gives the tool: the words after the program (and its -j). */
const lineWords = (c: Batched): string[] => c.argv.slice(c.tool === "nftj" ? 2 : 1);

/** The script's argv for these lists; `bash` where the image has it (its clock has microseconds; only bash runs the tools). */
export function armedArgv(lists: ArmedList[], bash: boolean): string[] {
  const tools = bash ? [...new Set(lists.flat().flatMap((c) => (Array.isArray(c) ? [] : [c.tool])))] : [];
  // A batched command: -(its words + 1), the tool, its line's words (the script runs `tool words` without the tool).
  const encode = (c: string[] | Batched): string[] => (Array.isArray(c) ? [String(c.length), ...c] : bash ? [String(-(lineWords(c).length + 1)), c.tool, ...lineWords(c)] : [String(c.argv.length), ...c.argv]);
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

/** A node's armed lists: `fireAt(k, at)` runs list k at `at` and resolves with what it did. */
export class ArmedNode {
  private readonly waiting = new Map<number, ((run: ListRun | undefined) => void)[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** ms per command of the lists run so far (the node's clock), newest last. */
  private readonly costs: number[] = [];
  private ended = false;
  readonly finished: Promise<void>;

  private constructor(
    readonly node: string,
    private readonly process: Process,
    /** The node's shell has a clock: it waits for a list's time itself. */
    readonly clock: boolean,
  ) {
    // The script runs the lists one after another, in the order asked: each end answers the oldest ask.
    const output = new ArmedOutput((index, run) => {
      if (run.nodeClock) {
        this.costs.push((run.end - run.begin) / Math.max(1, run.commands.length));
        if (this.costs.length > 20) this.costs.shift();
      }
      this.waiting.get(index)?.shift()?.(run);
    });
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

  /** Start the script in the node with its lists; it waits for the controller's word. `bash`: the image runs bash (a clock). */
  static async arm(handle: NodeHandle, lists: ArmedList[], bash: boolean): Promise<ArmedNode> {
    return new ArmedNode(handle.node, await handle.spawn(armedArgv(lists, bash)), bash);
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

  /** How long one command of a list takes in this node (median of those run, ms), or undefined before any ran. */
  commandMs(): number | undefined {
    if (this.costs.length === 0) return undefined;
    const sorted = [...this.costs].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }

  /** No more lists: the script ends when its input does (a list waiting for its time is not sent). */
  close(): void {
    this.clearTimers();
    this.process.closeInput();
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
