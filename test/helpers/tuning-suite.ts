/**
 * The set-up every tuning suite shares: one emulator for the file, its clients, and a
 * binary train/validation split uploaded to the suite's own bucket. Kept apart from
 * tuning.ts because it registers vitest hooks, and tuning.ts is also used by the benches.
 */
import { afterAll, beforeAll } from 'vitest';
import { clients } from './clients.js';
import { removeDir, startEmulatorProcess, type EmulatorProcess } from './emulator-process.js';
import { uploadBinarySplit } from './tuning.js';

export interface TuningSuite {
  emu: EmulatorProcess;
  c: ReturnType<typeof clients>;
  uris: Awaited<ReturnType<typeof uploadBinarySplit>>;
}

/** Registers beforeAll/afterAll; the returned object is filled in once beforeAll has run. */
export function useTuningEmulator(bucket: string, rows?: number): TuningSuite {
  const suite = {} as TuningSuite;
  beforeAll(async () => {
    suite.emu = await startEmulatorProcess();
    suite.c = clients(suite.emu.url);
    suite.uris = await uploadBinarySplit(suite.c.s3, bucket, rows);
  });
  afterAll(async () => {
    await suite.emu?.stop();
    if (suite.emu) removeDir(suite.emu.dataDir);
  });
  return suite;
}
