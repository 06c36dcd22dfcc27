// The user's mistakes and the environment's problems, each with what to do about it.
// Anything else that is thrown is our bug and keeps its stack trace.

/** One thing wrong in a lab file, located by line and by its path inside the lab. */
export interface Problem {
  file?: string;
  line?: number;
  column?: number;
  /** Path inside the lab, e.g. `nodes.client.routes[1].via`. */
  path: string;
  message: string;
  hint?: string;
}

/**
 * Every error zmqlab means to throw: the lab file's (LabError, exit 2), the environment's
 * (EnvironmentError, exit 3), an interruption (Cancelled, exit 130). Anything else is a bug.
 */
export abstract class ZmqlabError extends Error {
  abstract readonly exitCode: number;
}

/** The lab file (or the command line) is wrong: nothing was touched. Exit code 2. */
export class LabError extends ZmqlabError {
  readonly exitCode = 2;
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "LabError";
  }
}

/** The environment cannot run the lab (no engine, image build failed, subnet taken). Exit code 3. */
export class EnvironmentError extends ZmqlabError {
  readonly exitCode = 3;
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message}\n  hint: ${hint}` : message);
    this.name = "EnvironmentError";
  }
}

export function formatProblem(p: Problem): string {
  const where = [p.file, p.line, p.column].filter((x) => x !== undefined).join(":");
  const head = `${where ? where + ": " : ""}${p.path ? p.path + ": " : ""}${p.message}`;
  return p.hint ? `${head}\n  hint: ${p.hint}` : head;
}

/** `["nodes", "client", "routes", 1, "via"]` -> `nodes.client.routes[1].via` */
export function formatPath(segments: readonly (string | number)[]): string {
  return segments.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");
}

/**
 * The candidate closest to `word` by edit distance, when it is close enough to be a likely typo.
 * Swapped neighbours (`wroker1`) cost one edit, as they are one slip of the fingers. Among
 * equally close candidates: the one sharing the longest start with `word`, then the one of the
 * nearest length, then the first given.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const typed = word.toLowerCase();
  let best: { candidate: string; rank: number[] } | undefined;
  for (const candidate of candidates) {
    const c = candidate.toLowerCase();
    const rank = [editDistance(typed, c), -sharedStart(typed, c), Math.abs(typed.length - c.length)];
    if (!best || before(rank, best.rank)) best = { candidate, rank };
  }
  return best !== undefined && best.rank[0]! <= Math.max(2, Math.floor(word.length / 3)) ? best.candidate : undefined;
}

/** Whether rank `a` sorts strictly before `b` (compared element by element). */
function before(a: number[], b: number[]): boolean {
  const i = a.findIndex((x, k) => x !== b[k]);
  return i >= 0 && a[i]! < b[i]!;
}

/** How many leading characters two words share. */
function sharedStart(a: string, b: string): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

/**
 * Edits (insert, delete, substitute, or swap two neighbours) that turn `a` into `b`: the
 * optimal string alignment distance (Damerau-Levenshtein where no substring is edited twice).
 */
export function editDistance(a: string, b: string): number {
  // d[i][j]: the distance between a's first i characters and b's first j.
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, d[i - 2]![j - 2]! + 1);
      d[i]![j] = value;
    }
  }
  return d[a.length]![b.length]!;
}

/** Ctrl-C (or an aborted signal): what was created has been removed. Exit code 130. */
export class Cancelled extends ZmqlabError {
  readonly exitCode = 130;
  constructor(message = "interrupted: the lab was removed") {
    super(message);
    this.name = "Cancelled";
  }
}
