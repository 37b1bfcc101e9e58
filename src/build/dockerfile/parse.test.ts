// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are Dockerfile words, whose ${VAR} is for the Dockerfile expander
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import type { Instruction } from './ast.ts';
import { parseDockerfile } from './parse.ts';

/** The instructions of a one-stage file `FROM scratch` + body, with loc and original dropped for brevity. */
function body(text: string): Record<string, unknown>[] {
  const [stage] = parseDockerfile(`FROM scratch\n${text}`).stages;
  return stage!.instructions.map(({ loc: _loc, original: _original, ...rest }: Instruction) => rest);
}

function rejects(text: string, message: RegExp, at?: { line: number; column: number }) {
  assert.throws(
    () => parseDockerfile(text, 'ctx/Dockerfile'),
    (err: unknown) => {
      assert.ok(isMarinaError(err, 'Invalid'), `not Invalid: ${String(err)}`);
      assert.match(err.message, message);
      if (at) {
        assert.match(err.message, new RegExp(`^ctx/Dockerfile:${at.line}:${at.column}: `));
        assert.deepEqual(err.details, { file: 'ctx/Dockerfile', ...at });
      }
      return true;
    },
  );
}

describe('parseDockerfile: stages', () => {
  it('parses a multi-stage file with global ARGs, names, indexes and locations', () => {
    const df = parseDockerfile(
      [
        '# syntax=docker/dockerfile:1',
        'ARG GO=1.22 DEBUG',
        'FROM --platform=$BUILDPLATFORM golang:${GO} AS Build',
        'WORKDIR /src',
        '  RUN go build -o /app .',
        'from alpine:3.20',
        'COPY --from=build /app /usr/local/bin/app',
        'CMD ["app"]',
      ].join('\n'),
    );
    assert.equal(df.syntax, 'docker/dockerfile:1');
    assert.equal(df.escape, '\\');
    assert.deepEqual(df.globalArgs[0]!.args, [{ name: 'GO', defaultValue: '1.22' }, { name: 'DEBUG' }]);
    assert.equal(df.stages.length, 2);
    const [build, final] = df.stages;
    assert.equal(build!.index, 0);
    assert.equal(build!.name, 'build');
    assert.deepEqual(
      { image: build!.from.image, platform: build!.from.platform, stage: build!.from.stageName },
      { image: 'golang:${GO}', platform: '$BUILDPLATFORM', stage: 'build' },
    );
    assert.deepEqual(build!.instructions[1]!.loc, { file: 'Dockerfile', line: 5, column: 3 });
    assert.equal(final!.index, 1);
    assert.equal(final!.name, undefined);
    assert.equal(final!.from.image, 'alpine:3.20');
    assert.deepEqual(
      final!.instructions.map((i) => i.kind),
      ['COPY', 'CMD'],
    );
  });

  const errors: [string, string, RegExp, { line: number; column: number }][] = [
    ['empty file', '', /no FROM instruction/, { line: 1, column: 1 }],
    ['only comments', '# hi\n\n', /no FROM instruction/, { line: 1, column: 1 }],
    ['no FROM', 'ARG A\n', /no FROM instruction/, { line: 1, column: 1 }],
    [
      'RUN before FROM',
      'ARG A\nRUN x\nFROM a',
      /RUN comes before the first FROM; only ARG/,
      { line: 2, column: 1 },
    ],
    [
      'stage name starting with a digit',
      'FROM a AS 1bad',
      /invalid stage name "1bad"; it must start with a letter/,
      { line: 1, column: 1 },
    ],
    ['stage name with a symbol', 'FROM a AS b@d', /invalid stage name/, { line: 1, column: 1 }],
    [
      'duplicate stage name',
      'FROM a AS x\nFROM b AS X',
      /stage name "x" is already used/,
      { line: 2, column: 1 },
    ],
    ['FROM with two words', 'FROM a b', /FROM <image> \[AS <name>\]/, { line: 1, column: 1 }],
    ['FROM without image', 'FROM', /FROM needs an image/, { line: 1, column: 1 }],
  ];
  for (const [what, text, message, at] of errors) {
    it(`rejects: ${what}`, () => rejects(text, message, at));
  }
});

describe('parseDockerfile: lines', () => {
  it('joins continuations, skipping comment and blank lines inside them, and keeps original', () => {
    const df = parseDockerfile('FROM a\nRUN apk add \\\n  # the tools\n\n    curl \\\n  git\nRUN next');
    const [run, next] = df.stages[0]!.instructions;
    assert.equal(run!.original, 'RUN apk add     curl   git');
    assert.deepEqual(run!.kind === 'RUN' && run.command, {
      form: 'shell',
      command: 'apk add     curl   git',
    });
    assert.equal(next!.loc.line, 7);
  });

  it('keeps an escaped escape at line end as text, not a continuation', () => {
    assert.deepEqual(body('RUN echo a\\\\\nRUN b').length, 2);
  });

  it('allows whitespace after the continuation character', () => {
    assert.deepEqual(body('RUN a \\  \n b'), [
      { kind: 'RUN', command: { form: 'shell', command: 'a  b' }, heredocs: [] },
    ]);
  });

  it('handles CRLF line endings and a BOM', () => {
    const df = parseDockerfile('\uFEFFFROM a\r\nRUN x \\\r\n  y\r\n');
    const [run] = df.stages[0]!.instructions;
    assert.equal(run!.original, 'RUN x   y');
  });

  it('honours the escape directive (backtick, Windows style)', () => {
    const df = parseDockerfile('# escape=`\nFROM a\nRUN dir c:\\ `\n  /w\nCOPY a\\b c:\\dst\\');
    assert.equal(df.escape, '`');
    const [run, copy] = df.stages[0]!.instructions;
    assert.equal(run!.original, 'RUN dir c:\\   /w');
    assert.deepEqual(copy!.kind === 'COPY' && [copy.sources, copy.dest], [['a\\b'], 'c:\\dst\\']);
  });

  it('ignores directives after a comment, a blank line or an instruction', () => {
    assert.equal(parseDockerfile('# hello\n# escape=`\nFROM a').escape, '\\');
    assert.equal(parseDockerfile('\n# escape=`\nFROM a').escape, '\\');
    assert.equal(parseDockerfile('FROM a\n# escape=`\n').escape, '\\');
    assert.equal(parseDockerfile('#  ESCAPE = ` \nFROM a').escape, '`');
  });

  it('rejects a bad or repeated directive', () => {
    rejects('# escape=x\nFROM a', /invalid escape character 'x'; use \\ or `/, { line: 1, column: 1 });
    rejects('# syntax=a\n# syntax=b\nFROM a', /syntax parser directive is given twice/, {
      line: 2,
      column: 1,
    });
  });

  it('reads keywords case-insensitively', () => {
    assert.deepEqual(
      body('run x\nWorkDir /w').map((i) => i.kind),
      ['RUN', 'WORKDIR'],
    );
  });

  it('names an unknown instruction and suggests a close one', () => {
    rejects('FROM a\nRUNN x', /unknown instruction "RUNN" \(did you mean RUN\?\)/, { line: 2, column: 1 });
    rejects('FROM a\n\n   FROBNICATE x', /unknown instruction "FROBNICATE"; fix the spelling/, {
      line: 3,
      column: 4,
    });
  });
});

describe('parseDockerfile: heredocs', () => {
  it('reads RUN heredocs, several per line, with <<- and quoted delimiters', () => {
    const [run] = body('RUN <<EOF cat <<-"EOT"\necho $HOME\n  indented\nEOF\n\tx\n\t\ty\n\tEOT\nRUN after');
    assert.deepEqual(run, {
      kind: 'RUN',
      command: { form: 'shell', command: '<<EOF cat <<-"EOT"' },
      heredocs: [
        { name: 'EOF', content: 'echo $HOME\n  indented\n', expand: true },
        { name: 'EOT', content: 'x\ny\n', expand: false },
      ],
    });
  });

  it("treats <<'E O' as one quoted delimiter and takes body lines literally (no comments, no continuations)", () => {
    const [run, after] = body("RUN python3 <<'E O'\n# not a comment \\\nFROM nothing\n\nE O\nRUN y");
    assert.deepEqual(run!.heredocs, [
      { name: 'E O', content: '# not a comment \\\nFROM nothing\n\n', expand: false },
    ]);
    assert.equal(after!.kind, 'RUN');
  });

  it('does not see heredocs in quotes, after text or escaped', () => {
    for (const line of ["RUN echo '<<EOF'", 'RUN echo "<<EOF"', 'RUN echo a<<EOF', 'RUN echo \\<<EOF']) {
      const instructions = body(`${line}\nRUN y`);
      assert.equal(instructions.length, 2, line);
      assert.deepEqual(instructions[0]!.heredocs, [], line);
    }
  });

  it('accepts a heredoc named after a continuation and with space after <<', () => {
    const [run] = body('RUN cat \\\n  << EOF\nhi\nEOF');
    assert.deepEqual(run!.heredocs, [{ name: 'EOF', content: 'hi\n', expand: true }]);
  });

  it('gives COPY heredoc sources as <<NAME', () => {
    const [copy] = body('COPY --chmod=755 <<-"run.sh" <<conf /app/\n\techo hi\n\trun.sh\nk=v\nconf');
    assert.deepEqual(copy, {
      kind: 'COPY',
      sources: ['<<run.sh', '<<conf'],
      dest: '/app/',
      chmod: '755',
      heredocs: [
        { name: 'run.sh', content: 'echo hi\n', expand: false },
        { name: 'conf', content: 'k=v\n', expand: true },
      ],
    });
  });

  it('an empty body is empty content', () => {
    assert.deepEqual(body('RUN <<EOF\nEOF')[0]!.heredocs, [{ name: 'EOF', content: '', expand: true }]);
  });

  it('rejects an unterminated heredoc at the instruction', () => {
    rejects(
      'FROM a\nRUN <<EOF\nabc\n',
      /unterminated heredoc <<EOF; end it with a line containing only EOF/,
      {
        line: 2,
        column: 1,
      },
    );
  });

  it('does not look for heredocs in other instructions', () => {
    assert.deepEqual(body('ENV A=<<EOF\nRUN x').length, 2);
  });
});

describe('parseDockerfile: instructions', () => {
  const cases: [string, Record<string, unknown>][] = [
    ['RUN echo hi', { kind: 'RUN', command: { form: 'shell', command: 'echo hi' }, heredocs: [] }],
    [
      'RUN ["sh", "-c", "x"]',
      { kind: 'RUN', command: { form: 'exec', args: ['sh', '-c', 'x'] }, heredocs: [] },
    ],
    [
      'RUN --network=none apk add x',
      { kind: 'RUN', command: { form: 'shell', command: 'apk add x' }, heredocs: [], network: 'none' },
    ],
    ['RUN [not json', { kind: 'RUN', command: { form: 'shell', command: '[not json' }, heredocs: [] }],
    ['CMD ["a", "b c"]', { kind: 'CMD', command: { form: 'exec', args: ['a', 'b c'] } }],
    ['CMD []', { kind: 'CMD', command: { form: 'exec', args: [] } }],
    ["CMD ['single']", { kind: 'CMD', command: { form: 'shell', command: "['single']" } }],
    [
      'ENTRYPOINT exec app --flag',
      { kind: 'ENTRYPOINT', command: { form: 'shell', command: 'exec app --flag' } },
    ],
    [
      'SHELL ["/bin/bash", "-o", "pipefail", "-c"]',
      { kind: 'SHELL', args: ['/bin/bash', '-o', 'pipefail', '-c'] },
    ],
    ['COPY a b /dst/', { kind: 'COPY', sources: ['a', 'b'], dest: '/dst/', heredocs: [] }],
    ['COPY ["a b", "/d e/"]', { kind: 'COPY', sources: ['a b'], dest: '/d e/', heredocs: [] }],
    [
      'COPY --from=build --chown=app:app --link /out /srv',
      { kind: 'COPY', sources: ['/out'], dest: '/srv', heredocs: [], from: 'build', chown: 'app:app' },
    ],
    [
      'ADD --chmod=0644 https://x/y.tgz /',
      { kind: 'ADD', sources: ['https://x/y.tgz'], dest: '/', heredocs: [], chmod: '0644' },
    ],
    [
      'ENV A=1 B="two words" C=$A\\ x',
      {
        kind: 'ENV',
        pairs: [
          { key: 'A', value: '1' },
          { key: 'B', value: '"two words"' },
          { key: 'C', value: '$A\\ x' },
        ],
      },
    ],
    ['ENV PATH /opt/bin:$PATH', { kind: 'ENV', pairs: [{ key: 'PATH', value: '/opt/bin:$PATH' }] }],
    ['ENV MSG hello   big world', { kind: 'ENV', pairs: [{ key: 'MSG', value: 'hello   big world' }] }],
    ['ENV E=', { kind: 'ENV', pairs: [{ key: 'E', value: '' }] }],
    [
      'LABEL org.opencontainers.image.title="My app" version=1',
      {
        kind: 'LABEL',
        pairs: [
          { key: 'org.opencontainers.image.title', value: '"My app"' },
          { key: 'version', value: '1' },
        ],
      },
    ],
    [
      'ARG A B=2 C="x y"',
      {
        kind: 'ARG',
        args: [{ name: 'A' }, { name: 'B', defaultValue: '2' }, { name: 'C', defaultValue: '"x y"' }],
      },
    ],
    ['WORKDIR /app/$NAME', { kind: 'WORKDIR', value: '/app/$NAME' }],
    ['USER app:app', { kind: 'USER', value: 'app:app' }],
    ['STOPSIGNAL SIGINT', { kind: 'STOPSIGNAL', value: 'SIGINT' }],
    ['MAINTAINER Jo <jo@x.org>', { kind: 'MAINTAINER', value: 'Jo <jo@x.org>' }],
    ['EXPOSE 80 443/tcp $PORT', { kind: 'EXPOSE', values: ['80', '443/tcp', '$PORT'] }],
    ['VOLUME /data /logs', { kind: 'VOLUME', values: ['/data', '/logs'] }],
    ['VOLUME ["/data", "/my logs"]', { kind: 'VOLUME', values: ['/data', '/my logs'] }],
    ['HEALTHCHECK NONE', { kind: 'HEALTHCHECK', test: { none: true } }],
    [
      'HEALTHCHECK --interval=1m30s --timeout=500ms --start-period=2s --start-interval=1.5s --retries=3 CMD curl -f http://x/',
      {
        kind: 'HEALTHCHECK',
        test: { none: false, command: { form: 'shell', command: 'curl -f http://x/' } },
        intervalNs: 90e9,
        timeoutNs: 500e6,
        startPeriodNs: 2e9,
        startIntervalNs: 1.5e9,
        retries: 3,
      },
    ],
    [
      'healthcheck cmd ["true"]',
      { kind: 'HEALTHCHECK', test: { none: false, command: { form: 'exec', args: ['true'] } } },
    ],
    [
      'HEALTHCHECK --interval=0s CMD true',
      { kind: 'HEALTHCHECK', test: { none: false, command: { form: 'shell', command: 'true' } } },
    ],
    ['ONBUILD RUN make', { kind: 'ONBUILD', trigger: 'RUN make' }],
    ['onbuild copy --chown=1 . /app', { kind: 'ONBUILD', trigger: 'copy --chown=1 . /app' }],
  ];
  for (const [line, expected] of cases) {
    it(line, () => assert.deepEqual(body(line), [expected]));
  }

  const errors: [string, RegExp][] = [
    ['COPY --foo=1 a b', /unknown flag --foo for COPY; COPY accepts --from, --chown, --chmod, --link/],
    ['ADD --from=x a b', /unknown flag --from for ADD/],
    ['ENV --x=1 A=b', /unknown flag --x for ENV; ENV takes no flags/],
    ['RUN --mount=type=cache,target=/x make', /RUN --mount is not supported by Marina/],
    ['COPY --from a b', /flag --from needs a value/],
    ['COPY --chown=1 --chown=2 a b', /flag --chown is given twice/],
    ['RUN --network=bridge x', /not a network mode; use default, none or host/],
    ['RUN', /RUN needs a command/],
    ['RUN ["a", 1]', /JSON array must contain only strings/],
    ['CMD', /CMD needs a command/],
    ['COPY onlyone', /COPY needs at least one source and a destination/],
    ['SHELL /bin/bash -c', /SHELL needs a JSON array/],
    ['SHELL []', /SHELL needs a JSON array/],
    ['SHELL ["sh", -c]', /SHELL needs a JSON array/],
    ['ENV', /ENV needs at least one name=value pair/],
    ['ENV ONLYKEY', /ENV ONLYKEY has no value; write ENV ONLYKEY=<value>/],
    ['ENV A=1 B', /"B" has no =/],
    ['LABEL =x', /LABEL names can't be blank/],
    ['ARG', /ARG needs a name/],
    ['ARG =1', /ARG names can't be blank/],
    ['WORKDIR', /WORKDIR needs a path/],
    ['EXPOSE', /EXPOSE needs at least one port/],
    ['VOLUME []', /VOLUME needs at least one path/],
    ['VOLUME [""]', /VOLUME paths can not be empty/],
    ['HEALTHCHECK', /HEALTHCHECK needs CMD <command> or NONE/],
    ['HEALTHCHECK NONE x', /HEALTHCHECK NONE takes no arguments/],
    ['HEALTHCHECK PING x', /unknown HEALTHCHECK type "PING"/],
    ['HEALTHCHECK CMD', /HEALTHCHECK CMD needs a command/],
    ['HEALTHCHECK --interval=5 CMD x', /bad duration "5" for --interval; write it like 30s/],
    ['HEALTHCHECK --timeout=1x CMD x', /bad duration "1x"/],
    ['HEALTHCHECK --interval=10us CMD x', /too short; it must be at least 1ms/],
    ['HEALTHCHECK --retries=-1 CMD x', /--retries must be a whole number/],
    ['ONBUILD', /ONBUILD needs an instruction/],
    ['ONBUILD ONBUILD RUN x', /ONBUILD ONBUILD isn't allowed/],
    ['ONBUILD FROM x', /FROM isn't allowed as an ONBUILD trigger/],
    ['ONBUILD maintainer me', /MAINTAINER isn't allowed as an ONBUILD trigger/],
    ['ONBUILD COPY --bad=1 a b', /unknown flag --bad for COPY/],
    ['ONBUILD NOPE x', /unknown instruction "NOPE"/],
  ];
  for (const [line, message] of errors) {
    it(`rejects ${line}`, () => rejects(`FROM a\n${line}`, message, { line: 2, column: 1 }));
  }
});
