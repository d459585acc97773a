import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

export interface EmulatorProcess {
  url: string;
  dataDir: string;
  proc: ChildProcess;
  output(): string;
  /** SIGKILL: what a crash or a power cut does. */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts `localsage serve` as a real child process on a free port, the way a user does (through
 * emulator/bin.mjs, which runs the ahead-of-time build and rebuilds it when a source changed),
 * and waits for its "listening on" line.
 */
export async function startEmulatorProcess(opts: { dataDir?: string; args?: string[]; env?: Record<string, string> } = {}): Promise<EmulatorProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'localsage-test-'));
  const proc = spawn(
    process.execPath,
    [join(ROOT, 'emulator/bin.mjs'), 'serve', '--port', '0', '--data-dir', dataDir, '--quiet', ...(opts.args ?? [])],
    { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`emulator did not start:\n${out}`)), 30_000);
    const check = () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    };
    proc.stdout!.on('data', check);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`emulator exited with ${code}:\n${out}`));
    });
  });
  const exited = new Promise<void>((ok) => proc.once('exit', () => ok()));
  return {
    url,
    dataDir,
    proc,
    output: () => out,
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
