import type { AddTagsInput, AddTagsOutput, DeleteTagsInput, ListTagsInput, ListTagsOutput } from '@aws-sdk/client-sagemaker';
import { validation } from '../../../protocol/errors.js';
import type { ServiceDeps } from '../../deps.js';
import { pageByOffset } from '../../page-token.js';
import { invalidNextToken } from '../listing.js';

/** Tags on any SageMaker resource, addressed by ARN: the one tag store of the engine's families and the services' (Create's Tags land here too). */
export class TagService {
  constructor(private readonly deps: ServiceDeps) {}

  private requireResource(arn: string): void {
    if (!this.deps.db.byArn(arn)) throw validation(`Resource ${arn} does not exist.`);
  }

  add(req: AddTagsInput): AddTagsOutput {
    this.requireResource(req.ResourceArn!);
    const existing = new Set(this.deps.db.tags(req.ResourceArn!).map((t) => t.Key));
    const added = (req.Tags ?? []).filter((t) => !existing.has(t.Key!)).length;
    if (existing.size + added > 50) throw validation('Tags could not be added: a resource can have at most 50 tags.');
    this.deps.db.addTags(req.ResourceArn!, req.Tags ?? []);
    return { Tags: req.Tags };
  }

  list(req: ListTagsInput): ListTagsOutput {
    this.requireResource(req.ResourceArn!);
    const { items, nextToken } = pageByOffset(this.deps.db.tags(req.ResourceArn!), req.NextToken, req.MaxResults ?? 50, invalidNextToken);
    return { Tags: items, NextToken: nextToken };
  }

  delete(req: DeleteTagsInput): Record<string, never> {
    this.requireResource(req.ResourceArn!);
    this.deps.db.deleteTags(req.ResourceArn!, req.TagKeys ?? []);
    return {};
  }
}
