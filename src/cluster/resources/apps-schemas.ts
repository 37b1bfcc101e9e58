/** apps/v1: Deployment and ReplicaSet. */
import { z } from 'zod';
import { condition, intOrString, labelSelector, objectMeta, time } from './meta-schemas.ts';
import { podTemplateSpec } from './pod-schemas.ts';

const deploymentCondition = condition.extend({ lastUpdateTime: time.optional() });

export const deployment = z.object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata: objectMeta,
  spec: z.object({
    replicas: z.number().int().optional(),
    selector: labelSelector,
    template: podTemplateSpec,
    strategy: z
      .object({
        type: z.string().optional(),
        rollingUpdate: z
          .object({ maxSurge: intOrString.optional(), maxUnavailable: intOrString.optional() })
          .optional(),
      })
      .optional(),
    minReadySeconds: z.number().int().optional(),
    revisionHistoryLimit: z.number().int().optional(),
    progressDeadlineSeconds: z.number().int().optional(),
    paused: z.boolean().optional(),
  }),
  status: z
    .object({
      observedGeneration: z.number().int().optional(),
      replicas: z.number().int().optional(),
      updatedReplicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      unavailableReplicas: z.number().int().optional(),
      conditions: z.array(deploymentCondition).optional(),
      collisionCount: z.number().int().optional(),
    })
    .optional(),
});

export const replicaSet = z.object({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('ReplicaSet'),
  metadata: objectMeta,
  spec: z.object({
    replicas: z.number().int().optional(),
    selector: labelSelector,
    template: podTemplateSpec,
    minReadySeconds: z.number().int().optional(),
  }),
  status: z
    .object({
      replicas: z.number().int(),
      fullyLabeledReplicas: z.number().int().optional(),
      readyReplicas: z.number().int().optional(),
      availableReplicas: z.number().int().optional(),
      observedGeneration: z.number().int().optional(),
      conditions: z.array(condition).optional(),
    })
    .optional(),
});

export type Deployment = z.infer<typeof deployment>;
export type DeploymentSpec = Deployment['spec'];
export type DeploymentStrategy = NonNullable<DeploymentSpec['strategy']>;
export type DeploymentStatus = NonNullable<Deployment['status']>;
export type ReplicaSet = z.infer<typeof replicaSet>;
