import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/**
 * The official service models (botocore's service-2.json, documentation stripped), so that every
 * constraint we enforce comes from AWS's own definition rather than handwritten checks.
 */
export interface Shape {
  type: string;
  members?: Record<string, { shape: string; location?: string; locationName?: string }>;
  required?: string[];
  /** rest protocols: the member that is the whole HTTP body. */
  payload?: string;
  member?: { shape: string };
  key?: { shape: string };
  value?: { shape: string };
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  exception?: boolean;
  /** A union whose members are the events of an event stream (rest-json output payloads). */
  eventstream?: boolean;
  error?: { httpStatusCode?: number; code?: string };
}

export interface Operation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: { shape: string };
  output?: { shape: string };
  errors?: { shape: string }[];
}

export interface ServiceModel {
  metadata: { targetPrefix?: string; protocol: string; apiVersion: string; signingName?: string; endpointPrefix: string };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

const cache = new Map<string, ServiceModel>();

export function loadServiceModel(file: string): ServiceModel {
  let model = cache.get(file);
  if (!model) {
    const url = new URL(`../service-models/${file}`, import.meta.url);
    model = JSON.parse(gunzipSync(readFileSync(url)).toString('utf8')) as ServiceModel;
    cache.set(file, model);
  }
  return model;
}

export const sagemakerModel = () => loadServiceModel('sagemaker-2017-07-24.json.gz');
export const logsModel = () => loadServiceModel('logs-2014-03-28.json.gz');
export const sagemakerRuntimeModel = () => loadServiceModel('sagemaker-runtime-2017-05-13.json.gz');
export const applicationAutoScalingModel = () => loadServiceModel('application-autoscaling-2016-02-06.json.gz');
/** CloudWatch (endpoint prefix `monitoring`): served over awsJson1_0 and over the query protocol. */
export const cloudWatchModel = () => loadServiceModel('monitoring-2010-08-01.json.gz');
