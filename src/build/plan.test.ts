// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are Dockerfile words, whose ${VAR} is for the Dockerfile expander
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type {
  ArgInstruction,
  CopyInstruction,
  Dockerfile,
  FromInstruction,
  Instruction,
  Stage,
} from './dockerfile/ast.ts';
import { isMarinaError } from '../errors.ts';
import { type PlanOptions, planBuild, stageArgValue } from './plan.ts';

// Dockerfiles are written as AST objects (not parsed): one instruction per line, line numbers from 1.
const file = 'Dockerfile';
type Line = ArgInstruction | FromInstruction | CopyInstruction | Instruction;

function arg(...specs: string[]): ArgInstruction {
  const args = specs.map((spec) => {
    const eq = spec.indexOf('=');
    return eq === -1 ? { name: spec } : { name: spec.slice(0, eq), defaultValue: spec.slice(eq + 1) };
  });
  return { kind: 'ARG', args, loc: loc(0), original: `ARG ${specs.join(' ')}` };
}

function from(image: string, options: { as?: string; platform?: string } = {}): FromInstruction {
  const instruction: FromInstruction = { kind: 'FROM', image, loc: loc(0), original: `FROM ${image}` };
  if (options.as !== undefined) instruction.stageName = options.as.toLowerCase();
  if (options.platform !== undefined) instruction.platform = options.platform;
  return instruction;
}

function copy(fromValue?: string, kind: 'COPY' | 'ADD' = 'COPY'): CopyInstruction {
  const instruction: CopyInstruction = {
    kind,
    sources: ['a'],
    dest: '/a',
    heredocs: [],
    loc: loc(0),
    original: '',
  };
  if (fromValue !== undefined) instruction.from = fromValue;
  instruction.original = `${kind}${fromValue === undefined ? '' : ` --from=${fromValue}`} a /a`;
  return instruction;
}

function run(command: string): Instruction {
  return {
    kind: 'RUN',
    command: { form: 'shell', command },
    heredocs: [],
    loc: loc(0),
    original: `RUN ${command}`,
  };
}

function loc(line: number) {
  return { file, line, column: 1 };
}

/** Splits the lines into global ARGs and stages at each FROM, numbering lines in order. */
function dockerfile(...lines: Line[]): Dockerfile {
  const result: Dockerfile = { escape: '\\', globalArgs: [], stages: [] };
  lines.forEach((instruction, i) => {
    instruction.loc = loc(i + 1);
    const current = result.stages.at(-1);
    if (instruction.kind === 'FROM') {
      const stage: Stage = { index: result.stages.length, from: instruction, instructions: [] };
      if (instruction.stageName !== undefined) stage.name = instruction.stageName;
      result.stages.push(stage);
    } else if (current) current.instructions.push(instruction);
    else if (instruction.kind === 'ARG') result.globalArgs.push(instruction);
    else throw new Error('only ARG may come before the first FROM');
  });
  return result;
}

const amd64: PlanOptions['platform'] = { os: 'linux', architecture: 'amd64' };

function plan(df: Dockerfile, options: Partial<PlanOptions> = {}) {
  return planBuild(df, { buildArgs: {}, platform: amd64, ...options });
}

/** Asserts an `Invalid` whose message matches every pattern. */
function assertInvalid(fn: () => unknown, ...patterns: RegExp[]) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isMarinaError(err, 'Invalid'), `expected Invalid, got ${String(err)}`);
    for (const pattern of patterns) assert.match(err.message, pattern);
    return true;
  });
}

test('a single stage on an image: normalized reference, labelled by index, target 0', () => {
  const p = plan(dockerfile(from('busybox'), run('true')));
  assert.equal(p.target, 0);
  assert.equal(p.stages.length, 1);
  const [stage] = p.stages;
  assert.deepEqual(stage!.base, { kind: 'image', reference: 'docker.io/library/busybox:latest' });
  assert.equal(stage!.label, '0');
  assert.deepEqual(stage!.dependsOn, []);
  assert.equal(stage!.copyFrom.size, 0);
  assert.equal(stage!.platform, undefined);
});

test('FROM scratch is empty; FROM an earlier stage name (any case) builds on it', () => {
  const p = plan(
    dockerfile(from('scratch', { as: 'Base' }), copy(), from('BASE', { as: 'app' }), run('true')),
  );
  assert.deepEqual(
    p.stages.map((s) => [s.label, s.base]),
    [
      ['base', { kind: 'scratch' }],
      ['app', { kind: 'stage', index: 0 }],
    ],
  );
  assert.deepEqual(p.stages[1]!.dependsOn, [0]);
});

test('FROM its own or a later stage name is an image, as in Docker', () => {
  const df = dockerfile(
    from('node', { as: 'node' }),
    from('later', { as: 'app' }),
    from('node', { as: 'later' }),
  );
  assert.deepEqual(
    plan(df).stages.map((s) => s.base),
    [
      { kind: 'image', reference: 'docker.io/library/node:latest' },
      { kind: 'stage', index: 0 },
    ],
  );
  assert.deepEqual(
    plan(df, { target: 'app' }).stages.map((s) => s.base),
    [{ kind: 'image', reference: 'docker.io/library/later:latest' }],
  );
});

test('COPY/ADD --from: stage by name (also later ones), by earlier index, or an image; keyed by position', () => {
  const p = plan(
    dockerfile(
      from('busybox', { as: 'one' }),
      from('busybox', { as: 'two' }),
      run('true'),
      copy('ONE'),
      copy(),
      copy('0', 'ADD'),
      copy('three'),
      copy('alpine:3'),
      from('busybox', { as: 'three' }),
    ),
    { target: 'two' },
  );
  const two = p.stages.find((s) => s.label === 'two')!;
  assert.deepEqual(
    [...two.copyFrom],
    [
      [1, { kind: 'stage', index: 0 }],
      [3, { kind: 'stage', index: 0 }],
      [4, { kind: 'stage', index: 2 }],
      [5, { kind: 'image', reference: 'docker.io/library/alpine:3' }],
    ],
  );
  assert.deepEqual(two.dependsOn, [0, 2]);
  assert.deepEqual(
    p.stages.map((s) => s.label),
    ['one', 'three', 'two'],
  );
});

test('only the stages the target needs, dependencies first, otherwise in file order', () => {
  const df = dockerfile(
    from('busybox', { as: 'a' }),
    copy('d'),
    from('busybox', { as: 'unused' }),
    from('busybox', { as: 'b' }),
    from('busybox', { as: 'c' }),
    copy('b'),
    copy('a'),
    from('scratch', { as: 'd' }),
  );
  const p = plan(df, { target: 'c' });
  // b is ready before a (a waits for d, defined after it).
  assert.deepEqual(
    p.stages.map((s) => s.label),
    ['b', 'd', 'a', 'c'],
  );
  assert.equal(p.target, 3);
  assert.deepEqual(
    plan(df).stages.map((s) => s.label),
    ['d'],
  );
});

test('--target by name (case-insensitive) or index; unknown names list the stages', () => {
  const df = dockerfile(from('busybox', { as: 'build' }), from('busybox'), from('build', { as: 'test' }));
  assert.equal(plan(df, { target: 'BUILD' }).target, 0);
  assert.equal(plan(df, { target: '1' }).target, 1);
  assert.deepEqual(
    plan(df, { target: '1' }).stages.map((s) => s.label),
    ['1'],
  );
  assert.equal(plan(df).target, 2);
  assertInvalid(
    () => plan(df, { target: 'prod' }),
    /"prod" not found in Dockerfile/,
    /build, test/,
    /0 to 2/,
  );
  assertInvalid(() => plan(df, { target: '3' }), /"3" not found/);
});

test('global ARGs: defaults expanded in order, build args override, automatic args available', () => {
  const df = dockerfile(
    arg('REPO=busybox', 'TAG=1.${MINOR}'),
    arg('MINOR=36'),
    arg('IMAGE=${REPO}:${TAG}', 'ARCH=$TARGETARCH', 'UNSET'),
    from('${IMAGE}'),
  );
  const p = plan(df);
  assert.deepEqual(
    [...p.globalArgs],
    [
      ['REPO', 'busybox'],
      ['TAG', '1.'],
      ['MINOR', '36'],
      ['IMAGE', 'busybox:1.'],
      ['ARCH', 'amd64'],
    ],
  );
  assert.deepEqual(p.stages[0]!.base, { kind: 'image', reference: 'docker.io/library/busybox:1.' });

  const withArgs = plan(df, { buildArgs: { TAG: '1.37', UNSET: 'set' } });
  assert.equal(withArgs.globalArgs.get('IMAGE'), 'busybox:1.37');
  assert.equal(withArgs.globalArgs.get('UNSET'), 'set');
  assert.deepEqual(withArgs.stages[0]!.base, { kind: 'image', reference: 'docker.io/library/busybox:1.37' });
});

test('a build arg reaches FROM only through a global ARG; an empty base is Invalid', () => {
  const df = dockerfile(arg('V'), from('busybox:${V:-1}'), arg('W'), from('busybox:${W:-1}'));
  const p = plan(df, { buildArgs: { V: '2', W: '3' }, target: '0' });
  assert.deepEqual(p.stages[0]!.base, { kind: 'image', reference: 'docker.io/library/busybox:2' });
  const last = plan(df, { buildArgs: { V: '2', W: '3' } });
  assert.deepEqual(last.stages[0]!.base, { kind: 'image', reference: 'docker.io/library/busybox:1' });
  assertInvalid(() => plan(dockerfile(arg('BASE'), from('$BASE'))), /Dockerfile:2/, /empty after expansion/);
  assertInvalid(() => plan(dockerfile(arg('BASE'), from('${BASE:?set BASE}'))), /Dockerfile:2: FROM: .*set BASE/);
  assertInvalid(() => plan(dockerfile(arg('A=${'), from('busybox'))), /Dockerfile:1: ARG A: /);
});

test('automatic args describe the platform, are overridable, and expand in FROM --platform', () => {
  const arm: PlanOptions['platform'] = { os: 'linux', architecture: 'arm', variant: 'v7' };
  const df = dockerfile(from('busybox', { platform: '$BUILDPLATFORM' }));
  const p = plan(df, { platform: arm });
  assert.deepEqual(Object.fromEntries(p.automaticArgs), {
    TARGETPLATFORM: 'linux/arm/v7',
    TARGETOS: 'linux',
    TARGETARCH: 'arm',
    TARGETVARIANT: 'v7',
    BUILDPLATFORM: 'linux/arm/v7',
    BUILDOS: 'linux',
    BUILDARCH: 'arm',
    BUILDVARIANT: 'v7',
  });
  assert.equal(p.stages[0]!.platform, 'linux/arm/v7');
  const amd = plan(df, { buildArgs: { TARGETARCH: 'riscv64' } });
  assert.equal(amd.automaticArgs.get('TARGETPLATFORM'), 'linux/amd64');
  assert.equal(amd.automaticArgs.get('TARGETVARIANT'), '');
  assert.equal(amd.automaticArgs.get('TARGETARCH'), 'riscv64');
  assertInvalid(
    () => plan(dockerfile(from('busybox', { platform: '$NOPE' }))),
    /Dockerfile:1: FROM --platform/,
  );
});

test('stageArgValue: build arg, then own default, then global ARG, then automatic arg', () => {
  const df = dockerfile(arg('G=global', 'EMPTY='), from('busybox'), arg('G', 'X', 'TARGETOS'));
  const p = plan(df);
  assert.equal(stageArgValue(p, { G: 'cli' }, 'G', 'own'), 'cli');
  assert.equal(stageArgValue(p, {}, 'G', 'own'), 'own');
  assert.equal(stageArgValue(p, {}, 'G', undefined), 'global');
  assert.equal(stageArgValue(p, {}, 'EMPTY', undefined), '');
  assert.equal(stageArgValue(p, {}, 'TARGETOS', undefined), 'linux');
  assert.equal(stageArgValue(p, {}, 'X', undefined), undefined);
  assert.equal(stageArgValue(p, { X: '' }, 'X', 'own'), '');
});

test('build args must be declared somewhere, except the proxy and automatic args', () => {
  const df = dockerfile(arg('GLOBAL'), from('busybox'), from('busybox'), arg('LOCAL=1'));
  plan(df, { buildArgs: { GLOBAL: '1', LOCAL: '2', HTTP_PROXY: 'x', no_proxy: 'y', TARGETOS: 'linux' } });
  assertInvalid(
    () => plan(df, { buildArgs: { GLOBAL: '1', VERSOIN: '2', toString: '3' } }),
    /build args VERSOIN, toString not declared in Dockerfile/,
    /declare it with ARG VERSOIN in the Dockerfile or drop --build-arg VERSOIN/,
  );
});

test('circular COPY --from dependencies name the cycle and its lines, even in stages the target skips', () => {
  const df = dockerfile(
    from('busybox', { as: 'ok' }),
    from('busybox', { as: 'a' }),
    copy('b'),
    from('busybox', { as: 'b' }),
    copy('c'),
    from('a', { as: 'c' }),
  );
  assertInvalid(
    () => plan(df, { target: 'ok' }),
    /circular dependency between stages: a → b → c → a/,
    /Dockerfile:3 COPY --from=b a \/a; Dockerfile:5 COPY --from=c a \/a; Dockerfile:6 FROM a/,
  );
  assertInvalid(() => plan(dockerfile(from('busybox', { as: 'self' }), copy('self'))), /self → self/);
});

test('COPY --from: an index must be an earlier stage; values expand with global ARGs', () => {
  assertInvalid(
    () => plan(dockerfile(from('busybox'), from('busybox'), copy('1'))),
    /Dockerfile:3: --from=1 is not an earlier stage/,
  );
  assertInvalid(() => plan(dockerfile(from('busybox'), copy('-1'))), /--from=-1 is not an earlier stage/);
  const df = dockerfile(
    arg('SRC=builder', 'IMG=alpine'),
    from('busybox', { as: 'builder' }),
    from('busybox'),
    copy('$SRC'),
    copy('${IMG}:3'),
  );
  const p = plan(df);
  assert.deepEqual(
    [...p.stages[1]!.copyFrom.values()],
    [
      { kind: 'stage', index: 0 },
      { kind: 'image', reference: 'docker.io/library/alpine:3' },
    ],
  );
  assertInvalid(
    () => plan(dockerfile(from('busybox'), copy('Not_An:Image!'))),
    /Dockerfile:2: --from Not_An:Image!/,
  );
  assertInvalid(() => plan(dockerfile(from('busybox'), copy('scratch'))), /--from=scratch/);
});

test('bad FROM references, duplicate stage names and a file without FROM are Invalid with their line', () => {
  assertInvalid(
    () => plan(dockerfile(from('busybox'), from('Busybox'))),
    /Dockerfile:2: FROM Busybox: invalid reference/,
    /earlier stage, or scratch/,
  );
  assertInvalid(
    () => plan(dockerfile(from('busybox', { as: 'x' }), from('busybox', { as: 'X' }))),
    /Dockerfile:2: duplicate stage name "x" \(already used at Dockerfile:1\)/,
  );
  assertInvalid(() => plan(dockerfile(arg('A=1'))), /no FROM/);
});
