// A repeat report as one self-contained page: each expectation's pass count against its quorum,
// every figure drawn as the runs' values on a line with its median and 95th percentile marked,
// and links to the failing runs' own reports. No scripts, no external resources.
import { dirname, relative } from "node:path";
import type { Distribution } from "../runs/figures.js";
import type { RepeatReport } from "../runs/repeat.js";
import { figure, quorumText, repeatVerdict, spread } from "./repeat-text.js";

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/**
 * One figure over the runs as a small SVG: a dot per run on a line from the smallest value to the
 * largest, the median (p50) and the 95th percentile as ticks, both ends labelled.
 */
export function stripChart(d: Distribution): string {
  const [w, h, left, right] = [420, 34, 56, 56];
  const span = d.max - d.min;
  const x = (v: number) => Math.round((span === 0 ? (left + w - right) / 2 : left + ((v - d.min) / span) * (w - left - right)) * 10) / 10;
  const dots = d.values.map((v) => `<circle cx="${x(v)}" cy="16" r="3.5" class="dot"><title>${esc(figure(v))}</title></circle>`).join("");
  const tick = (v: number, cls: string, label: string) => `<line x1="${x(v)}" y1="6" x2="${x(v)}" y2="26" class="${cls}"><title>${esc(`${label} ${figure(v)}`)}</title></line>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" class="strip">
<line x1="${left}" y1="16" x2="${w - right}" y2="16" stroke="#bbb"/>${tick(d.p50, "p50", "p50")}${tick(d.p95, "p95", "p95")}${dots}<text x="${left - 6}" y="20" text-anchor="end" class="small">${esc(figure(d.min))}</text><text x="${w - right + 6}" y="20" class="small">${esc(figure(d.max))}</text>
</svg>`;
}

function figureRows(figures: Record<string, Distribution>, runs: number, label: string): string {
  return Object.entries(figures)
    .map(
      ([name, d], i) =>
        `<tr>${i === 0 ? `<td rowspan="${Object.keys(figures).length}">${esc(label)}</td>` : ""}<td><code>${esc(name)}</code></td><td>${stripChart(d)}</td><td>${esc(spread(d, runs))}</td></tr>`,
    )
    .join("\n");
}

/** `file`: where the page is written, so that links to the runs' reports are relative to it. */
export function repeatHtml(report: RepeatReport, file = "repeat.html"): string {
  const runs = report.runs;
  const link = (path: string) => esc(relative(dirname(file), path) || path);
  const reportOf = (run: number) => report.results.find((r) => r.run === run)?.report;
  const runLink = (run: number) => {
    const files = reportOf(run);
    return files ? `<a href="${link(files.html ?? files.json)}">run ${run}</a>` : `run ${run}`;
  };
  const bar = (passed: number) => `<span class="bar"><span style="width:${Math.round((passed / runs) * 100)}%"></span></span>`;
  const rows = report.expectations
    .map(
      (e, i) =>
        `<tr class="${e.ok ? "pass" : "fail"}"><td><b>${e.ok ? "PASS" : "FAIL"}</b></td><td>${i + 1}</td><td>${esc(e.kind)}</td><td>${esc(e.description)}</td><td>${bar(e.passed)} ${e.passed}/${runs}</td><td>${esc(quorumText(e.quorum, runs))}</td><td>${e.failures.map((f) => `<div class="why">${runLink(f.run)}: ${esc(f.message)}</div>`).join("")}</td></tr>`,
    )
    .join("\n");
  const made = report.results.filter((r) => r.error === undefined).length;
  const checks = `<tr class="${report.checks.passed === made ? "pass" : "fail"}"><td><b>${report.checks.passed === made ? "PASS" : "FAIL"}</b></td><td></td><td>checks</td><td>zmqlab's own checks: every endpoint started, every fault ran</td><td>${bar(report.checks.passed)} ${report.checks.passed}/${runs}</td><td>every run</td><td>${report.checks.failures.map((f) => `<div class="why">${runLink(f.run)}: ${esc(f.message)}</div>`).join("")}</td></tr>`;
  const figures = [
    ...report.expectations.map((e, i) => figureRows(e.figures, runs, `${i + 1} ${e.kind}`)),
    ...Object.entries(report.endpoints).map(([name, f]) => figureRows(f, runs, `endpoint ${name}`)),
    figureRows(Object.fromEntries(Object.entries(report.routers).map(([r, d]) => [`${r} packets`, d])), runs, "routers"),
  ].filter(Boolean);
  const results = report.results
    .map(
      (r) =>
        `<tr class="${r.ok ? "pass" : "fail"}"><td>${runLink(r.run)}</td><td>${r.ok ? "held" : r.error !== undefined ? "could not be made" : "failed"}</td><td>${(r.durationMs / 1000).toFixed(1)} s</td><td>${esc(r.instance ?? "-")}</td><td>${r.error !== undefined ? `<span class="why">${esc(r.error.split("\n")[0])}</span>` : ""}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>zmqlab: ${esc(report.lab)}, ${runs} runs</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.verdict { display: inline-block; padding: 4px 10px; border-radius: 6px; color: #fff; font-weight: bold; } .ok { background: #2e7d32; } .bad { background: #c62828; }
table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: middle; } th { background: #f3f3f3; }
tr.pass td:first-child { color: #2e7d32; } tr.fail td:first-child { color: #c62828; } tr.fail { background: #fff3f3; }
.why { color: #c62828; font-size: 12px; } .small, svg text.small { font-size: 11px; fill: #333; }
.bar { display: inline-block; width: 80px; height: 8px; background: #f3c1c1; border-radius: 4px; vertical-align: middle; } .bar span { display: block; height: 8px; background: #2e7d32; border-radius: 4px; }
svg .dot { fill: #1f77b4; opacity: 0.6; } svg .p50 { stroke: #222; stroke-width: 2; } svg .p95 { stroke: #ff7f0e; stroke-width: 2; }
</style></head><body>
<h1>Lab ${esc(report.lab)}: ${runs} runs</h1>
<div>${esc(report.started)} · ${report.jobs} at once · ${(report.durationMs / 1000).toFixed(1)} s · an expectation must hold in ${esc(quorumText(report.quorum, runs))} · <span class="verdict ${report.ok ? "ok" : "bad"}">${esc(repeatVerdict(report))}</span></div>
<h2>Expectations</h2>
<table><tr><th></th><th>#</th><th>kind</th><th>expectation</th><th>held</th><th>quorum</th><th>failing runs</th></tr>
${rows}
${checks}
</table>
<h2>Figures over the runs</h2>
<p class="small">Each dot is a run; the black tick is the median (p50), the orange one the 95th percentile; the ends are the smallest and the largest value.</p>
<table><tr><th></th><th>figure</th><th>runs</th><th>min / p50 / p95 / max</th></tr>
${figures.join("\n")}
</table>
<h2>Runs</h2>
<table><tr><th>run</th><th>verdict</th><th>took</th><th>instance</th><th></th></tr>
${results}
</table>
</body></html>
`;
}
