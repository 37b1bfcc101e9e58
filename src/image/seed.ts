/**
 * Seed images that need no registry: `busybox:latest` built from the host's static busybox, and
 * optionally a Debian rootfs made with debootstrap. The busybox image is built deterministically (fixed
 * times and owners, sorted entries), so the same busybox binary always gives the same image ID.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import tar from 'tar-stream';
import { MarinaError } from '../errors.ts';
import { runChecked, runCommand } from '../run-command.ts';
import type { ImageStore } from './image-store.ts';
import type { ImageRecord } from './image-types.ts';
import { addEntry, type EntryHeader } from './tar-entries.ts';


export const busyboxPath = '/usr/bin/busybox';
const busyboxReference = 'docker.io/library/busybox:latest';
const defaultPath = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const passwd = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;

const group = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
wheel:x:10:root
www-data:x:33:
users:x:100:
nogroup:x:65534:
`;

/** Directories of the rootfs with their modes; applet parents are added as 0755 where missing. */
const baseDirectories: Record<string, number> = {
  bin: 0o755,
  dev: 0o755,
  etc: 0o755,
  home: 0o755,
  proc: 0o555,
  root: 0o700,
  sbin: 0o755,
  sys: 0o555,
  tmp: 0o1777,
  usr: 0o755,
  'usr/bin': 0o755,
  'usr/sbin': 0o755,
  var: 0o755,
};

/**
 * Builds (or rebuilds, to the same ID) `busybox:latest`. Its time is the binary's mtime (when Debian
 * built the package): fixed for a given package, so the image ID is reproducible, and a true date.
 */
export async function seedBusybox(images: ImageStore): Promise<ImageRecord> {
  const binary = await readStaticBusybox();
  const builtAt = (await stat(busyboxPath)).mtime;
  const stdout = await runChecked(busyboxPath, ['--list-full']);
  const applets = stdout.split('\n').filter((line) => line !== '' && line !== 'bin/busybox');
  const rootfs = await busyboxRootfs(binary, applets, builtAt);
  return images.import(Readable.from([rootfs]), busyboxReference, {
    changes: [`ENV ${defaultPath}`, 'CMD ["sh"]'],
    created: builtAt.toISOString(),
    message: 'seeded from the host busybox',
  });
}

async function readStaticBusybox(): Promise<Buffer> {
  const missing = new MarinaError(
    'Unavailable',
    `a static busybox is needed at ${busyboxPath}; install it with "apt-get install busybox-static"`,
  );
  if (!existsSync(busyboxPath)) throw missing;
  const binary = await readFile(busyboxPath);
  // A dynamically linked busybox names its loader near the start of the file; it would not run in an
  // image that has no libc.
  if (binary.subarray(0, 4096).includes('ld-linux')) throw missing;
  return binary;
}

/** The rootfs tar, in memory: entries sorted, times and owners fixed. */
export async function busyboxRootfs(binary: Buffer, applets: readonly string[], mtime: Date): Promise<Buffer> {
  const directories = new Map(Object.entries(baseDirectories));
  for (const applet of applets) {
    for (let dir = posix.dirname(applet); dir !== '.'; dir = posix.dirname(dir)) {
      if (!directories.has(dir)) directories.set(dir, 0o755);
    }
  }
  const entries: EntryHeader[] = [
    ...[...directories].map(([name, mode]): EntryHeader => ({ name, mode, type: 'directory' })),
    ...applets.map((name): EntryHeader => ({ name, mode: 0o777, type: 'symlink', linkname: '/bin/busybox' })),
  ];
  const files = new Map<string, { mode: number; data: Buffer }>([
    ['bin/busybox', { mode: 0o755, data: binary }],
    ['etc/passwd', { mode: 0o644, data: Buffer.from(passwd) }],
    ['etc/group', { mode: 0o644, data: Buffer.from(group) }],
  ]);
  for (const [name, { mode }] of files) entries.push({ name, mode, type: 'file' });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const pack = tar.pack();
  const bytes = buffer(pack as unknown as Readable);
  for (const header of entries) {
    const fixed: EntryHeader = { ...header, uid: 0, gid: 0, uname: '', gname: '', mtime };
    await addEntry(pack, fixed, files.get(header.name)?.data);
  }
  pack.finalize();
  return bytes;
}

/**
 * Builds a Debian image with debootstrap (minbase) from the host's configured Debian mirror. Slow
 * (minutes); installs debootstrap with apt-get when it is missing.
 */
export async function seedDebian(
  images: ImageStore,
  reference = 'debian:bookworm-slim',
  suite = 'bookworm',
): Promise<ImageRecord> {
  const mirror = debianMirror(await readAptSources(), suite);
  if (mirror === undefined)
    throw new MarinaError(
      'Unavailable',
      `no Debian mirror for ${suite} in /etc/apt/sources.list(.d); add one and retry`,
    );
  await ensureDebootstrap();
  const target = await mkdtemp(join(tmpdir(), 'marina-debootstrap-'));
  try {
    await runChecked('debootstrap', ['--variant=minbase', suite, target, mirror]);
    await removePackageCaches(target);
    return await images.importDirectory(target, reference, {
      changes: ['CMD ["bash"]', `ENV ${defaultPath}`],
      message: `debootstrap ${suite}`,
    });
  } finally {
    await unmountBelow(target);
    await rm(target, { recursive: true, force: true });
  }
}

/** The downloaded .debs and package lists are most of a fresh debootstrap and useless in an image. */
async function removePackageCaches(target: string): Promise<void> {
  for (const dir of ['var/cache/apt/archives', 'var/lib/apt/lists']) {
    const path = join(target, dir);
    for (const name of await readdir(path).catch(() => [])) {
      if (name.endsWith('.deb') || (dir === 'var/lib/apt/lists' && name !== 'partial' && name !== 'lock')) {
        await rm(join(path, name), { force: true });
      }
    }
  }
}

async function ensureDebootstrap(): Promise<void> {
  if ((await runCommand('debootstrap', ['--version']).catch(() => undefined))?.code !== 0) {
    try {
      await runChecked('apt-get', ['install', '-y', 'debootstrap'], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } catch (err) {
      throw new MarinaError(
        'Unavailable',
        'debootstrap is missing and "apt-get install -y debootstrap" failed; install it and retry',
        { cause: err },
      );
    }
  }
}

/** debootstrap mounts proc and sys in the target; a failed run may leave them, and rm must not descend into them. */
async function unmountBelow(dir: string): Promise<void> {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .filter((m) => m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const mount of mounts) await runChecked('umount', ['-l', mount]);
}

async function readAptSources(): Promise<string[]> {
  const texts: string[] = [];
  if (existsSync('/etc/apt/sources.list')) texts.push(await readFile('/etc/apt/sources.list', 'utf8'));
  const dir = '/etc/apt/sources.list.d';
  if (existsSync(dir)) {
    for (const name of (await readdir(dir)).sort()) {
      if (name.endsWith('.list') || name.endsWith('.sources'))
        texts.push(await readFile(join(dir, name), 'utf8'));
    }
  }
  return texts;
}

/** The first `deb` URI serving `suite`, from one-line (.list) or deb822 (.sources) apt source files. */
export function debianMirror(sourceTexts: readonly string[], suite: string): string | undefined {
  for (const text of sourceTexts) {
    for (const line of text.split('\n')) {
      const words = line
        .replace(/\[[^\]]*\]/, '')
        .trim()
        .split(/\s+/);
      if (words[0] === 'deb' && words[2] === suite && words[1]) return words[1];
    }
    for (const stanza of text.split(/\n\s*\n/)) {
      const field = (name: string) =>
        new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim().split(/\s+/) ?? [];
      if (field('Types').includes('deb') && field('Suites').includes(suite) && field('URIs')[0])
        return field('URIs')[0];
    }
  }
  return undefined;
}
