// Waiting for a moment in a node's shell by the node's own clock (bash's EPOCHREALTIME, µs): the
// armed scripts (traffic/armed.ts) and a held start's release (hold.ts). Nothing between the
// moment and what follows forks: the wait is bash's read with a timeout on a pipe nobody writes
// (a sleep is a fork and an exec, tens of ms on a busy machine, all of it late). POSIX sh parses
// it; without a clock (not bash), `when` returns at once.

/**
 * sh functions: `us T` sets u to T (EPOCHREALTIME's form, seconds.micro) in µs; `when US` waits
 * until epoch µs US, at once when that passed or the shell has no clock. Holds fd 3.
 */
export const WHEN = `nap=""
if [ -n "\${EPOCHREALTIME:-}" ]; then p=$(mktemp -u) && mkfifo "$p" 2>/dev/null && exec 3<>"$p" && rm -f "$p" && nap=1; fi
us() { s=\${1%[.,]*}; f=\${1#*[.,]}; u=$(( s * 1000000 + 1$f - 1000000 )); }
when() {
  [ -n "$1" ] && [ -n "\${EPOCHREALTIME:-}" ] || return 0
  us "$EPOCHREALTIME"; d=$(( $1 - u ))
  [ "$d" -gt 0 ] || return 0
  printf -v f '%06d' $((d % 1000000))
  if [ -n "$nap" ]; then read -r -t "$((d / 1000000)).$f" _ <&3; else sleep "$((d / 1000000)).$f"; fi
  return 0
}`;
