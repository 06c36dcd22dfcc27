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
  constructor(message: string, readonly hint?: string) {
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
  return segments
    .map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`))
    .join("");
}

/** The candidate closest to `word` by edit distance, when it is close enough to be a likely typo. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Ctrl-C (or an aborted signal): what was created has been removed. Exit code 130. */
export class Cancelled extends Error {
  readonly exitCode = 130;
  constructor(message = "interrupted: the lab was removed") {
    super(message);
  }
}
