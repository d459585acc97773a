// The emulator as bench:invoke runs it: `localsage serve` from the ahead-of-time build, with its
// own CloudWatch endpoint-metrics recorder on the invoke path, as a user runs it.
import { pathToFileURL } from 'node:url';
import { ensureBuilt } from '../../emulator/build.mjs';

const dir = await ensureBuilt();
const { startEmulator } = await import(pathToFileURL(`${dir}/emulator/server.js`).href);

const emulator = await startEmulator({ port: 0, dataDir: process.argv[2], quiet: true });
console.log(`localsage: listening on ${emulator.url}`);
const stop = () => void emulator.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
