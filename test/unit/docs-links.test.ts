// The documentation holds together: every relative link in README.md, CONTRIBUTING.md, docs/*.md
// and labs/**/README.md reaches a file or folder of the repository, and every #anchor a heading
// of its page (by GitHub's heading slugs); the README stays a front door that leads to every page;
// docs/ ships in the package; the tables to be generated from the kinds' registries are marked.
import t from "tap";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { root } from "../support/golden.js";

/** The pages users and contributors read, relative to the repository's root. */
function pages(): string[] {
  const labReadmes = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? labReadmes(join(dir, e.name)) : e.name === "README.md" ? [join(dir, e.name)] : []));
  const docs = readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => join("docs", f));
  return ["README.md", "CONTRIBUTING.md", ...docs.sort(), ...labReadmes("labs").sort()];
}

/** The page's lines outside fenced code blocks (``` or ~~~), each with its line number. */
export function prose(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fence: string | undefined;
  markdown.split("\n").forEach((text, i) => {
    const opener = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (fence === undefined && opener) fence = opener[0]!.repeat(opener.length);
    else if (fence !== undefined && text.trim().startsWith(fence)) fence = undefined;
    else if (fence === undefined) out.push({ line: i + 1, text });
  });
  return out;
}

/** A heading's anchor as GitHub makes it: the text as rendered, lower case, punctuation dropped, spaces to dashes. */
export function githubSlug(heading: string): string {
  const rendered = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images: their text
    .replace(/<[^>]+>/g, "") // inline HTML
    .replace(/[`*]/g, ""); // code spans and emphasis
  return rendered
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor of a page: its headings' slugs, repeated ones numbered as GitHub numbers them (-1, -2, ...). */
export function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  for (const { text } of prose(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text)?.[1];
    if (heading === undefined) continue;
    const slug = githubSlug(heading);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    result.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return result;
}

/** The links of a page (outside code), with where they are. */
export function links(markdown: string): { line: number; target: string }[] {
  return prose(markdown).flatMap(({ line, text }) => {
    // A code span is no link, but a link's text may be one: keep the brackets, drop the code.
    const plain = text.replace(/(`+)(?:(?!\1).)+\1/g, "code");
    return [...plain.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => ({ line, target: m[1]! }));
  });
}

/** Why a relative link of `page` does not resolve, or undefined when it does. */
export function brokenLink(page: string, target: string, read: (file: string) => string = (f) => readFileSync(join(root, f), "utf8")): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target)) return undefined; // https:, mailto:: not ours to check
  const [rawPath, anchor] = target.split("#", 2) as [string, string | undefined];
  const path = decodeURIComponent(rawPath);
  const file = path === "" ? page : relative(root, resolve(root, dirname(page), path));
  if (file.startsWith("..") || file.split(sep)[0] === "node_modules") return `${target} leaves the repository`;
  const absolute = join(root, file);
  if (!existsSync(absolute)) return `${target}: no such file or folder (${file})`;
  if (anchor === undefined) return undefined;
  const markdownFile = statSync(absolute).isDirectory() ? join(file, "README.md") : file;
  if (!markdownFile.endsWith(".md") || !existsSync(join(root, markdownFile))) return `${target}: an anchor into ${file}, which is no Markdown page`;
  const known = anchors(read(markdownFile));
  return known.has(anchor) ? undefined : `${target}: ${markdownFile} has no heading #${anchor}`;
}

t.test("GitHub's heading slugs", async (t) => {
  const cases: [string, string][] = [
    ["Faults and phases", "faults-and-phases"],
    ["JSON (`--json FILE`)", "json---json-file"],
    ["A cluster on one machine (`scripts/cluster.sh`)", "a-cluster-on-one-machine-scriptsclustersh"],
    ["Phases: expectations before, after and between faults", "phases-expectations-before-after-and-between-faults"],
    ["zmqlab's message framing", "zmqlabs-message-framing"],
    ["What `up` builds", "what-up-builds"],
    ["In your own project (a dev dependency)", "in-your-own-project-a-dev-dependency"],
    ["Exit 4 and 130", "exit-4-and-130"],
    ["snake_case and [a link](x.md)", "snake_case-and-a-link"],
  ];
  for (const [heading, slug] of cases) t.equal(githubSlug(heading), slug, heading);
  t.same([...anchors("# A\n## B\n```\n# not a heading\n```\n## B\n## B\n")], ["a", "b", "b-1", "b-2"], "repeated headings are numbered; code is no heading");
});

t.test("links are read from prose only, code spans and blocks left out", async (t) => {
  const page = 'See [one](a.md), [`two`](b/#x) and `[no](c.md)`.\n```\n[no](d.md)\n```\n![img](e.png "title")\n';
  t.same(links(page), [
    { line: 1, target: "a.md" },
    { line: 1, target: "b/#x" },
    { line: 5, target: "e.png" },
  ]);
});

t.test("a broken link is found: a missing file, a missing heading, a way out of the repository", async (t) => {
  t.match(brokenLink("docs/faults.md", "nowhere.md"), /no such file/);
  t.match(brokenLink("docs/faults.md", "reports.md#no-such-heading"), /has no heading #no-such-heading/);
  t.match(brokenLink("README.md", "#nothing-here"), /README\.md has no heading/);
  t.match(brokenLink("docs/faults.md", "../../etc/passwd"), /leaves the repository/);
  t.equal(brokenLink("docs/faults.md", "reports.md#one-clock"), undefined);
  t.equal(brokenLink("README.md", "labs/source-ip/"), undefined);
  t.equal(brokenLink("README.md", "https://example.org/#x"), undefined);
});

t.test("every relative link and anchor in the documentation resolves", async (t) => {
  const checked = pages();
  t.ok(checked.includes("docs/expectations.md") && checked.includes("labs/source-ip/README.md"), `${checked.length} pages`);
  let count = 0;
  for (const page of checked) {
    for (const { line, target } of links(readFileSync(join(root, page), "utf8"))) {
      count++;
      const why = brokenLink(page, target);
      if (why !== undefined) t.fail(`${page}:${line}: ${why}`);
    }
  }
  t.ok(count > 50, `${count} links checked`);
});

t.test("the README is a front door: at most 200 lines, leading to every page of docs/", async (t) => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const lines = readme.replace(/\n$/, "").split("\n").length;
  t.ok(lines <= 200, `README.md has ${lines} lines (at most 200)`);
  const linked = new Set(links(readme).map((l) => l.target.split("#")[0]));
  for (const page of readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md"))) {
    t.ok(linked.has(`docs/${page}`), `README.md links to docs/${page}`);
  }
  t.ok(linked.has("CONTRIBUTING.md"), "README.md links to CONTRIBUTING.md");
});

t.test("the package ships the documentation", async (t) => {
  const { files } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { files: string[] };
  t.ok(files.includes("README.md"), "README.md");
  t.ok(files.includes("docs"), "docs/ (node_modules/zmqlab/docs/)");
});

/** The kinds a generated table documents: the first cell's leading `kind` of each row between the markers. */
export function documentedKinds(markdown: string, table: string): string[] {
  const start = markdown.indexOf(`<!-- generated: ${table} -->`);
  const end = markdown.indexOf(`<!-- /generated: ${table} -->`);
  if (start < 0 || end < start) return [];
  return markdown
    .slice(start, end)
    .split("\n")
    .filter((row) => row.startsWith("| `"))
    .map((row) => /^\| `([a-zA-Z]+)/.exec(row)?.[1] ?? "");
}

t.test("the tables to be generated from the registries are marked, one row per kind", async (t) => {
  const expectations = documentedKinds(readFileSync(join(root, "docs/expectations.md"), "utf8"), "expectation-kinds");
  t.ok(expectations.length >= 10, `docs/expectations.md: ${expectations.join(", ")}`);
  t.equal(new Set(expectations).size, expectations.length, "each expectation kind once");
  const faults = documentedKinds(readFileSync(join(root, "docs/faults.md"), "utf8"), "fault-kinds");
  t.ok(faults.length >= 10, `docs/faults.md: ${faults.length} rows`);
  t.same(documentedKinds("no markers here", "fault-kinds"), [], "no markers, no table");
});

// Every registered kind is documented: the check joins here when the expectation and fault kinds
// register themselves (issue 20). It will compare the registries' kinds with documentedKinds() of
// docs/expectations.md ("expectation-kinds") and docs/faults.md ("fault-kinds"), both ways.
// That every registered kind is documented: test/unit/expect-registry.test.ts.
