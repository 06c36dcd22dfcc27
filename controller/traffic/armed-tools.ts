// The tools an armed script keeps running (armed.ts), where the node runs bash: zmqlab's own tc,
// ip and nft commands go to a `tc -batch -`, `ip -batch -`, `nft -i` or `nft -j -i` started
// once, a line each, so a command is a write and a read instead of a process started at the
// moment (beside four busy loops on a 2-core machine: tc as a process p50 5.4 / max 117 ms, nft
// 30 / 188 ms; in the running tool 0.3 / 6.7 and 0.4 / 4.5 ms). After each command a line no
// tool knows follows; the error it answers marks the command's end, and the command's own error
// (tc and ip: "Command failed -:N" for its line; nft: "Error: ...") its exit code.

/** The line sent to a tool after each command. */
const SYNC = "%zmqlab-sync%";

/** A long-lived tool of the script: `nftj` is `nft -j`. */
export type BatchTool = "tc" | "ip" | "nft" | "nftj";

/** One of zmqlab's own commands (its output is not the lab's), to run in its tool where the node has it running. */
export interface Batched {
  tool: BatchTool;
  argv: string[];
}

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
export const lineWords = (c: Batched): string[] => c.argv.slice(c.tool === "nftj" ? 2 : 1);

/** The script's part that starts the tools and talks to them (sh parses it; only bash runs it). Fixed text. */
export const TOOLS_SH = `# The long-lived tools (bash only: {fd} redirections, read -t). bi_T/bo_T: its input and output
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
if [ -n "\${BASH_VERSION:-}" ]; then for t in $tools; do command -v "\${t%j}" >/dev/null 2>&1 && b_open "$t"; done; fi`;
