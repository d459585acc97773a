import { instanceProfile } from '../../../core/instance-types.js';
import type { Database, Scope } from '../../storage/database.js';
import { ENDPOINT_CONFIG_KIND, type EndpointConfigRecord } from './endpoint-configs.js';
import { ENDPOINT_KIND } from './endpoints.js';
import type { ComponentRecord } from './inference-components.js';

/** Storage kind of inference components (here, where both the service and placement read it). */
export const INFERENCE_COMPONENT_KIND = 'inference-component';

/**
 * Whether a component's copies fit on its variant's instances, beside the other components
 * placed there: each copy needs its ComputeResourceRequirements (CPU cores, accelerator devices,
 * MinMemoryRequiredInMb) on one instance, from the instance type's profile
 * (core/instance-types.ts). With ManagedInstanceScaling enabled the variant may grow to its
 * MaxInstanceCount. Returns the failure reason, or undefined when the copies fit.
 */
export function placementProblem(db: Database, scope: Scope, c: ComponentRecord): string | undefined {
  const endpoint = db.get<{ EndpointConfigName?: string }>(scope, ENDPOINT_KIND, c.endpointName)?.data;
  const config = endpoint && db.get<EndpointConfigRecord>(scope, ENDPOINT_CONFIG_KIND, endpoint.EndpointConfigName!)?.data;
  const variant = config?.ProductionVariants?.find((v) => v.VariantName === c.variantName);
  if (!variant) return `The production variant "${c.variantName}" of endpoint "${c.endpointName}" no longer exists.`;
  const profile = instanceProfile(variant.InstanceType);
  const memoryMb = profile.memoryGiB * 1024;
  const accelerators = profile.accelerator ? Number(/^(\d+)/.exec(profile.accelerator)?.[1] ?? 1) : 0;
  const need = demand(c);
  if (need.cores > profile.vcpu || need.memoryMb > memoryMb || need.accelerators > accelerators) {
    return `One copy of inference component "${c.name}" needs ${need.cores} CPU cores, ${need.accelerators} accelerator devices and ${need.memoryMb} MB of memory; an ${profile.name} instance has ${profile.vcpu}, ${accelerators} and ${memoryMb} MB.`;
  }
  const scaling = variant.ManagedInstanceScaling;
  const instances = scaling?.Status === 'ENABLED' ? Math.max(variant.InitialInstanceCount ?? 1, scaling.MaxInstanceCount ?? 0) : (variant.InitialInstanceCount ?? 1);
  // Copies already placed on the variant by the other components.
  const used = { cores: 0, memoryMb: 0, accelerators: 0 };
  for (const r of db.list<ComponentRecord>(scope, INFERENCE_COMPONENT_KIND)) {
    const o = r.data;
    if (o.name === c.name || o.endpointName.toLowerCase() !== c.endpointName.toLowerCase() || o.variantName !== c.variantName) continue;
    if (o.status === 'Failed' || o.status === 'Deleting') continue;
    const d = demand(o);
    used.cores += d.cores * o.desiredCopies;
    used.memoryMb += d.memoryMb * o.desiredCopies;
    used.accelerators += d.accelerators * o.desiredCopies;
  }
  const free = { cores: profile.vcpu * instances - used.cores, memoryMb: memoryMb * instances - used.memoryMb, accelerators: accelerators * instances - used.accelerators };
  const fits = Math.min(
    need.cores ? Math.floor(free.cores / need.cores) : Infinity,
    need.memoryMb ? Math.floor(free.memoryMb / need.memoryMb) : Infinity,
    need.accelerators ? Math.floor(free.accelerators / need.accelerators) : Infinity,
  );
  if (c.desiredCopies > fits) {
    return `Insufficient capacity to place ${c.desiredCopies} copies of inference component "${c.name}" on variant "${c.variantName}" of endpoint "${c.endpointName}": ${instances} x ${profile.name} has room for ${Math.max(0, fits)} more.`;
  }
  return undefined;
}

function demand(c: ComponentRecord): { cores: number; memoryMb: number; accelerators: number } {
  const r = c.specification.ComputeResourceRequirements;
  return { cores: r?.NumberOfCpuCoresRequired ?? 0, memoryMb: r?.MinMemoryRequiredInMb ?? 0, accelerators: r?.NumberOfAcceleratorDevicesRequired ?? 0 };
}
