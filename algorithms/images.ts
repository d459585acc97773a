import type { AlgorithmName } from './types.js';

/** Registry accounts per region (section 4); both algorithms share one account per region. */
export const ALGORITHM_ACCOUNTS: Readonly<Record<string, string>> = {
  'us-east-1': '382416733822',
  'us-east-2': '404615174143',
  'us-west-1': '632365934929',
  'us-west-2': '174872318107',
  'eu-west-1': '438346466558',
  'eu-west-2': '644912444149',
  'eu-central-1': '664544806723',
  'ap-northeast-1': '351501993468',
  'ap-southeast-1': '475088953585',
  'ap-southeast-2': '712309505854',
  'ap-south-1': '991648021394',
  'ca-central-1': '469771592824',
  'sa-east-1': '855470959533',
};

const IMAGE_RE =
  /^(\d{12})\.dkr\.ecr\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?\/(linear-learner|kmeans)(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})|:?@sha256:[0-9a-f]{64})$/;

/** Maps a built-in algorithm image URI to its algorithm; undefined for any other image. */
export function algorithmForImage(image: string): AlgorithmName | undefined {
  const m = IMAGE_RE.exec(image.trim());
  if (!m) return undefined;
  const [, account, region, repo] = m;
  const known = ALGORITHM_ACCOUNTS[region];
  if (known !== undefined && known !== account) return undefined;
  return repo as AlgorithmName;
}

/** The URI `image_uris.retrieve(<algorithm>, region, '1')` would give. */
export function imageUriFor(algorithm: AlgorithmName, region: string, tag = '1'): string {
  const account = ALGORITHM_ACCOUNTS[region] ?? ALGORITHM_ACCOUNTS['us-east-1'];
  return `${account}.dkr.ecr.${region}.amazonaws.com/${algorithm}:${tag}`;
}
