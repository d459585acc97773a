// S3: buckets and objects read through the S3 REST API itself (ListBuckets, ListObjectsV2 with a
// "/" delimiter), and download links that are plain GetObject requests.
import { every, fmtBytes, fmtTime, h, objectUrl, section, table } from './lib.js';

async function s3Xml(path) {
  const res = await fetch(path);
  const doc = new DOMParser().parseFromString(await res.text(), 'application/xml');
  if (!res.ok) throw new Error(`${doc.querySelector('Code')?.textContent ?? res.status}: ${doc.querySelector('Message')?.textContent ?? ''}`);
  return doc;
}

const text = (el, tag) => el.getElementsByTagName(tag)[0]?.textContent ?? '';

export async function s3Buckets(main) {
  main.append(h('h1', null, 'S3'));
  const panel = h('div', { class: 'panel', id: 'buckets' });
  main.append(panel);
  await every(3000, () => section(panel, 'Buckets', async () => {
    const doc = await s3Xml('/');
    const buckets = [...doc.getElementsByTagName('Bucket')].map((b) => ({ name: text(b, 'Name'), created: text(b, 'CreationDate') }));
    return table(['Bucket', 'Created'], buckets.map((b) => [h('a', { href: `#/s3/${encodeURIComponent(b.name)}` }, b.name), fmtTime(b.created)]));
  }));
}

export async function s3Bucket(main, bucket, query) {
  const prefix = query.get('prefix') ?? '';
  const parts = prefix.split('/').filter(Boolean);
  main.append(h('div', { class: 'crumbs' },
    h('a', { href: '#/s3' }, 'S3'), ' / ',
    h('a', { href: `#/s3/${encodeURIComponent(bucket)}` }, bucket),
    parts.map((p, i) => [' / ', h('a', { href: `#/s3/${encodeURIComponent(bucket)}?prefix=${encodeURIComponent(parts.slice(0, i + 1).join('/') + '/')}` }, p)])));
  const panel = h('div', { class: 'panel', id: 'objects' });
  main.append(panel);
  await every(3000, () => section(panel, `s3://${bucket}/${prefix}`, async () => {
    const folders = [];
    const objects = [];
    let token = '';
    for (let page = 0; page < 10; page++) {
      const q = new URLSearchParams({ 'list-type': '2', delimiter: '/', prefix, 'max-keys': '1000' });
      if (token) q.set('continuation-token', token);
      const doc = await s3Xml(`/${encodeURIComponent(bucket)}?${q}`);
      folders.push(...[...doc.getElementsByTagName('CommonPrefixes')].map((p) => text(p, 'Prefix')));
      objects.push(...[...doc.getElementsByTagName('Contents')].map((o) => ({ key: text(o, 'Key'), size: Number(text(o, 'Size')), modified: text(o, 'LastModified') })));
      token = text(doc.documentElement, 'NextContinuationToken');
      if (text(doc.documentElement, 'IsTruncated') !== 'true' || !token) break;
    }
    const rows = [
      ...folders.map((f) => [h('a', { href: `#/s3/${encodeURIComponent(bucket)}?prefix=${encodeURIComponent(f)}` }, `📁 ${f.slice(prefix.length)}`), '', '', '']),
      ...objects.map((o) => [o.key.slice(prefix.length), fmtBytes(o.size), fmtTime(o.modified), h('a', { href: objectUrl(bucket, o.key), download: o.key.split('/').pop() }, 'download')]),
    ];
    return table(['Name', { label: 'Size', num: true }, 'Last modified', ''], rows);
  }));
}
