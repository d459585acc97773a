// Small helpers shared by the dashboard's pages: DOM building, the API call, formatting, charts.

/** h('div', { class: 'x', onclick }, ...children): children may be strings, nodes, arrays or null. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

/** Replaces el's children; null/false children are skipped (replaceChildren would print "null"). */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

/** An operation the emulator does not serve (yet): the page shows a "not available" panel. */
export class NotAvailable extends Error {}

/** Calls a service operation through the dashboard's API: the same handler the AWS protocol runs. */
export async function api(service, operation, input = {}) {
  const res = await fetch(`/_localsage/api/${service}/${operation}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(input),
  });
  const { status, body } = await res.json();
  if (status === 200) return body;
  const type = body?.__type ?? '';
  const message = body?.message ?? body?.Message ?? type;
  if (status === 501 || /UnknownOperation|NotImplemented/.test(type)) throw new NotAvailable(`${operation}: ${message}`);
  const err = new Error(`${operation}: ${type} ${message}`);
  err.code = type;
  throw err;
}

/** Every page of a paginated List* operation. */
export async function listAll(service, operation, input, itemsKey, max = 20) {
  const out = [];
  const tokenKey = service === 'logs' ? 'nextToken' : 'NextToken'; // CloudWatch Logs spells it so
  let token;
  for (let i = 0; i < max; i++) {
    const page = await api(service, operation, { ...input, ...(token ? { [tokenKey]: token } : {}) });
    out.push(...(page[itemsKey] ?? []));
    token = page[tokenKey];
    if (!token) break;
  }
  return out;
}

/** A panel that says plainly what is not available, and why. */
export function notAvailable(title, err) {
  return h('div', { class: 'panel na', 'data-na': title }, h('h2', null, title), h('strong', null, 'Not available: '), err.message,
    h('div', { class: 'muted' }, 'This page fills in when the emulator serves the operation.'));
}

/** Renders into `panel` what `load` returns; a NotAvailable or other error becomes a clear panel. */
export async function section(panel, title, load) {
  try {
    const content = await load();
    fill(panel, h('h2', null, title), content);
    panel.className = 'panel';
  } catch (e) {
    if (e instanceof NotAvailable) panel.replaceWith(Object.assign(notAvailable(title, e), { id: panel.id }));
    else fill(panel, h('h2', null, title), h('div', { class: 'error' }, String(e.message ?? e)));
  }
}

/** The emulator's time in ms: under --clock-scale it runs ahead of the browser's clock. */
export async function emulatorNow() {
  return (await (await fetch('/_localsage/api/now')).json()).now;
}

/** AWS JSON timestamps are epoch seconds; some services answer ISO strings. */
export function toDate(t) {
  if (t === undefined || t === null) return undefined;
  return typeof t === 'number' ? new Date(t * 1000) : new Date(t);
}

export function fmtTime(t) {
  const d = toDate(t);
  return d ? d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–';
}

export function fmtDuration(ms) {
  if (!(ms >= 0)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function fmtNum(v) {
  if (v === undefined || v === null || Number.isNaN(v)) return '–';
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? String(Math.round(v * 1000) / 1000) : v.toPrecision(5);
}

export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  const u = ['KiB', 'MiB', 'GiB', 'TiB'];
  let i = -1;
  do {
    n /= 1024;
    i++;
  } while (n >= 1024 && i < u.length - 1);
  return `${n.toFixed(1)} ${u[i]}`;
}

export const badge = (s) => h('span', { class: `badge ${s ?? ''}` }, s ?? '–');

export function table(headers, rows) {
  return h('table', null,
    h('thead', null, h('tr', null, headers.map((x) => h('th', { class: x.num ? 'num' : null }, x.label ?? x)))),
    h('tbody', null, rows.length ? rows.map((r) => h('tr', null, r.map((c, i) => h('td', { class: headers[i]?.num ? 'num' : null }, c))))
      : h('tr', null, h('td', { colspan: headers.length, class: 'muted' }, 'none'))));
}

/** The console link of an s3:// URI: the S3 page of its folder, and a download of the object. */
export function s3Link(uri) {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri ?? '');
  if (!m) return uri ?? '–';
  const [, bucket, key] = m;
  const folder = key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '';
  return h('span', null,
    h('a', { href: `#/s3/${encodeURIComponent(bucket)}?prefix=${encodeURIComponent(folder)}` }, uri), ' ',
    key && !key.endsWith('/') ? h('a', { href: objectUrl(bucket, key), download: key.split('/').pop() }, '⇩ download') : null);
}

export const objectUrl = (bucket, key) => `/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;

/** 2100000 -> 2.1M, 0.000123 -> 1.23e-4: axis labels that fit. */
function compact(v) {
  if (v === null || v === undefined) return '';
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toPrecision(3)}G`;
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a !== 0 && a < 1e-3) return v.toExponential(1);
  return String(+v.toPrecision(4));
}

const PALETTE = ['#1f6feb', '#cf222e', '#1a7f37', '#9a6700', '#8250df', '#bf3989', '#0a7ea4'];

/**
 * A uPlot chart that can grow: `chart.set(x, ...ys)` replaces its data. `time` gives a time x-axis
 * (x in seconds). Width follows the container.
 */
export function lineChart(container, { title, series, time = false, xLabel, stepped = false, points = false, height = 220, categories }) {
  const box = h('div', { class: 'chart' }, title ? h('div', { class: 'chart-title' }, title) : null);
  container.append(box);
  const width = () => Math.max(240, box.clientWidth || container.clientWidth || 600);
  const path = stepped && uPlot.paths?.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
  const opts = {
    width: width(),
    height,
    // `categories` names the x positions 0, 1, ... (a categorical hyperparameter's values).
    scales: { x: categories ? { time: false, range: () => [-0.5, categories.length - 0.5] } : { time } },
    axes: [
      categories
        ? { label: xLabel, splits: () => categories.map((_, i) => i), values: (u, splits) => splits.map((v) => categories[v] ?? '') }
        : { label: xLabel, ...(time ? {} : { values: (u, splits) => splits.map(compact) }) },
      { size: 60, values: (u, splits) => splits.map(compact) },
    ],
    series: [{ label: xLabel ?? 'x' }, ...series.map((s, i) => ({
      label: s,
      stroke: PALETTE[i % PALETTE.length],
      width: 2,
      ...(path ? { paths: path } : {}),
      ...(points ? { paths: () => null, points: { show: true, size: 7, fill: PALETTE[i % PALETTE.length] } } : {}),
    }))],
  };
  const empty = [[], ...series.map(() => [])];
  const plot = new uPlot(opts, empty, box);
  // Follows its box: grids lay the box out after the chart is made, and windows resize.
  let lastWidth = 0;
  const resize = new ResizeObserver(() => {
    const w = width();
    if (w !== lastWidth) plot.setSize({ width: (lastWidth = w), height });
  });
  resize.observe(box);
  return {
    el: box,
    plot,
    set(x, ...ys) {
      plot.setData([x, ...ys]);
      // What the browser tests read: how many points, and the total of the first series.
      box.dataset.points = String(x.length);
      box.dataset.sum = String((ys[0] ?? []).reduce((t, v) => t + (v ?? 0), 0));
    },
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}

let disposers = [];
/** What a page registers to run when it is left (timers, charts). */
export function onLeave(fn) {
  disposers.push(fn);
}

/** Runs `fn` now and every `ms` while the page is shown, one run at a time. */
export function every(ms, fn) {
  let stopped = false;
  let timer;
  const loop = async () => {
    try {
      await fn();
    } catch (e) {
      console.warn('refresh failed', e);
    }
    if (!stopped) timer = setTimeout(loop, ms);
  };
  onLeave(() => {
    stopped = true;
    clearTimeout(timer);
  });
  return loop();
}

/** Ends everything the page on screen registered. */
export function leavePage() {
  for (const d of disposers.splice(0)) d();
}
