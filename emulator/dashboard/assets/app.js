// The dashboard's shell: hash routes (#/training/<name> ...), the navigation, and the timers of
// the page on screen (each page polls while it is shown; leaving it stops them).
import { h, leavePage } from './lib.js';
import { trainingJob, trainingJobs } from './training.js';
import { tuningJob, tuningJobs } from './tuning.js';
import { endpoint, endpoints } from './endpoints.js';
import { s3Bucket, s3Buckets } from './s3.js';
import { report, reports } from './reports.js';

const PAGES = [
  { path: 'training', label: 'Training jobs', list: trainingJobs, item: trainingJob },
  { path: 'tuning', label: 'Tuning jobs', list: tuningJobs, item: tuningJob },
  { path: 'endpoints', label: 'Endpoints', list: endpoints, item: endpoint },
  { path: 's3', label: 'S3', list: s3Buckets, item: s3Bucket },
  { path: 'reports', label: 'Simulator reports', list: reports, item: report },
];

async function route() {
  leavePage();
  const [pathPart, queryPart] = location.hash.replace(/^#\/?/, '').split('?');
  const [section, ...rest] = pathPart.split('/');
  const page = PAGES.find((p) => p.path === section) ?? PAGES[0];
  const name = rest.map(decodeURIComponent).join('/');
  const query = new URLSearchParams(queryPart ?? '');
  document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('active', a.dataset.path === page.path));
  const main = document.getElementById('main');
  main.replaceChildren();
  main.dataset.ready = 'false';
  main.dataset.page = page.path + (name ? '-item' : '');
  document.title = `${name || page.label} · localsage`;
  await (name ? page.item(main, name, query) : page.list(main, query));
  main.dataset.ready = 'true';
}

async function start() {
  document.getElementById('nav').replaceChildren(...PAGES.map((p) => h('a', { href: `#/${p.path}`, 'data-path': p.path }, p.label)));
  const info = await (await fetch('/_localsage/api/info')).json();
  document.getElementById('info').textContent = `${info.region} · account ${info.accountId} · S3 ${info.s3Backend} · timing ${info.timing}${info.clockScale !== 1 ? ` ×${info.clockScale}` : ''}`;
  window.addEventListener('hashchange', route);
  await route();
}

start();
