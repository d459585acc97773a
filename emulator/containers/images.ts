/**
 * Which images localsage runs outside its built-in algorithms, and with what: the scikit-learn
 * and XGBoost framework images (a local Python environment), any image mapped to a local command
 * in the image config, or, where a Docker daemon answers, the image itself.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export type Framework = 'sklearn' | 'xgboost';

/** How an image is run. */
export type ImageRunner =
  | { kind: 'framework'; framework: Framework; python: string }
  | { kind: 'command'; command: string[] }
  | { kind: 'docker'; image: string };

/** An image the emulator cannot run; the message says what to configure. */
export class UnrunnableImageError extends Error {}

// 683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3 (and the
// other regions' accounts); the repository name is what identifies the framework.
const FRAMEWORK_IMAGE = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/(sagemaker-scikit-learn|sagemaker-xgboost)(?::[A-Za-z0-9_.-]+|@sha256:[0-9a-f]{64})$/;

/** A Docker image reference (`[registry/]repo[:tag][@digest]`); anything else SageMaker calls invalid. */
export function isImageReference(image: string): boolean {
  return /^(?:[a-z0-9.-]+(?::\d+)?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$/.test(image);
}

export function frameworkOfImage(image: string): Framework | undefined {
  const m = FRAMEWORK_IMAGE.exec(image.trim());
  if (!m) return undefined;
  return m[1] === 'sagemaker-xgboost' ? 'xgboost' : 'sklearn';
}

/** Where `localsage frameworks install` puts the environments (LOCALSAGE_FRAMEWORK_HOME). */
export function frameworkHome(): string {
  return resolve(process.env.LOCALSAGE_FRAMEWORK_HOME || join(homedir(), '.cache', 'localsage', 'frameworks'));
}

export function frameworkPython(framework: Framework, home = frameworkHome()): string {
  return join(home, framework, 'bin', 'python');
}

interface ImageConfigEntry {
  /** The image URI; `*` matches any run of characters. */
  image: string;
  /** A Python interpreter with the framework installed (framework images only). */
  python?: string;
  /** A local command implementing the container contract: run with `train` or `serve` appended. */
  command?: string[] | string;
  /** Run the image with Docker. */
  docker?: boolean;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/**
 * The image config (--image-config / LOCALSAGE_IMAGE_CONFIG): a JSON file
 * `{"images": [{"image": "<uri or glob>", "python" | "command" | "docker": ...}]}`. Read on each
 * use so that an edit applies to the next job or model without a restart.
 */
export class ImageResolver {
  constructor(
    private readonly configPath: string | undefined,
    private readonly dockerAvailable: () => boolean,
  ) {}

  private entries(): ImageConfigEntry[] {
    if (!this.configPath) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.configPath, 'utf8'));
    } catch (e) {
      throw new UnrunnableImageError(`The image config ${this.configPath} cannot be read: ${(e as Error).message}`);
    }
    const images = (parsed as { images?: unknown }).images;
    if (!Array.isArray(images)) throw new UnrunnableImageError(`The image config ${this.configPath} must hold {"images": [...]}.`);
    return images as ImageConfigEntry[];
  }

  /** How to run `image`; throws UnrunnableImageError naming what to configure. */
  resolve(image: string): ImageRunner {
    const framework = frameworkOfImage(image);
    for (const e of this.entries()) {
      if (typeof e.image !== 'string' || !globToRegExp(e.image).test(image)) continue;
      if (e.command) return { kind: 'command', command: typeof e.command === 'string' ? ['/bin/sh', '-c', `${e.command} "$@"`, 'container'] : e.command };
      if (e.python) {
        if (!framework) throw new UnrunnableImageError(`The image config maps "${image}" to a Python environment, but only the scikit-learn and XGBoost framework images run that way; map it to a "command" instead.`);
        return { kind: 'framework', framework, python: e.python };
      }
      if (e.docker) return { kind: 'docker', image };
    }
    if (framework) {
      const python = frameworkPython(framework);
      if (existsSync(python)) return { kind: 'framework', framework, python };
    }
    if (this.dockerAvailable()) return { kind: 'docker', image };
    if (framework) {
      throw new UnrunnableImageError(
        `localsage runs the ${framework === 'sklearn' ? 'scikit-learn' : 'XGBoost'} image "${image}" with a local Python environment, and none is installed: run \`localsage frameworks install ${framework}\` (it creates ${frameworkPython(framework)}), or map the image to a Python interpreter in the image config (--image-config, LOCALSAGE_IMAGE_CONFIG).`,
      );
    }
    throw new UnrunnableImageError(
      `localsage cannot run the image "${image}": it is not a built-in algorithm (linear-learner, kmeans) or framework (scikit-learn, XGBoost) image, no Docker daemon answers, and the image config (--image-config, LOCALSAGE_IMAGE_CONFIG) maps it to no local command.`,
    );
  }
}
