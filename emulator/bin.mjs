#!/usr/bin/env node
// The entry point (`npm start`, `localsage`, the tests): runs the ahead-of-time build of the
// TypeScript sources, building it first when any source changed (see build.mjs), so a fresh clone
// and an edited tree both work and nothing ever runs stale code. LOCALSAGE_TSX=1 runs the sources
// through tsx instead (the slower path; bench:startup compares the two).
if (process.env.LOCALSAGE_TSX === '1') {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./cli.ts');
} else {
  const { ensureBuilt } = await import('./build.mjs');
  const { pathToFileURL } = await import('node:url');
  const dir = await ensureBuilt();
  await import(pathToFileURL(`${dir}/emulator/cli.js`).href);
}
