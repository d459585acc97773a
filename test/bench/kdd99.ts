/**
 * A KDD Cup 99-shaped data set, generated (the real one cannot be fetched here).
 *
 * Shape of the 10% set: 494,021 rows; 41 raw features, of which 3 are categorical
 * (protocol_type 3 levels, service 70, flag 11) and 38 numeric, one-hot encoded to 122 columns:
 * [duration, protocol x3, service x70, flag x11, 37 further numeric]. Labels: 1 = attack (about 80%:
 * smurf- and neptune-like floods plus rarer probes, DoS and R2L-like intrusions), 0 = normal.
 * Not linearly trivial: heavy-tailed byte counts, normal pings that look like smurf, and R2L-like
 * attacks drawn from normal traffic's distribution, so a linear model cannot reach 100%.
 *
 * CSV rows: label first, then the 122 features (the layout linear-learner reads with text/csv).
 * Usage: tsx test/bench/kdd99.ts <out.csv> [rows=494021] [seed=1]
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { Rng } from '../../core/random.js';

export const KDD99_ROWS = 494_021;
export const KDD99_FEATURES = 122;
const PROTOCOLS = 3;
const SERVICES = 70;
const FLAGS = 11;
// Indexes of the levels the generator uses by name.
const TCP = 0, UDP = 1, ICMP = 2;
const HTTP = 0, SMTP = 1, FTP_DATA = 2, FTP = 3, ECR_I = 4, PRIVATE = 5, TELNET = 6, DOMAIN_U = 7, OTHER = 8, ECO_I = 9;
const SF = 0, S0 = 1, REJ = 2, RSTR = 3, RSTO = 4, SH = 5;

/** The 37 numeric columns after the categorical ones, in KDD99 order (duration comes first, alone). */
const NUMERIC = [
  'src_bytes', 'dst_bytes', 'land', 'wrong_fragment', 'urgent', 'hot', 'num_failed_logins', 'logged_in',
  'num_compromised', 'root_shell', 'su_attempted', 'num_root', 'num_file_creations', 'num_shells',
  'num_access_files', 'num_outbound_cmds', 'is_host_login', 'is_guest_login', 'count', 'srv_count',
  'serror_rate', 'srv_serror_rate', 'rerror_rate', 'srv_rerror_rate', 'same_srv_rate', 'diff_srv_rate',
  'srv_diff_host_rate', 'dst_host_count', 'dst_host_srv_count', 'dst_host_same_srv_rate',
  'dst_host_diff_srv_rate', 'dst_host_same_src_port_rate', 'dst_host_srv_diff_host_rate',
  'dst_host_serror_rate', 'dst_host_srv_serror_rate', 'dst_host_rerror_rate', 'dst_host_srv_rerror_rate',
] as const;
type Numeric = Partial<Record<(typeof NUMERIC)[number], number>>;

interface Row {
  label: 0 | 1;
  duration: number;
  protocol: number;
  service: number;
  flag: number;
  num: Numeric;
}

const clamp01 = (v: number) => Math.min(1, Math.max(0, Math.round(v * 100) / 100));
const clampInt = (v: number, hi: number) => Math.min(hi, Math.max(0, Math.round(v)));

/** Draws one connection record. */
function draw(rng: Rng): Row {
  const u = rng.next();
  const logNormal = (mu: number, sigma: number) => Math.round(Math.exp(mu + sigma * rng.normal()));
  const rate = (mean: number, sd: number) => clamp01(mean + sd * rng.normal());
  if (u < 0.567) {
    // smurf-like ICMP echo-reply flood; a few small ones overlap normal pings.
    const small = rng.next() < 0.01;
    return {
      label: 1, duration: 0, protocol: ICMP, service: rng.next() < 0.98 ? ECR_I : ECO_I, flag: SF,
      num: {
        src_bytes: small ? logNormal(3.5, 0.5) : 1032 - (rng.next() < 0.1 ? 512 : 0), count: clampInt(small ? 5 + 10 * rng.next() : 511 - 40 * rng.next(), 511),
        srv_count: clampInt(small ? 5 + 10 * rng.next() : 511 - 40 * rng.next(), 511), same_srv_rate: 1, dst_host_count: 255, dst_host_srv_count: 255,
        dst_host_same_srv_rate: 1, dst_host_same_src_port_rate: rate(0.9, 0.1),
      },
    };
  }
  if (u < 0.784) {
    // neptune-like SYN flood: S0/REJ flags, high serror rates, many services.
    const rej = rng.next() < 0.15;
    return {
      label: 1, duration: 0, protocol: TCP, service: rng.next() < 0.6 ? PRIVATE : 10 + rng.int(SERVICES - 10), flag: rej ? REJ : S0,
      num: {
        count: clampInt(100 + 150 * rng.next(), 511), srv_count: clampInt(5 + 20 * rng.next(), 511),
        serror_rate: rej ? 0 : rate(0.98, 0.05), srv_serror_rate: rej ? 0 : rate(0.98, 0.05), rerror_rate: rej ? 1 : 0, srv_rerror_rate: rej ? 1 : 0,
        same_srv_rate: rate(0.06, 0.05), diff_srv_rate: rate(0.06, 0.03), dst_host_count: 255, dst_host_srv_count: clampInt(10 + 20 * rng.next(), 255),
        dst_host_same_srv_rate: rate(0.06, 0.04), dst_host_diff_srv_rate: rate(0.07, 0.03), dst_host_serror_rate: rej ? 0 : rate(0.98, 0.04),
        dst_host_srv_serror_rate: rej ? 0 : rate(0.98, 0.04), dst_host_rerror_rate: rej ? 1 : 0, dst_host_srv_rerror_rate: rej ? 1 : 0,
      },
    };
  }
  if (u < 0.794) {
    // R2L-like intrusions that look exactly like normal sessions (about 1% of rows): no boundary,
    // linear or not, separates them, which caps any classifier's accuracy near 99%.
    return { ...normalRow(rng), label: 1 };
  }
  if (u < 0.8) {
    // Rarer attacks: probes (portsweep, ipsweep, satan), DoS (back, teardrop) and R2L-like ones
    // drawn close to normal traffic, which no linear boundary separates.
    const kind = rng.int(4);
    if (kind === 0) {
      return {
        label: 1, duration: 0, protocol: rng.next() < 0.5 ? ICMP : TCP, service: rng.next() < 0.5 ? ECO_I : OTHER + rng.int(20), flag: rng.next() < 0.5 ? RSTR : SH,
        num: { count: clampInt(1 + 3 * rng.next(), 511), srv_count: clampInt(1 + 3 * rng.next(), 511), rerror_rate: rate(0.5, 0.4), diff_srv_rate: rate(0.6, 0.3),
          dst_host_count: clampInt(255 * rng.next(), 255), dst_host_srv_count: clampInt(5 * rng.next(), 255), dst_host_diff_srv_rate: rate(0.6, 0.3),
          dst_host_rerror_rate: rate(0.5, 0.4), srv_diff_host_rate: rate(0.5, 0.4) },
      };
    }
    if (kind === 1) {
      return {
        label: 1, duration: 0, protocol: TCP, service: HTTP, flag: rng.next() < 0.9 ? SF : RSTO,
        num: { src_bytes: 54540, dst_bytes: logNormal(8.9, 0.3), hot: 2, num_compromised: 1, logged_in: 1, count: clampInt(3 * rng.next(), 511),
          srv_count: clampInt(3 * rng.next(), 511), same_srv_rate: 1, dst_host_count: clampInt(255 * rng.next(), 255), dst_host_srv_count: clampInt(255 * rng.next(), 255),
          dst_host_same_srv_rate: rate(0.9, 0.1) },
      };
    }
    if (kind === 2) {
      return {
        label: 1, duration: 0, protocol: UDP, service: PRIVATE, flag: SF,
        num: { src_bytes: 28, wrong_fragment: 3, count: clampInt(1 + 100 * rng.next(), 511), srv_count: clampInt(1 + 100 * rng.next(), 511), same_srv_rate: 1,
          dst_host_count: clampInt(255 * rng.next(), 255), dst_host_srv_count: clampInt(255 * rng.next(), 255), dst_host_same_srv_rate: rate(0.9, 0.1) },
      };
    }
    const r = normalRow(rng);
    return { ...r, label: 1, service: rng.next() < 0.5 ? FTP_DATA : FTP, num: { ...r.num, hot: rng.int(30), is_guest_login: rng.next() < 0.5 ? 1 : 0, num_failed_logins: rng.next() < 0.2 ? 1 : 0 } };
  }
  return normalRow(rng);
}

function normalRow(rng: Rng): Row {
  const logNormal = (mu: number, sigma: number) => Math.round(Math.exp(mu + sigma * rng.normal()));
  const rate = (mean: number, sd: number) => clamp01(mean + sd * rng.normal());
  const v = rng.next();
  const service = v < 0.62 ? HTTP : v < 0.76 ? SMTP : v < 0.86 ? FTP_DATA : v < 0.9 ? DOMAIN_U : v < 0.92 ? ECR_I : v < 0.94 ? TELNET : 10 + rng.int(SERVICES - 10);
  const protocol = service === DOMAIN_U ? UDP : service === ECR_I ? ICMP : TCP;
  const f = rng.next();
  return {
    label: 0, duration: rng.next() < 0.9 ? 0 : logNormal(3, 2), protocol, service, flag: f < 0.95 ? SF : f < 0.97 ? REJ : f < 0.99 ? RSTO : S0,
    num: {
      src_bytes: logNormal(protocol === ICMP ? 3.5 : 5.5, 1), dst_bytes: protocol === TCP ? logNormal(7.5, 1.5) : 0, logged_in: protocol === TCP ? 1 : 0,
      hot: rng.next() < 0.05 ? rng.int(5) : 0, num_file_creations: rng.next() < 0.01 ? 1 : 0, root_shell: rng.next() < 0.002 ? 1 : 0,
      count: clampInt(logNormal(2, 1), 511), srv_count: clampInt(logNormal(2.3, 1), 511), serror_rate: rate(0.01, 0.05), rerror_rate: rate(0.03, 0.08),
      same_srv_rate: rate(0.95, 0.1), diff_srv_rate: rate(0.03, 0.07), srv_diff_host_rate: rate(0.15, 0.2), dst_host_count: clampInt(255 * rng.next(), 255),
      dst_host_srv_count: clampInt(255 * Math.sqrt(rng.next()), 255), dst_host_same_srv_rate: rate(0.8, 0.25), dst_host_diff_srv_rate: rate(0.03, 0.05),
      dst_host_same_src_port_rate: rate(0.1, 0.15), dst_host_srv_diff_host_rate: rate(0.03, 0.05), dst_host_serror_rate: rate(0.01, 0.03),
      dst_host_rerror_rate: rate(0.03, 0.07),
    },
  };
}

/** One CSV line: label, then the 122 encoded features. */
export function encodeRow(r: Row): string {
  const cells: (number | string)[] = [r.label, r.duration];
  for (let i = 0; i < PROTOCOLS; i++) cells.push(i === r.protocol ? 1 : 0);
  for (let i = 0; i < SERVICES; i++) cells.push(i === r.service ? 1 : 0);
  for (let i = 0; i < FLAGS; i++) cells.push(i === r.flag ? 1 : 0);
  for (const name of NUMERIC) cells.push(r.num[name] ?? 0);
  return cells.join(',');
}

/** Writes `rows` KDD99-shaped rows to `path`; returns the count of attacks. */
export async function writeKdd99Csv(path: string, rows = KDD99_ROWS, seed = 1): Promise<{ rows: number; attacks: number }> {
  const rng = new Rng(seed);
  const out = createWriteStream(path);
  let attacks = 0;
  let chunk: string[] = [];
  for (let i = 0; i < rows; i++) {
    const r = draw(rng);
    attacks += r.label;
    chunk.push(encodeRow(r));
    if (chunk.length === 4096 || i === rows - 1) {
      if (!out.write(chunk.join('\n') + '\n')) await once(out, 'drain');
      chunk = [];
    }
  }
  out.end();
  await once(out, 'finish');
  return { rows, attacks };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [path, rows, seed] = process.argv.slice(2);
  if (!path) {
    console.error('usage: tsx test/bench/kdd99.ts <out.csv> [rows=494021] [seed=1]');
    process.exit(2);
  }
  const r = await writeKdd99Csv(path, rows ? Number(rows) : KDD99_ROWS, seed ? Number(seed) : 1);
  console.log(`${path}: ${r.rows} rows, ${KDD99_FEATURES} features, ${((100 * r.attacks) / r.rows).toFixed(1)}% attack`);
}
