/**
 * `marina logs` and `marina exec` on pods, end to end: pods applied through the cluster API run on
 * marinad's own node agent (real runc and conmon, as root), and the CLI reads their logs and runs commands
 * in them through `pods/NAME/log` and `pods/NAME/exec`. Pods use the seeded busybox with imagePullPolicy
 * IfNotPresent, so nothing is pulled from a remote registry.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { clusterApi, isPodReady } from './cluster-helpers.ts';
import { eventually, marinaBin, runProcess, useDaemon } from './harness.ts';

const d = useDaemon({ args: ['--node-name', 'logs-node'] });

const { waitForPod } = clusterApi(d);

function podYaml(name: string, containers: string, extra = ''): string {
  return `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {app: ${name}}}
spec:
  terminationGracePeriodSeconds: 0
${extra}  containers:
${containers}`;
}

/** One container entry (YAML list item, indented by `indent`) running `script` in sh. */
function shContainer(name: string, script: string, options: { mounts?: string; indent?: string } = {}): string {
  const lines = [
    `- name: ${name}`,
    '  image: busybox',
    '  imagePullPolicy: IfNotPresent',
    `  command: [sh, -c, ${JSON.stringify(script)}]`,
    ...(options.mounts ? [`  volumeMounts: ${options.mounts}`] : []),
  ];
  return `${lines.map((l) => `${options.indent ?? '    '}${l}`).join('\n')}\n`;
}

async function apply(yaml: string): Promise<void> {
  await d.ok(['apply', '-f', '-'], { input: yaml });
}

async function remove(...targets: string[]): Promise<void> {
  await d.ok(['delete', ...targets, '--grace-period', '0', '--wait']);
}

/** `marina logs ARGS` once its output holds `expected` (the container may not have written it yet). */
function logsWith(args: string[], expected: string): Promise<string> {
  return eventually(
    async () => {
      const run = await d.marina(['logs', ...args]);
      return run.code === 0 && run.stdout.includes(expected) ? run.stdout : undefined;
    },
    20_000,
    `marina logs ${args.join(' ')} to show ${expected}`,
  );
}

test('logs of a pod: all lines, --tail, --timestamps, -n for the namespace', async () => {
  await apply(podYaml('echo', shContainer('app', 'for i in 1 2 3 4 5; do echo line-$i; done; sleep 3600')));
  await waitForPod('echo', 'Ready', isPodReady);
  const all = await logsWith(['pod/echo'], 'line-5');
  assert.equal(all, 'line-1\nline-2\nline-3\nline-4\nline-5\n');
  assert.equal(await d.ok(['logs', 'pod/echo', '--tail', '2']), 'line-4\nline-5\n');
  assert.equal(await d.ok(['logs', 'pod/echo', '-n', 'default', '-c', 'app', '--tail', '1']), 'line-5\n');
  const stamped = (await d.ok(['logs', 'pod/echo', '--timestamps', '--tail', '2'])).trimEnd().split('\n');
  assert.equal(stamped.length, 2);
  for (const [i, line] of stamped.entries()) assert.match(line, new RegExp(`^\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d+Z line-${i + 4}$`));
  assert.equal(await d.ok(['logs', 'pod/echo', '--since', '1h', '--tail', '1']), 'line-5\n');
  await remove('pod/echo');
});

test('logs -f of a pod streams lines written after it started', async () => {
  await apply(podYaml('ticker', shContainer('app', 'i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done')));
  await waitForPod('ticker', 'Ready', isPodReady);
  const before = await logsWith(['pod/ticker'], 'tick-1\n');
  const lastBefore = Math.max(...[...before.matchAll(/tick-(\d+)/g)].map((m) => Number(m[1])));
  const follow = spawn(marinaBin, ['--host', `unix://${d.socket}`, 'logs', '-f', 'pod/ticker'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  follow.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    // A line numbered past every line that existed before the follow began came through the follow.
    await eventually(() => output.includes(`tick-${lastBefore + 3}\n`), 20_000, `logs -f to show tick-${lastBefore + 3}`);
    assert.ok(output.startsWith('tick-0\n'), output.slice(0, 100));
  } finally {
    follow.kill();
  }
  await remove('pod/ticker');
});

test('logs --previous shows the run before the last restart', async () => {
  // Each run counts itself in an emptyDir (which outlives the container); the first exits, the second stays.
  const script = 'n=$(cat /data/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > /data/n; echo attempt-$n; [ $n -ge 2 ] && exec sleep 3600; exit 1';
  const mounts = '[{name: data, mountPath: /data}]';
  await apply(podYaml('restarts', shContainer('app', script, { mounts }), '  restartPolicy: Always\n  volumes: [{name: data, emptyDir: {}}]\n'));
  await waitForPod('restarts', 'restarted once and running', (pod) => {
    const status = pod.status?.containerStatuses?.[0];
    return status?.restartCount >= 1 && status?.state?.running !== undefined;
  }, 60_000);
  assert.equal(await logsWith(['pod/restarts'], 'attempt-2'), 'attempt-2\n');
  assert.equal(await d.ok(['logs', '--previous', 'pod/restarts']), 'attempt-1\n');
  await remove('pod/restarts');
});

test('a pod of two containers: logs need -c, and -c picks one', async () => {
  const containers = shContainer('a', 'echo from-a; sleep 3600') + shContainer('b', 'echo from-b; sleep 3600');
  await apply(podYaml('two', containers));
  await waitForPod('two', 'Ready', isPodReady);
  const unnamed = await d.marina(['logs', 'pod/two']);
  assert.notEqual(unnamed.code, 0);
  assert.match(unnamed.stderr, /a container name must be specified for pod two, choose one of: \[a b\]/);
  assert.equal(await logsWith(['pod/two', '-c', 'b'], 'from-b'), 'from-b\n');
  const missing = await d.marina(['logs', 'pod/two', '-c', 'nope']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /container nope is not valid for pod two/);
  await remove('pod/two');
});

test('exec in pod/NAME and deploy/NAME: output, exit code, stdin with -i; logs of a deployment', async () => {
  await apply(podYaml('shell', shContainer('app', 'echo shell-up; sleep 3600')));
  await apply(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
${shContainer('app', 'echo web-up; sleep 3601', { indent: '        ' })}`);
  await waitForPod('shell', 'Ready', isPodReady);

  const ran = await d.marina(['exec', 'pod/shell', '--', 'sh', '-c', 'echo in-pod; echo to-stderr >&2; exit 3']);
  assert.equal(ran.code, 3, ran.stderr);
  assert.equal(ran.stdout, 'in-pod\n');
  assert.equal(ran.stderr, 'to-stderr\n');
  // The pod's own process (sh ran its last command in its place) is the one the command sees.
  assert.equal(await d.ok(['exec', 'pod/shell', '--', 'cat', '/proc/1/cmdline']), 'sleep\x003600\0');

  const piped = await d.marina(['exec', '-i', 'pod/shell', '--', 'sh', '-c', 'read line; echo got-$line; cat'], {
    input: 'hello\nsecond line\n',
  });
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stdout, 'got-hello\nsecond line\n');

  const webPod = await eventually(
    async () => {
      const list = await d.marina(['get', 'pods', '-l', 'app=web', '-o', 'json']);
      const items = list.code === 0 ? JSON.parse(list.stdout).items : [];
      return items.find(isPodReady);
    },
    30_000,
    'a Ready pod of deploy/web',
  );
  const inDeploy = await d.ok(['exec', 'deploy/web', '--', 'sh', '-c', 'echo deploy-exec; cat /proc/1/cmdline']);
  assert.equal(inDeploy, 'deploy-exec\nsleep\x003601\0');
  assert.equal(await logsWith(['deploy/web'], 'web-up'), 'web-up\n');
  assert.ok(webPod.metadata.name.startsWith('web-'));
  await remove('deploy/web', 'pod/shell');
});

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

test('exec -it: a terminal of the caller size in the pod, keystrokes reach it, the exit code comes back', async () => {
  await apply(podYaml('tty', shContainer('app', 'sleep 3600')));
  await waitForPod('tty', 'Ready', isPodReady);
  // script(1) gives the CLI a terminal; the size reaches the exec through its resize (the exec id's route).
  const command = `stty cols 91 rows 17; ${[marinaBin, 'exec', '-it', 'pod/tty', '--', 'sh'].map(quote).join(' ')}`;
  const run = await runProcess('script', ['-qefc', command, '/dev/null'], {
    input: 'tty; stty size; exit 4\n',
    env: { MARINA_HOST: `unix://${d.socket}` },
    timeoutMs: 30_000,
  });
  assert.match(run.stdout, /\/dev\/pts\/\d+/);
  assert.match(run.stdout, /17 91/);
  assert.equal(run.code, 4, run.stdout + run.stderr);
  await remove('pod/tty');
});

test('a pod bound to another node is refused, naming the node', async () => {
  // Bound by hand to a node no agent runs: nothing starts it, and this marinad cannot reach it.
  await apply(podYaml('elsewhere', shContainer('app', 'sleep 3600'), '  nodeName: other-node\n'));
  for (const args of [['logs', 'pod/elsewhere'], ['exec', 'pod/elsewhere', '--', 'true']]) {
    const run = await d.marina(args);
    assert.notEqual(run.code, 0, args.join(' '));
    assert.match(run.stderr, /pod elsewhere runs on node other-node and this marinad's node is logs-node: .*proxying to other nodes is not there yet/);
  }
  await remove('pod/elsewhere');
});

test('errors: a missing pod, a missing workload, a container flag on a container name', async () => {
  const logs = await d.marina(['logs', 'pod/nope']);
  assert.notEqual(logs.code, 0);
  assert.match(logs.stderr, /pods "nope" not found/);
  const exec = await d.marina(['exec', 'pod/nope', '--', 'true']);
  assert.notEqual(exec.code, 0);
  assert.match(exec.stderr, /pods "nope" not found/);
  const deploy = await d.marina(['exec', 'deploy/nope', '--', 'true']);
  assert.notEqual(deploy.code, 0);
  assert.match(deploy.stderr, /deployments.apps "nope" not found/);
  const kind = await d.marina(['logs', 'cm/settings']);
  assert.notEqual(kind.code, 0);
  assert.match(kind.stderr, /configmaps have no pods to reach here/);
  const mixed = await d.marina(['logs', '-c', 'app', 'some-container']);
  assert.notEqual(mixed.code, 0);
  assert.match(mixed.stderr, /are for pods \(KIND\/NAME/);
});
