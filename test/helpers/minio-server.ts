import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../emulator/free-port.js';

/**
 * A real MinIO server binary run by a test: on loopback, on a free port, with generated
 * credentials and a data folder of its own. The binary is LOCALSAGE_TEST_MINIO_BINARY, else
 * `minio` on PATH, else `$GOPATH/bin/minio` / `~/go/bin/minio` (where `go install` puts it).
 */
export function findMinioBinary(): string | undefined {
  const candidates = [
    process.env.LOCALSAGE_TEST_MINIO_BINARY,
    spawnSync('sh', ['-c', 'command -v minio'], { encoding: 'utf8' }).stdout.trim() || undefined,
    process.env.GOPATH ? join(process.env.GOPATH, 'bin', 'minio') : undefined,
    join(homedir(), 'go', 'bin', 'minio'),
  ];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

export interface MinioServer {
  endpoint: string;
  accessKey: string;
  secretKey: string;
  dataDir: string;
  /** SIGKILL the server (the whole process group): MinIO going away without warning. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data folder. */
  restart(): Promise<void>;
  /** Kills it and removes its data folder. */
  stop(): Promise<void>;
}

async function waitLive(endpoint: string, proc: ChildProcess, output: () => string): Promise<void> {
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`minio exited:\n${output()}`);
    try {
      const res = await fetch(`${endpoint}/minio/health/live`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function startMinioServer(binary: string): Promise<MinioServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'localsage-minio-'));
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const accessKey = `ls${randomBytes(6).toString('hex')}`;
  const secretKey = randomBytes(18).toString('base64url');
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async () => {
    let out = '';
    // Its own process group, so kill() reaches everything it starts.
    const child = spawn(binary, ['server', '--quiet', '--address', `127.0.0.1:${port}`, join(dataDir, 'data')], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, MINIO_ROOT_USER: accessKey, MINIO_ROOT_PASSWORD: secretKey, MINIO_BROWSER: 'off', MINIO_UPDATE: 'off', HOME: dataDir },
    });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    exited = new Promise((ok) => child.once('exit', () => ok()));
    proc = child;
    await waitLive(endpoint, child, () => out);
  };

  const kill = async () => {
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        proc.kill('SIGKILL');
      }
      await exited;
    }
  };

  await launch();
  return {
    endpoint,
    accessKey,
    secretKey,
    dataDir,
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
