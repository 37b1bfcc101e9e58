/**
 * Service (core/v1) and EndpointSlice (discovery.k8s.io/v1): a stable virtual address for a set of pods,
 * and the list of those pods' addresses the EndpointSlice controller keeps. Kubernetes' shape, so users'
 * manifests apply unchanged.
 */
import { z } from 'zod';
import { intOrString, objectMeta, objectReference } from './meta-schemas.ts';

/** The label that ties an EndpointSlice to its Service (Kubernetes' name). */
export const serviceNameLabel = 'kubernetes.io/service-name';
/** The label naming who manages an EndpointSlice (Kubernetes' name and value for its controller). */
export const managedByLabel = 'endpointslice.kubernetes.io/managed-by';
export const endpointSliceControllerName = 'endpointslice-controller.k8s.io';

const servicePort = z.object({
  name: z.string().optional(),
  protocol: z.string().optional(),
  port: z.number().int(),
  /** A number, or the name of a container port in each selected pod. Defaults to `port`. */
  targetPort: intOrString.optional(),
  nodePort: z.number().int().optional(),
});

export const service = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata: objectMeta,
  spec: z
    .object({
      type: z.string().optional(),
      /** An IPv4 address from the service range, `None` (headless), or empty (allocated at create). */
      clusterIP: z.string().optional(),
      clusterIPs: z.array(z.string()).optional(),
      ports: z.array(servicePort).optional(),
      selector: z.record(z.string(), z.string()).optional(),
      sessionAffinity: z.string().optional(),
      sessionAffinityConfig: z
        .object({ clientIP: z.object({ timeoutSeconds: z.number().int().optional() }).optional() })
        .optional(),
      externalIPs: z.array(z.string()).optional(),
      publishNotReadyAddresses: z.boolean().optional(),
    })
    .optional(),
  status: z
    .object({
      loadBalancer: z
        .object({
          ingress: z
            .array(z.object({ ip: z.string().optional(), hostname: z.string().optional() }))
            .optional(),
        })
        .optional(),
    })
    .optional(),
});

const endpoint = z.object({
  addresses: z.array(z.string()),
  conditions: z
    .object({
      /** Serving and not terminating: the data path sends new connections here. */
      ready: z.boolean().optional(),
      /** Passing readiness, whether or not terminating. */
      serving: z.boolean().optional(),
      terminating: z.boolean().optional(),
    })
    .optional(),
  hostname: z.string().optional(),
  targetRef: objectReference.optional(),
  nodeName: z.string().optional(),
});

const endpointPort = z.object({
  name: z.string().optional(),
  protocol: z.string().optional(),
  port: z.number().int().optional(),
});

export const endpointSlice = z.object({
  apiVersion: z.literal('discovery.k8s.io/v1'),
  kind: z.literal('EndpointSlice'),
  metadata: objectMeta,
  addressType: z.string(),
  /** Kubernetes writes `null` for none, which decoding drops: absent means no endpoints. */
  endpoints: z.array(endpoint).optional(),
  ports: z.array(endpointPort).optional(),
});

export type Service = z.infer<typeof service>;
export type ServiceSpec = NonNullable<Service['spec']>;
export type ServicePort = z.infer<typeof servicePort>;
export type EndpointSlice = z.infer<typeof endpointSlice>;
export type Endpoint = z.infer<typeof endpoint>;
export type EndpointPort = z.infer<typeof endpointPort>;
