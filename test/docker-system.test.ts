/** The real docker CLI (28.2.2) against marinad's Docker socket: version, info, system df, events, network and volume verbs. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProcess, showResult, uniqueName, useDaemon } from './harness.ts';

const d = useDaemon();


const ok = (args: string[]) => d.dockerOk(args);

/** A sleeping busybox started with marina's own CLI, so these tests do not depend on docker run; removed at the end. */
async function sleeper(t: { after: (fn: () => Promise<unknown>) => void }, name: string): Promise<string> {
  t.after(() => d.marina(['rm', '-f', name]));
  return (await d.ok(['run', '-d', '--name', name, 'busybox', 'sleep', '600'])).trim();
}

const curl = (path: string, method = 'GET') =>
  runProcess('curl', ['-s', '-X', method, '-o', '-', '-w', '\n%{http_code}', '--unix-socket', d.dockerSocket, `http://d${path}`]);

test('docker version shows the server with API 1.43; a too new API version is refused with 400', async () => {
  const out = await ok(['version']);
  assert.match(out, /Server:/);
  assert.match(out, /API version:\s+1\.43 \(minimum version 1\.24\)/);
  assert.equal((await ok(['version', '-f', '{{.Server.APIVersion}} {{.Server.Os}}'])).trim(), '1.43 linux');
  const tooNew = await curl('/v1.99/version');
  assert.match(tooNew.stdout, /client version 1\.99 is too new\. Maximum supported API version is 1\.43/);
  assert.match(tooNew.stdout, /\n400$/);
  const compose = JSON.parse((await curl('/version')).stdout.split('\n')[0]!);
  assert.equal(compose.ApiVersion, '1.43', 'compose reads ApiVersion from the unversioned path');
});

test('_ping answers OK with Docker headers, also to HEAD', async () => {
  const r = await runProcess('curl', ['-s', '-i', '--unix-socket', d.dockerSocket, 'http://d/_ping']);
  assert.match(r.stdout, /^HTTP\/1\.1 200/);
  assert.match(r.stdout, /Api-Version: 1\.43/i);
  assert.match(r.stdout, /Ostype: linux/i);
  assert.match(r.stdout, /Swarm: inactive/i);
  assert.match(r.stdout, /Cache-Control: no-cache, no-store, must-revalidate/i);
  assert.ok(r.stdout.endsWith('\r\n\r\nOK'), r.stdout);
  const head = await runProcess('curl', ['-s', '-I', '--unix-socket', d.dockerSocket, 'http://d/_ping']);
  assert.match(head.stdout, /^HTTP\/1\.1 200/);
  assert.match(head.stdout, /Builder-Version: 1/i);
});

test('docker info shows counts, driver, root dir and swarm inactive', async (t) => {
  await sleeper(t, uniqueName('info'));
  const out = await ok(['info']);
  assert.match(out, /Running: 1/);
  assert.match(out, /Storage Driver: overlay2/);
  assert.match(out, /Cgroup Driver: cgroupfs/);
  assert.match(out, /Swarm: inactive/);
  assert.match(out, new RegExp(`Docker Root Dir: ${d.root}`));
  assert.match(out, /Default Runtime: runc/);
  const images = Number((await ok(['info', '-f', '{{.Images}}'])).trim());
  assert.ok(images >= 1, 'busybox is counted');
});

test('docker system df lists images, containers and volumes', async (t) => {
  const name = uniqueName('df');
  await sleeper(t, name);
  const volume = uniqueName('dfvol');
  t.after(() => d.docker(['volume', 'rm', '-f', volume]));
  await ok(['volume', 'create', volume]);
  const out = await ok(['system', 'df']);
  assert.match(out, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE/);
  assert.match(out, /\nImages\s+1\s+1\s+\d/);
  assert.match(out, /\nContainers\s+1\s+1\s/);
  assert.match(out, /\nLocal Volumes\s+1\s+0\s/);
  const verbose = await ok(['system', 'df', '-v']);
  assert.match(verbose, /busybox\s+latest/);
  assert.match(verbose, new RegExp(name));
  assert.match(verbose, new RegExp(volume));
});

test('docker events --since 0 --until now shows a start done before, then ends', async (t) => {
  const name = uniqueName('ev');
  const id = await sleeper(t, name);
  const until = String(Math.ceil(Date.now() / 1000) + 1);
  const r = await d.docker(['events', '--since', '0', '--until', until, '--filter', `container=${name}`], { timeoutMs: 15_000 });
  assert.equal(r.code, 0, showResult(r));
  assert.match(r.stdout, new RegExp(`container create ${id} \\(.*name=${name}`));
  assert.match(r.stdout, new RegExp(`container start ${id} `));
  const json = await d.docker(['events', '--since', '0', '--until', until, '--filter', 'event=start', '--format', '{{json .}}']);
  assert.equal(json.code, 0, showResult(json));
  const starts = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(starts.some((e) => e.Actor.ID === id && e.status === 'start' && e.Type === 'container' && e.scope === 'local'));
  assert.ok(starts.every((e) => e.Action === 'start'));
});

test('events stream live: headers at once, then each event as it happens', async (t) => {
  const name = uniqueName('live');
  const child = runProcess('docker', ['events', '--filter', `container=${name}`, '--filter', 'event=start'], {
    env: { DOCKER_HOST: `unix://${d.dockerSocket}`, DOCKER_CONFIG: `${d.root}/docker-config` },
    timeoutMs: 3_000,
  });
  await new Promise((r) => setTimeout(r, 500));
  const id = await sleeper(t, name);
  const r = await child; // killed at its timeout: the stream itself never ends
  assert.match(r.stdout, new RegExp(`container start ${id} `), showResult(r));
});

test('docker network create / ls / inspect / connect / disconnect / rm', async (t) => {
  const net = uniqueName('n1');
  t.after(() => d.docker(['network', 'rm', net]));
  const id = (await ok(['network', 'create', '--label', 'team=a', net])).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const dup = await d.docker(['network', 'create', net]);
  assert.equal(dup.code, 1, showResult(dup));
  assert.match(dup.stderr, new RegExp(`Error response from daemon: network with name ${net} already exists`));

  assert.match(await ok(['network', 'ls']), new RegExp(`${id.slice(0, 12)}\\s+${net}\\s+bridge\\s+local`));
  assert.equal((await ok(['network', 'ls', '-q', '--filter', 'label=team=a'])).trim(), id.slice(0, 12));
  assert.equal((await ok(['network', 'ls', '-q', '--filter', 'label=team=b'])).trim(), '');
  assert.equal((await ok(['network', 'inspect', net, '-f', '{{.Driver}} {{.Scope}} {{.Labels.team}}'])).trim(), 'bridge local a');
  assert.match((await ok(['network', 'inspect', net, '-f', '{{range .IPAM.Config}}{{.Subnet}}{{end}}'])).trim(), /^\d+\.\d+\.\d+\.0\/24$/);

  const name = uniqueName('member');
  const cid = await sleeper(t, name);
  await ok(['network', 'connect', '--alias', 'db', net, name]);
  const members = JSON.parse(await ok(['network', 'inspect', net, '-f', '{{json .Containers}}']));
  assert.equal(members[cid].Name, name);
  assert.match(members[cid].IPv4Address, /^\d+\.\d+\.\d+\.\d+\/24$/);
  const busy = await d.docker(['network', 'rm', net]);
  assert.equal(busy.code, 1, showResult(busy));
  assert.match(busy.stderr, /Error response from daemon: .*active endpoints/);
  await ok(['network', 'disconnect', net, name]);
  assert.equal((await ok(['network', 'inspect', net, '-f', '{{len .Containers}}'])).trim(), '0');
  assert.equal((await ok(['network', 'rm', net])).trim(), net);
  const gone = await d.docker(['network', 'inspect', net]);
  assert.equal(gone.code, 1, showResult(gone));
  assert.match(gone.stderr, new RegExp(`network ${net} not found`));
});

test('docker network create with a subnet, prune, and the default network is not removable', async () => {
  const net = uniqueName('sub');
  await ok(['network', 'create', '--subnet', '10.231.7.0/24', '--gateway', '10.231.7.254', net]);
  assert.equal((await ok(['network', 'inspect', net, '-f', '{{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}'])).trim(), '10.231.7.0/24 10.231.7.254');
  const pruned = await ok(['network', 'prune', '-f']);
  assert.match(pruned, new RegExp(`Deleted Networks:\\n${net}`));
  const bridge = (await ok(['network', 'ls', '--filter', 'type=builtin', '--format', '{{.Name}}'])).trim();
  assert.ok(bridge !== '', 'the default network is listed as builtin');
  const refused = await d.docker(['network', 'rm', bridge]);
  assert.equal(refused.code, 1, showResult(refused));
  assert.match(refused.stderr, /default network and cannot be removed/);
});

test('docker volume create / ls / inspect / rm / prune', async (t) => {
  const v1 = uniqueName('v1');
  const keep = uniqueName('keep');
  t.after(() => d.docker(['volume', 'rm', '-f', v1, keep]));
  assert.equal((await ok(['volume', 'create', '--label', 'tier=db', v1])).trim(), v1);
  assert.equal((await ok(['volume', 'create', v1])).trim(), v1, 'creating an existing volume returns it');
  assert.match(await ok(['volume', 'ls']), new RegExp(`local\\s+${v1}`));
  assert.equal((await ok(['volume', 'ls', '-q', '--filter', 'label=tier=db'])).trim(), v1);
  assert.equal(
    (await ok(['volume', 'inspect', v1, '-f', '{{.Driver}} {{.Scope}} {{.Labels.tier}} {{.Mountpoint}}'])).trim(),
    `local local db ${d.root}/volumes/${v1}/_data`,
  );
  await ok(['volume', 'rm', v1]);
  const gone = await d.docker(['volume', 'inspect', v1]);
  assert.equal(gone.code, 1, showResult(gone));
  assert.match(gone.stderr, new RegExp(`No such volume: ${v1}`));

  // prune: anonymous volumes only, unless --all (Docker since API 1.42)
  await ok(['volume', 'create', keep]);
  const anonymous = (await ok(['volume', 'create'])).trim();
  assert.match(anonymous, /^[0-9a-f]{64}$/);
  const pruned = await ok(['volume', 'prune', '-f']);
  assert.match(pruned, new RegExp(`Deleted Volumes:\\n${anonymous}`));
  assert.doesNotMatch(pruned, new RegExp(keep));
  assert.match(await ok(['volume', 'ls', '-q']), new RegExp(keep));
  assert.match(await ok(['volume', 'prune', '-f', '--all']), new RegExp(keep));
  assert.equal((await ok(['volume', 'ls', '-q', '--filter', `name=${keep}`])).trim(), '');
});

test('a volume in use is refused with 409, and dangling tells used from unused', async (t) => {
  const vol = uniqueName('used');
  const name = uniqueName('user');
  t.after(() => d.docker(['volume', 'rm', '-f', vol]));
  t.after(() => d.marina(['rm', '-f', name]));
  await d.ok(['run', '-d', '--name', name, '-v', `${vol}:/data`, 'busybox', 'sleep', '600']);
  const refused = await d.docker(['volume', 'rm', vol]);
  assert.equal(refused.code, 1, showResult(refused));
  assert.match(refused.stderr, /volume is in use/);
  assert.doesNotMatch(await ok(['volume', 'ls', '-q', '--filter', 'dangling=true']), new RegExp(vol));
  assert.match(await ok(['volume', 'ls', '-q', '--filter', 'dangling=false']), new RegExp(vol));
});
