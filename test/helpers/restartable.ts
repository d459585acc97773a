import { afterAll } from 'vitest';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './emulator-process.js';

/**
 * For tests that restart an emulator on the same data dir: a `start(dataDir?)` whose emulators
 * are all stopped, and their data dirs removed, after the file's tests.
 */
export function restartableEmulators(): (dataDir?: string) => Promise<EmulatorProcess> {
  const started: EmulatorProcess[] = [];
  afterAll(async () => {
    for (const e of started) await e.stop();
    for (const dir of new Set(started.map((e) => e.dataDir))) removeDir(dir);
  });
  return async (dataDir) => {
    const e = await startEmulatorProcess({ dataDir });
    started.push(e);
    return e;
  };
}
