/** Pods for the agent's unit tests: the smallest valid shape, with what a test overrides. */
import type { Container, Pod } from '../resources/pod-schemas.ts';

export function testPod(spec: Partial<Pod['spec']> = {}, meta: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: '0123abcd-0000-4000-8000-000000000000', ...meta },
    spec: { containers: [testContainer()], nodeName: 'node-1', ...spec },
  };
}

export function testContainer(fields: Partial<Container> = {}): Container {
  return { name: 'app', image: 'busybox', ...fields };
}
