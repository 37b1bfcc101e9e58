/** coordination.k8s.io/v1: Lease, the node agent's heartbeat. */
import { z } from 'zod';
import { objectMeta, time } from './meta-schemas.ts';

/** Where node agents keep their heartbeat Leases, one per node named after it (Kubernetes' namespace). */
export const nodeLeaseNamespace = 'kube-node-lease';

export const lease = z.object({
  apiVersion: z.literal('coordination.k8s.io/v1'),
  kind: z.literal('Lease'),
  metadata: objectMeta,
  spec: z
    .object({
      holderIdentity: z.string().optional(),
      leaseDurationSeconds: z.number().int().optional(),
      acquireTime: time.optional(),
      renewTime: time.optional(),
      leaseTransitions: z.number().int().optional(),
    })
    .optional(),
});

export type Lease = z.infer<typeof lease>;
