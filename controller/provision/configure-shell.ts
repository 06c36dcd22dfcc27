// The agent's configure without Node.js: the same job (name each interface after its network,
// drop interfaces that are not the lab's, run the commands in order, read the kernel state back)
// as a fixed bash script, for a node of zmqlab's image that has no files to write. Node.js takes
// about 70 ms of CPU to start, bash 3: with 100 nodes starting at once that is seconds of `up`.
// The script never changes; the job arrives as its arguments (argument lists, run as they are,
// never through a shell's parsing), and its output is sections this module parses back.
import type { ConfigureJob, ConfigureResult } from "../../shared/protocol.js";

/** Marks each section of the script's output, at the start of a line. */
const MARK = "--zmqlab-- ";

/**
 * Arguments: IPV6 (0/1), ONLY_LAB (0/1), N, then N pairs NETWORK IPV4, then each command as its
 * length followed by its words. Prints `failed INDEX EXIT [ARGV]` with the command's output (INDEX
 * -1 with the words for naming or dropping an interface), then `addr`, `route -4`, `rule -4` (and
 * -6) with `ip -j` output each, then `end`.
 */
export const CONFIGURE_SCRIPT = `
a=("$@"); i=3; ipv6=\${a[0]}; only=\${a[1]}; nets=(); ips=()
for ((k = 0; k < \${a[2]}; k++)); do nets+=("\${a[i]}"); ips+=("\${a[i+1]}"); i=$((i + 2)); done
out=$(mktemp); err=$(mktemp); failed=0
mark() { printf '\\n${MARK}%s\\n' "$*"; }
run() {
  local index=$1; shift
  "$@" >"$out" 2>"$err"; local code=$?
  [ $code -eq 0 ] && return 0
  if [ "$index" -lt 0 ]; then mark failed -1 $code "$@"; else mark failed "$index" $code; fi
  if [ -s "$err" ]; then cat "$err"; else cat "$out"; fi
  failed=1; return 1
}
declare -A v4
while read -r _ name family address _; do
  [ "$family" = inet ] && v4[\${name%%@*}]+=" \${address%/*} "
done < <(ip -o -4 addr show)
# Interfaces that are not the lab's: the rule of stray-interfaces.ts.
if [ "$only" = 1 ]; then
  for name in "\${!v4[@]}"; do
    [ "$name" = lo ] && continue; lab=0
    for ip in "\${ips[@]}"; do [[ \${v4[$name]} == *" $ip "* ]] && lab=1; done
    [ $lab = 1 ] || run -1 ip link del dev "$name" || break
  done
fi
if [ $failed = 0 ]; then
  for ((k = 0; k < \${#ips[@]}; k++)); do
    for name in "\${!v4[@]}"; do
      [[ \${v4[$name]} == *" \${ips[k]} "* ]] || continue
      run -1 ip link property add dev "$name" altname "\${nets[k]}" || break 2
    done
  done
fi
index=0
while [ $failed = 0 ] && [ $i -lt \${#a[@]} ]; do
  n=\${a[i]}; command=("\${a[@]:i+1:n}"); i=$((i + 1 + n))
  run $index "\${command[@]}" || break; index=$((index + 1))
done
families=(-4); [ "$ipv6" = 1 ] && families+=(-6)
mark addr; ip -j addr show
for f in "\${families[@]}"; do mark route $f; ip -j $f route show table all; done
for f in "\${families[@]}"; do mark rule $f; ip -j $f rule show; done
mark end; rm -f "$out" "$err"
`;

/** The command that runs a job through the script (a job with files takes Node.js: configure.js). */
export function configureShellArgv(job: ConfigureJob): string[] {
  if (job.files?.length) throw new Error("the shell configure writes no files: use the agent's configure.js");
  return [
    "bash",
    "-c",
    CONFIGURE_SCRIPT,
    "zmqlab-configure",
    job.ipv6 ? "1" : "0",
    job.onlyLabInterfaces ? "1" : "0",
    String(job.interfaces.length),
    ...job.interfaces.flatMap((i) => [i.network, i.ipv4]),
    ...job.commands.flatMap((c) => [String(c.argv.length), ...c.argv]),
  ];
}

/**
 * The script's output as the agent's configure.js reports it (a failed command of the job is
 * named by its index: its words come from the job). Throws when the script did not reach its end.
 */
export function parseConfigureShell(text: string, commands: ConfigureJob["commands"]): ConfigureResult {
  const sections = new Map<string, string>();
  let failed: ConfigureResult["failed"];
  for (const part of `\n${text}`.split(`\n${MARK}`).slice(1)) {
    const newline = part.indexOf("\n");
    const head = newline < 0 ? part : part.slice(0, newline);
    const body = newline < 0 ? "" : part.slice(newline + 1).trim();
    const [kind, ...words] = head.split(" ");
    if (kind === "failed") {
      const [index, exitCode, ...argv] = words;
      failed = { index: Number(index), argv: Number(index) >= 0 ? (commands[Number(index)]?.argv ?? []) : argv, exitCode: Number(exitCode), output: body };
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
