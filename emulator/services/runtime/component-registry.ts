import { AwsError } from '../../protocol/errors.js';
import type { Scope } from '../../storage/database.js';
import { routeFleet } from './fleet-shift.js';
import type { ServingEndpoint, ServingVariant } from './serving-registry.js';

/** One InService inference component: the endpoint it is placed on and what serves it. */
export interface ServingComponent {
  name: string;
  endpointName: string;
  /** The component's model, answering as the endpoint variant it is placed on (InvokedProductionVariant). */
  variant: ServingVariant;
  /** CurrentCopyCount: with none, requests are refused (scale to zero). */
  copies: number;
}

/** InvokeEndpoint's answers for an endpoint that hosts inference components and a request without the header. */
export const COMPONENT_HEADER_REQUIRED =
  'Inference Component Name header is required for endpoints to which you plan to deploy inference components. Please include Inference Component Name header or consider using SageMaker models.';
/** ... and for an endpoint that hosts models, with the header. */
export const COMPONENT_HEADER_NOT_ALLOWED =
  'Inference Component Name header is not allowed for endpoints to which you dont plan to deploy inference components. Please remove the Inference Component Name header and try again.';
/** ... and for a component with no copy in service (its CopyCount scaled to zero). */
export const COMPONENT_NO_CAPACITY =
  'Inference Component has no capacity to process this request. ApplicationAutoScaling may be in-progress (if configured) or try to increase the capacity by invoking UpdateInferenceComponentRuntimeConfig API.';

/**
 * The inference components in service, by account, region and component name (names are unique
 * per account and region, not per endpoint). Only requests that carry the
 * X-Amzn-SageMaker-Inference-Component header look here.
 */
export class ComponentRegistry {
  private readonly components = new Map<string, ServingComponent>();

  private key(scope: Scope, name: string): string {
    return `${scope.accountId}\u0000${scope.region}\u0000${name}`;
  }

  set(scope: Scope, component: ServingComponent): void {
    this.components.set(this.key(scope, component.name), component);
  }

  get(scope: Scope, name: string): ServingComponent | undefined {
    return this.components.get(this.key(scope, name));
  }

  remove(scope: Scope, name: string): void {
    this.components.delete(this.key(scope, name));
  }

  /** The components placed on an endpoint (the endpoint is being deleted). */
  onEndpoint(scope: Scope, endpointName: string): ServingComponent[] {
    const prefix = this.key(scope, '');
    return [...this.components.entries()].filter(([k, c]) => k.startsWith(prefix) && c.endpointName.toLowerCase() === endpointName.toLowerCase()).map(([, c]) => c);
  }

  /**
   * The variant a request naming an inference component goes to, or AWS's refusal: the header
   * on an endpoint without components, a component not on this endpoint, one without copies.
   */
  resolve(scope: Scope, endpoint: ServingEndpoint, name: string): ServingVariant {
    if (!endpoint.componentBased) throw new AwsError('ValidationError', COMPONENT_HEADER_NOT_ALLOWED);
    const component = this.get(scope, name);
    if (!component || component.endpointName.toLowerCase() !== endpoint.name.toLowerCase()) {
      throw new AwsError('ValidationError', `Inference Component ${name} not found for endpoint ${endpoint.name} of account ${scope.accountId}.`);
    }
    if (component.copies <= 0) throw new AwsError('ValidationError', COMPONENT_NO_CAPACITY);
    // During a rolling update the component's requests are split between old and new copies.
    return routeFleet(component.variant);
  }
}
