import { answerBytes, type LoadedModel } from '../../algorithms/index.js';
import { DataProcessingError, filterInput, formatOf, joinAndFilter, needsProcessing, splitResponse, type DataProcessing } from './data-processing.js';
import type { SplitType } from './records.js';

export interface BatchSettings {
  contentType?: string;
  accept?: string;
  split: SplitType;
  processing: DataProcessing;
}

export interface BatchFailure {
  /** The HTTP status the container answered (4xx: ClientError, 5xx: AlgorithmError). */
  status: number;
  message: string;
}

export type BatchOutcome = { ok: true; body: Buffer; contentType: string } | { ok: false; error: BatchFailure };

/**
 * One request (a packed mini-batch): InputFilter on each Line record, the model's answer, then
 * JoinSource and OutputFilter record by record. Runs in the instance's worker thread.
 */
export function handleBatch(model: LoadedModel, s: BatchSettings, request: Buffer): BatchOutcome {
  const processing = needsProcessing(s.processing) && s.split === 'Line';
  const inputFormat = formatOf(s.contentType);
  let inputs: string[] | undefined;
  let payload = request;
  if (processing) {
    try {
      inputs = request.toString('utf8').split('\n').filter((l) => l !== '');
      payload = Buffer.from(inputs.map((t) => filterInput(t, inputFormat, s.processing.inputFilter)).join('\n') + '\n');
    } catch (e) {
      return { ok: false, error: { status: 400, message: (e as Error).message } };
    }
  }
  let out: { body: Buffer; contentType: string };
  try {
    const answer = model.predict(payload, s.contentType, s.accept);
    out = { body: answerBytes(answer.body), contentType: answer.contentType };
  } catch (e) {
    const err = e as Error & { originalStatus?: number };
    return { ok: false, error: { status: err.originalStatus ?? 500, message: err.message ?? String(err) } };
  }
  if (!processing) return { ok: true, body: out.body, contentType: out.contentType };
  try {
    const pieces = splitResponse(out.body.toString('utf8'), out.contentType, inputs!.length);
    const outputFormat = formatOf(out.contentType);
    const lines = pieces.map((piece, i) => joinAndFilter(inputs![i], inputFormat, piece, outputFormat, s.processing));
    return { ok: true, body: Buffer.from(lines.join('\n') + '\n'), contentType: out.contentType };
  } catch (e) {
    if (e instanceof DataProcessingError || e instanceof SyntaxError) return { ok: false, error: { status: 400, message: e.message } };
    throw e;
  }
}

