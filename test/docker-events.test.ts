/** Network and volume events through `docker events` (the Docker socket) and `/v1/events` (the native socket). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProcess, uniqueName, useDaemon } from './harness.ts';

const d = useDaemon();

const ok = async (args: string[]) => (await d.dockerOk(args)).trim();

interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
}

/** The past events since `since` that pass `filters`, as `docker events --until` replays them. */
async function pastEvents(since: string, filters: string[]): Promise<DockerEvent[]> {
  const until = String(Math.ceil(Date.now() / 1000) + 1);
  const args = ['events', '--since', since, '--until', until, '--format', '{{json .}}', ...filters.flatMap((f) => ['--filter', f])];
  const out = await ok(args);
  return out === '' ? [] : out.split('\n').map((line) => JSON.parse(line) as DockerEvent);
}

test('network create/connect/disconnect/destroy and volume create/destroy are events, filtered by type', async (t) => {
  const network = uniqueName('evnet');
  const volume = uniqueName('evvol');
  const container = uniqueName('evctr');
  t.after(async () => {
    await d.docker(['rm', '-f', container]);
    await d.docker(['network', 'rm', network]);
    await d.docker(['volume', 'rm', '-f', volume]);
  });
  const since = (Date.now() / 1000).toFixed(3);
  const networkId = await ok(['network', 'create', network]);
  await ok(['run', '--name', container, '--network', network, 'busybox', 'true']);
  const containerId = await ok(['inspect', '-f', '{{.Id}}', container]);
  await ok(['rm', container]);
  await ok(['network', 'rm', network]);
  await ok(['volume', 'create', volume]);
  await ok(['volume', 'rm', volume]);

  const networkEvents = await pastEvents(since, ['type=network']);
  assert.deepEqual(
    networkEvents.map((e) => [e.Type, e.Action, e.Actor.ID, e.Actor.Attributes]),
    [
      ['network', 'create', networkId, { name: network, type: 'bridge' }],
      ['network', 'connect', networkId, { name: network, type: 'bridge', container: containerId }],
      ['network', 'disconnect', networkId, { name: network, type: 'bridge', container: containerId }],
      ['network', 'destroy', networkId, { name: network, type: 'bridge' }],
    ],
  );
  const volumeEvents = await pastEvents(since, ['type=volume']);
  assert.deepEqual(
    volumeEvents.map((e) => [e.Type, e.Action, e.Actor.ID, e.Actor.Attributes]),
    [
      ['volume', 'create', volume, { driver: 'local' }],
      ['volume', 'destroy', volume, { driver: 'local' }],
    ],
  );
  const byName = await pastEvents(since, [`network=${network}`, 'event=connect']);
  assert.deepEqual(
    byName.map((e) => e.Action),
    ['connect'],
  );

  // The native stream carries the same events; curl ends it (the native API has no `until`).
  const native = await runProcess('curl', [
    '-s',
    '-N',
    '--max-time',
    '2',
    '--unix-socket',
    d.socket,
    `http://d/v1/events?since=${since}&filters=${encodeURIComponent('{"type":["network","volume"]}')}`,
  ]);
  const nativeEvents = native.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; action: string; actor: { id: string } });
  assert.deepEqual(
    nativeEvents.map((e) => `${e.type} ${e.action} ${e.actor.id}`),
    [
      `network create ${networkId}`,
      `network connect ${networkId}`,
      `network disconnect ${networkId}`,
      `network destroy ${networkId}`,
      `volume create ${volume}`,
      `volume destroy ${volume}`,
    ],
  );
});
