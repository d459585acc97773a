import type { ContainerDefinition } from '@aws-sdk/client-sagemaker';
import { algorithmForImage, answerBytes, isProcessingImage, type LoadedModel, type ModelAnswer } from '../../../algorithms/index.js';
import type { ContainerModel, DeployedVariant } from '../../containers/index.js';

/**
 * A serial inference pipeline (CreateModel with several Containers, InferenceExecutionConfig Mode
 * Serial, AWS's default): the request goes to the first container, each container's answer
 * (body and Content-Type) is the next one's request, and the last one's answer is the response.
 * Every container but the last answers in its SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT (text/csv when
 * it names none); the last one answers in the request's Accept. AutoML's candidates deploy as one.
 */
export interface PipelineStage {
  model: LoadedModel | ContainerModel;
  /** The Accept this stage is asked for when another stage follows it. */
  accept: string;
}

const isAsync = (m: LoadedModel | ContainerModel): m is ContainerModel => m.algorithm === 'container';

/** One model made of the stages, synchronous when every stage is a built-in one. */
export function pipelineModel(stages: PipelineStage[]): LoadedModel | ContainerModel {
  const acceptOf = (i: number, accept: string | undefined) => (i === stages.length - 1 ? accept : stages[i].accept);
  if (!stages.some((s) => isAsync(s.model))) {
    return {
      algorithm: 'inference-pipeline',
      predict(body, contentType, accept) {
        let answer: ModelAnswer = { body, contentType: contentType ?? 'text/csv' };
        for (const [i, s] of stages.entries()) answer = (s.model as LoadedModel).predict(answerBytes(answer.body), answer.contentType, acceptOf(i, accept));
        return answer;
      },
    };
  }
  return {
    algorithm: 'container',
    async predict(body, contentType, accept) {
      let answer: { body: Buffer; contentType: string } = { body, contentType: contentType ?? 'text/csv' };
      for (const [i, s] of stages.entries()) {
        const out = await s.model.predict(answer.body, answer.contentType, acceptOf(i, accept));
        answer = { body: answerBytes(out.body), contentType: out.contentType };
      }
      return answer;
    },
  };
}

/** Whether localsage serves the container in-process (a built-in algorithm or AutoML's data processing). */
export const servedInProcess = (c: ContainerDefinition) => !!c.Image && (!!algorithmForImage(c.Image) || isProcessingImage(c.Image));

/**
 * Loads every container of a pipeline: in-process ones from their model data, any other as a
 * started container (stopped again if a later one fails). The caller stops `deployed` when the
 * variant goes.
 */
export async function loadPipeline(
  containers: ContainerDefinition[],
  loadBuiltIn: (modelDataUrl: string, environment: Record<string, string>) => Promise<LoadedModel>,
  startContainer: (container: ContainerDefinition) => Promise<DeployedVariant>,
): Promise<{ model: LoadedModel | ContainerModel; deployed: DeployedVariant[] }> {
  const deployed: DeployedVariant[] = [];
  const stages: PipelineStage[] = [];
  try {
    for (const [i, c] of containers.entries()) {
      const accept = c.Environment?.SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT ?? 'text/csv';
      if (servedInProcess(c)) {
        if (!c.ModelDataUrl) throw new Error(`Container ${i + 1} (${c.Image}) of the pipeline has no ModelDataUrl; it needs model data to serve.`);
        stages.push({ model: await loadBuiltIn(c.ModelDataUrl, c.Environment ?? {}), accept });
      } else {
        const d = await startContainer(c);
        deployed.push(d);
        stages.push({ model: d.model, accept });
      }
    }
  } catch (e) {
    await Promise.all(deployed.map((d) => d.stop()));
    throw e;
  }
  return { model: pipelineModel(stages), deployed };
}
