// @ts-check
/**
 * Ahead-of-time build of the TypeScript sources, so that `localsage serve` starts in plain Node
 * instead of transpiling ~100 files through tsx on every start (cold start is what tests and CI
 * pay for each emulator they launch).
 *
 * Output is content-addressed: dist/<fingerprint>/ mirrors the repository (dist/<fp>/emulator/
 * cli.js, dist/<fp>/algorithms/...), where the fingerprint hashes every source file's path, size
 * and mtime. So a build can never be stale: any edit, new file or deleted file gives another
 * fingerprint, hence another folder, and `ensureBuilt()` builds it first. Every *.ts under the
 * source folders is picked up; nothing is configured per file. Non-TypeScript files (worker
 * .mjs files, vendored service models) are copied beside the output, so `import.meta.url`-relative
 * paths resolve in the build exactly as in the sources.
 *
 * Concurrent starts (a test suite launching many emulators at once) are safe: each builder writes
 * a private temporary folder and renames it into place; the first rename wins, others discard.
 *
 * Run directly (`node emulator/build.mjs`) it builds and prints the folder.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE_DIRS = ['core', 'emulator', 'algorithms', 'simulator'];
const DIST = join(ROOT, 'dist');
/** Bump when the build options below change, so earlier builds are not reused. */
const BUILD_VERSION = '1';

/** @param {string} dir @param {string[]} out */
function walk(dir, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

/** Every source file, and the fingerprint naming the build of exactly these files. */
export function sources() {
  /** @type {string[]} */
  const files = [];
  for (const d of SOURCE_DIRS) walk(join(ROOT, d), files);
  files.sort();
  const h = createHash('sha256').update(`${BUILD_VERSION}\n${process.version}\n`);
  for (const f of files) {
    const s = statSync(f);
    h.update(`${relative(ROOT, f)}\0${s.size}\0${s.mtimeMs}\n`);
  }
  return { files, fingerprint: h.digest('hex').slice(0, 16) };
}

/** The folder holding the current build; builds it first when missing. */
export async function ensureBuilt() {
  const { files, fingerprint } = sources();
  const out = join(DIST, fingerprint);
  if (existsSync(join(out, '.complete'))) {
    touch(out);
    return out;
  }
  await build(files, out);
  return out;
}

/** @param {string[]} files @param {string} out */
async function build(files, out) {
  // Loaded only when a build is needed: a warm start never pays for esbuild.
  const esbuild = await import('esbuild');
  const tmp = join(DIST, `.tmp-${process.pid}-${Date.now()}`);
  mkdirSync(tmp, { recursive: true });
  try {
    const ts = files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));
    await esbuild.build({
      entryPoints: ts,
      outdir: tmp,
      outbase: ROOT,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      logLevel: 'error',
    });
    for (const f of files) {
      if (f.endsWith('.ts')) continue;
      const to = join(tmp, relative(ROOT, f));
      mkdirSync(dirname(to), { recursive: true });
      cpSync(f, to);
    }
    cpSync(join(ROOT, 'package.json'), join(tmp, 'package.json')); // "type": "module" for the .js files
    // The marker is written last, inside the folder, so a rename publishes a complete build.
    cpSync(join(ROOT, 'package.json'), join(tmp, '.complete'));
    try {
      renameSync(tmp, out);
    } catch (e) {
      // Another process published the same build first: use theirs.
      if (!existsSync(join(out, '.complete'))) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  prune(out);
}

/** Marks a build as used now (prune keeps recently used builds). @param {string} dir */
function touch(dir) {
  try {
    const now = new Date();
    utimesSync(dir, now, now);
  } catch {
    // a read-only install still runs
  }
}

/** How many builds to keep: emulators still running may start worker threads from theirs. */
const KEEP_BUILDS = 8;

/**
 * Removes old builds: beyond the KEEP_BUILDS most recently used, those nobody has started from
 * for an hour.
 * @param {string} keep
 */
function prune(keep) {
  const hourAgo = Date.now() - 3_600_000;
  const builds = [];
  for (const e of readdirSync(DIST, { withFileTypes: true })) {
    const p = join(DIST, e.name);
    if (p === keep || !e.isDirectory()) continue;
    try {
      const used = statSync(p).mtimeMs;
      // A temporary folder an hour old belongs to a build that was killed.
      if (e.name.startsWith('.tmp-')) {
        if (used < hourAgo) rmSync(p, { recursive: true, force: true });
        continue;
      }
      builds.push({ p, used });
    } catch {
      // raced with another pruner
    }
  }
  builds.sort((a, b) => b.used - a.used);
  for (const b of builds.slice(KEEP_BUILDS - 1)) if (b.used < hourAgo) rmSync(b.p, { recursive: true, force: true });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = performance.now();
  const out = await ensureBuilt();
  console.log(`built ${relative(ROOT, out)} in ${(performance.now() - t0).toFixed(0)} ms`);
}
