export type AlgorithmName = 'linear-learner' | 'kmeans';

export interface ChannelFiles {
  name: string;
  /** e.g. 'text/csv', 'text/csv;label_size=0', 'application/x-recordio-protobuf'; undefined => RecordIO-protobuf. */
  contentType?: string;
  compression: 'None' | 'Gzip';
  /** Local file paths, already downloaded (sorted). */
  files: string[];
}

export interface TrainRequest {
  algorithm: AlgorithmName;
  hyperParameters: Record<string, string>;
  channels: ChannelFiles[];
  host: string;
  hosts: string[];
  /** Receives fully formatted log lines. */
  log: (line: string) => void;
  seed?: number;
}

export interface TrainResult {
  /** The bytes of the file `model_algo-1`. */
  model: Buffer;
}
