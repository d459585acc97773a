/**
 * What CreateProcessingJob accepts beyond the service model's shapes: the inputs and outputs
 * localsage can run, and LocalPaths that stay under /opt/ml/processing/.
 */
import { posix } from 'node:path';
import type { CreateProcessingJobRequest } from '@aws-sdk/client-sagemaker';
import { validation } from '../../protocol/errors.js';

/** Inputs and outputs live under /opt/ml/processing; a path that leaves it would reach the host. */
function checkLocalPath(what: string, p: string | undefined, appManaged: boolean | undefined): void {
  // An AppManaged input or output is the application's business: SageMaker moves no data for it.
  if (!p && appManaged) return;
  if (!p) throw validation(`${what}: LocalPath is required when AppManaged is False.`);
  if (posix.normalize(p).replace(/\/+$/, '') !== p.replace(/\/+$/, '') || !p.startsWith('/opt/ml/processing/')) {
    throw validation(`LocalPath ${p} is not valid: it must be an absolute path under /opt/ml/processing/.`);
  }
}

export function checkInputs(req: CreateProcessingJobRequest): void {
  const names = new Set<string>();
  for (const i of req.ProcessingInputs ?? []) {
    if (names.has(i.InputName!)) throw validation(`Input names must be unique. Found duplicate input name: ${i.InputName}`);
    names.add(i.InputName!);
    if (i.DatasetDefinition) {
      // The query runs in Amazon Athena or Amazon Redshift, which localsage does not emulate.
      const source = i.DatasetDefinition.AthenaDatasetDefinition ? 'an Amazon Athena query' : i.DatasetDefinition.RedshiftDatasetDefinition ? 'an Amazon Redshift query' : 'a dataset query';
      throw validation(`Input ${i.InputName}: DatasetDefinition inputs are not supported by localsage: the data is the result of ${source}, and localsage emulates neither Athena nor Redshift. Run the query beforehand and pass its result as an S3Input.`);
    }
    if (!i.S3Input) throw validation(`Input ${i.InputName}: localsage supports only S3Input processing inputs.`);
    if (i.S3Input.S3InputMode === 'Pipe') {
      // AWS streams Pipe inputs into named pipes but documents no FIFO path for processing containers.
      throw validation(`Input ${i.InputName}: S3InputMode Pipe is not supported by localsage for processing jobs (the path of the named pipe in a processing container is not documented); use S3InputMode File.`);
    }
    if (i.S3Input.S3CompressionType === 'Gzip') {
      throw validation(`Input ${i.InputName}: S3CompressionType Gzip can only be used with S3InputMode Pipe; File mode only supports None.`);
    }
    checkLocalPath(`Input ${i.InputName}`, i.S3Input.LocalPath, i.AppManaged);
  }
}

export function checkOutputs(req: CreateProcessingJobRequest): void {
  for (const o of req.ProcessingOutputConfig?.Outputs ?? []) {
    if (o.FeatureStoreOutput) throw validation(`Output ${o.OutputName}: FeatureStoreOutput is not supported by localsage: the processing application ingests into the feature group itself; use an S3Output.`);
    if (!o.S3Output) throw validation(`Output ${o.OutputName}: localsage supports only S3Output processing outputs.`);
    checkLocalPath(`Output ${o.OutputName}`, o.S3Output.LocalPath, o.AppManaged);
  }
}
