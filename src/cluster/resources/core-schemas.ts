/** core/v1 kinds other than Pod: Namespace, ConfigMap, Secret, Event, Node. */
import { z } from 'zod';
import { condition, objectMeta, objectReference, resourceList, time } from './meta-schemas.ts';

const stringMap = z.record(z.string(), z.string());

export const namespace = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Namespace'),
  metadata: objectMeta,
  spec: z.object({ finalizers: z.array(z.string()).optional() }).optional(),
  status: z.object({ phase: z.string().optional() }).optional(),
});

export const configMap = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata: objectMeta,
  data: stringMap.optional(),
  /** Values are base64, as in Kubernetes' JSON. */
  binaryData: stringMap.optional(),
  immutable: z.boolean().optional(),
});

export const secret = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Secret'),
  metadata: objectMeta,
  /** Values are base64. */
  data: stringMap.optional(),
  /** Write-only convenience: plain values, folded into `data` by defaulting and never stored. */
  stringData: stringMap.optional(),
  type: z.string().optional(),
  immutable: z.boolean().optional(),
});

export const event = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Event'),
  metadata: objectMeta,
  involvedObject: objectReference,
  reason: z.string().optional(),
  message: z.string().optional(),
  type: z.string().optional(),
  count: z.number().int().optional(),
  firstTimestamp: time.optional(),
  lastTimestamp: time.optional(),
  eventTime: time.optional(),
  source: z.object({ component: z.string().optional(), host: z.string().optional() }).optional(),
  reportingComponent: z.string().optional(),
  reportingInstance: z.string().optional(),
  action: z.string().optional(),
});

const taint = z.object({
  key: z.string(),
  value: z.string().optional(),
  effect: z.string(),
  timeAdded: time.optional(),
});

export const node = z.object({
  apiVersion: z.literal('v1'),
  kind: z.literal('Node'),
  metadata: objectMeta,
  spec: z
    .object({
      unschedulable: z.boolean().optional(),
      taints: z.array(taint).optional(),
      podCIDR: z.string().optional(),
      podCIDRs: z.array(z.string()).optional(),
      providerID: z.string().optional(),
    })
    .optional(),
  status: z
    .object({
      capacity: resourceList.optional(),
      allocatable: resourceList.optional(),
      conditions: z.array(condition.extend({ lastHeartbeatTime: time.optional() })).optional(),
      addresses: z.array(z.object({ type: z.string(), address: z.string() })).optional(),
      nodeInfo: z
        .object({
          machineID: z.string().optional(),
          systemUUID: z.string().optional(),
          bootID: z.string().optional(),
          kernelVersion: z.string().optional(),
          osImage: z.string().optional(),
          containerRuntimeVersion: z.string().optional(),
          kubeletVersion: z.string().optional(),
          operatingSystem: z.string().optional(),
          architecture: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
});

export type Namespace = z.infer<typeof namespace>;
export type ConfigMap = z.infer<typeof configMap>;
export type Secret = z.infer<typeof secret>;
export type Event = z.infer<typeof event>;
export type Node = z.infer<typeof node>;
export type Taint = z.infer<typeof taint>;
