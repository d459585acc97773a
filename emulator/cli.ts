#!/usr/bin/env node
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { OPTION_ENV } from './config.js';
import { startEmulator } from './server.js';

const envHelp = (name: string, text: string) => `${text} [env ${OPTION_ENV[name]}]`;

// Every option can also come from the environment: LOCALSAGE_<OPTION_NAME>.
await yargs(hideBin(process.argv))
  .scriptName('localsage')
  .env('LOCALSAGE')
  .command(
    'serve',
    'Start the emulator: SageMaker, SageMaker Runtime, S3 and STS on one port',
    (y) =>
      y
        .option('port', { type: 'number', default: 4599, describe: envHelp('port', 'Port to listen on (0 picks a free one)') })
        .option('host', { type: 'string', default: '127.0.0.1', describe: envHelp('host', 'Address to bind') })
        .option('data-dir', { type: 'string', default: '.localsage', describe: envHelp('data-dir', 'Where state (SQLite) and embedded S3 objects live') })
        .option('region', { type: 'string', default: 'us-east-1', describe: envHelp('region', 'Region for unsigned requests') })
        .option('account-id', { type: 'string', default: '000000000000', describe: envHelp('account-id', 'Account for access keys that are not a 12-digit account id') })
        .option('s3-backend', { choices: ['embedded', 'minio'] as const, default: 'embedded' as const, describe: envHelp('s3-backend', 'Object store behind S3') })
        .option('minio-endpoint', { type: 'string', default: 'http://127.0.0.1:9000', describe: envHelp('minio-endpoint', 'MinIO (or any S3) URL, with --s3-backend minio') })
        .option('minio-access-key', { type: 'string', default: 'minioadmin', describe: envHelp('minio-access-key', 'MinIO access key') })
        .option('minio-secret-key', { type: 'string', default: 'minioadmin', describe: envHelp('minio-secret-key', 'MinIO secret key') })
        .option('minio-region', { type: 'string', default: 'us-east-1', describe: envHelp('minio-region', 'MinIO region') })
        .option('timing', { choices: ['fast', 'realistic'] as const, default: 'fast' as const, describe: envHelp('timing', 'How long state transitions take') })
        .option('clock-scale', { type: 'number', default: 1, describe: envHelp('clock-scale', 'Run emulator time this many times faster than wall time') })
        .option('quiet', { type: 'boolean', default: false, describe: envHelp('quiet', 'Log nothing but errors') }),
    async (argv) => {
      const emulator = await startEmulator({
        port: argv.port,
        host: argv.host,
        dataDir: argv['data-dir'],
        region: argv.region,
        accountId: argv['account-id'],
        s3Backend: argv['s3-backend'],
        minio: { endpoint: argv['minio-endpoint'], accessKey: argv['minio-access-key'], secretKey: argv['minio-secret-key'], region: argv['minio-region'] },
        timing: argv.timing,
        clockScale: argv['clock-scale'],
        quiet: argv.quiet,
      });
      // Tests and scripts read the bound address from this line.
      if (argv.quiet) console.log(`localsage: listening on ${emulator.url}`);
      const stop = () => void emulator.close().then(() => process.exit(0));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    },
  )
  .demandCommand(1, 'Name a command: serve')
  .strict()
  .help()
  .parse();
