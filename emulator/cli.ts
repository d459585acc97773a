#!/usr/bin/env node
// The AWS SDK for JavaScript v3 warns once per process, on Node 20, that its releases after
// January 2027 need Node 22 (aws/aws-sdk-js-v3#7983). localsage supports Node 20, so that notice
// is noise in every command's output; the SDK's own switch turns off that one warning and no
// other. A user who sets the variable keeps their value. (Clients warn when constructed, which is
// after this line runs.)
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { parseArgs } from 'node:util';
import type { Options } from 'yargs';
import { OPTION_ENV } from './config.js';
import { startEmulator } from './server.js';

/**
 * Options of `localsage serve`. Each also reads its own environment variable (OPTION_ENV). Only
 * those variables are read: other LOCALSAGE_* variables (LOCALSAGE_TFJS_BACKEND, test switches)
 * belong to other parts and must not trip the strict option check.
 */
const SERVE_OPTIONS = {
  port: { type: 'number', default: 4599, describe: 'Port to listen on (0 picks a free one)' },
  host: { type: 'string', default: '127.0.0.1', describe: 'Address to bind' },
  'data-dir': { type: 'string', default: '.localsage', describe: 'Where state (SQLite) and embedded S3 objects live' },
  region: { type: 'string', default: 'us-east-1', describe: 'Region for unsigned requests' },
  'account-id': { type: 'string', default: '000000000000', describe: 'Account for access keys that are not a 12-digit account id' },
  's3-backend': { type: 'string', choices: ['embedded', 'minio'], default: 'embedded', describe: 'Object store behind S3' },
  'minio-endpoint': { type: 'string', default: 'http://127.0.0.1:9000', describe: 'MinIO (or any S3) URL, with --s3-backend minio' },
  'minio-access-key': { type: 'string', default: 'minioadmin', describe: 'MinIO access key' },
  'minio-secret-key': { type: 'string', default: 'minioadmin', describe: 'MinIO secret key' },
  'minio-region': { type: 'string', default: 'us-east-1', describe: 'MinIO region' },
  timing: { type: 'string', choices: ['fast', 'realistic'], default: 'fast', describe: 'How long state transitions take' },
  'clock-scale': { type: 'number', default: 1, describe: 'Run emulator time this many times faster than wall time' },
  quiet: { type: 'boolean', default: false, describe: 'Log nothing but errors' },
  'capacity-mode': {
    type: 'boolean',
    default: false,
    describe: "Each endpoint instance serves with its instance type's workers and service time; requests beyond queue (tag an endpoint localsage:capacity-mode=on|off to choose per endpoint)",
  },
  dashboard: { type: 'boolean', default: true, describe: 'Serve the web dashboard at /_localsage/ (--no-dashboard turns it off)' },
  'reports-dir': { type: 'string', default: 'reports', describe: 'Simulator report folders the dashboard lists' },
  'image-config': { type: 'string', default: '', describe: 'JSON file mapping image URIs to local commands or Python environments (Bring your own model)' },
  auth: { type: 'string', choices: ['none', 'sigv4'], default: 'none', describe: 'Request signatures: none (accept any) or sigv4 (verify against --access-keys)' },
  'access-keys': { type: 'string', default: '', describe: 'With --auth sigv4: the accepted keys, id:secret[,id:secret...], or @file with one id:secret per line' },
  'allowed-hosts': { type: 'string', default: '', describe: 'Comma-separated host names requests may address besides localhost, 127.0.0.1, [::1] and --host (* allows any)' },
} as const satisfies Record<string, Options>;

function withEnvironment(options: Record<string, Options>): Record<string, Options> {
  return Object.fromEntries(
    Object.entries(options).map(([name, o]) => {
      const variable = OPTION_ENV[name];
      const raw = variable ? process.env[variable] : undefined;
      let value: unknown = o.default;
      if (raw !== undefined && raw !== '') {
        value = o.type === 'number' ? Number(raw) : o.type === 'boolean' ? /^(1|true|yes)$/i.test(raw) : raw;
        if (o.type === 'number' && Number.isNaN(value)) throw new Error(`${variable}=${raw} is not a number`);
      }
      return [name, { ...o, default: value, describe: `${o.describe} [env ${variable}]` }];
    }),
  );
}

type ServeArgs = { [K in keyof typeof SERVE_OPTIONS]: (typeof SERVE_OPTIONS)[K]['default'] };

async function serve(argv: ServeArgs): Promise<void> {
  const emulator = await startEmulator({
    port: argv.port,
    host: argv.host,
    dataDir: argv['data-dir'],
    region: argv.region,
    accountId: argv['account-id'],
    s3Backend: argv['s3-backend'] as 'embedded' | 'minio',
    minio: { endpoint: argv['minio-endpoint'], accessKey: argv['minio-access-key'], secretKey: argv['minio-secret-key'], region: argv['minio-region'] },
    timing: argv.timing as 'fast' | 'realistic',
    clockScale: argv['clock-scale'],
    quiet: argv.quiet,
    capacityMode: argv['capacity-mode'],
    dashboard: argv.dashboard,
    reportsDir: argv['reports-dir'],
    imageConfig: argv['image-config'] || undefined,
    auth: argv.auth as 'none' | 'sigv4',
    accessKeys: argv['access-keys'],
    allowedHosts: String(argv['allowed-hosts'] ?? '').split(',').map((h) => h.trim()).filter(Boolean),
  });
  // Tests and scripts read the bound address from this line.
  if (argv.quiet) console.log(`localsage: listening on ${emulator.url}`);
  const stop = () => void emulator.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

/**
 * `serve` with plain options, read by node:util's parseArgs: the common start (tests and CI start
 * many emulators) skips loading yargs and building its help text, a good part of cold start.
 * Anything else (--help, a mistake, another command, yargs' --no-x or camelCase spellings)
 * returns undefined and goes to yargs, which owns the messages.
 */
function plainServeArgs(args: string[]): ServeArgs | undefined {
  if (args[0] !== 'serve') return undefined;
  const options = withEnvironment(SERVE_OPTIONS);
  let parsed: Record<string, string | boolean | undefined>;
  try {
    parsed = parseArgs({
      args: args.slice(1),
      options: Object.fromEntries(Object.entries(options).map(([name, o]) => [name, { type: o.type === 'boolean' ? 'boolean' : 'string' }] as const)),
      strict: true,
      allowPositionals: false,
    }).values;
  } catch {
    return undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(options)) {
    const given = parsed[name];
    let value: unknown = given ?? o.default;
    if (o.type === 'number' && typeof given === 'string') value = Number(given);
    if (o.type === 'number' && (typeof value !== 'number' || Number.isNaN(value))) return undefined;
    if (o.choices && !(o.choices as unknown[]).includes(value)) return undefined;
    out[name] = value;
  }
  return out as ServeArgs;
}

const plain = plainServeArgs(process.argv.slice(2));
if (plain) await serve(plain);
else await runYargs();

async function runYargs(): Promise<void> {
  const { default: yargs } = await import('yargs');
  const { hideBin } = await import('yargs/helpers');
  await yargs(hideBin(process.argv))
    .scriptName('localsage')
    .command(
      'serve',
      'Start the emulator: SageMaker, SageMaker Runtime, S3 and STS on one port',
      (y) => y.options(withEnvironment(SERVE_OPTIONS) as typeof SERVE_OPTIONS),
      (argv) => serve(argv as unknown as ServeArgs),
    )
    .command(
      'simulate <scenario>',
      'Simulate endpoint auto scaling for a scenario file (YAML or JSON) and write a report folder with charts',
      (y) =>
        y
          .positional('scenario', { type: 'string', demandOption: true, describe: 'Scenario file, e.g. examples/seed-target-15000.yaml' })
          .option('out', { type: 'string', describe: 'Report folder (default reports/<scenario name>)' })
          .option('seed', { type: 'number', describe: 'Override the scenario seed' })
          .option('set', { type: 'string', array: true, describe: 'Override a scenario value: path=value (YAML value), repeatable' })
          .option('sweep', { type: 'string', array: true, describe: 'Sweep a scenario value: path=v1,v2,... (repeatable: a grid)' })
          .option('fit', { type: 'string', describe: 'Calibrate: a measured per-minute CSV (users, hits_per_second, latency_ms[, model_latency_ms, instances]); writes the scenario with the fitted service time and outside latency to --out' })
          .option('replications', { type: 'number', describe: 'Run N seeds (the scenario seed, +1, ...) and report each headline figure as a mean with a 95 % interval' })
          .option('quiet', { type: 'boolean', default: false, describe: 'Print only where the report is' }),
      async (argv) => {
        // Loaded on demand: `serve` does not need the simulator, nor `simulate` the emulator.
        const { simulate } = await import('../simulator/cli.js');
        process.exitCode = simulate({ scenario: argv.scenario as string, out: argv.out, seed: argv.seed, set: argv.set, sweep: argv.sweep, quiet: argv.quiet, replications: argv.replications, fit: argv.fit });
      },
    )
    .command(
      'frameworks install [names..]',
      'Create the Python environments that run the scikit-learn and XGBoost images (a venv each, from the package index)',
      (y) =>
        y
          .positional('names', { type: 'string', array: true, choices: ['sklearn', 'xgboost'], describe: 'Which (default: both)' })
          .option('home', { type: 'string', describe: 'Where the environments go [env LOCALSAGE_FRAMEWORK_HOME, default ~/.cache/localsage/frameworks]' })
          .option('python', { type: 'string', default: 'python3', describe: 'The interpreter the venvs are made from' }),
      async (argv) => {
        const { installFrameworks } = await import('./containers/install.js');
        process.exitCode = installFrameworks({ names: (argv.names as ('sklearn' | 'xgboost')[] | undefined) ?? [], home: argv.home, python: argv.python });
      },
    )
    .demandCommand(1, 'Name a command: serve, simulate or frameworks install')
    .strict()
    .help()
    .parse();
}
