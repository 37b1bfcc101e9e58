/**
 * Validation of the non-trivial request bodies. Errors name the field path (`resources.memoryBytes`) so a
 * client knows what to fix; unknown fields are refused, which catches misspellings before they are ignored.
 */
import { z } from 'zod';
import type { ContainerCreateRequest, ExecCreateRequest } from '../engine/container-types.ts';
import { invalid } from '../errors.ts';
import type { NetworkCreateRequest } from '../network/network-service.ts';

const stringList = z.array(z.string());
const consoleSize = z.strictObject({
  height: z.number().int().nonnegative(),
  width: z.number().int().nonnegative(),
});

const mount = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('bind'),
    source: z.string().min(1),
    target: z.string().min(1),
    readOnly: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal('volume'),
    name: z.string().min(1).optional(),
    target: z.string().min(1),
    readOnly: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal('tmpfs'),
    target: z.string().min(1),
    sizeBytes: z.number().int().positive().optional(),
    mode: z.number().int().nonnegative().optional(),
  }),
]);

const containerCreate = z.strictObject({
  image: z.string().min(1),
  name: z.string().optional(),
  cmd: stringList.optional(),
  entrypoint: stringList.optional(),
  env: stringList.optional(),
  workingDir: z.string().optional(),
  user: z.string().optional(),
  hostname: z.string().optional(),
  tty: z.boolean().optional(),
  openStdin: z.boolean().optional(),
  stdinOnce: z.boolean().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  mounts: z.array(mount).optional(),
  readOnlyRootfs: z.boolean().optional(),
  resources: z
    .strictObject({
      memoryBytes: z.number().int().positive().optional(),
      nanoCpus: z.number().int().positive().optional(),
      pidsLimit: z.number().int().optional(),
    })
    .optional(),
  restartPolicy: z
    .strictObject({
      name: z.enum(['no', 'on-failure', 'always', 'unless-stopped']),
      maximumRetryCount: z.number().int().nonnegative().optional(),
    })
    .optional(),
  autoRemove: z.boolean().optional(),
  stopSignal: z.string().optional(),
  stopTimeout: z.number().int().nonnegative().optional(),
  networkMode: z.string().optional(),
  networkAliases: stringList.optional(),
  ports: z
    .array(
      z.strictObject({
        protocol: z.enum(['tcp', 'udp']),
        containerPort: z.number().int().min(1).max(65535),
        hostIp: z.string().optional(),
        hostPort: z.number().int().min(0).max(65535).optional(),
      }),
    )
    .optional(),
  publishAll: z.boolean().optional(),
  exposedPorts: z.array(z.string().regex(/^\d{1,5}\/(tcp|udp)$/, 'a port as 80/tcp or 53/udp')).optional(),
  extraHosts: stringList.optional(),
  dns: stringList.optional(),
  privileged: z.boolean().optional(),
  capAdd: stringList.optional(),
  capDrop: stringList.optional(),
  securityOpt: z
    .strictObject({
      noNewPrivileges: z.boolean().optional(),
      seccomp: z.enum(['default', 'unconfined']).optional(),
    })
    .optional(),
  consoleSize: consoleSize.optional(),
  healthcheck: z
    .strictObject({
      test: stringList,
      intervalMs: z.number().int().nonnegative().optional(),
      timeoutMs: z.number().int().nonnegative().optional(),
      startPeriodMs: z.number().int().nonnegative().optional(),
      retries: z.number().int().nonnegative().optional(),
      onFailure: z.enum(['none', 'kill', 'restart', 'stop']).optional(),
    })
    .optional(),
});

const execCreate = z.strictObject({
  cmd: stringList.min(1),
  env: stringList.optional(),
  workingDir: z.string().optional(),
  user: z.string().optional(),
  tty: z.boolean().optional(),
  attachStdin: z.boolean().optional(),
  privileged: z.boolean().optional(),
  consoleSize: consoleSize.optional(),
});

const networkCreate = z.strictObject({
  name: z.string().min(1),
  subnet: z.string().min(1).optional(),
  gateway: z.string().min(1).optional(),
  internal: z.boolean().optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

const networkConnect = z.strictObject({
  container: z.string().min(1),
  aliases: z.array(z.string().min(1)).optional(),
});

const networkDisconnect = z.strictObject({ container: z.string().min(1) });

const volumeCreate = z.strictObject({
  name: z.string().min(1).optional(),
  labels: z.record(z.string(), z.string()).optional(),
});

/** Parses `body` with `schema`; the first problem becomes an Invalid error naming its field path. */
export function parseWith<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join('.');
  throw invalid(`invalid ${what}: ${field ? `${field}: ` : ''}${issue.message}`, { field });
}

export const parseContainerCreate = (body: unknown): ContainerCreateRequest =>
  parseWith(containerCreate, body, 'container create request');
export const parseExecCreate = (body: unknown): ExecCreateRequest =>
  parseWith(execCreate, body, 'exec create request');
export const parseVolumeCreate = (body: unknown): z.infer<typeof volumeCreate> =>
  parseWith(volumeCreate, body, 'volume create request');
export const parseNetworkCreate = (body: unknown): NetworkCreateRequest =>
  parseWith(networkCreate, body, 'network create request');
export const parseNetworkConnect = (body: unknown): z.infer<typeof networkConnect> =>
  parseWith(networkConnect, body, 'network connect request');
export const parseNetworkDisconnect = (body: unknown): z.infer<typeof networkDisconnect> =>
  parseWith(networkDisconnect, body, 'network disconnect request');
