import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDockerignore } from './dockerignore.ts';

test('.dockerignore follows Docker: anchored patterns, exceptions, **, excluded parents', () => {
  const rules = parseDockerignore(
    [
      '# comment',
      '*.md',
      '!README.md',
      '**/tmp',
      '/build/',
      'node_modules',
      '!node_modules/keep',
      'Secret',
    ].join('\n'),
  );
  const cases: [string, boolean][] = [
    ['', false],
    ['notes.md', true],
    ['README.md', false],
    ['docs/notes.md', false], // `*` stays in the root directory
    ['tmp', true],
    ['a/b/tmp', true],
    ['a/b/tmp/file', true],
    ['build', true],
    ['build/out.o', true],
    ['src/build', false],
    ['node_modules', true],
    ['node_modules/x/index.js', true],
    ['node_modules/keep/index.js', false],
    ['secret', false], // case-sensitive like Docker
    ['Secret', true],
    ['# comment', false],
  ];
  for (const [path, ignored] of cases) assert.equal(rules.isIgnored(path), ignored, path);
});

test('mayIncludeBelow says when an excluded directory must still be walked', () => {
  const rules = parseDockerignore('node_modules\n!node_modules/keep\nlogs\n!*/important.log\n');
  assert.equal(rules.mayIncludeBelow('node_modules'), true);
  assert.equal(rules.mayIncludeBelow('node_modules/keep'), false); // the exception names keep itself, not below it
  assert.equal(rules.mayIncludeBelow('logs'), true);
  assert.equal(rules.mayIncludeBelow('other/deeper'), false);
  assert.equal(parseDockerignore('vendor').mayIncludeBelow('vendor'), false);
  assert.equal(parseDockerignore('vendor\n!**/LICENSE').mayIncludeBelow('vendor'), true);
});
