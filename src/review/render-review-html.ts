import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { DoraFigures } from './dora';
import type { ReviewReport } from './review-report';
import { formatDuration } from '../shared/duration-text';
import { renderFigures } from './render-review';

/**
 * The review as one self-contained HTML file: Chart.js (its UMD build, read from the
 * installed package) and the report's JSON are inlined, so the file opens anywhere with
 * no network. Charts: deploys per month by service, the lead-time distribution, the
 * change failure rate per month, and deploys and failures per service. The tables carry
 * the same figures as the JSON, each cell marked with what it shows (`data-figure`).
 */
export function renderReviewHtml(report: ReviewReport): string {
  const charts = chartData(report);
  const data = JSON.stringify({ report, charts }).replace(/</g, '\\u003c');
  const o = report.dora.overall;
  const title = `Release review ${report.period.label}${report.service ? ` — ${report.service}` : ''}`;
  const chain = report.chain.intact
    ? `<p class="chain ok">The audit chain is intact (${report.chain.entries} entries, head <code>${report.chain.head}</code>).</p>`
    : `<p class="chain broken">WARNING: the audit chain does NOT verify: ${esc(report.chain.firstBad.problem)}. These figures come from a record that was changed.</p>`;
  const tile = (name: string, value: string, band: string | undefined, figure: string) =>
    `<div class="tile"><div class="name">${name}</div><div class="value" data-figure="${figure}">${esc(value)}</div><div class="band ${band ?? 'none'}">${band ?? 'no data'}</div></div>`;
  const c = report.compliance;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${esc(title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d2330; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.chain.ok { color: #216e39; } .chain.broken { color: #fff; background: #b42318; padding: 8px; font-weight: bold; }
.tiles { display: flex; gap: 12px; flex-wrap: wrap; }
.tile { border: 1px solid #d0d7de; border-radius: 6px; padding: 10px 14px; min-width: 180px; }
.tile .name { color: #57606a; } .tile .value { font-size: 22px; font-weight: 600; }
.band { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; color: #fff; background: #8c959f; }
.band.elite { background: #1a7f37; } .band.high { background: #2f81f7; } .band.medium { background: #bf8700; } .band.low { background: #cf222e; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; }
.chart { border: 1px solid #d0d7de; border-radius: 6px; padding: 8px; height: 280px; }
table { border-collapse: collapse; margin-top: 4px; } td, th { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
.empty { color: #57606a; }
</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p>${esc(report.period.since)} to ${esc(report.period.until)} · ${report.releases} release${report.releases === 1 ? '' : 's'} with a decision in it · made ${esc(report.generatedAt)}</p>
${chain}
${
  report.releases === 0
    ? '<p class="empty" id="nothing">Nothing happened in this period: no release, so no figures.</p>'
    : `<div class="tiles">
${tile('Deployment frequency', `${o.deployments} deploys · ${o.deploymentsPerDay.toFixed(2)}/day`, o.bands.deploymentFrequency, 'overall.deployments')}
${tile('Lead time (median)', duration(o.leadTime.medianMs), o.bands.leadTime, 'overall.leadTime')}
${tile('Change failure rate', percent(o.changeFailureRate), o.bands.changeFailureRate, 'overall.changeFailureRate')}
${tile('Recovery time (median)', duration(o.recovery.medianMs), o.bands.recoveryTime, 'overall.recovery')}
</div>
<h2>Trends</h2>
<div class="charts">
<div class="chart"><canvas id="deploys-per-month" aria-label="Deploys per month by service"></canvas></div>
<div class="chart"><canvas id="lead-time-distribution" aria-label="Lead time distribution"></canvas></div>
<div class="chart"><canvas id="failure-rate-per-month" aria-label="Change failure rate per month"></canvas></div>
<div class="chart"><canvas id="per-service" aria-label="Deploys and failures per service"></canvas></div>
</div>
<h2>Per service</h2>
${figuresTable(report.dora.services, 'service')}
<h2>Per month</h2>
${figuresTable(report.dora.months, 'month')}
<h2>Failed changes</h2>
${list(
  report.dora.failuresList.map(
    (f) => `${esc(f.release)}: ${esc(f.how)}${f.reason ? ` (${esc(f.reason)})` : ''} at ${esc(f.failedAt)}; ${f.recoveredAt ? `recovered in ${duration(f.recoveryMs)}` : 'not recovered in the record'}`,
  ),
)}`
}
<h2>Compliance</h2>
<h3>Releases in production without the approvals their policy required</h3>
${list(c.withoutRequiredApprovals.map((x) => `${esc(x.release)}: approved by ${esc(x.approvals.join(', ') || 'nobody')}; required ${esc(x.required)}${x.emergency ? `; emergency approved by ${esc(x.emergency)}` : ''}`))}
<h3>Gates passed by an exception</h3>
${list(c.exceptions.map((x) => `${esc(x.release)} ${esc(x.environment)}: ${esc(x.exception)} by ${esc(x.by)} at ${esc(x.at)}${x.ticket ? ` (${esc(x.ticket)})` : ''}: ${esc(x.reason)}; it passed ${esc(x.passed.join('; '))}`))}
<h3>Unsigned approvals where signatures were required</h3>
${list(c.unsignedApprovals.map((x) => `${esc(x.release)}: ${esc(x.by)} at ${esc(x.at)}`))}
<h3>Refused attempts</h3>
${list(c.refused.map((x) => `${esc(x.at)} ${esc(x.by)}: ${esc(x.what)} on ${esc(x.workflowId)}: ${esc(x.refusal)}`))}
<h3>Rollbacks</h3>
${list(c.rollbacks.map((x) => `${esc(x.release)} at ${esc(x.at)}: ${esc(x.how)}: ${esc(x.reason)}`))}
<script type="application/json" id="review-data">${data}</script>
<script>${chartJs()}</script>
<script>${DRAW_CHARTS}</script>
</body>
</html>
`;
}

/** What the charts plot, worked out here so the page only draws. */
export function chartData(report: ReviewReport) {
  const months = Object.keys(report.dora.months);
  const services = Object.keys(report.dora.services);
  const deploysPerMonth = services.map((service) => ({
    service,
    counts: months.map((month) => report.dora.deploymentsList.filter((d) => d.service === service && d.at.startsWith(month)).length),
  }));
  const buckets: [string, number][] = [
    ['< 1 hour', 3_600_000],
    ['1 hour – 1 day', 86_400_000],
    ['1 day – 1 week', 7 * 86_400_000],
    ['1 week – 1 month', 30 * 86_400_000],
    ['> 1 month', Infinity],
  ];
  const leadTimes = report.dora.deploymentsList.flatMap((d) => (d.leadTimeMs === undefined ? [] : [d.leadTimeMs]));
  const leadTimeDistribution = buckets.map(([label, limit], i) => ({
    label,
    count: leadTimes.filter((ms) => ms < limit && (i === 0 || ms >= buckets[i - 1][1])).length,
  }));
  return {
    months,
    services,
    deploysPerMonth,
    leadTimeDistribution,
    failureRatePerMonth: months.map((m) => (report.dora.months[m].changeFailureRate ?? 0) * 100),
    perService: services.map((s) => ({ service: s, deployments: report.dora.services[s].deployments, failures: report.dora.services[s].failures })),
  };
}

/** Runs in the page: draws the four charts from the inlined data, without animation, and says how many it drew. */
const DRAW_CHARTS = `
(function () {
  var data = JSON.parse(document.getElementById('review-data').textContent);
  var c = data.charts;
  var palette = ['#2f81f7', '#1a7f37', '#bf8700', '#cf222e', '#8250df', '#0a7ea4', '#d1242f', '#57606a'];
  var drawn = 0;
  function chart(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas || !window.Chart) return;
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    new window.Chart(canvas, config);
    drawn += 1;
  }
  chart('deploys-per-month', { type: 'bar', data: { labels: c.months, datasets: c.deploysPerMonth.map(function (s, i) { return { label: s.service, data: s.counts, backgroundColor: palette[i % palette.length] }; }) },
    options: { plugins: { title: { display: true, text: 'Deploys per month' } }, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } } });
  chart('lead-time-distribution', { type: 'bar', data: { labels: c.leadTimeDistribution.map(function (b) { return b.label; }), datasets: [{ label: 'releases', data: c.leadTimeDistribution.map(function (b) { return b.count; }), backgroundColor: '#2f81f7' }] },
    options: { plugins: { title: { display: true, text: 'Lead time for changes' }, legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } });
  chart('failure-rate-per-month', { type: 'line', data: { labels: c.months, datasets: [{ label: 'change failure rate %', data: c.failureRatePerMonth, borderColor: '#cf222e', backgroundColor: '#cf222e' }] },
    options: { plugins: { title: { display: true, text: 'Change failure rate per month (%)' } }, scales: { y: { beginAtZero: true, suggestedMax: 50 } } } });
  chart('per-service', { type: 'bar', data: { labels: c.perService.map(function (s) { return s.service; }), datasets: [
      { label: 'deploys', data: c.perService.map(function (s) { return s.deployments; }), backgroundColor: '#1a7f37' },
      { label: 'failed changes', data: c.perService.map(function (s) { return s.failures; }), backgroundColor: '#cf222e' }] },
    options: { plugins: { title: { display: true, text: 'Per service' } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } });
  window.gantryChartsDrawn = drawn;
})();
`;

/** Chart.js's UMD build from the installed package (its exports name no file; it sits beside the CommonJS entry). */
function chartJs(): string {
  const file = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  // A literal "</script" inside would end the inline script early.
  return readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
}

function figuresTable(rows: Record<string, DoraFigures>, key: string): string {
  const entries = Object.entries(rows);
  if (entries.length === 0) return '<p class="empty">none</p>';
  const head = `<tr><th>${key}</th><th>deploys</th><th>per day</th><th>lead time (median)</th><th>failure rate</th><th>recovery (median)</th><th>summary</th></tr>`;
  const body = entries
    .map(
      ([name, f]) =>
        `<tr data-${key}="${esc(name)}"><td>${esc(name)}</td><td data-figure="deployments">${f.deployments}</td><td>${f.deploymentsPerDay.toFixed(2)}</td>` +
        `<td data-figure="leadTimeMedianMs" data-ms="${f.leadTime.medianMs ?? ''}">${duration(f.leadTime.medianMs)}</td>` +
        `<td data-figure="failures" data-failures="${f.failures}" data-changes="${f.productionChanges}">${percent(f.changeFailureRate)} (${f.failures} of ${f.productionChanges})</td>` +
        `<td data-figure="recoveryMedianMs" data-ms="${f.recovery.medianMs ?? ''}">${duration(f.recovery.medianMs)}</td><td>${esc(renderFigures(f))}</td></tr>`,
    )
    .join('\n');
  return `<table>${head}\n${body}</table>`;
}

function list(items: string[]): string {
  return items.length ? `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>` : '<p class="empty">none</p>';
}

const percent = (rate: number | undefined) => (rate === undefined ? 'n/a' : `${(rate * 100).toFixed(1)} %`);
const duration = (ms: number | undefined) => (ms === undefined ? 'n/a' : formatDuration(Math.round(ms)));

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);
}
