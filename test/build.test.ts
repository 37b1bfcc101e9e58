/**
 * `marina build` end to end: real builds on a real marinad (runc, overlayfs, the content store), through
 * the CLI as users run it. Progress is read in its plain form (`#N CACHED`, `#N DONE`).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { daemonTagOf } from '../src/network/daemon-tag.ts';
import { eventually, uniqueName, useDaemon } from './harness.ts';
import { type RegistryDaemon, startRegistryDaemon } from './registry-fixtures.ts';

/** A build context directory with `files` (path → content), removed after the suite. */
function makeContext(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'marina-ctx-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFiles(dir, files);
  return dir;
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** Steps of a plain progress log, by instruction text: 'cached', 'done', or absent. */
function stepStates(log: string): Map<string, 'cached' | 'done'> {
  const titles = new Map<string, string>();
  const states = new Map<string, 'cached' | 'done'>();
  for (const line of log.split('\n')) {
    const title = /^#(\d+) \[[^\]]+\] (.*)$/.exec(line);
    if (title) titles.set(title[1]!, title[2]!);
    const end = /^#(\d+) (CACHED|DONE)/.exec(line);
    if (end && titles.has(end[1]!)) states.set(titles.get(end[1]!)!, end[2] === 'CACHED' ? 'cached' : 'done');
  }
  return states;
}

describe('build', () => {
  const d = useDaemon();
  const build = (args: string[]) => d.marina(['build', '--progress', 'plain', ...args]);

  test('a multi-stage build runs, keeps only the final stage, and its image prints what it should', async () => {
    const tag = uniqueName('multi');
    const ctx = makeContext({
      Dockerfile: [
        'FROM busybox AS builder',
        'WORKDIR /src',
        'COPY hello.txt .',
        'RUN tr a-z A-Z < hello.txt > out.txt && echo compiled',
        'FROM busybox AS unused',
        'RUN exit 1',
        'FROM busybox',
        'COPY --from=builder /src/out.txt /app/out.txt',
        'ENV GREETING="hi there"',
        'EXPOSE 8080/tcp',
        'LABEL org.example.kind=test',
        'CMD ["sh", "-c", "cat /app/out.txt; echo $GREETING"]',
      ].join('\n'),
      'hello.txt': 'hello world\n',
    });
    const r = await build(['-t', tag, ctx]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /compiled/);
    assert.doesNotMatch(r.stderr, /RUN exit 1/, 'a stage the target does not need is not built');
    assert.equal(await d.ok(['run', '--rm', tag]), 'HELLO WORLD\nhi there\n');
    const [image] = JSON.parse(await d.ok(['image', 'inspect', tag]));
    assert.deepEqual(image.config.config.ExposedPorts, { '8080/tcp': {} });
    assert.equal(image.config.config.Labels['org.example.kind'], 'test');
    assert.ok(image.config.config.Env.includes('GREETING=hi there'));
    assert.equal(image.config.rootfs.diff_ids.length, image.manifest.layers.length);
    assert.ok(image.config.history.some((h: { created_by: string }) => h.created_by.includes('COPY --from=builder')));
  });

  test('an unchanged rebuild is all cache hits and gives the same image; a changed file rebuilds from its COPY', async () => {
    const tag = uniqueName('cache');
    const ctx = makeContext({
      Dockerfile: ['FROM busybox', 'RUN echo base > /base', 'COPY src/ /src/', 'RUN cat /src/a /src/b > /joined'].join('\n'),
      'src/a': 'one\n',
      'src/b': 'two\n',
    });
    const first = await build(['-t', tag, ctx]);
    assert.equal(first.code, 0, first.stderr);
    const id = (await d.ok(['image', 'inspect', '-f', '{{.id}}', tag])).trim();
    const second = await build(['-t', tag, ctx]);
    assert.equal(second.code, 0, second.stderr);
    const states = stepStates(second.stderr);
    assert.equal(states.get('RUN echo base > /base'), 'cached');
    assert.equal(states.get('COPY src/ /src/'), 'cached');
    assert.equal(states.get('RUN cat /src/a /src/b > /joined'), 'cached');
    assert.equal((await d.ok(['image', 'inspect', '-f', '{{.id}}', tag])).trim(), id);

    writeFiles(ctx, { 'src/b': 'three\n' });
    const third = await build(['-t', tag, ctx]);
    assert.equal(third.code, 0, third.stderr);
    const after = stepStates(third.stderr);
    assert.equal(after.get('RUN echo base > /base'), 'cached');
    assert.equal(after.get('COPY src/ /src/'), 'done');
    assert.equal(after.get('RUN cat /src/a /src/b > /joined'), 'done');
    assert.equal(await d.ok(['run', '--rm', tag, 'cat', '/joined']), 'one\nthree\n');

    const noCache = await build(['--no-cache', '-t', tag, ctx]);
    assert.equal(noCache.code, 0, noCache.stderr);
    assert.equal(stepStates(noCache.stderr).get('RUN echo base > /base'), 'done');
  });

  test('.dockerignore keeps files out of COPY, with exceptions', async () => {
    const tag = uniqueName('ignore');
    const ctx = makeContext({
      Dockerfile: 'FROM busybox\nCOPY . /ctx/\nCMD ["find", "/ctx", "-type", "f"]',
      '.dockerignore': '*.log\nsecret/\n!keep.log\n**/tmp\n',
      'a.txt': 'a',
      'debug.log': 'x',
      'keep.log': 'k',
      'secret/key': 'k',
      'deep/tmp': 'x',
      'deep/file': 'f',
    });
    const r = await build(['-t', tag, ctx]);
    assert.equal(r.code, 0, r.stderr);
    const files = (await d.ok(['run', '--rm', tag])).trim().split('\n').sort();
    assert.deepEqual(files, ['/ctx/.dockerignore', '/ctx/Dockerfile', '/ctx/a.txt', '/ctx/deep/file', '/ctx/keep.log']);
  });

  test('a RUN that deletes files and directories of lower layers hides them (whiteouts)', async () => {
    const tag = uniqueName('wh');
    const ctx = makeContext({
      Dockerfile: [
        'FROM busybox',
        'RUN mkdir -p /data/dir && echo x > /data/file && echo y > /data/dir/inner && echo z > /data/keep',
        'RUN rm /data/file && rm -r /data/dir && mkdir /data/dir && echo new > /data/dir/fresh',
      ].join('\n'),
    });
    const r = await build(['-t', tag, ctx]);
    assert.equal(r.code, 0, r.stderr);
    const out = await d.ok(['run', '--rm', tag, 'sh', '-c', 'cd /data && find . | sort']);
    assert.deepEqual(out.trim().split('\n'), ['.', './dir', './dir/fresh', './keep']);
    // The same holds for the image as shipped: saved and loaded into a fresh name.
    const archive = join(mkdtempSync(join(tmpdir(), 'marina-save-')), 'img.tar');
    after(() => rmSync(dirname(archive), { recursive: true, force: true }));
    await d.ok(['image', 'save', '-o', archive, tag]);
    await d.ok(['image', 'rm', tag]);
    await d.ok(['image', 'load', '-i', archive]);
    assert.equal((await d.ok(['run', '--rm', tag, 'sh', '-c', 'cd /data && find . | sort'])).trim(), out.trim());
  });

  test('USER and WORKDIR apply to later RUN steps and to the image', async () => {
    const tag = uniqueName('user');
    const ctx = makeContext({
      Dockerfile: [
        'FROM busybox',
        // The seeded busybox has no adduser.
        "RUN echo 'app:x:1234:1234::/home/app:/bin/sh' >> /etc/passwd && echo 'app:x:1234:' >> /etc/group",
        'WORKDIR /home/app',
        'WORKDIR sub',
        'COPY --chown=app:app f.txt ./',
        'USER app',
        'RUN id -u > uid && pwd > wd && touch mine',
        'CMD ["sh", "-c", "cat uid wd; id -un; stat -c %U mine f.txt"]',
      ].join('\n'),
      'f.txt': 'f',
    });
    const r = await build(['-t', tag, ctx]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await d.ok(['run', '--rm', tag]), '1234\n/home/app/sub\napp\napp\napp\n');
  });

  test('heredocs in RUN and COPY', async () => {
    const tag = uniqueName('heredoc');
    const ctx = makeContext({
      Dockerfile: [
        'FROM busybox',
        'ARG NAME=world',
        'RUN <<EOF',
        'echo "line one" > /script-out',
        'echo "hello $NAME" >> /script-out',
        'EOF',
        'COPY <<EOT /etc/greeting',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile syntax, not a template
        'hello ${NAME}',
        'EOT',
        'RUN cat > /fed <<EOF',
        'fed through stdin',
        'EOF',
      ].join('\n'),
    });
    const r = await build(['-t', tag, ctx]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await d.ok(['run', '--rm', tag, 'cat', '/script-out', '/etc/greeting', '/fed']), 'line one\nhello world\nhello world\nfed through stdin\n');
  });

  test('ARG scoping: global ARGs reach FROM and only stages that re-declare them; build args override defaults', async () => {
    const tag = uniqueName('args');
    const ctx = makeContext({
      Dockerfile: [
        'ARG BASE=busybox',
        'ARG VERSION=1',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Dockerfile syntax, not a template
        'FROM ${BASE}',
        'RUN echo "version=[$VERSION]" > /no-redeclare',
        'ARG VERSION',
        'ARG MODE=debug',
        'RUN echo "version=$VERSION mode=$MODE" > /redeclared',
        'ENV MODE=from-env',
        'RUN echo "mode=$MODE" > /env-wins',
      ].join('\n'),
    });
    const r = await build(['-t', tag, '--build-arg', 'VERSION=2', ctx]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      await d.ok(['run', '--rm', tag, 'cat', '/no-redeclare', '/redeclared', '/env-wins']),
      'version=[]\nversion=2 mode=debug\nmode=from-env\n',
    );
    // Build args are not kept in the image's environment.
    const env = await d.ok(['run', '--rm', tag, 'env']);
    assert.doesNotMatch(env, /VERSION=/);
  });

  test('a failing RUN stops the build with its output and exit code, and tags nothing', async () => {
    const tag = uniqueName('fail');
    const ctx = makeContext({ Dockerfile: 'FROM busybox\nRUN echo about to fail && exit 7\nRUN echo never' });
    const r = await build(['-t', tag, ctx]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /about to fail/);
    assert.match(r.stderr, /exit code 7/);
    assert.doesNotMatch(r.stderr, /never/);
    const images = await d.ok(['images']);
    assert.ok(!images.includes(tag), images);
  });

  test('the image config carries HEALTHCHECK, STOPSIGNAL, VOLUME, SHELL, ENTRYPOINT and ONBUILD, and triggers run downstream', async () => {
    const base = uniqueName('onbuild');
    const ctx = makeContext({
      Dockerfile: [
        'FROM busybox',
        'SHELL ["/bin/sh", "-ec"]',
        'RUN echo "$0 $-" > /shell-flags',
        'HEALTHCHECK --interval=5s --retries=2 CMD test -f /shell-flags',
        'STOPSIGNAL SIGINT',
        'VOLUME /data',
        'ENTRYPOINT ["cat"]',
        'ONBUILD RUN echo triggered > /from-trigger',
      ].join('\n'),
    });
    const r = await build(['-t', base, ctx]);
    assert.equal(r.code, 0, r.stderr);
    const [image] = JSON.parse(await d.ok(['image', 'inspect', base]));
    const config = image.config.config;
    assert.deepEqual(config.Healthcheck, { Test: ['CMD-SHELL', 'test -f /shell-flags'], Interval: 5e9, Retries: 2 });
    assert.equal(config.StopSignal, 'SIGINT');
    assert.deepEqual(config.Volumes, { '/data': {} });
    assert.deepEqual(config.Shell, ['/bin/sh', '-ec']);
    assert.deepEqual(config.Entrypoint, ['cat']);
    assert.deepEqual(config.OnBuild, ['RUN echo triggered > /from-trigger']);
    assert.match(await d.ok(['run', '--rm', base, '/shell-flags']), /e/);

    const child = uniqueName('child');
    const r2 = await build(['-t', child, makeContext({ Dockerfile: `FROM ${base}\nRUN true` })]);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(await d.ok(['run', '--rm', child, '/from-trigger']), 'triggered\n');
    const [childImage] = JSON.parse(await d.ok(['image', 'inspect', child]));
    assert.ok(!childImage.config.config.OnBuild?.length, 'triggers are not inherited further');
  });

  test('ADD unpacks a local tar.gz; COPY copies it as it is', async () => {
    const tag = uniqueName('add');
    const ctx = makeContext({ Dockerfile: 'FROM busybox\nADD app.tar.gz /opt/\nCOPY app.tar.gz /copied/' });
    const payload = makeContext({ 'app/bin/run': '#!/bin/sh\necho from-archive\n', 'app/README': 'r' });
    execFileSync('tar', ['-C', payload, '-czf', join(ctx, 'app.tar.gz'), 'app']);
    const r = await build(['-t', tag, ctx]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await d.ok(['run', '--rm', tag, 'sh', '-c', 'cat /opt/app/README; ls /copied']), 'rapp.tar.gz\n');
  });

  test('independent stages build at the same time', async () => {
    const tag = uniqueName('parallel');
    const ctx = makeContext({
      Dockerfile: [
        'FROM busybox AS left',
        'RUN sleep 1 && echo L > /l',
        'FROM busybox AS right',
        'RUN sleep 1 && echo R > /r',
        'FROM busybox',
        'COPY --from=left /l /l',
        'COPY --from=right /r /r',
      ].join('\n'),
    });
    const r = await build(['-t', tag, ctx]);
    assert.equal(r.code, 0, r.stderr);
    // Both sleeps have started before either has finished.
    const lines = r.stderr.split('\n');
    const started = (stage: string) => lines.findIndex((l) => l.includes(`[${stage} 2/2] RUN sleep 1`));
    const firstDone = lines.findIndex((l) => /^#\d+ DONE/.test(l) && !l.includes('FROM'));
    assert.ok(started('left') >= 0 && started('right') >= 0, r.stderr);
    assert.ok(started('left') < firstDone && started('right') < firstDone, r.stderr);
    assert.equal(await d.ok(['run', '--rm', tag, 'cat', '/l', '/r']), 'L\nR\n');
  });

  test('RUN joins the default bridge network unless --network none; the context can come as a tar on stdin', async () => {
    const ctx = makeContext({ Dockerfile: 'FROM busybox\nRUN ls /sys/class/net | sort | tr "\\n" " " > /nets' });
    const tar = execFileSync('tar', ['-C', ctx, '-c', '.']);
    const bridged = uniqueName('bridged');
    const r = await d.marina(['build', '--progress', 'plain', '-t', bridged, '-'], { input: tar });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await d.ok(['run', '--rm', bridged, 'cat', '/nets']), 'eth0 lo ');
    const isolated = uniqueName('isolated');
    await d.ok(['build', '--network', 'none', '-t', isolated, ctx]);
    assert.equal(await d.ok(['run', '--rm', isolated, 'cat', '/nets']), 'lo ');
  });

  test('cache entries go with their images: after rmi and prune the same build runs again', async () => {
    const tag = uniqueName('gc');
    const ctx = makeContext({ Dockerfile: `FROM busybox\nRUN echo ${tag} > /marker` });
    await d.ok(['build', '-t', tag, ctx]);
    assert.equal(stepStates((await build(['-t', tag, ctx])).stderr).get(`RUN echo ${tag} > /marker`), 'cached');
    await d.ok(['image', 'rm', tag]);
    await d.ok(['image', 'prune', '--all']);
    await d.ok(['image', 'seed', 'busybox']);
    const again = await build(['-t', tag, ctx]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(stepStates(again.stderr).get(`RUN echo ${tag} > /marker`), 'done');
  });

  test('a marinad killed in the middle of a RUN leaves nothing behind once it is back', async () => {
    const ctx = makeContext({ Dockerfile: 'FROM busybox\nRUN echo started && sleep 60' });
    const running = d.marina(['build', '--progress', 'plain', '-t', uniqueName('killed'), ctx]);
    await eventually(() => existsSync(join(d.root, 'build', 'runc')) && readdirSync(join(d.root, 'build', 'runc')).length > 0, 20_000, 'the RUN step');
    d.kill9();
    assert.notEqual((await running).code, 0);
    await d.start();
    // The step's container, its network namespace and its snapshot are gone.
    assert.equal(execFileSync('runc', ['--root', join(d.root, 'build', 'runc'), 'list', '-q'], { encoding: 'utf8' }).trim(), '');
    assert.ok(!execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(`marina-${daemonTagOf(d.root)}-`));
    assert.ok(!readFileSync('/proc/self/mounts', 'utf8').includes(join(d.root, 'snapshots', 'containers', 'build-')));
    assert.deepEqual(readdirSync(join(d.root, 'snapshots', 'containers')).filter((k) => k.startsWith('build-')), []);
    // And the next build works.
    const ok = makeContext({ Dockerfile: 'FROM busybox\nRUN echo fine' });
    const r = await build([ok]);
    assert.equal(r.code, 0, r.stderr);
  });

  test('bad input is refused with a clear error before anything runs', async () => {
    const cases: [string, Record<string, string>, string[], RegExp][] = [
      ['unknown instruction', { Dockerfile: 'FROM busybox\nFROBNICATE x' }, [], /Dockerfile:2:1: .*FROBNICATE/i],
      ['missing COPY source', { Dockerfile: 'FROM busybox\nCOPY nope.txt /' }, [], /not found in build context.*nope\.txt/],
      ['COPY outside the context', { Dockerfile: 'FROM busybox\nCOPY ../etc/passwd /' }, [], /outside the build context/],
      ['unknown stage', { Dockerfile: 'FROM busybox AS a\nRUN true' }, ['--target', 'nope'], /nope/],
      ['undeclared build arg', { Dockerfile: 'FROM busybox\nRUN true' }, ['--build-arg', 'NOPE=1'], /NOPE/],
      [
        'circular stages',
        { Dockerfile: 'FROM busybox AS a\nCOPY --from=b /x /x\nFROM busybox AS b\nCOPY --from=a /y /y' },
        [],
        /circular/i,
      ],
    ];
    for (const [what, files, args, message] of cases) {
      const r = await build([...args, makeContext(files)]);
      assert.notEqual(r.code, 0, what);
      assert.match(r.stderr, message, what);
    }
  });
});

describe('build then push', () => {
  let registry: RegistryDaemon | undefined;
  before(async () => {
    registry = await startRegistryDaemon({ args: ['--registry-auth', 'none'] });
  });
  after(async () => {
    await registry?.daemon.destroy();
  });

  test('a built image pushes to a registry and comes back runnable', async () => {
    const { daemon, host } = registry!;
    const name = `${host}/built/${uniqueName('app')}:1`;
    const ctx = makeContext({ Dockerfile: 'FROM busybox\nRUN echo shipped > /msg\nCMD ["cat", "/msg"]' });
    await daemon.ok(['build', '-t', name, ctx]);
    await daemon.ok(['push', name]);
    await daemon.ok(['image', 'rm', name]);
    await daemon.ok(['pull', name]);
    assert.equal(await daemon.ok(['run', '--rm', name]), 'shipped\n');
  });
});
