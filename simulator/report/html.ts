import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ActivityRecord } from '../../core/autoscaling/index.js';
import type { RunResult } from '../run.js';
import type { Columns } from './series.js';
import type { Summary } from './summary.js';
import type { Replications } from '../replications.js';

const require = createRequire(import.meta.url);

/** uPlot's minified build and stylesheet, inlined so the page needs no network when viewed. */
function uplotAssets(): { js: string; css: string } {
  const js = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  if (/<\/script/i.test(js)) throw new Error('uPlot bundle contains </script>; cannot inline it');
  return { js, css };
}

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** 1234567.891 -> "1,234,567.89": fixed format, no locale involved (reports must be byte-identical). */
export function group(v: number): string {
  const neg = v < 0;
  const [i, f] = (Math.round(Math.abs(v) * 100) / 100).toString().split('.');
  const int = i.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${neg ? '-' : ''}${int}${f ? `.${f}` : ''}`;
}

/** JSON safe to put inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2733;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.sub{color:#5b6b7c;margin-bottom:16px}
.cards{display:flex;flex-wrap:wrap;gap:10px}
.card{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:8px 12px;min-width:150px}
.card b{display:block;font-size:18px}.card span{color:#5b6b7c;font-size:12px}
.chart{background:#fff;border:1px solid #dde3ea;border-radius:6px;padding:8px;margin:10px 0}
.chart h3{font-size:14px;margin:2px 4px 6px}
table{border-collapse:collapse;background:#fff;font-size:13px}
th,td{border:1px solid #dde3ea;padding:4px 8px;text-align:right;vertical-align:top}
th{background:#f0f3f6}td.l,th.l{text-align:left}
.err{color:#b00020;font-weight:bold}
.note{color:#5b6b7c;font-size:12px;max-width:1100px}
`;

function page(title: string, body: string, script: string): string {
  const { js, css } = uplotAssets();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${css}</style>
<style>${STYLE}</style>
</head>
<body>
${body}
<script>${js}</script>
<script>
"use strict";
window.__chartsRendered = 0;
window.addEventListener('error', function (e) { var d = document.getElementById('errors'); if (d) d.textContent = 'Error: ' + e.message; });
${script}
</script>
</body>
</html>
`;
}

/** Averages a per-second series into buckets of `step` seconds (nulls skipped), for long runs. */
function downsample(values: (number | string | null)[], step: number, how: 'mean' | 'max' | 'last'): (number | null)[] {
  if (step === 1) return values.map((v) => (typeof v === 'number' ? v : null));
  const out: (number | null)[] = [];
  for (let i = 0; i < values.length; i += step) {
    let s = 0;
    let n = 0;
    let mx = -Infinity;
    let last: number | null = null;
    for (let j = i; j < Math.min(values.length, i + step); j++) {
      const v = values[j];
      if (typeof v !== 'number') continue;
      s += v;
      n++;
      mx = Math.max(mx, v);
      last = v;
    }
    out.push(n === 0 ? null : how === 'mean' ? Math.round((s / n) * 1000) / 1000 : how === 'max' ? mx : last);
  }
  return out;
}

export function runHtml(r: RunResult, summary: Summary, sec: Columns, min: Columns, replications?: Replications): string {
  const sc = r.scenario;
  const n = sec.second.length;
  const step = Math.max(1, Math.ceil(n / 7200));
  const x = downsample(sec.second, step, 'mean').map((v, i) => Math.round(((i * step) / 60) * 10000) / 10000);
  const perMinuteAt = (col: string) => {
    const out: (number | null)[] = [];
    for (let i = 0; i < x.length; i++) {
      const k = Math.floor((i * step) / 60);
      const v = min[col][k];
      out.push(typeof v === 'number' ? v : null);
    }
    return out;
  };
  const data = {
    x,
    step,
    users: downsample(sec.users, step, 'mean'),
    hits: downsample(sec.hits, step, 'mean'),
    avgLat: downsample(sec.avg_latency_ms, step, 'mean'),
    p95: perMinuteAt('latency_p95_ms'),
    p99: perMinuteAt('latency_p99_ms'),
    inService: downsample(sec.in_service, step, 'last'),
    desired: downsample(sec.desired, step, 'last'),
    pending: downsample(sec.pending, step, 'last'),
    cpu: downsample(sec.cpu_per_instance_pct, step, 'mean'),
    cpuMax: perMinuteAt('cpu_max_pct'),
    cpuMin: perMinuteAt('cpu_min_pct'),
    errors: downsample(sec.errors, step, 'mean'),
    timeouts: downsample(sec.timeouts, step, 'mean'),
    maxCpu: sc.serving.instance.vcpu * 100,
  };
  const s = summary;
  const fmt = (v: number | null | undefined, unit = '') => (v === null || v === undefined ? '–' : `${group(v)}${unit}`);
  const card = (label: string, value: string) => `<div class="card"><b>${esc(value)}</b><span>${esc(label)}</span></div>`;
  const cards = [
    card('requests sent', fmt(s.requests.sent)),
    card('average throughput', fmt(s.throughput.averagePerSecond, ' req/s')),
    card('peak throughput', fmt(s.throughput.peakPerSecond, ' req/s')),
    card('latency p50', fmt(s.latencyMs.p50, ' ms')),
    card('latency p95', fmt(s.latencyMs.p95, ' ms')),
    card('latency p99', fmt(s.latencyMs.p99, ' ms')),
    card('errors (timeouts)', `${fmt(s.requests.errors)} (${fmt(s.requests.timeouts)})`),
    card('instances: max in service', `${fmt(s.instances.maxInService)} (desired ${fmt(s.instances.maxDesired)})`),
    card('instance-minutes', fmt(s.instances.instanceMinutes)),
    card(`cost at $${s.instances.pricePerHour}/h`, `$${fmt(s.instances.cost)}`),
    card('CPU per instance, average', fmt(s.cpuPerInstancePercent.average, ` % of ${s.cpuPerInstancePercent.maxPossible}`)),
    card('scale-outs / scale-ins', `${s.scaling.scaleOuts} / ${s.scaling.scaleIns}`),
    card('time to scale (mean)', fmt(s.scaling.timeToScaleSeconds.mean, ' s')),
    ...(s.slo.met === null ? [] : [card('SLO', s.slo.met ? 'met' : `violated ${s.slo.minutesViolated} min`)]),
  ].join('');
  const phaseRows = s.phases
    .map(
      (p) =>
        `<tr><td class="l">${esc(p.name)}</td><td>${fmt(p.startSeconds / 60)}</td><td>${fmt(p.durationSeconds / 60)}</td><td>${fmt(p.sent)}</td><td>${fmt(p.ok)}</td><td>${fmt(p.errors)}</td><td>${fmt(p.throughputPerSecond)}</td><td>${fmt(p.latencyMs.mean)}</td><td>${fmt(p.latencyMs.p50)}</td><td>${fmt(p.latencyMs.p95)}</td><td>${fmt(p.latencyMs.p99)}</td></tr>`,
    )
    .join('');
  const pct = (v: number | null) => (v === null ? '–' : `${group(Math.round(v * 1000) / 10)} %`);
  const stageRows = s.stages
    .map(
      (st) =>
        `<tr><td class="l">${esc(st.name)}</td><td>${fmt(st.meanMs)}</td><td>${pct(st.shareOfRoundTrip)}</td><td>${fmt(st.meanWaitMs)}</td><td>${fmt(st.meanInStage)}</td><td>${pct(st.utilisation)}</td></tr>`,
    )
    .join('');
  const rel = (t: number) => fmt((t - sc.startMs) / 60_000);
  const actRows = (list: ActivityRecord[]) =>
    list
      .map(
        (a) =>
          `<tr><td>${rel(a.StartTime)}</td><td>${a.EndTime === undefined ? '–' : rel(a.EndTime)}</td><td class="l">${esc(a.StatusCode)}</td><td class="l">${esc(a.Description)}</td><td class="l">${esc(a.Cause)}</td><td class="l">${esc(a.NotScaledReasons?.map((x) => x.Code).join(', ') ?? (a.StatusCode === 'Failed' ? (a.StatusMessage ?? '') : ''))}</td></tr>`,
      )
      .join('');
  const allActs = [...r.activities, ...r.notScaled].sort((a, b) => a.StartTime - b.StartTime);
  const alarmRows = r.alarmHistory
    .map((h) => `<tr><td>${rel(h.at)}</td><td class="l">${esc(h.AlarmName)}</td><td class="l">${esc(h.state)}</td><td class="l">${esc(h.reason)}</td></tr>`)
    .join('');
  const serving = sc.serving;
  const body = `
<h1>${esc(sc.name)}</h1>
<div class="sub">${esc(sc.description)}</div>
<div class="sub">${esc(serving.instance.name)} (${serving.instance.vcpu} vCPU, ${serving.instance.memoryGiB} GiB), concurrency ${serving.concurrency} per instance,
service time ${esc(serving.serviceTime.describe())}, warm-up ${esc(serving.warmup.describe())}, routing ${esc(serving.routing)};
outside the instances: client overhead ${esc(sc.path.client.overhead.describe())}${Number.isFinite(sc.path.client.concurrency) ? ` on ${sc.path.client.concurrency} servers` : ''}, network round trip ${esc(sc.path.network.latency.describe())}, gateway ${esc(sc.path.gateway.latency.describe())}${sc.path.gateway.throttle ? `, throttle ${sc.path.gateway.throttle.ratePerSecond} req/s (burst ${sc.path.gateway.throttle.burst})` : ''};
${fmt(sc.durationMs / 60_000)} minutes from ${esc(new Date(sc.startMs).toISOString())}, seed ${sc.seed}.</div>
<div id="errors" class="err"></div>
<div class="cards">${cards}</div>
<h2>Over time</h2>
<div class="note">x axis: minutes since the start.${step > 1 ? ` Per-second series shown as ${step}-second averages.` : ''} Percentiles and CPU min/max are per minute (CloudWatch periods).</div>
<div class="chart"><h3>Virtual users and hits per second</h3><div id="c-load"></div></div>
<div class="chart"><h3>Response time (ms)</h3><div id="c-lat"></div></div>
<div class="chart"><h3>Instances</h3><div id="c-inst"></div></div>
<div class="chart"><h3>CPU per instance (% summed over cores, max ${data.maxCpu})</h3><div id="c-cpu"></div></div>
<div class="chart"><h3>Errors per second</h3><div id="c-err"></div></div>
${
  replications
    ? `<h2>Across ${replications.seeds.length} replications</h2>
<div class="note">Seeds ${replications.seeds[0]} to ${replications.seeds[replications.seeds.length - 1]}; each figure is the mean over replications with its 95 % confidence interval (Student's t). The charts and tables below are seed ${replications.seeds[0]}'s.</div>
<table><tr><th class="l">figure</th><th>mean</th><th>95 % interval</th></tr>${Object.entries(replications.intervals)
        .map(([k, i]) => `<tr><td class="l">${esc(k)}</td><td>${fmt(i.mean)}</td><td>${i.low === null ? '–' : `${group(i.low)} – ${group(i.high!)}`}</td></tr>`)
        .join('')}</table>`
    : ''
}
<h2>Where the time goes</h2>
<div class="note">Each stage of a round trip: mean time per request (wait + service), its share of the mean round trip (${fmt(s.latencyMs.mean)} ms over all outcomes may differ slightly from the OK mean), mean wait for a server, requests in the stage on average, and utilisation of the stage's servers (none for a pure delay).</div>
<table><tr><th class="l">stage</th><th>mean ms</th><th>share of round trip</th><th>wait ms</th><th>in stage (mean)</th><th>utilisation</th></tr>${stageRows}</table>
<h2>Phases</h2>
<table><tr><th class="l">phase</th><th>start (min)</th><th>length (min)</th><th>sent</th><th>ok</th><th>errors</th><th>req/s</th><th>mean ms</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr>${phaseRows}</table>
<h2>Scaling activities</h2>
${allActs.length ? `<table><tr><th>start (min)</th><th>end (min)</th><th class="l">status</th><th class="l">description</th><th class="l">cause</th><th class="l">not scaled / refusal</th></tr>${actRows(allActs)}</table>` : '<div class="note">None.</div>'}
<h2>Alarm state changes</h2>
${alarmRows ? `<table><tr><th>at (min)</th><th class="l">alarm</th><th class="l">state</th><th class="l">reason (state changes, and actions SageMaker refused)</th></tr>${alarmRows}</table>` : '<div class="note">No alarms.</div>'}
<p class="note">Generated by localsage simulate. Files next to this page: summary.json, per-second.csv/json, per-minute.csv/json, scaling-activities.json, alarms.json.</p>
`;
  const script = `
var D = ${scriptJson(data)};
function width() { return Math.max(600, Math.min(1300, document.documentElement.clientWidth - 70)); }
function mins(u, vals) { return vals.map(function (v) { return v + ' min'; }); }
function fromZero(u, min, max) { return [0, max > 0 ? max * 1.08 : 1]; }
function mk(id, series, data, axes, scales) {
  var sc = { x: { time: false }, y: { range: fromZero } };
  for (var k in (scales || {})) sc[k] = scales[k];
  var opts = {
    width: width(), height: 260,
    scales: sc,
    series: [{ label: 'minute' }].concat(series),
    axes: [{ values: mins, label: '' }].concat(axes),
    legend: { live: true },
    cursor: { drag: { x: true, y: false } }
  };
  var u = new uPlot(opts, [D.x].concat(data), document.getElementById(id));
  window.__chartsRendered++;
  return u;
}
var stepped = uPlot.paths && uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
mk('c-load', [
  { label: 'users', stroke: '#1f77b4', width: 2, scale: 'u' },
  { label: 'hits/s', stroke: '#2ca02c', width: 1, scale: 'h' }
], [D.users, D.hits], [
  { scale: 'u', label: 'users', stroke: '#1f77b4' },
  { scale: 'h', side: 1, label: 'hits/s', stroke: '#2ca02c', grid: { show: false } }
], { u: { range: fromZero }, h: { range: fromZero } });
mk('c-lat', [
  { label: 'average', stroke: '#1f77b4', width: 1 },
  { label: 'p95 (minute)', stroke: '#ff7f0e', width: 2, paths: stepped },
  { label: 'p99 (minute)', stroke: '#d62728', width: 2, paths: stepped }
], [D.avgLat, D.p95, D.p99], [{ label: 'ms' }]);
mk('c-inst', [
  { label: 'in service', stroke: '#2ca02c', width: 2, paths: stepped },
  { label: 'desired', stroke: '#9467bd', width: 2, dash: [6, 4], paths: stepped },
  { label: 'warming up', stroke: '#ff7f0e', width: 1, paths: stepped }
], [D.inService, D.desired, D.pending], [{ label: 'instances', incrs: [1, 2, 5, 10, 20, 50, 100] }]);
mk('c-cpu', [
  { label: 'average (per second)', stroke: '#1f77b4', width: 1 },
  { label: 'max instance (minute)', stroke: '#d62728', width: 2, paths: stepped },
  { label: 'min instance (minute)', stroke: '#8c8c8c', width: 2, paths: stepped }
], [D.cpu, D.cpuMax, D.cpuMin], [{ label: '%' }], { y: { range: [0, D.maxCpu * 1.1] } });
mk('c-err', [
  { label: 'errors/s', stroke: '#d62728', width: 1 },
  { label: 'timeouts/s', stroke: '#8c564b', width: 1 }
], [D.errors, D.timeouts], [{ label: 'per second' }]);
`;
  return page(`${sc.name} — localsage simulate`, body, script);
}

export interface SweepRow {
  index: number;
  values: Record<string, unknown>;
  summary: Summary;
  dir: string;
  /** With --replications: the headline figures over seeds. */
  replications?: Replications;
}

/** The sweep's comparison page: a table and cost against p99 latency (an SVG scatter). */
export function sweepHtml(name: string, paths: string[], rows: SweepRow[]): string {
  const pts = rows.filter((r) => r.summary.instances.cost !== null && r.summary.latencyMs.p99 !== null);
  const W = 900;
  const H = 460;
  const pad = { l: 70, r: 20, t: 20, b: 50 };
  const xs = pts.map((r) => r.summary.instances.cost!);
  const ys = pts.map((r) => r.summary.latencyMs.p99!);
  const range = (v: number[]) => {
    let lo = Math.min(...v);
    let hi = Math.max(...v);
    if (!(hi > lo)) {
      lo = lo * 0.9 - 1e-9;
      hi = hi * 1.1 + 1e-9;
    }
    const m = (hi - lo) * 0.08;
    return [Math.max(0, lo - m), hi + m] as const;
  };
  const [x0, x1] = pts.length ? range(xs) : [0, 1];
  const [y0, y1] = pts.length ? range(ys) : [0, 1];
  const X = (v: number) => pad.l + ((v - x0) / (x1 - x0)) * (W - pad.l - pad.r);
  const Y = (v: number) => H - pad.b - ((v - y0) / (y1 - y0)) * (H - pad.t - pad.b);
  // Pareto front: no other run is both cheaper and faster.
  const pareto = new Set(pts.filter((a) => !pts.some((b) => b !== a && b.summary.instances.cost! <= a.summary.instances.cost! && b.summary.latencyMs.p99! <= a.summary.latencyMs.p99! && (b.summary.instances.cost! < a.summary.instances.cost! || b.summary.latencyMs.p99! < a.summary.latencyMs.p99!))).map((r) => r.index));
  const ticks = (lo: number, hi: number) => Array.from({ length: 6 }, (_, i) => lo + ((hi - lo) * i) / 5);
  const num = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
  const svg = `<svg id="sweep-chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui,sans-serif" font-size="12">
<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>
${ticks(x0, x1).map((v) => `<line x1="${X(v)}" y1="${pad.t}" x2="${X(v)}" y2="${H - pad.b}" stroke="#eee"/><text x="${X(v)}" y="${H - pad.b + 16}" text-anchor="middle" fill="#444">$${num(v)}</text>`).join('')}
${ticks(y0, y1).map((v) => `<line x1="${pad.l}" y1="${Y(v)}" x2="${W - pad.r}" y2="${Y(v)}" stroke="#eee"/><text x="${pad.l - 6}" y="${Y(v) + 4}" text-anchor="end" fill="#444">${num(v)}</text>`).join('')}
<line x1="${pad.l}" y1="${H - pad.b}" x2="${W - pad.r}" y2="${H - pad.b}" stroke="#333"/><line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${H - pad.b}" stroke="#333"/>
<text x="${(W + pad.l) / 2}" y="${H - 12}" text-anchor="middle" fill="#222">cost (USD)</text>
<text transform="translate(16 ${(H - pad.b + pad.t) / 2}) rotate(-90)" text-anchor="middle" fill="#222">p99 latency (ms)</text>
${pts
  .map(
    (r) =>
      `<g><circle cx="${X(r.summary.instances.cost!)}" cy="${Y(r.summary.latencyMs.p99!)}" r="6" fill="${pareto.has(r.index) ? '#d62728' : '#1f77b4'}" fill-opacity="0.8"><title>${esc(
        `#${r.index} ${Object.entries(r.values).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}: $${r.summary.instances.cost}, p99 ${r.summary.latencyMs.p99} ms`,
      )}</title></circle><text x="${X(r.summary.instances.cost!) + 8}" y="${Y(r.summary.latencyMs.p99!) - 6}" fill="#333">#${r.index}</text></g>`,
  )
  .join('\n')}
</svg>`;
  const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '–' : group(v));
  const table = `<table><tr><th>#</th>${paths.map((p) => `<th class="l">${esc(p)}</th>`).join('')}<th>cost $</th><th>instance-min</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>req/s</th><th>errors</th><th>max in service</th><th>SLO violated (min)</th><th class="l">report</th></tr>
${rows
  .map(
    (r) =>
      `<tr${pareto.has(r.index) ? ' style="background:#fff4f4"' : ''}><td>${r.index}</td>${paths.map((p) => `<td class="l">${esc(JSON.stringify(r.values[p]))}</td>`).join('')}<td>${fmt(r.summary.instances.cost)}</td><td>${fmt(r.summary.instances.instanceMinutes)}</td><td>${fmt(r.summary.latencyMs.p50)}</td><td>${fmt(r.summary.latencyMs.p95)}</td><td>${fmt(r.summary.latencyMs.p99)}</td><td>${fmt(r.summary.throughput.averagePerSecond)}</td><td>${fmt(r.summary.requests.errors)}</td><td>${fmt(r.summary.instances.maxInService)}</td><td>${r.summary.slo.met === null ? '–' : r.summary.slo.minutesViolated}</td><td class="l"><a href="${esc(r.dir)}/index.html">${esc(r.dir)}</a></td></tr>`,
  )
  .join('\n')}</table>`;
  const body = `<h1>${esc(name)} — sweep</h1>
<div class="sub">${rows.length} runs over ${paths.map(esc).join(' × ')}. Red: Pareto front (no other run is both cheaper and has a lower p99).</div>
<div id="errors" class="err"></div>
<div class="chart"><h3>Cost against p99 latency</h3>${svg}</div>
<h2>Runs</h2>${table}`;
  const script = `var svg = document.getElementById('sweep-chart'); if (svg && svg.getBoundingClientRect().width > 0) window.__chartsRendered++;`;
  return page(`${name} sweep — localsage simulate`, body, script);
}
