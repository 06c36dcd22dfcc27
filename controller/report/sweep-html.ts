// A sweep as one self-contained page: the matrix as a heat map (held green, failed red, a cell
// that differs from the baseline outlined and marked), below it every cell's reason as plain text
// (nothing hides behind a hover), the flows that moved and each receiver's outage, and a link to
// every run's own report. No scripts, no external resources.
import { dirname, relative } from "node:path";
import type { SweepReport, SweepRow } from "../runs/sweep.js";
import { cellText, columnName, movedText, outageText, sweepVerdict } from "./sweep-text.js";

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** The id of a row's section below the matrix. */
const anchor = (i: number) => `run-${i}`;

/** `file`: where the page is written, so that links to the runs' reports are relative to it. */
export function sweepHtml(report: SweepReport, file = "sweep.html"): string {
  const rows = [report.baseline, ...report.failures];
  const link = (path: string) => esc(relative(dirname(file), path) || path);
  const reportLink = (row: SweepRow) => (row.report ? `<a href="${link(row.report.html ?? row.report.json)}">report</a>` : "");
  const head = report.columns.map((c, i) => `<th title="${esc(c.description)}">${esc(columnName(report, i))}</th>`).join("");
  const matrix = rows
    .map((row, r) => {
      const cells = report.columns
        .map((_, i) => {
          const cell = row.cells[i];
          if (!cell) return `<td class="none">-</td>`;
          return `<td class="${cell.ok ? "held" : "failed"}${cell.differs ? " differs" : ""}">${esc(cellText(row, i))}</td>`;
        })
        .join("");
      return `<tr><th class="row"><a href="#${anchor(r)}">${esc(row.failure)}</a></th>${cells}<td class="small">${reportLink(row)}</td></tr>`;
    })
    .join("\n");
  const legend = report.columns.map((c, i) => `<li><b>${esc(columnName(report, i))}</b> ${c.kind === "checks" ? "" : `<code>${esc(c.kind)}</code> `}${esc(c.description)}</li>`).join("");
  const sections = rows
    .map((row, r) => {
      if (row.error !== undefined) return `<h3 id="${anchor(r)}">${esc(row.failure)}</h3><p class="why">could not be made: ${esc(row.error)}</p>`;
      const reasons = report.columns
        .map((c, i) => {
          const cell = row.cells[i]!;
          const mark = cell.differs ? (cell.ok ? " (mended: failed in the baseline)" : " (broke: held in the baseline)") : "";
          return `<li class="${cell.ok ? "ok" : "bad"}"><b>${esc(columnName(report, i))} ${cell.ok ? "held" : "FAILED"}</b>${esc(mark)}: ${esc(cell.message)}</li>`;
        })
        .join("");
      const flows = row.flows.length
        ? `<p>Flows that moved (by the routers' counters, from the sweep on):</p><ul>${row.flows.map((f) => `<li>${esc(movedText(f))}</li>`).join("")}</ul>`
        : row === report.baseline
          ? ""
          : "<p>No flow moved.</p>";
      const receivers = row.receivers.length
        ? `<table><tr><th>receiver</th><th>outage after the sweep</th><th>back after</th><th>lost</th><th>received</th></tr>${row.receivers.map((x) => `<tr><td>${esc(x.endpoint)}</td><td>${esc(outageText(x.outageMs))}</td><td>${x.recoveredAfterMs === null ? "never" : `${Math.round(x.recoveredAfterMs)} ms`}</td><td>${x.lost}</td><td>${x.received}</td></tr>`).join("")}</table>`
        : "";
      return `<h3 id="${anchor(r)}">${esc(row.failure)}${row.ok ? "" : ' <span class="bad">breaks the baseline</span>'}</h3>
<p class="small">${row.instance ? `instance ${esc(row.instance)} · ` : ""}${(row.durationMs / 1000).toFixed(1)} s${row.report ? ` · ${reportLink(row)}` : ""}</p>
<ul class="reasons">${reasons}</ul>
${flows}${receivers}`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>zmqlab sweep: ${esc(report.lab)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; } h3 { font-size: 15px; margin: 20px 0 4px; }
.verdict { display: inline-block; padding: 4px 10px; border-radius: 6px; color: #fff; font-weight: bold; } .ok-v { background: #2e7d32; } .bad-v { background: #c62828; }
table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 4px 8px; text-align: left; } th { background: #f3f3f3; }
table.matrix td { text-align: center; min-width: 44px; font-weight: bold; } th.row { text-align: left; font-weight: normal; }
td.held { background: #c8e6c9; color: #1b5e20; } td.failed { background: #ef9a9a; color: #7f0000; } td.none { background: #eee; }
td.differs { outline: 3px solid #222; outline-offset: -3px; }
.small { font-size: 12px; color: #555; } .why, .bad { color: #c62828; } li.ok { color: #1b5e20; } li.bad { color: #c62828; } ul.reasons { margin: 4px 0; }
</style></head><body>
<h1>Sweep of lab ${esc(report.lab)}</h1>
<div>${esc(report.started)} · the baseline and ${report.failures.length}${report.k === 2 ? " pairs of" : ""} failures${report.sampled ? ` (${report.failures.length} of ${report.sampled.of}, seed ${report.sampled.seed})` : ""}, each at ${report.at} ms${report.restore !== undefined ? `, undone ${report.restore} ms later` : ""} · ${report.jobs} at once · ${(report.durationMs / 1000).toFixed(1)} s · <span class="verdict ${report.ok ? "ok-v" : "bad-v"}">${esc(sweepVerdict(report))}</span></div>
<h2>Matrix</h2>
<p class="small">Rows are failures, columns the lab's expectations; green held, red failed; an outlined cell with * differs from the baseline (either way).</p>
<table class="matrix"><tr><th></th>${head}<th></th></tr>
${matrix}
</table>
<ol class="small" style="list-style:none;padding-left:0">${legend}</ol>
${report.skipped.length ? `<h2>Skipped</h2><ul>${report.skipped.map((s) => `<li>${esc(s.failure)}: ${esc(s.why)}</li>`).join("")}</ul>` : ""}
<h2>Each run</h2>
${sections}
</body></html>
`;
}
