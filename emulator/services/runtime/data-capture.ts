import type { DataCaptureConfig } from '@aws-sdk/client-sagemaker';
import type { Clock } from '../../../core/clock.js';
import { Rng } from '../../../core/random.js';
import { answerBytes } from '../../../algorithms/index.js';
import { parseS3Uri, type ObjectStore } from '../../storage/object-store.js';

/** How long captured records wait before they are written out as one file. */
const FLUSH_AFTER_MS = 1000;
/** A buffer this large is written at once. */
const FLUSH_BYTES = 4 << 20;

export interface CaptureSettings {
  bucket: string;
  prefix: string;
  percentage: number;
  input: boolean;
  output: boolean;
  csvTypes: Set<string>;
  jsonTypes: Set<string>;
}

/** The endpoint config's DataCaptureConfig as the invoke path uses it; undefined when off. */
export function captureSettings(config: DataCaptureConfig | undefined): CaptureSettings | undefined {
  if (!config || config.EnableCapture === false || !config.DestinationS3Uri) return undefined;
  const { bucket, key } = parseS3Uri(config.DestinationS3Uri.replace(/^https:\/\/[^/]+\//, 's3://'));
  const modes = new Set((config.CaptureOptions ?? []).map((o) => o.CaptureMode));
  const lower = (xs: string[] | undefined) => new Set((xs ?? []).map((x) => x.toLowerCase()));
  return {
    bucket,
    prefix: key.replace(/\/+$/, ''),
    percentage: config.InitialSamplingPercentage ?? 0,
    input: modes.has('Input') || modes.has('InputAndOutput'),
    output: modes.has('Output') || modes.has('InputAndOutput'),
    csvTypes: lower(config.CaptureContentTypeHeader?.CsvContentTypes),
    jsonTypes: lower(config.CaptureContentTypeHeader?.JsonContentTypes),
  };
}

export interface CapturedExchange {
  endpoint: string;
  variant: string;
  inferenceId?: string;
  input: { body: Buffer; contentType?: string };
  output: { body: Buffer | string; contentType: string };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * Model Monitor's data capture: sampled request/response pairs as JSON Lines under
 * `<destination>/<endpoint>/<variant>/yyyy/mm/dd/hh/<mm-ss-mmm>-<uuid>.jsonl`, one record each:
 * `{"captureData": {"endpointInput": {...}, "endpointOutput": {...}}, "eventMetadata": {...},
 * "eventVersion": "0"}`, the payload encoded as CSV or JSON text for the content types the
 * config lists, BASE64 otherwise. Records are buffered per file and written off the hot path.
 */
export class DataCapture {
  private readonly rng = new Rng(Date.now() % 2 ** 32);
  private readonly buffers = new Map<string, { settings: CaptureSettings; lines: string[]; bytes: number; cancel: () => void }>();
  private writing: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: ObjectStore,
    private readonly clock: Clock,
  ) {}

  /** Called for every successful invocation of an endpoint that captures: samples, then buffers. */
  capture(settings: CaptureSettings, x: CapturedExchange): void {
    if (!(settings.input || settings.output)) return;
    if (settings.percentage < 100 && this.rng.next() * 100 >= settings.percentage) return;
    const now = new Date(this.clock.now());
    const captureData: Record<string, unknown> = {};
    if (settings.input) captureData.endpointInput = this.encode(settings, 'INPUT', x.input.body, x.input.contentType);
    if (settings.output) captureData.endpointOutput = this.encode(settings, 'OUTPUT', x.output.body, x.output.contentType);
    const eventMetadata: Record<string, string> = { eventId: this.rng.uuid(), inferenceTime: now.toISOString().replace(/\.\d+Z$/, 'Z') };
    if (x.inferenceId) eventMetadata.inferenceId = x.inferenceId;
    const line = JSON.stringify({ captureData, eventMetadata, eventVersion: '0' });
    const hour = `${now.getUTCFullYear()}/${pad(now.getUTCMonth() + 1)}/${pad(now.getUTCDate())}/${pad(now.getUTCHours())}`;
    const key = `${settings.bucket}\0${settings.prefix ? `${settings.prefix}/` : ''}${x.endpoint}/${x.variant}/${hour}`;
    let buf = this.buffers.get(key);
    if (!buf) {
      buf = { settings, lines: [], bytes: 0, cancel: this.clock.schedule(FLUSH_AFTER_MS, () => this.flush(key)) };
      this.buffers.set(key, buf);
    }
    buf.lines.push(line);
    buf.bytes += line.length;
    if (buf.bytes >= FLUSH_BYTES) this.flush(key);
  }

  /** Writes everything buffered (emulator shutdown, tests). */
  async flushAll(): Promise<void> {
    for (const key of [...this.buffers.keys()]) this.flush(key);
    await this.writing;
  }

  private encode(settings: CaptureSettings, mode: 'INPUT' | 'OUTPUT', body: Buffer | string, contentType: string | undefined) {
    const mime = (contentType ?? '').split(';')[0].trim().toLowerCase();
    const encoding = settings.csvTypes.has(mime) ? 'CSV' : settings.jsonTypes.has(mime) ? 'JSON' : 'BASE64';
    return { observedContentType: contentType ?? '', mode, data: encoding === 'BASE64' ? answerBytes(body).toString('base64') : String(body), encoding };
  }

  private flush(key: string): void {
    const buf = this.buffers.get(key);
    if (!buf) return;
    this.buffers.delete(key);
    buf.cancel();
    const [bucket, folder] = key.split('\0');
    const now = new Date(this.clock.now());
    const file = `${folder}/${pad(now.getUTCMinutes())}-${pad(now.getUTCSeconds())}-${pad(now.getUTCMilliseconds(), 3)}-${this.rng.uuid()}.jsonl`;
    const body = Buffer.from(buf.lines.join('\n') + '\n');
    this.writing = this.writing.then(() =>
      this.store.putObject(bucket, file, body, { contentType: 'application/octet-stream' }).catch((e: Error) => {
        // A missing bucket loses the capture, as on AWS; the endpoint keeps serving.
        console.error(`localsage: data capture to s3://${bucket}/${file} failed: ${e.message}`);
      }),
    );
  }
}
