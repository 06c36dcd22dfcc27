// The workshop's exercises (labs/workshop/), as the tests know them: which expectations each
// starting state fails and why, and how to read the "By hand" fix from its README. Shared by the
// file checks (unit, no Docker) and the runs on the real engine (integration).
import { join } from "node:path";

export interface Exercise {
  dir: string;
  name: string;
  /** Indexes (0-based, lab file order) of the expectations the starting state fails. */
  failing: number[];
  /** Messages the failures must carry (what was observed), by index. */
  messages: Record<number, RegExp>;
  /** Whether the README has a "By hand" block of docker exec commands that fixes the lab. */
  byHand: boolean;
}

export const EXERCISES: Exercise[] = [
  {
    dir: "01-bind",
    name: "ws-01-bind",
    // delivered app | unreachable outsider | sourceSeen metrics only the app
    failing: [1, 2],
    messages: {
      1: /^handshake completed: 198\.18\.101\.10:5556, and 500 messages arrived/,
      2: /^server saw 198\.18\.101\.20 and 198\.18\.102\.20; 198\.18\.101\.20 is not among the expected sources/,
    },
    byHand: false,
  },
  {
    dir: "02-source",
    name: "ws-02-source",
    // delivered feed-sub | delivered news-sub | sourceSeen feed | sourceSeen news | unreachable guest
    failing: [0, 2, 3],
    messages: {
      0: /^feed-sub received 0 from feed, expected 500: .*no ZeroMQ handshake with 198\.18\.112\.10:5556/,
      2: /^exchange saw no connection on tcp:\/\/198\.18\.112\.10:5556; 198\.18\.111\.11 missing/,
      3: /^exchange saw 198\.18\.111\.10 only; 198\.18\.111\.11 missing; 198\.18\.111\.10 is not among the expected sources/,
    },
    byHand: true,
  },
  {
    dir: "03-policy-routes",
    name: "ws-03-policy-routes",
    // delivered via-isp1 | delivered via-isp2 | sourceSeen quotes | path .10 via isp1 | path .11 via isp2
    failing: [1, 2, 4],
    messages: {
      1: /^via-isp2 received 0 from quotes, expected 500/,
      2: /^server saw 198\.18\.121\.10 only; 198\.18\.121\.11 missing/,
      4: /^198\.18\.121\.11 -> 198\.18\.122\.10 crossed isp1 \(\d+ packets?\), not isp2 \(0\)$/,
    },
    byHand: true,
  },
  {
    dir: "04-load-balancer",
    name: "ws-04-load-balancer",
    // delivered c10..c13 | sourceSeen pub-b1 | sourceSeen pub-b2 | balanced
    failing: [4, 5, 6],
    messages: {
      4: /^b1 saw 198\.18\.131\.10, 198\.18\.131\.11, 198\.18\.131\.12 and 198\.18\.131\.13; 198\.18\.131\.12 and 198\.18\.131\.13 are not among/,
      5: /^b2 saw no connection on tcp:\/\/198\.18\.132\.11:5556; 198\.18\.131\.12 and 198\.18\.131\.13 missing/,
      6: /^b2 got no source; mapping differs: 198\.18\.131\.12 went to b1, not b2, 198\.18\.131\.13 went to b1, not b2$/,
    },
    byHand: true,
  },
];

export const exercisePath = (e: Exercise) => join("labs", "workshop", e.dir);
export const solutionPath = (e: Exercise) => join("labs", "workshop", "solutions", e.dir);

/** Split one shell command line as the READMEs write them: words, '...' quoting, # comments. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated quote in: ${line}`);
      word = (word ?? "") + line.slice(i + 1, end);
      i = end;
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === "#" && word === undefined) {
      break;
    } else {
      word = (word ?? "") + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The `docker exec` commands of a README's "By hand" block, as (node, argv). */
export function byHandCommands(readme: string, lab: string): { node: string; argv: string[] }[] {
  const start = readme.indexOf("**By hand**");
  if (start < 0) throw new Error("no **By hand** part in the README");
  const open = readme.indexOf("```sh\n", start);
  const close = readme.indexOf("```", open + 6);
  const block = readme.slice(open + 6, close).replace(/\\\n\s*/g, " ");
  const prefix = `zmqlab-${lab}-`;
  return block
    .split("\n")
    .map((l) => shellWords(l.trim()))
    .filter((w) => w[0] === "docker" && w[1] === "exec")
    .map((w) => {
      const container = w[2]!;
      if (!container.startsWith(prefix)) throw new Error(`${container} is not a node of ${lab}`);
      return { node: container.slice(prefix.length), argv: w.slice(3) };
    });
}
