/**
 * dockerode 5 (docker-modem) against marinad's Docker socket: the calls a Node program makes — version and
 * ping, containers (create, start, wait, logs, inspect, list, exec, remove), images (list, inspect), and
 * networks and volumes (create, inspect, list, remove) — checking the shapes dockerode hands back. Streams
 * are split with dockerode's own demuxer, as its users do. No registry is involved (busybox is seeded).
 */
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { before, describe, test } from 'node:test';
import Docker from 'dockerode';
import { uniqueName, useDaemon } from './harness.ts';

const d = useDaemon();

/** stdout and stderr of a multiplexed (Tty=false) stream or buffer, split by dockerode's demuxer. */
async function demux(
  docker: Docker,
  input: NodeJS.ReadableStream | Buffer,
): Promise<{ stdout: string; stderr: string }> {
  const source = Buffer.isBuffer(input) ? Readable.from([input]) : input;
  const out = new PassThrough();
  const err = new PassThrough();
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  out.on('data', (b: Buffer) => chunks.stdout.push(b));
  err.on('data', (b: Buffer) => chunks.stderr.push(b));
  docker.modem.demuxStream(source, out, err);
  await new Promise<void>((resolve, reject) => {
    source.on('end', resolve);
    source.on('close', resolve);
    source.on('error', reject);
  });
  return { stdout: Buffer.concat(chunks.stdout).toString(), stderr: Buffer.concat(chunks.stderr).toString() };
}

/** A 404 from the daemon as dockerode reports it: statusCode and Docker's `{message}`. */
async function assertNotFound(promise: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(promise, (err: { statusCode?: number; json?: { message?: string } }) => {
    assert.equal(err.statusCode, 404);
    assert.match(err.json?.message ?? '', message);
    return true;
  });
}

describe('dockerode against marinad', () => {
  let docker: Docker;
  before(() => {
    docker = new Docker({ socketPath: d.dockerSocket });
  });

  test('version and ping', async () => {
    const version = await docker.version();
    assert.equal(version.ApiVersion, '1.43');
    assert.equal(version.Os, 'linux');
    assert.equal(String(await docker.ping()), 'OK');
    // A client that pins the version goes through the prefixed paths.
    const pinned = new Docker({ socketPath: d.dockerSocket, version: 'v1.41' });
    assert.equal((await pinned.version()).MinAPIVersion, '1.24');
  });

  test('create, start, wait, logs, inspect, list and remove a busybox container', async () => {
    const name = uniqueName('dockerode');
    const container = await docker.createContainer({
      name,
      Image: 'busybox',
      Cmd: ['sh', '-c', 'echo "out $GREETING"; echo err >&2; exit 3'],
      Env: ['GREETING=hello'],
      Labels: { 'test.marina': name },
    });
    assert.match(container.id, /^[0-9a-f]{64}$/);

    const created = await container.inspect();
    assert.equal(created.Name, `/${name}`);
    assert.equal(created.State.Status, 'created');
    assert.equal(created.Config.Tty, false);

    await container.start();
    const exit = await container.wait();
    assert.equal(exit.StatusCode, 3);

    const logs = await demux(docker, await container.logs({ stdout: true, stderr: true }));
    assert.deepEqual(logs, { stdout: 'out hello\n', stderr: 'err\n' });

    const info = await container.inspect();
    assert.equal(info.Id, container.id);
    assert.equal(info.State.Status, 'exited');
    assert.equal(info.State.Running, false);
    assert.equal(info.State.ExitCode, 3);
    assert.ok(!Number.isNaN(Date.parse(info.Created)), `Created is a date: ${info.Created}`);
    assert.deepEqual(info.Config.Cmd, ['sh', '-c', 'echo "out $GREETING"; echo err >&2; exit 3']);
    assert.ok(info.Config.Env.includes('GREETING=hello'), String(info.Config.Env));
    assert.equal(info.Config.Labels['test.marina'], name);
    assert.match(info.Image, /^sha256:[0-9a-f]{64}$/);

    const listed = await docker.listContainers({ all: true, filters: { label: [`test.marina=${name}`] } });
    assert.equal(listed.length, 1);
    const [entry] = listed;
    assert.equal(entry!.Id, container.id);
    assert.deepEqual(entry!.Names, [`/${name}`]);
    assert.equal(entry!.State, 'exited');
    assert.match(entry!.Status, /^Exited \(3\) /);
    assert.equal(typeof entry!.Created, 'number');
    assert.ok(entry!.Created <= Date.now() / 1000);
    // Not running: absent from the default list.
    assert.equal((await docker.listContainers({ filters: { label: [`test.marina=${name}`] } })).length, 0);

    await container.remove();
    await assertNotFound(container.inspect(), new RegExp(`No such container: ${container.id}`));
  });

  test('exec in a running container: output, exit code and inspect', async (t) => {
    const container = await docker.createContainer({ Image: 'busybox', Cmd: ['sleep', '600'] });
    t.after(() => container.remove({ force: true }).catch(() => {}));
    await container.start();
    assert.equal((await container.inspect()).State.Running, true);

    const exec = await container.exec({
      Cmd: ['sh', '-c', 'echo "in $WHERE"; echo oops >&2; exit 4'],
      Env: ['WHERE=exec'],
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    assert.deepEqual(await demux(docker, stream), { stdout: 'in exec\n', stderr: 'oops\n' });
    const info = await exec.inspect();
    assert.equal(info.ExitCode, 4);
    assert.equal(info.Running, false);
    assert.equal(info.ContainerID, container.id);

    await container.remove({ force: true });
    await assertNotFound(container.inspect(), /No such container/);
  });

  test('images: list and inspect busybox', async () => {
    const images = await docker.listImages();
    const busybox = images.find((i) => i.RepoTags?.includes('busybox:latest'));
    assert.ok(busybox, `busybox:latest in ${JSON.stringify(images.map((i) => i.RepoTags))}`);
    assert.match(busybox.Id, /^sha256:[0-9a-f]{64}$/);
    assert.equal(typeof busybox.Created, 'number');
    assert.ok(busybox.Size > 0);

    const info = await docker.getImage('busybox').inspect();
    assert.equal(info.Id, busybox.Id);
    assert.equal(info.Os, 'linux');
    assert.equal(info.RootFS.Type, 'layers');
    assert.ok((info.RootFS.Layers ?? []).length > 0);
    await assertNotFound(docker.getImage('no-such-image').inspect(), /No such image: no-such-image/);
  });

  test('networks: create, inspect, list by label, remove', async () => {
    const name = uniqueName('dnet');
    const created = await docker.createNetwork({ Name: name, Labels: { 'test.marina': name } });
    assert.match(created.id, /^[0-9a-f]{64}$/);
    const info = await created.inspect();
    assert.equal(info.Name, name);
    assert.equal(info.Driver, 'bridge');
    assert.equal(info.Labels?.['test.marina'], name);
    assert.ok(info.IPAM?.Config?.[0]?.Subnet, `a subnet: ${JSON.stringify(info.IPAM)}`);
    const listed = await docker.listNetworks({ filters: { label: [`test.marina=${name}`] } });
    assert.deepEqual(
      listed.map((n) => n.Name),
      [name],
    );
    await created.remove();
    await assertNotFound(docker.getNetwork(name).inspect(), new RegExp(`network ${name} not found`));
  });

  test('volumes: create, inspect, list, remove', async () => {
    const name = uniqueName('dvol');
    // dockerode answers a Volume handle named from the daemon's reply.
    const created = await docker.createVolume({ Name: name, Labels: { 'test.marina': name } });
    assert.equal(created.name, name);
    const info = await created.inspect();
    assert.equal(info.Name, name);
    assert.equal(info.Driver, 'local');
    assert.ok(info.Mountpoint.startsWith(d.root), `mountpoint under the daemon root: ${info.Mountpoint}`);
    assert.equal(info.Labels['test.marina'], name);
    const { Volumes } = await docker.listVolumes({ filters: { label: [`test.marina=${name}`] } });
    assert.deepEqual(
      Volumes.map((v) => v.Name),
      [name],
    );
    await docker.getVolume(name).remove();
    await assertNotFound(docker.getVolume(name).inspect(), /No such volume/);
  });
});
