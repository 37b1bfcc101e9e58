// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are Dockerfile words, whose ${VAR} is for the Dockerfile expander
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import { expandHeredoc, expandWord, expandWords, type Lookup } from './expand.ts';

const vars: Record<string, string> = {
  A: 'a',
  EMPTY: '',
  SPACED: 'x  y',
  PATH: '/usr/bin',
  FILE: 'dir/name.tar.gz',
};
const lookup: Lookup = (name) => vars[name];

describe('expandWord', () => {
  const cases: [string, string][] = [
    ['plain', 'plain'],
    ['$A', 'a'],
    ['${A}', 'a'],
    ['pre$A-post', 'prea-post'],
    ['${A}b', 'ab'],
    ['$Ab', ''], // the name is Ab, unset
    ['$UNSET', ''],
    ['${UNSET}', ''],
    ['${UNSET:-def}', 'def'],
    ['${EMPTY:-def}', 'def'],
    ['${EMPTY-def}', ''],
    ['${UNSET-def}', 'def'],
    ['${A:-def}', 'a'],
    ['${A:+alt}', 'alt'],
    ['${EMPTY:+alt}', ''],
    ['${EMPTY+alt}', 'alt'],
    ['${UNSET+alt}', ''],
    ['${UNSET:-$A}', 'a'],
    ['${UNSET:-"q u"}', 'q u'],
    ["'$A'", '$A'],
    ['"$A"', 'a'],
    ['"a b"', 'a b'],
    ["'it''s'", 'its'],
    ['"say \\"hi\\""', 'say "hi"'],
    ['"a\\nb"', 'a\\nb'], // inside double quotes the escape only escapes " $ and itself
    ['a\\ b', 'a b'],
    ['\\$A', '$A'],
    ['"\\$A"', '$A'],
    ['$', '$'],
    ['a$', 'a$'],
    ['$1x', 'x'],
    ['${PATH}:/bin', '/usr/bin:/bin'],
    ['${FILE#*.}', 'tar.gz'],
    ['${FILE##*.}', 'gz'],
    ['${FILE%.*}', 'dir/name.tar'],
    ['${FILE%%.*}', 'dir/name'],
    ['${FILE/a/A}', 'dir/nAme.tar.gz'],
    ['${FILE//a/A}', 'dir/nAme.tAr.gz'],
    ['end\\', 'end'],
  ];
  for (const [raw, expected] of cases) {
    it(`${raw} → ${JSON.stringify(expected)}`, () => assert.equal(expandWord(raw, lookup), expected));
  }

  it('uses the backtick as escape character when asked', () => {
    assert.equal(expandWord('a`$A\\b', lookup, '`'), 'a$A\\b');
  });

  const bad: [string, RegExp][] = [
    ['${A', /missing '}'.*"\$\{A"/],
    ['${}', /bad substitution/],
    ['${:-x}', /bad substitution/],
    ['${A!x}', /unsupported modifier/],
    ['"open', /unterminated double quote/],
    ["'open", /unterminated single quote/],
    ['${UNSET:?must be set}', /UNSET: must be set/],
    ['${EMPTY:?}', /EMPTY: is not allowed to be empty/],
    ['${UNSET?}', /UNSET: is not allowed to be unset/],
  ];
  for (const [raw, message] of bad) {
    it(`rejects ${raw}`, () => {
      assert.throws(
        () => expandWord(raw, lookup),
        (err: unknown) => isMarinaError(err, 'Invalid') && message.test(err.message),
      );
    });
  }

  it('${EMPTY?} is fine: set but empty', () => assert.equal(expandWord('${EMPTY?}', lookup), ''));
});

describe('expandWords', () => {
  const cases: [string, string[]][] = [
    ['80 443/tcp', ['80', '443/tcp']],
    ['  a   b  ', ['a', 'b']],
    ['"a b" c', ['a b', 'c']],
    ['$SPACED', ['x', 'y']], // an unquoted expansion is split
    ['"$SPACED"', ['x  y']],
    ['pre$SPACED', ['prex', 'y']],
    ['a\\ b', ['a b']],
    ['$UNSET', []],
    ['""', []], // as BuildKit: an empty quoted word vanishes
  ];
  for (const [raw, expected] of cases) {
    it(`${raw} → ${JSON.stringify(expected)}`, () => assert.deepEqual(expandWords(raw, lookup), expected));
  }
});

describe('expandHeredoc', () => {
  it('expands references but keeps quotes', () => {
    assert.equal(expandHeredoc('echo "$A" \'${A}\'\n', lookup), 'echo "a" \'a\'\n');
  });
  it('applies escapes, as BuildKit does for heredoc bodies', () => {
    assert.equal(expandHeredoc('cost: \\$5 $A\n', lookup), 'cost: $5 a\n');
  });
  it('keeps newlines and spacing', () => {
    assert.equal(expandHeredoc('a  $SPACED\n\nb\n', lookup), 'a  x  y\n\nb\n');
  });
});
