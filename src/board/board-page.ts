/**
 * The release board's page: one self-contained HTML document (its style and script
 * inline, nothing fetched but the board's own event stream), so it works on a machine
 * with no network beyond the board. The script draws the board document (see
 * board-view.ts) with DOM calls and text nodes only: nothing read from Temporal is ever
 * parsed as HTML.
 */
export function boardPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gantry release board</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Release board</h1>
  <span id="meta"></span>
  <span id="connection" class="badge">connecting…</span>
</header>
<div id="problems" hidden></div>
<section>
  <h2>What runs where</h2>
  <table id="environments"><thead></thead><tbody></tbody></table>
  <p id="no-environments" class="empty" hidden>No service is deployed yet: environments appear with the first release that deploys there.</p>
</section>
<section>
  <h2>Releases in flight</h2>
  <table id="releases">
    <thead><tr><th>Release</th><th>Stage</th><th>Traffic</th><th>Waiting for</th><th>Started</th></tr></thead>
    <tbody></tbody>
  </table>
  <p id="no-releases" class="empty" hidden>No release is running.</p>
</section>
<section>
  <h2>Freezes and quarantines</h2>
  <ul id="freezes"></ul>
  <p id="no-freezes" class="empty" hidden>No freeze declared and no version in quarantine. Deploy windows per environment are in the table above.</p>
</section>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

const STYLE = `
:root { font-family: system-ui, sans-serif; color: #1d2330; background: #f6f7f9; }
body { margin: 0 auto; max-width: 1200px; padding: 1rem 1.5rem 3rem; }
header { display: flex; align-items: baseline; gap: 1rem; flex-wrap: wrap; }
h1 { font-size: 1.4rem; margin: 0.5rem 0; }
h2 { font-size: 1.05rem; margin: 1.6rem 0 0.5rem; }
#meta { color: #5a6275; font-size: 0.9rem; }
table { border-collapse: collapse; width: 100%; background: #fff; box-shadow: 0 1px 2px #0002; }
th, td { text-align: left; padding: 0.45rem 0.6rem; border-bottom: 1px solid #e3e6eb; vertical-align: top; font-size: 0.92rem; }
th { background: #eef0f4; font-weight: 600; }
.version { font-weight: 600; font-family: ui-monospace, monospace; }
.muted, .empty { color: #5a6275; font-size: 0.85rem; }
.badge { display: inline-block; border-radius: 0.7rem; padding: 0.05rem 0.55rem; font-size: 0.78rem; background: #e3e6eb; }
.open { background: #d7f2df; color: #14532d; }
.held { background: #fde9c4; color: #7a4a00; }
.refused, .offline { background: #fbd5d5; color: #7f1d1d; }
.live { background: #d7f2df; color: #14532d; }
.bar { position: relative; width: 14rem; height: 1rem; background: #cfe0fb; border-radius: 0.3rem; overflow: hidden; }
.bar > .canary { position: absolute; left: 0; top: 0; bottom: 0; background: #f59e0b; transition: width 0.4s; }
.bar > .label { position: absolute; inset: 0; font-size: 0.75rem; line-height: 1rem; text-align: center; }
#problems { background: #fbd5d5; color: #7f1d1d; padding: 0.5rem 0.8rem; margin: 0.5rem 0; border-radius: 0.3rem; }
a { color: #1d4ed8; }
li { margin: 0.3rem 0; }
`;

/** Plain browser JavaScript (no framework, nothing downloaded): the page's whole behaviour. */
const SCRIPT = `
'use strict';
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === 'class') node.className = v; else if (k.startsWith('data-')) node.setAttribute(k, String(v)); else node[k] = v;
  }
  for (const c of children) if (c !== undefined && c !== null) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}
const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');
const linked = (text, href) => (href ? el('a', { href, target: '_blank', rel: 'noopener' }, text) : el('span', {}, text));
const releaseName = (workflowId) => workflowId.replace(/^release\\//, '').replace('/', ' ');

function windowBadge(w) {
  const text = w.state === 'open' ? 'open' : w.state === 'unmanaged' ? 'no policy' : w.state === 'held' ? 'held' + (w.until ? ' until ' + when(w.until) : '') : 'refused';
  return el('span', { class: 'badge ' + w.state, title: w.reasons.join('; '), 'data-window': w.state }, text);
}

function drawEnvironments(view) {
  const head = $('environments').tHead, body = $('environments').tBodies[0];
  head.replaceChildren(el('tr', {}, el('th', {}, 'Service'), ...view.environments.map((e) => el('th', {}, e))));
  body.replaceChildren(...view.services.map((s) => {
    const cells = new Map(s.cells.map((c) => [c.environment, c]));
    return el('tr', { 'data-service': s.name }, el('th', {}, s.name), ...view.environments.map((e) => {
      const c = cells.get(e);
      if (!c) return el('td', { class: 'muted' }, '—');
      return el('td', { 'data-environment': e, 'data-version': c.running ? c.running.version : '' },
        c.running ? linked(c.running.version, c.running.link) : el('span', { class: 'muted' }, 'nothing deployed'),
        c.running ? el('div', { class: 'muted' }, 'since ' + when(c.running.since)) : undefined,
        c.deploying ? el('div', {}, 'deploying ', linked(releaseName(c.deploying.release), c.deploying.link)) : undefined,
        c.waiting.length ? el('div', { class: 'muted' }, 'waiting: ' + c.waiting.map(releaseName).join(', ')) : undefined,
        el('div', {}, windowBadge(c.window)),
        c.window.reasons.length ? el('div', { class: 'muted' }, c.window.reasons[0]) : undefined);
    }));
  }));
  $('no-environments').hidden = view.services.length > 0;
}

function traffic(r) {
  if (!r.rollout) return el('span', { class: 'muted' }, '—');
  const w = r.rollout.weights;
  const label = r.rollout.strategy === 'canary'
    ? 'canary ' + w.canary + ' % · stable ' + w.stable + ' %'
    : 'green ' + w.canary + ' % · blue ' + w.stable + ' %';
  const steps = r.rollout.step ? 'step ' + r.rollout.step + ' of ' + r.rollout.steps.length + ' (' + r.rollout.steps.join(' → ') + ' %)' : r.rollout.phase;
  return el('div', { class: 'traffic' },
    el('div', { class: 'bar', 'data-canary-weight': w.canary }, el('div', { class: 'canary', style: 'width:' + w.canary + '%' }), el('div', { class: 'label' }, label)),
    el('div', { class: 'muted' }, r.rollout.strategy + ': ' + steps),
    r.rollout.stoppedBy ? el('div', { class: 'muted' }, r.rollout.stoppedBy) : undefined);
}

function drawReleases(view) {
  $('releases').tBodies[0].replaceChildren(...view.inFlight.map((r) => el('tr', { 'data-release': r.workflowId, 'data-stage': r.stage },
    el('td', {}, linked(r.service + ' ' + r.version, r.link), el('div', { class: 'muted' }, 'by ' + r.author)),
    el('td', {}, r.stage),
    el('td', {}, traffic(r)),
    el('td', {}, r.hold || r.waitingFor || ''),
    el('td', { class: 'muted' }, when(r.startedAt)))));
  $('no-releases').hidden = view.inFlight.length > 0;
}

function drawFreezes(view) {
  $('freezes').replaceChildren(
    ...view.freezes.map((f) => el('li', { 'data-freeze': f.id }, el('span', { class: 'badge held' }, 'freeze ' + f.id), ' ' + f.scope + ': ' + f.reason + ' (by ' + f.by + ', since ' + when(f.declaredAt) + (f.until ? ', until ' + when(f.until) : ', until ended') + ')')),
    ...view.quarantined.map((q) => el('li', {}, el('span', { class: 'badge refused' }, 'quarantine'), ' ' + q.service + ' ' + q.version + ': ' + q.reason + ' (by ' + q.by + ')')));
  $('no-freezes').hidden = view.freezes.length + view.quarantined.length > 0;
}

function draw(view) {
  $('meta').textContent = 'task queue ' + view.taskQueue + (view.catalogue ? ' · catalogue ' + view.catalogue.slice(0, 19) + '…' : '') + ' · read ' + new Date(view.generatedAt).toLocaleTimeString();
  $('problems').hidden = view.problems.length === 0;
  $('problems').textContent = view.problems.length ? 'Not shown: ' + view.problems.join('; ') : '';
  drawEnvironments(view);
  drawReleases(view);
  drawFreezes(view);
  document.body.dataset.generatedAt = view.generatedAt;
}

function connection(text, state) {
  $('connection').textContent = text;
  $('connection').className = 'badge ' + state;
}

const events = new EventSource('events');
events.onopen = () => connection('live', 'live');
events.onmessage = (e) => {
  connection('live', 'live');
  draw(JSON.parse(e.data));
};
events.addEventListener('problem', (e) => connection('cannot read Temporal: ' + e.data, 'offline'));
events.onerror = () => connection('reconnecting…', 'offline');
`;
