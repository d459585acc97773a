import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { clients } from './helpers/clients.js';
import { removeDir, startEmulatorProcess } from './helpers/emulator-process.js';

const ROOT = resolve(import.meta.dirname, '..');

describe('localsage serve', () => {
  it('takes options from LOCALSAGE_* variables and ignores unrelated ones', async () => {
    const emu = await startEmulatorProcess({
      env: { LOCALSAGE_ACCOUNT_ID: '123456789012', LOCALSAGE_TFJS_BACKEND: 'wasm', LOCALSAGE_SOMETHING_ELSE: '1' },
    });
    try {
      const id = await clients(emu.url).sts.send(new GetCallerIdentityCommand({}));
      expect(id.Account).toBe('123456789012');
    } finally {
      await emu.stop();
      removeDir(emu.dataDir);
    }
  });

  it('refuses a bad option value with a message, not a crash', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'emulator/cli.ts', 'serve', '--s3-backend', 'bogus'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Argument: s3-backend, Given: "bogus", Choices: "embedded", "minio"');
  });
});
