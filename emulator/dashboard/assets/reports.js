// Simulator reports: the folders `localsage simulate` wrote under the reports directory
// (--reports-dir, default ./reports), each opened at its own index.html.
import { h, section } from './lib.js';

const href = (name) => `/_localsage/reports/${name.split('/').map(encodeURIComponent).join('/')}/`;

export async function reports(main) {
  main.append(h('h1', null, 'Simulator reports'));
  const panel = h('div', { class: 'panel', id: 'report-list' });
  main.append(panel);
  await section(panel, 'Report folders', async () => {
    const [{ reports: list }, info] = await Promise.all([
      fetch('/_localsage/api/reports').then((r) => r.json()),
      fetch('/_localsage/api/info').then((r) => r.json()),
    ]);
    return h('div', null,
      h('div', { class: 'muted' }, `Folders with an index.html under ${info.reportsDir} (localsage serve --reports-dir).`),
      h('table', null, h('thead', null, h('tr', null, h('th', null, 'Report'), h('th', null, 'Written'), h('th', null, ''))),
        h('tbody', null, list.length ? list.map((r) => h('tr', null,
          h('td', null, h('a', { href: `#/reports/${r.name.split('/').map(encodeURIComponent).join('/')}` }, r.name)),
          h('td', null, r.modified.replace('T', ' ').replace(/\.\d+Z$/, 'Z')),
          h('td', null, h('a', { href: href(r.name), target: '_blank' }, 'open in a new tab')))) : h('tr', null, h('td', { colspan: 3, class: 'muted' }, 'No reports yet: run `localsage simulate <scenario>`.')))));
  });
}

export async function report(main, name) {
  main.append(h('div', { class: 'crumbs' }, h('a', { href: '#/reports' }, 'Simulator reports'), ' / ', name, ' · ', h('a', { href: href(name), target: '_blank' }, 'open in a new tab')));
  main.append(h('iframe', { class: 'report', src: href(name), title: name }));
}
