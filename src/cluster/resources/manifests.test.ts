/**
 * Manifests as people write them for Kubernetes must parse, default and validate clean through the same
 * admission the API server runs; broken ones must fail naming the field path.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import type { Deployment } from './apps-schemas.ts';
import type { CronJob, Job } from './batch-schemas.ts';
import type { Secret } from './core-schemas.ts';
import type { Pod } from './pod-schemas.ts';
import { kindOf } from './registry.ts';

const deploymentManifest = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web' }, creationTimestamp: null },
  spec: {
    replicas: 3,
    selector: { matchLabels: { app: 'web' } },
    strategy: {},
    template: {
      metadata: { labels: { app: 'web', 'app.kubernetes.io/version': '1.25' }, creationTimestamp: null },
      spec: {
        containers: [
          {
            name: 'nginx',
            image: 'nginx:1.25',
            ports: [{ name: 'http', containerPort: 80 }],
            resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: 1, memory: '128Mi' } },
            readinessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 2 },
            livenessProbe: { tcpSocket: { port: 80 } },
          },
        ],
      },
    },
  },
  status: {},
};

const podManifest = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'api', namespace: 'shop', labels: { app: 'api' } },
  spec: {
    initContainers: [
      { name: 'migrate', image: 'registry.example.com/shop/api:2.3.1', command: ['./migrate'] },
    ],
    containers: [
      {
        name: 'api',
        image: 'registry.example.com/shop/api:2.3.1',
        args: ['--port=8080'],
        env: [
          { name: 'LOG_LEVEL', value: 'debug' },
          { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'db', key: 'password' } } },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'APP_LABEL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        ],
        envFrom: [
          { configMapRef: { name: 'api-config' } },
          { secretRef: { name: 'api-secrets' }, prefix: 'SECRET_' },
        ],
        ports: [{ containerPort: 8080, name: 'http' }],
        volumeMounts: [
          { name: 'cache', mountPath: '/cache' },
          { name: 'config', mountPath: '/etc/api', readOnly: true },
          { name: 'tls', mountPath: '/etc/tls', readOnly: true },
          { name: 'data', mountPath: '/var/lib/api', subPath: 'api' },
        ],
        startupProbe: { exec: { command: ['cat', '/tmp/ready'] }, failureThreshold: 30, periodSeconds: 1 },
        readinessProbe: {
          httpGet: { path: '/ready', port: 8080, httpHeaders: [{ name: 'X-Probe', value: '1' }] },
        },
        lifecycle: { preStop: { exec: { command: ['sh', '-c', 'sleep 5'] } } },
        securityContext: { runAsNonRoot: true, runAsUser: 1000, capabilities: { drop: ['ALL'] } },
      },
    ],
    volumes: [
      { name: 'cache', emptyDir: {} },
      { name: 'config', configMap: { name: 'api-config', items: [{ key: 'api.yaml', path: 'api.yaml' }] } },
      { name: 'tls', secret: { secretName: 'api-tls' } },
      { name: 'data', persistentVolumeClaim: { claimName: 'api-data' } },
    ],
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'api', effect: 'NoSchedule' }],
    affinity: {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              labelSelector: { matchLabels: { app: 'api' } },
              topologyKey: 'kubernetes.io/hostname',
            },
          },
        ],
      },
    },
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { app: 'api' } },
      },
    ],
  },
};

const jobManifest = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'pi' },
  spec: {
    backoffLimit: 4,
    template: {
      spec: {
        containers: [
          { name: 'pi', image: 'perl:5.34.0', command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(2000)'] },
        ],
        restartPolicy: 'Never',
      },
    },
  },
};

const cronJobManifest = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'hello' },
  spec: {
    schedule: '* * * * *',
    timeZone: 'Europe/Paris',
    jobTemplate: {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'hello',
                image: 'busybox:1.28',
                imagePullPolicy: 'IfNotPresent',
                command: ['/bin/sh', '-c', 'date; echo Hello'],
              },
            ],
            restartPolicy: 'OnFailure',
          },
        },
      },
    },
  },
};

/** Admission as the API server runs it on create, after setting the metadata it owns. */
function admit<T>(manifest: Record<string, unknown>, old?: unknown): { object: T; warnings: string[] } {
  const { apiVersion, kind } = manifest as { apiVersion: string; kind: string };
  const metadata = { namespace: 'default', uid: 'uid-1', ...(manifest.metadata as object) };
  return kindOf(apiVersion, kind).admit({ ...manifest, metadata }, old) as { object: T; warnings: string[] };
}

/** The causes admission rejected the manifest with, as `path: message` lines. */
function causes(manifest: Record<string, unknown>, old?: unknown): string[] {
  try {
    admit(manifest, old);
  } catch (err) {
    assert.ok(isMarinaError(err, 'Invalid'), String(err));
    return ((err.details?.causes ?? []) as { field: string; message: string }[]).map(
      (c) => `${c.field}: ${c.message}`,
    );
  }
  assert.fail('the manifest was admitted');
}

/** A copy of a manifest with one change made by `edit`. */
function edited<T>(manifest: T, edit: (copy: T) => void): T {
  const copy = structuredClone(manifest);
  edit(copy);
  return copy;
}

test('a kubectl-generated Deployment is admitted and defaulted', () => {
  const { object, warnings } = admit<Deployment>(deploymentManifest);
  assert.deepEqual(warnings, []);
  assert.equal(object.spec.replicas, 3);
  assert.deepEqual(object.spec.strategy, {
    type: 'RollingUpdate',
    rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
  });
  assert.equal(object.spec.revisionHistoryLimit, 10);
  assert.equal(object.spec.progressDeadlineSeconds, 600);
  assert.equal(object.metadata.creationTimestamp, undefined);
  const pod = object.spec.template.spec;
  assert.equal(pod.restartPolicy, 'Always');
  assert.equal(pod.terminationGracePeriodSeconds, 30);
  const [container] = pod.containers;
  assert.equal(container?.imagePullPolicy, 'IfNotPresent');
  assert.equal(container?.ports?.[0]?.protocol, 'TCP');
  assert.deepEqual(container?.readinessProbe, {
    httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' },
    initialDelaySeconds: 2,
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
});

test('a Pod with probes, volumes, env and envFrom is admitted as written', () => {
  const { object, warnings } = admit<Pod>(podManifest);
  assert.deepEqual(warnings, []);
  assert.equal(object.metadata.namespace, 'shop');
  assert.equal(object.spec.restartPolicy, 'Always');
  assert.equal(object.spec.volumes?.[3]?.persistentVolumeClaim?.claimName, 'api-data');
  assert.equal(object.spec.volumes?.[1]?.configMap?.defaultMode, 0o644);
  assert.equal(object.spec.containers[0]?.env?.[2]?.valueFrom?.fieldRef?.apiVersion, 'v1');
});

test('a Job gets its defaults and a selector made from its uid; a CronJob its policy defaults', () => {
  const job = admit<Job>(jobManifest).object;
  assert.equal(job.spec.backoffLimit, 4);
  assert.equal(job.spec.completions, 1);
  assert.equal(job.spec.parallelism, 1);
  assert.equal(job.spec.completionMode, 'NonIndexed');
  assert.deepEqual(job.spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-1' } });
  assert.equal(job.spec.template.metadata?.labels?.['batch.kubernetes.io/job-name'], 'pi');
  assert.equal(job.spec.template.spec.restartPolicy, 'Never');

  const cronJob = admit<CronJob>(cronJobManifest).object;
  assert.equal(cronJob.spec.concurrencyPolicy, 'Allow');
  assert.equal(cronJob.spec.successfulJobsHistoryLimit, 3);
  assert.equal(cronJob.spec.failedJobsHistoryLimit, 1);
  assert.equal(cronJob.spec.suspend, false);
  assert.equal(cronJob.spec.jobTemplate.spec.template.spec.restartPolicy, 'OnFailure');
});

test('a Secret folds stringData into base64 data and defaults to Opaque', () => {
  const { object } = admit<Secret>({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db' },
    data: { user: Buffer.from('admin').toString('base64'), password: Buffer.from('old').toString('base64') },
    stringData: { password: 's3cr3t' },
  });
  assert.equal(object.type, 'Opaque');
  assert.equal(object.stringData, undefined);
  assert.equal(Buffer.from(object.data?.password ?? '', 'base64').toString(), 's3cr3t');
  assert.equal(Buffer.from(object.data?.user ?? '', 'base64').toString(), 'admin');
});

test('fields Marina does not know or act on are warnings, not errors, and never silently dropped', () => {
  const withExtras = edited(deploymentManifest, (d) => {
    Object.assign(d.spec, { replicaz: 2 });
    Object.assign(d.spec.template.spec.containers[0]!, {
      lifecycle: { postStart: { exec: { command: ['touch', '/started'] } } },
      resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }],
    });
  });
  const { object, warnings } = admit<Deployment>(withExtras);
  assert.deepEqual(warnings.sort(), [
    'spec.template.spec.containers[0].lifecycle.postStart: postStart hooks are not run by the Marina node agent',
    'unknown field "spec.replicaz"',
    'unknown field "spec.template.spec.containers[0].resizePolicy"',
  ]);
  assert.equal('replicaz' in object.spec, false);
  assert.ok(
    object.spec.template.spec.containers[0]?.lifecycle?.postStart,
    'a known field not acted on is kept',
  );
});

test('type errors name the field path', () => {
  assert.deepEqual(causes(edited(deploymentManifest, (d) => Object.assign(d.spec, { replicas: 'three' }))), [
    'spec.replicas: Invalid value: "three": expected number, received string',
  ]);
  assert.deepEqual(
    causes(
      edited(deploymentManifest, (d) =>
        Object.assign(d.spec.template.spec.containers[0]!, { name: undefined }),
      ),
    ),
    ['spec.template.spec.containers[0].name: Required value'],
  );
});

test('a negative replica count is refused in Kubernetes words', () => {
  assert.deepEqual(causes(edited(deploymentManifest, (d) => Object.assign(d.spec, { replicas: -1 }))), [
    'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
  ]);
});

test('a selector that does not match the template labels is refused', () => {
  const [cause, ...rest] = causes(
    edited(deploymentManifest, (d) => Object.assign(d.spec.selector, { matchLabels: { app: 'api' } })),
  );
  assert.deepEqual(rest, []);
  assert.match(
    cause ?? '',
    /^spec\.template\.metadata\.labels: Invalid value: .*: `selector` does not match template `labels`$/,
  );
  assert.match(
    causes(edited(deploymentManifest, (d) => Object.assign(d.spec, { selector: {} })))[0] ?? '',
    /^spec\.selector: Invalid value: \{\}: empty selector is invalid for deployment/,
  );
});

test('a malformed selector is reported at its path, not thrown', () => {
  const bad = edited(deploymentManifest, (d) =>
    Object.assign(d.spec.selector, { matchExpressions: [{ key: 'app', operator: 'Near', values: ['web'] }] }),
  );
  assert.deepEqual(causes(bad), [
    'spec.selector.matchExpressions[0].operator: Unsupported value: "Near": supported values: "In", "NotIn", "Exists", "DoesNotExist"',
  ]);
});

test('names must be RFC 1123', () => {
  assert.match(
    causes(edited(deploymentManifest, (d) => Object.assign(d.metadata, { name: 'Web_App' })))[0] ?? '',
    /^metadata\.name: Invalid value: "Web_App": a lowercase RFC 1123 subdomain/,
  );
  assert.match(
    causes(
      edited(deploymentManifest, (d) =>
        Object.assign(d.spec.template.spec.containers[0]!, { name: 'web.app' }),
      ),
    )[0] ?? '',
    /^spec\.template\.spec\.containers\[0\]\.name: Invalid value: "web\.app": a lowercase RFC 1123 label/,
  );
  assert.match(
    causes(
      edited(deploymentManifest, (d) =>
        Object.assign(d.metadata, { labels: { 'app/x/y': 'v', ok: 'bad value' } }),
      ),
    ).join('\n'),
    /metadata\.labels: Invalid value: "app\/x\/y"[\s\S]*metadata\.labels\[ok\]: Invalid value: "bad value"/,
  );
  assert.deepEqual(causes({ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }), [
    'metadata.name: Required value: name or generateName is required',
  ]);
});

test('pod spec rules: unique container names, port range, one probe handler, known volumes', () => {
  const broken = edited(podManifest, (p) => {
    const [api] = p.spec.containers;
    p.spec.containers.push({
      ...structuredClone(api!),
      env: [],
      envFrom: [],
      startupProbe: undefined as never,
    });
    Object.assign(api!.ports[0]!, { containerPort: 70000 });
    Object.assign(api!.readinessProbe, { tcpSocket: { port: 8080 } });
    Object.assign(api!.volumeMounts[0]!, { name: 'scratch' });
    Object.assign(p.spec.containers[1]!, { livenessProbe: {} });
  });
  const found = causes(broken);
  assert.ok(
    found.includes(
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    ),
    found.join('\n'),
  );
  assert.ok(
    found.includes(
      'spec.containers[0].readinessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type',
    ),
    found.join('\n'),
  );
  assert.ok(
    found.includes('spec.containers[0].volumeMounts[0].name: Not found: "scratch"'),
    found.join('\n'),
  );
  assert.ok(found.includes('spec.containers[1].name: Duplicate value: "api"'), found.join('\n'));
  assert.ok(
    found.includes('spec.containers[1].livenessProbe: Required value: must specify handler type'),
    found.join('\n'),
  );
});

test('restart policies per kind: a Job needs Never or OnFailure, a Deployment Always', () => {
  assert.deepEqual(
    causes(edited(jobManifest, (j) => Object.assign(j.spec.template.spec, { restartPolicy: undefined }))),
    ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
  );
  assert.deepEqual(
    causes(edited(jobManifest, (j) => Object.assign(j.spec.template.spec, { restartPolicy: 'Always' }))),
    ['spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"'],
  );
  assert.deepEqual(
    causes(
      edited(deploymentManifest, (d) => Object.assign(d.spec.template.spec, { restartPolicy: 'Never' })),
    ),
    ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"'],
  );
});

test('a CronJob schedule must be valid cron, its time zone a real one', () => {
  assert.deepEqual(causes(edited(cronJobManifest, (c) => Object.assign(c.spec, { schedule: '*/5 * * *' }))), [
    'spec.schedule: Invalid value: "*/5 * * *": expected exactly 5 fields, found 4: "*/5 * * *"',
  ]);
  assert.match(
    causes(edited(cronJobManifest, (c) => Object.assign(c.spec, { timeZone: 'Europe/Atlantis' })))[0] ?? '',
    /^spec\.timeZone: Invalid value: "Europe\/Atlantis"/,
  );
  assert.match(
    causes(edited(cronJobManifest, (c) => Object.assign(c.spec, { concurrencyPolicy: 'Never' })))[0] ?? '',
    /^spec\.concurrencyPolicy: Unsupported value: "Never"/,
  );
});

test('rolling update parameters: percentages, not both zero, none with Recreate', () => {
  const withStrategy = (strategy: unknown) =>
    edited(deploymentManifest, (d) => Object.assign(d.spec, { strategy }));
  assert.deepEqual(
    causes(withStrategy({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } })),
    ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "0%": may not be 0 when `maxSurge` is 0'],
  );
  assert.match(
    causes(withStrategy({ rollingUpdate: { maxSurge: 'lots' } }))[0] ?? '',
    /^spec\.strategy\.rollingUpdate\.maxSurge: Invalid value: "lots": a valid percent string/,
  );
  assert.deepEqual(causes(withStrategy({ type: 'Recreate', rollingUpdate: { maxSurge: 1 } })), [
    "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'",
  ]);
  assert.equal(
    admit<Deployment>(withStrategy({ type: 'Recreate' })).object.spec.strategy?.rollingUpdate,
    undefined,
  );
});

test('immutable fields on update: selectors, Job templates, immutable ConfigMap data', () => {
  const stored = admit<Deployment>(deploymentManifest).object;
  const relabelled = edited(deploymentManifest, (d) => {
    Object.assign(d.spec.selector.matchLabels, { 'app.kubernetes.io/version': '1.25' });
  });
  assert.match(
    causes(relabelled, stored)[0] ?? '',
    /^spec\.selector: Invalid value: .*: field is immutable$/,
  );
  assert.equal(
    admit<Deployment>(
      edited(deploymentManifest, (d) => Object.assign(d.spec, { replicas: 5 })),
      stored,
    ).object.spec.replicas,
    5,
  );

  const storedJob = admit<Job>(jobManifest).object;
  const rewritten = edited(storedJob, (j) =>
    Object.assign(j.spec.template.spec.containers[0]!, { image: 'perl:5.36' }),
  );
  assert.match(
    causes(rewritten, storedJob)[0] ?? '',
    /^spec\.template: Invalid value: .*: field is immutable$/,
  );

  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg' },
    data: { a: '1' },
    immutable: true,
  };
  const storedConfigMap = admit(configMap).object;
  assert.deepEqual(causes({ ...configMap, data: { a: '2' } }, storedConfigMap), [
    'data: Forbidden: field is immutable when `immutable` is set',
  ]);
  assert.deepEqual(causes({ ...configMap, immutable: false }, storedConfigMap), [
    'immutable: Forbidden: field is immutable when `immutable` is set',
  ]);
});

test('a running pod may change its images and be bound once, nothing else', () => {
  const stored = admit<Pod>(podManifest).object;
  const bound = edited(stored, (p) => {
    p.spec.nodeName = 'node-a';
    p.spec.containers[0]!.image = 'registry.example.com/shop/api:2.3.2';
  });
  const boundAdmitted = admit<Pod>(bound, stored).object;
  assert.equal(boundAdmitted.spec.nodeName, 'node-a');
  assert.match(
    causes(
      edited(bound, (p) => Object.assign(p.spec, { nodeName: 'node-b' })),
      boundAdmitted,
    )[0] ?? '',
    /^spec: Forbidden: pod updates may not change fields other than/,
  );
  assert.match(
    causes(
      edited(stored, (p) => Object.assign(p.spec, { hostNetwork: true })),
      stored,
    )[0] ?? '',
    /^spec: Forbidden/,
  );
});

test('Secrets need valid base64 and the keys of their type', () => {
  const found = causes({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'tls' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': 'not base64!' },
  });
  assert.deepEqual(found, [
    'data[tls.crt]: Invalid value: "<value omitted>": must be base64 encoded',
    'data[tls.key]: Required value',
  ]);
});
