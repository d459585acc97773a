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
  /** Links the hosts of one job for data-parallel training; absent (or one host) means alone. */
  collective?: Collective;
}

/** Data-parallel link between the hosts (instances) of one training job. */
export interface Collective {
  /**
   * Element-wise sum of `data` over every host. Every host must make the same sequence of calls
   * with equally long vectors; each call resolves once all hosts have contributed.
   */
  allReduceSum(data: Float64Array): Promise<Float64Array>;
}

export interface TrainResult {
  /** The bytes of the file `model_algo-1`. */
  model: Buffer;
}
