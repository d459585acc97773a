/** Every option of `localsage serve`, each with its environment variable. */
export interface EmulatorConfig {
  port: number;
  host: string;
  dataDir: string;
  region: string;
  accountId: string;
  s3Backend: 'embedded' | 'minio';
  minio: {
    endpoint: string; // e.g. http://127.0.0.1:9000
    accessKey: string;
    secretKey: string;
    region: string;
  };
  /** fast: real state transitions in about a second; realistic: AWS-like minutes. */
  timing: 'fast' | 'realistic';
  /** Multiplies the speed of emulator time (realistic timing at 60 = minutes become seconds). */
  clockScale: number;
  /** Quiet logs (tests). */
  quiet: boolean;
  /**
   * Every endpoint's instances serve with the workers and service time of their instance type
   * (core/instance-types.ts), queueing beyond; an endpoint tag localsage:capacity-mode=on|off
   * overrides it per endpoint.
   */
  capacityMode: boolean;
  /** Serve the web dashboard at /_localsage/. */
  dashboard: boolean;
  /** Folder of simulator reports the dashboard lists (`localsage simulate` writes to reports/). */
  reportsDir: string;
  /**
   * Host names (besides localhost, 127.0.0.1, [::1] and the bound address) that requests may
   * name in their Host header; `*` allows any. See protocol/browser-guard.ts.
   */
  allowedHosts: string[];
  /** `none` (default): any or no signature is accepted. `sigv4`: every request must verify. */
  auth: 'none' | 'sigv4';
  /** With --auth sigv4: `id:secret,id:secret`. */
  accessKeys: string;
  /** JSON file mapping image URIs to local commands / Python environments (Bring your own model). */
  imageConfig?: string;
}

export const OPTION_ENV: Record<string, string> = {
  port: 'LOCALSAGE_PORT',
  host: 'LOCALSAGE_HOST',
  'data-dir': 'LOCALSAGE_DATA_DIR',
  region: 'LOCALSAGE_REGION',
  'account-id': 'LOCALSAGE_ACCOUNT_ID',
  's3-backend': 'LOCALSAGE_S3_BACKEND',
  'minio-endpoint': 'LOCALSAGE_MINIO_ENDPOINT',
  'minio-access-key': 'LOCALSAGE_MINIO_ACCESS_KEY',
  'minio-secret-key': 'LOCALSAGE_MINIO_SECRET_KEY',
  'minio-region': 'LOCALSAGE_MINIO_REGION',
  timing: 'LOCALSAGE_TIMING',
  'clock-scale': 'LOCALSAGE_CLOCK_SCALE',
  quiet: 'LOCALSAGE_QUIET',
  'capacity-mode': 'LOCALSAGE_CAPACITY_MODE',
  dashboard: 'LOCALSAGE_DASHBOARD',
  'reports-dir': 'LOCALSAGE_REPORTS_DIR',
  'image-config': 'LOCALSAGE_IMAGE_CONFIG',
  'allowed-hosts': 'LOCALSAGE_ALLOWED_HOSTS',
  auth: 'LOCALSAGE_AUTH',
  'access-keys': 'LOCALSAGE_ACCESS_KEYS',
};

export function defaultConfig(overrides: Partial<EmulatorConfig> = {}): EmulatorConfig {
  return {
    port: 4599,
    host: '127.0.0.1',
    dataDir: '.localsage',
    region: 'us-east-1',
    accountId: '000000000000',
    s3Backend: 'embedded',
    minio: { endpoint: 'http://127.0.0.1:9000', accessKey: 'minioadmin', secretKey: 'minioadmin', region: 'us-east-1' },
    timing: 'fast',
    clockScale: 1,
    quiet: false,
    capacityMode: false,
    dashboard: true,
    reportsDir: 'reports',
    allowedHosts: [],
    auth: 'none',
    accessKeys: '',
    ...overrides,
  };
}
