import { homedir, tmpdir } from 'node:os';
import { basename } from 'node:path';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A message for an API answer (a FailureReason, a validation message) without the host's paths:
 * a job's work directory reads as the container's /opt/ml, as on SageMaker, and any other path
 * under the data dir, the working directory, the home or the temp directory shrinks to its last
 * component. Error messages of Node and of libraries often carry the full path of a file.
 */
export function hideHostPaths(message: string, dataDir: string, workDir?: string): string {
  let out = message;
  if (workDir) out = out.replace(new RegExp(escape(workDir), 'g'), '/opt/ml');
  const roots = [dataDir, process.cwd(), homedir(), tmpdir()].filter((r) => r.length > 1).sort((a, b) => b.length - a.length);
  for (const root of roots) {
    out = out.replace(new RegExp(`${escape(root)}(/[^\\s'"\`),;:]*)?`, 'g'), (_m, rest?: string) => (rest ? basename(rest) : '.'));
  }
  return out;
}
