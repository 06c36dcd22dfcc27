// The configuration's steps as one POSIX sh script, run in one exec (or as a node of zmqlab's
// image starts: engine/resources.ts runs it as the container's first command). `sh` is in every
// image that runs programs (dash in Debian's, busybox's in Alpine's) and starts in about 1 ms of
// CPU (bash about 2, Node.js about 70): with 100 nodes starting at once that is seconds of `up`.
// The script never changes; the steps arrive as its arguments, and no word of them is ever
// parsed by a shell: commands run as argument lists (`exec "$@"` in a subshell, as the engine's
// exec would run them), a file's text is written as it is given. Its output is sections, parsed
// back here.
import type { Step, StepFailure } from "./steps.js";

/** Marks each section of the script's output, at the start of a line. */
const MARK = "--zmqlab-- ";

/**
 * Arguments, step after step: `drop N IPV4...`, `name NETWORK IPV4`, `write PATH MODE(octal)
 * 0|1 TEXT`, `run N WORD...`, `state 0|1`. Prints `failed STEP EXIT ARGV...` and the failure's
 * output (its stderr, else its stdout), then `addr`, `route -4`, `rule -4` (and -6) with `ip -j`
 * output each, then `end`.
 */
export const CONFIGURE_SCRIPT = `
set -f
out=/tmp/zmqlab-configure.$$.out; err=/tmp/zmqlab-configure.$$.err
blank=$(printf ' \\t'); step=-1; failed=0; found=0; links=; names=
mark() { printf '\\n${MARK}%s\\n' "$*"; }
show() { while IFS= read -r line || [ -n "$line" ]; do printf '%s\\n' "$line"; done < "$1"; }
failure() {
  mark failed "$@"
  if [ -s "$err" ]; then show "$err"; else show "$out"; fi
  failed=1
}
# A command as the engine's exec runs it: a program found on PATH, never a builtin or a function.
attempt() {
  s=$1; shift
  ( exec "$@" ) </dev/null >"$out" 2>"$err" || { failure "$s" $? "$@"; return 1; }
}
# STEP C WORDS...: the first C words, as a command.
first() {
  s=$1; c=$2; shift 2; k=0
  for w in "$@"; do
    if [ $k -eq 0 ]; then set -- "$w"; elif [ $k -lt $c ]; then set -- "$@" "$w"; else break; fi
    k=$((k + 1))
  done
  attempt "$s" "$@"
}
# Once: each IPv4 address of the node with its interface, "NAME ADDRESS" a line.
discover() {
  [ $found = 1 ] && return; found=1
  links=$(ip -o -4 addr show | while read -r _ name family address _; do
    [ "$family" = inet ] && printf '%s %s\\n' "\${name%%@*}" "\${address%/*}"
  done)
}
# Lines "interface NETWORK" (blanks around) get the kernel's name of the network's interface.
renamed() {
  while IFS= read -r line || [ -n "$line" ]; do
    rest=\${line#"\${line%%[!$blank]*}"}
    case $rest in
      interface[$blank]*)
        after=\${rest#interface}; word=\${after#"\${after%%[!$blank]*}"}
        name=\${word%%[$blank]*}; tail=\${word#"$name"}; kernel=
        case $tail in
          *[!$blank]*) ;;
          *) for pair in $names; do case $pair in "$name="*) kernel=\${pair#*=} ;; esac; done ;;
        esac
        [ -n "$name" ] && [ -n "$kernel" ] && line="\${line%"$word"}$kernel$tail" ;;
    esac
    printf '%s\\n' "$line"
  done
}
written() {
  dir=\${1%/*}; [ -z "$dir" ] || mkdir -p -- "$dir" || return
  if [ "$3" = 1 ]; then printf '%s' "$4" | renamed >"$1"; else printf '%s' "$4" >"$1"; fi || return
  chmod "$2" "$1"
}
while [ $# -gt 0 ]; do
  kind=$1; shift; step=$((step + 1))
  case $kind in
    drop)
      n=$1; shift; keep=" "
      while [ $n -gt 0 ]; do keep="$keep$1 "; shift; n=$((n - 1)); done
      [ $failed = 1 ] && continue
      discover; ours=" "; gone=" "
      while read -r name address; do
        case $keep in *" $address "*) ours="$ours$name " ;; esac
      done <<EOF
$links
EOF
      while read -r name address; do
        [ -z "$name" ] || [ "$name" = lo ] && continue
        case "$ours$gone" in *" $name "*) continue ;; esac
        gone="$gone$name "
        attempt $step ip link del dev "$name" || break
      done <<EOF
$links
EOF
      ;;
    name)
      network=$1; address=$2; shift 2
      [ $failed = 1 ] && continue
      discover; holder=
      while read -r name held; do
        [ -z "$holder" ] && [ "$held" = "$address" ] && holder=$name
      done <<EOF
$links
EOF
      # An interface that cannot be found shows up in the kernel check as a missing name.
      [ -n "$holder" ] && attempt $step ip link property add dev "$holder" altname "$network" && names="$names $network=$holder"
      ;;
    write)
      path=$1; mode=$2; rename=$3; text=$4; shift 4
      [ $failed = 1 ] && continue
      ( written "$path" "$mode" "$rename" "$text" ) </dev/null >"$out" 2>"$err" || failure $step $? write "$path"
      ;;
    run)
      count=$1; shift
      [ $failed = 0 ] && first $step "$count" "$@"
      shift "$count"
      ;;
    state)
      families=-4; [ "$1" = 1 ] && families="-4 -6"; shift
      mark addr; ip -j addr show
      for f in $families; do mark route $f; ip -j $f route show table all; done
      for f in $families; do mark rule $f; ip -j $f rule show; done
      ;;
    *) printf 'zmqlab-configure: no step %s\\n' "$kind" >&2; exit 2 ;;
  esac
done
mark end; rm -f "$out" "$err"
`;

/** The arguments that say the steps to the script. */
export function scriptArguments(steps: Step[]): string[] {
  return steps.flatMap((s): string[] => {
    switch (s.kind) {
      case "drop":
        return ["drop", String(s.keep.length), ...s.keep];
      case "name":
        return ["name", s.network, s.ipv4];
      case "write":
        return ["write", s.path, s.mode.toString(8), s.kernelNames ? "1" : "0", s.content];
      case "run":
        if (s.argv.length === 0) throw new Error(`an empty command (${s.why})`);
        return ["run", String(s.argv.length), ...s.argv];
      case "state":
        return ["state", s.ipv6 ? "1" : "0"];
    }
  });
}

/** The command that runs the steps: one exec, or a container's first command. */
export function scriptArgv(steps: Step[]): string[] {
  return ["sh", "-c", CONFIGURE_SCRIPT, "zmqlab-configure", ...scriptArguments(steps)];
}

/** What the script printed: the step that failed, if one did, and the kernel's state as `ip -j` printed it. */
export interface ScriptOutput {
  failed?: StepFailure;
  /** Raw `ip -j` output: addr, then route and rule per family (-4, then -6 when asked). */
  state: { addr: string; routes: string[]; rules: string[] };
}

/**
 * The script's output, read back against the steps it was given (a failed command is named by
 * its step: its words come from the step). Throws when the script did not reach its end.
 */
export function parseScriptOutput(text: string, steps: Step[]): ScriptOutput {
  const sections = new Map<string, string>();
  let failed: StepFailure | undefined;
  for (const part of `\n${text}`.split(`\n${MARK}`).slice(1)) {
    const newline = part.indexOf("\n");
    const head = newline < 0 ? part : part.slice(0, newline);
    const body = newline < 0 ? "" : part.slice(newline + 1).trim();
    const [kind, ...words] = head.split(" ");
    if (kind === "failed") {
      const [index, exitCode, ...argv] = words;
      const step = steps[Number(index)];
      if (step) failed = { step, argv: step.kind === "run" ? step.argv : argv, exitCode: Number(exitCode), output: body };
    } else sections.set(head, body);
  }
  if (!sections.has("end")) throw new Error(`the configure script stopped before its end: ${text.trim().slice(-500) || "no output"}`);
  const families = sections.has("route -6") ? ["-4", "-6"] : ["-4"];
  const section = (name: string) => sections.get(name) ?? "";
  return {
    ...(failed ? { failed } : {}),
    state: { addr: section("addr"), routes: families.map((f) => section(`route ${f}`)), rules: families.map((f) => section(`rule ${f}`)) },
  };
}

/** Whether the script could not start at all: the image has no `sh` (the engine's exit 126 or 127, before any section). */
export function noShell(result: { exitCode: number; stdout: string }): boolean {
  return (result.exitCode === 126 || result.exitCode === 127) && !result.stdout.includes(MARK);
}
