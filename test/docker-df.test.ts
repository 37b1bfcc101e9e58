/** `docker system df` measures what containers and volumes hold on disk. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runProcess, uniqueName, useDaemon } from './harness.ts';

const d = useDaemon();


const ok = (args: string[]) => d.dockerOk(args);

const mib = 1024 * 1024;

test('1 MiB written into a container and into its volume shows in system df, raw and as the CLI tables', async (t) => {
  const container = uniqueName('dfc');
  const volume = uniqueName('dfv');
  t.after(async () => {
    await d.docker(['rm', '-f', container]);
    await d.docker(['volume', 'rm', '-f', volume]);
  });
  const write = 'dd if=/dev/zero of=/big bs=1024 count=1024 && dd if=/dev/zero of=/data/big bs=1024 count=1024';
  await ok(['run', '--name', container, '-v', `${volume}:/data`, 'busybox', 'sh', '-c', write]);
  const id = (await ok(['inspect', '-f', '{{.Id}}', container])).trim();

  const raw = await runProcess('curl', ['-s', '--unix-socket', d.dockerSocket, 'http://d/system/df']);
  const df = JSON.parse(raw.stdout) as {
    Containers: { Id: string; SizeRw: number; SizeRootFs: number }[];
    Volumes: { Name: string; UsageData: { Size: number; RefCount: number } }[];
    Images: { Size: number }[];
  };
  const measured = df.Containers.find((c) => c.Id === id);
  // The writable layer holds the file plus the empty mount points the runtime made.
  assert.ok(measured && measured.SizeRw >= mib && measured.SizeRw < mib + 64 * 1024, raw.stdout);
  assert.ok(measured.SizeRootFs > measured.SizeRw, 'the root fs adds the image');
  assert.deepEqual(df.Volumes.find((v) => v.Name === volume)?.UsageData, { Size: mib, RefCount: 1 });

  const summary = await ok(['system', 'df']);
  assert.match(summary, /\nContainers\s+1\s+0\s+1\.0\d*MB\s+1\.0\d*MB \(100%\)/, summary);
  assert.match(summary, /\nLocal Volumes\s+1\s+1\s+1\.049MB\s+0B \(0%\)/, summary);
  const verbose = await ok(['system', 'df', '-v']);
  assert.match(verbose, new RegExp(`\\n${volume}\\s+1\\s+1\\.049MB`), verbose);
});
