import assert from 'node:assert/strict';
import { test } from 'node:test';
import { containerCreateRequest, resourcesOf } from './container-request.ts';
import { testContainer, testPod } from './test-pods.ts';

test('limits become engine resources: memory in bytes, cpu in nano-CPUs', () => {
  assert.deepEqual(resourcesOf(testContainer({ resources: { limits: { memory: '128Mi', cpu: '500m' } } })), {
    memoryBytes: 134217728,
    nanoCpus: 500_000_000,
  });
  assert.deepEqual(resourcesOf(testContainer({ resources: { limits: { cpu: 2 } } })), {
    nanoCpus: 2_000_000_000,
  });
  assert.equal(
    resourcesOf(testContainer({ resources: { requests: { cpu: '1' } } })),
    undefined,
    'requests alone set no limit',
  );
});

test('an attempt joins the sandbox, carries the pod labels, and is never restarted by the engine', () => {
  const pod = testPod({ terminationGracePeriodSeconds: 5, securityContext: { runAsUser: 1000 } });
  const container = testContainer({
    command: ['sh', '-c'],
    args: ['echo $(A)'],
    workingDir: '/srv',
    securityContext: { runAsGroup: 10, readOnlyRootFilesystem: true },
  });
  const request = containerCreateRequest({
    pod,
    container,
    role: 'app',
    attempt: 2,
    sandboxId: 'sb',
    env: new Map([['A', 'x']]),
    mounts: [{ type: 'bind', source: '/h', target: '/c', readOnly: true }],
  });
  assert.deepEqual(request, {
    image: 'busybox',
    name: 'k8s_app_web_default_0123abcd_2',
    entrypoint: ['sh', '-c'],
    cmd: ['echo x'],
    env: ['A=x'],
    workingDir: '/srv',
    user: '1000:10',
    labels: {
      'io.marina.pod.uid': pod.metadata.uid,
      'io.marina.pod.name': 'web',
      'io.marina.pod.namespace': 'default',
      'io.marina.container.name': 'app',
      'io.marina.container.role': 'app',
      'io.marina.container.restartCount': '2',
    },
    mounts: [{ type: 'bind', source: '/h', target: '/c', readOnly: true }],
    readOnlyRootfs: true,
    restartPolicy: { name: 'no' },
    stopTimeout: 5,
    sandbox: 'sb',
  });
});
