/**
 * Go's filepath.Match for one path segment, which is what Docker matches COPY/ADD source wildcards with:
 * `*` (any run of characters), `?` (one character), `[a-z]` classes (negated by `^`, and also by `!` as
 * shells write it) and `\` escapes. Pure: no file system access.
 */
import { invalid } from '../../errors.ts';

type Token =
  | { kind: 'star' }
  | { kind: 'any' }
  | { kind: 'char'; char: string }
  | { kind: 'class'; negated: boolean; ranges: [string, string][] };

/** Whether a segment must be matched as a pattern rather than looked up as a name (Go's hasMeta). */
export function hasMeta(segment: string): boolean {
  return /[*?[\\]/.test(segment);
}

/** A compiled segment pattern; compiling throws `Invalid` for a malformed pattern, as Go returns ErrBadPattern. */
export function compileSegment(pattern: string): (name: string) => boolean {
  const tokens = parse(pattern);
  return (name) => matchTokens(tokens, Array.from(name));
}

export function matchSegment(pattern: string, name: string): boolean {
  return compileSegment(pattern)(name);
}

function badPattern(pattern: string, why: string): Error {
  return invalid(`syntax error in pattern "${pattern}": ${why}`);
}

function parse(pattern: string): Token[] {
  const chars = Array.from(pattern);
  const tokens: Token[] = [];
  let i = 0;
  const escaped = (): string => {
    i += 1;
    const next = chars[i];
    if (next === undefined) throw badPattern(pattern, 'it ends with an unfinished \\ escape');
    return next;
  };
  while (i < chars.length) {
    const c = chars[i] as string;
    if (c === '*') {
      // Consecutive stars mean the same as one; merging them keeps matching linear.
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'any' });
    } else if (c === '\\') {
      tokens.push({ kind: 'char', char: escaped() });
    } else if (c === '[') {
      i += 1;
      const negated = chars[i] === '^' || chars[i] === '!';
      if (negated) i += 1;
      const ranges: [string, string][] = [];
      const classChar = (): string => {
        const ch = chars[i];
        if (ch === undefined) throw badPattern(pattern, 'a [ class is not closed by ]');
        if (ch === '-' || (ch === ']' && ranges.length === 0))
          throw badPattern(pattern, `unexpected "${ch}" in a [ class`);
        return ch === '\\' ? escaped() : ch;
      };
      for (;;) {
        if (chars[i] === ']' && ranges.length > 0) break;
        const low = classChar();
        i += 1;
        let high = low;
        if (chars[i] === '-') {
          i += 1;
          high = classChar();
          i += 1;
        }
        ranges.push([low, high]);
      }
      tokens.push({ kind: 'class', negated, ranges });
    } else {
      tokens.push({ kind: 'char', char: c });
    }
    i += 1;
  }
  return tokens;
}

function matchesOne(token: Exclude<Token, { kind: 'star' }>, char: string): boolean {
  switch (token.kind) {
    case 'any':
      return true;
    case 'char':
      return token.char === char;
    case 'class': {
      const code = char.codePointAt(0) ?? 0;
      const inside = token.ranges.some(
        ([lo, hi]) => (lo.codePointAt(0) ?? 0) <= code && code <= (hi.codePointAt(0) ?? 0),
      );
      return inside !== token.negated;
    }
  }
}

/** Wildcard matching that backtracks only to the last star: enough, since a star can absorb any run. */
function matchTokens(tokens: Token[], chars: string[]): boolean {
  let t = 0;
  let c = 0;
  let starToken = -1;
  let starChar = 0;
  while (c < chars.length) {
    const token = tokens[t];
    if (token?.kind === 'star') {
      starToken = t;
      starChar = c;
      t += 1;
    } else if (token !== undefined && matchesOne(token, chars[c] as string)) {
      t += 1;
      c += 1;
    } else if (starToken >= 0) {
      t = starToken + 1;
      starChar += 1;
      c = starChar;
    } else {
      return false;
    }
  }
  while (tokens[t]?.kind === 'star') t += 1;
  return t === tokens.length;
}
