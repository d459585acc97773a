import { reclaimStaleFiles } from './storage/reclaim.js';
import { createBrowserGuard } from './protocol/browser-guard.js';
import { createSigV4Authenticator, parseAccessKeys, type Authenticator } from './protocol/sigv4.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { RealClock, ScaledClock, type Clock } from '../core/clock.js';
import { defaultConfig, type EmulatorConfig } from './config.js';
import { createDashboardHandler, DASHBOARD_PATH, isDashboardRequest } from './dashboard/handler.js';
import { createAwsJsonService } from './protocol/aws-json.js';
import { AwsError } from './protocol/errors.js';
import { createRouter } from './protocol/router.js';
import { createRestJsonService } from './protocol/rest-json.js';
import { applicationAutoScalingModel, logsModel, sagemakerModel, sagemakerRuntimeModel } from './protocol/service-model.js';
import { AutoScalingHub } from './services/autoscaling/hub.js';
import { createApplicationAutoScaling } from './services/autoscaling/operations.js';
import { EndpointMetricsRecorder } from './services/cloudwatch/endpoint-metrics.js';
import { MetricStore } from './services/cloudwatch/metric-store.js';
import { createCloudWatch } from './services/cloudwatch/service.js';
import { createCloudWatchLogs } from './services/logs/operations.js';
import type { ServiceDeps } from './services/deps.js';
import { createRuntime } from './services/runtime/operations.js';
import type { InvocationRecorder } from './services/runtime/invocation-recorder.js';
import { ServingRegistry } from './services/runtime/serving-registry.js';
import { createSageMaker } from './services/sagemaker/operations.js';
import { getRole, simulatePrincipalPolicy } from './services/iam/permissive-iam.js';
import { getCallerIdentity } from './services/sts/get-caller-identity.js';
import { Database } from './storage/database.js';
import { FsObjectStore } from './storage/fs-object-store.js';
import type { ObjectStore } from './storage/object-store.js';
import { TIMING_PROFILES } from '../core/timing.js';

export interface RunningEmulator {
  url: string;
  port: number;
  server: Server;
  config: EmulatorConfig;
  close(): Promise<void>;
}

// Modules only some runs need are imported on first use, to keep cold start short: the MinIO
// client (only with --s3-backend minio) and the S3 protocol with its XML library (a run that
// only invokes endpoints never needs it).
async function createObjectStore(config: EmulatorConfig, dataDir: string): Promise<ObjectStore> {
  if (config.s3Backend === 'minio') {
    const { MinioObjectStore } = await import('./storage/minio-object-store.js');
    return new MinioObjectStore(config.minio);
  }
  return new FsObjectStore(join(dataDir, 's3'));
}

type NodeHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** A handler built by `load` on the first request that needs it. */
function onFirstUse(load: () => Promise<NodeHandler>): NodeHandler {
  let loading: Promise<NodeHandler> | undefined;
  return async (req, res) => (await (loading ??= load()))(req, res);
}

/** Assembles storage, services and protocols, recovers state from the data dir, and listens. */
/** Parts a caller may supply instead of the defaults (benchmarks and embedders). */
export interface EmulatorWiring {
  /** Where each invocation is reported (default: nowhere). */
  invocationRecorder?: InvocationRecorder;
}

export async function startEmulator(overrides: Partial<EmulatorConfig> = {}, wiring: EmulatorWiring = {}): Promise<RunningEmulator> {
  const config = defaultConfig(overrides);
  const dataDir = resolve(config.dataDir);
  const db = new Database(join(dataDir, 'localsage.db'));
  // A scaled clock runs ahead of the wall clock; after a restart it carries on from where it was
  // rather than jumping back, so stored times (a warm-up's end, activity times) stay in the past.
  const clock: Clock =
    config.clockScale === 1 ? new RealClock() : new ScaledClock(config.clockScale, Math.max(Date.now(), db.counter('scaled-clock') ?? 0));
  const keepClock = setInterval(() => db.setCounter('scaled-clock', clock.now()), 1000);
  keepClock.unref();
  const store = await createObjectStore(config, dataDir);
  const log = config.quiet ? () => {} : (m: string) => console.log(`localsage: ${m}`);
  const metrics = new MetricStore(db);
  const deps: ServiceDeps = {
    db,
    store,
    clock,
    timing: TIMING_PROFILES[config.timing],
    dataDir,
    log,
    metrics,
    capacityMode: config.capacityMode,
    imageConfig: config.imageConfig ? resolve(config.imageConfig) : undefined,
  };
  const defaults = { region: config.region, accountId: config.accountId };

  // Before anything runs: temp files and work dirs a killed process left behind.
  await reclaimStaleFiles(dataDir);
  const serving = new ServingRegistry(store);
  const sagemaker = createSageMaker(deps, serving);
  await sagemaker.recover();
  // Auto scaling after the endpoints, so that restored scalers find the variants they act on.
  const autoscaling = new AutoScalingHub(deps, metrics, sagemaker.endpoints, sagemaker.components);
  autoscaling.recover();
  const recorder = new EndpointMetricsRecorder(metrics, clock, sagemaker.endpoints, db);
  recorder.start();
  const runtime = createRuntime({ serving, store, clock, db, recorder: wiring.invocationRecorder ?? recorder });
  // After the endpoints have recovered: asynchronous requests accepted before a restart run again.
  runtime.recover();
  const cloudwatch = createCloudWatch(deps, metrics, autoscaling);
  // Metric minutes reach SQLite off the invoke path, every two seconds and at shutdown.
  // A failed flush is an internal error to report, never a reason for the process to die.
  const flushMetrics = setInterval(() => {
    try {
      metrics.flush(clock.now());
    } catch (e) {
      console.error('localsage: internal error while writing CloudWatch metrics', e);
    }
  }, 2000);
  flushMetrics.unref();

  const sagemakerJson = createAwsJsonService({ model: sagemakerModel(), contentType: 'application/x-amz-json-1.1', operations: sagemaker.operations });
  const logsJson = createAwsJsonService({ model: logsModel(), contentType: 'application/x-amz-json-1.1', operations: createCloudWatchLogs(deps) });
  const autoscalingJson = createAwsJsonService({
    model: applicationAutoScalingModel(),
    contentType: 'application/x-amz-json-1.1',
    operations: createApplicationAutoScaling(deps, autoscaling, sagemaker.endpoints),
  });
  // The dashboard calls the same awsJson handlers the router does; a service added here shows up
  // on its pages (cloudwatch: GetMetricData/DescribeAlarms, autoscaling: DescribeScalingActivities).
  const dashboard = config.dashboard
    ? createDashboardHandler({
        defaults,
        services: { sagemaker: sagemakerJson, logs: logsJson, cloudwatch: cloudwatch.json, autoscaling: autoscalingJson },
        reportsDir: config.reportsDir,
        info: { region: config.region, accountId: config.accountId, s3Backend: store.kind, timing: config.timing, clockScale: config.clockScale },
        now: () => clock.now(),
      })
    : undefined;

  const guard = createBrowserGuard({ bindHost: config.host, allowedHosts: config.allowedHosts });
  let auth: Authenticator | undefined;
  if (config.auth === 'sigv4') {
    const keys = parseAccessKeys(config.accessKeys);
    if (keys.size === 0) throw new Error('--auth sigv4 needs --access-keys id:secret[,id:secret...] (or LOCALSAGE_ACCESS_KEYS)');
    auth = createSigV4Authenticator(keys, () => Date.now());
  }
  const handler = createRouter({
    defaults,
    sagemaker: sagemakerJson,
    logs: logsJson,
    dashboard: dashboard && { matches: isDashboardRequest, handle: dashboard },
    autoscaling: autoscalingJson,
    cloudwatch: cloudwatch.json,
    cloudwatchCbor: cloudwatch.cbor,
    runtime: createRestJsonService({
      model: sagemakerRuntimeModel(),
      defaults,
      auth,
      operations: runtime.operations,
    }),
    s3: onFirstUse(async () =>
      (await import('./protocol/s3/handler.js')).createS3Handler({ store, dataDir, defaults, guard, auth, cors: new (await import('./protocol/s3/cors.js')).BucketCorsStore(db) }),
    ),
    guard,
    auth,
    query: {
      '2010-08-01': cloudwatch.query,
      '2011-06-15': {
        xmlns: 'https://sts.amazonaws.com/doc/2011-06-15/',
        handle: (action, _params, identity) => {
          if (action === 'GetCallerIdentity') return { ...getCallerIdentity(identity) };
          throw new AwsError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
        },
      },
      '2010-05-08': {
        xmlns: 'https://iam.amazonaws.com/doc/2010-05-08/',
        handle: (action, params, identity) => {
          if (action === 'GetRole') return { ...getRole(params, identity) };
          if (action === 'SimulatePrincipalPolicy') return { ...simulatePrincipalPolicy(params) };
          throw new AwsError('InvalidAction', `localsage does not implement IAM ${action}.`);
        },
      },
    },
  });

  const unhandled = (res: ServerResponse) => (e: unknown) => {
    console.error('localsage: unhandled error', e);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  };
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    // The runtime answers synchronously or by callback: only async handlers cost a promise.
    try {
      const pending = handler(req, res);
      if (pending instanceof Promise) pending.catch(unhandled(res));
    } catch (e) {
      unhandled(res)(e);
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(config.port, config.host, ok);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log(`listening on ${url} (data in ${dataDir}, S3 backend ${store.kind}, timing ${config.timing})`);
  if (dashboard) log(`dashboard at ${url}${DASHBOARD_PATH}/`);

  return {
    url,
    port,
    server,
    config,
    async close() {
      await sagemaker.shutdown();
      await runtime.close();
      recorder.stop();
      autoscaling.close();
      clearInterval(flushMetrics);
      clearInterval(keepClock);
      db.setCounter('scaled-clock', clock.now());
      metrics.flush();
      server.closeAllConnections?.();
      await new Promise<void>((ok) => server.close(() => ok()));
      await store.close?.();
      db.close();
    },
  };
}
