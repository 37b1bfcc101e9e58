import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pod } from '../../cluster/resources/pod-schemas.ts';
import { isMarinaError } from '../../errors.ts';
import { execStatus, exitCodeOfStatus, parseExecChannelMessage } from './exec-channel.ts';
import { podStreamRoutePath } from './pod-log-exec-routes.ts';
import { parseKubePath } from './kube-path.ts';
import { choosePodContainer, parsePodExecQuery, parsePodLogQuery } from './pod-stream-request.ts';

const q = (text: string) => new URLSearchParams(text);

function pod(containers: string[], initContainers: string[] = []): Pod {
  const of = (name: string) => ({ name, image: 'busybox' });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: { containers: containers.map(of), ...(initContainers.length > 0 ? { initContainers: initContainers.map(of) } : {}) },
  };
}

test('pod log query: PodLogOptions to the engine log reader options', () => {
  assert.deepEqual(parsePodLogQuery(q('')), { container: undefined, previous: false, timestamps: false, options: { follow: false } });
  assert.deepEqual(parsePodLogQuery(q('container=app&follow=true&previous=true&tailLines=3&sinceSeconds=60&timestamps=true')), {
    container: 'app',
    previous: true,
    timestamps: true,
    options: { follow: true, tail: 3, since: '60s' },
  });
  assert.deepEqual(parsePodLogQuery(q('sinceTime=2026-01-02T03:04:05Z')).options, { follow: false, since: '2026-01-02T03:04:05Z' });
  assert.equal(parsePodLogQuery(q('tailLines=0')).options.tail, 0);
});

test('pod log query: bad values are refused, naming the parameter', () => {
  assert.throws(() => parsePodLogQuery(q('tailLines=-1')), /tailLines: Invalid value: "-1"/);
  assert.throws(() => parsePodLogQuery(q('tailLines=ten')), /tailLines/);
  assert.throws(() => parsePodLogQuery(q('sinceSeconds=0')), /sinceSeconds: Invalid value: "0"/);
  assert.throws(() => parsePodLogQuery(q('sinceSeconds=5&sinceTime=2026-01-02T03:04:05Z')), /at most one of sinceTime or sinceSeconds/);
  assert.throws(() => parsePodLogQuery(q('limitBytes=10')), (err) => isMarinaError(err, 'Unsupported'));
});

test('pod exec query: one command= per argument, stdin and tty flags', () => {
  assert.deepEqual(parsePodExecQuery(q('command=sh&command=-c&command=echo%20hi&container=app&stdin=true&tty=1')), {
    container: 'app',
    command: ['sh', '-c', 'echo hi'],
    stdin: true,
    tty: true,
  });
  assert.deepEqual(parsePodExecQuery(q('command=ls')), { container: undefined, command: ['ls'], stdin: false, tty: false });
  assert.throws(() => parsePodExecQuery(q('container=app')), /command: Required value/);
});

test('container choice: the only one by default, else Kubernetes\' BadRequest naming the choices', () => {
  assert.deepEqual(choosePodContainer(pod(['app']), undefined), { name: 'app', role: 'app' });
  assert.deepEqual(choosePodContainer(pod(['a', 'b'], ['setup']), 'setup'), { name: 'setup', role: 'init' });
  assert.deepEqual(choosePodContainer(pod(['a', 'b']), 'b'), { name: 'b', role: 'app' });
  assert.throws(
    () => choosePodContainer(pod(['a', 'b']), undefined),
    (err) =>
      isMarinaError(err, 'Invalid') &&
      err.details?.reason === 'BadRequest' &&
      err.message === 'a container name must be specified for pod web, choose one of: [a b]',
  );
  assert.throws(() => choosePodContainer(pod(['a', 'b'], ['setup']), undefined), /choose one of: \[a b\] or one of the init containers: \[setup\]$/);
  assert.throws(() => choosePodContainer(pod(['a']), 'nope'), /container nope is not valid for pod web$/);
});

test('route paths: only a pod\'s log and exec subresources are streams', () => {
  const path = (p: string) => podStreamRoutePath(parseKubePath(p));
  assert.equal(path('/api/v1/namespaces/default/pods/web/log'), '/kube/pod-log');
  assert.equal(path('/api/v1/namespaces/default/pods/web/exec'), '/kube/pod-exec');
  assert.equal(path('/api/v1/namespaces/default/pods/web/status'), undefined);
  assert.equal(path('/api/v1/namespaces/default/pods/web'), undefined);
  assert.equal(path('/apis/apps/v1/namespaces/default/deployments/web/log'), undefined);
  assert.equal(path('/api/v1/namespaces/default/pods/web/constructor'), undefined);
  assert.equal(path('/api/v1/namespaces/default/pods/web/toString'), undefined);
});

test('exec channel: the exit code travels as Kubernetes\' Status and back', () => {
  assert.deepEqual(execStatus(['true'], 0), { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' });
  const failed = execStatus(['sh', '-c', 'exit 3'], 3);
  assert.equal(failed.reason, 'NonZeroExitCode');
  assert.equal(failed.message, 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3');
  const roundTrip = parseExecChannelMessage(Buffer.from(JSON.stringify(failed)));
  assert.equal(roundTrip?.kind, 'Status');
  assert.equal(exitCodeOfStatus(roundTrip as typeof failed), 3);
  assert.equal(exitCodeOfStatus(execStatus([], 0)), 0);
  assert.deepEqual(parseExecChannelMessage(Buffer.from('{"kind":"Exec","execId":"e1"}')), { kind: 'Exec', execId: 'e1' });
  assert.equal(parseExecChannelMessage(Buffer.from('not json')), undefined);
  assert.equal(parseExecChannelMessage(Buffer.from('{"kind":"Other"}')), undefined);
});
