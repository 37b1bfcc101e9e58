/**
 * Word expansion with BuildKit's shell-lexer semantics (frontend/dockerfile/shell/lex.go): quotes,
 * the escape character and `$` references, the subset of sh that Dockerfile instructions understand.
 * There is no command substitution, globbing or arithmetic: a Dockerfile word is never run by a shell here.
 */
import { invalid } from '../../errors.ts';

/** A variable's value, or undefined when it is not set (unset and empty differ for `${V-d}` vs `${V:-d}`). */
export type Lookup = (name: string) => string | undefined;

export type EscapeChar = '\\' | '`';

export interface LexOptions {
  lookup: Lookup;
  escape: EscapeChar;
  /** Keep quote characters in the result (heredoc detection looks at the raw words). */
  rawQuotes?: boolean;
  /** Keep escape characters in the result. */
  rawEscapes?: boolean;
  /** Treat quotes as ordinary characters (heredoc bodies). */
  skipQuotes?: boolean;
  /** Leave references to unset variables as written instead of expanding them to ''. */
  skipUnset?: boolean;
}

export interface LexResult {
  /** The whole input expanded, whitespace kept. */
  text: string;
  /** The expansion split on unquoted whitespace. */
  words: string[];
}

class SubstitutionError extends Error {}

const isSpace = (ch: string) => /\s/u.test(ch);
const isNameChar = (ch: string) => /[\p{L}\p{N}_]/u.test(ch);
const isDigit = (ch: string) => /\p{Nd}/u.test(ch);
const specialParams = new Set(['@', '*', '#', '?', '-', '$', '!', '0']);

/** Collects words the way BuildKit does: expanded `$` values split, quoted text stays one piece. */
class Words {
  word = '';
  inWord = false;
  readonly words: string[] = [];

  addChar(ch: string): void {
    if (isSpace(ch)) {
      if (this.inWord && this.word.length > 0) {
        this.words.push(this.word);
        this.word = '';
        this.inWord = false;
      }
    } else {
      this.addRaw(ch);
    }
  }

  addString(s: string): void {
    for (const ch of s) this.addChar(ch);
  }

  addRaw(s: string): void {
    this.word += s;
    this.inWord = true;
  }

  finish(): string[] {
    if (this.word.length > 0) this.words.push(this.word);
    this.word = '';
    this.inWord = false;
    return this.words;
  }
}

class Lexer {
  private readonly chars: string[];
  private pos = 0;
  private readonly opts: LexOptions;

  constructor(src: string, opts: LexOptions) {
    this.chars = Array.from(src);
    this.opts = opts;
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private next(): string | undefined {
    return this.chars[this.pos++];
  }

  /** Reads up to `stop` (consumed) or the end; `rawEscapes` keeps escapes for patterns. */
  process(stop: string | undefined, rawEscapes: boolean): LexResult {
    let text = '';
    const words = new Words();
    const escapeChar = this.opts.escape;
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (stop !== undefined && ch === stop) {
        this.next();
        return { text, words: words.finish() };
      }
      if (ch === '$') {
        const value = this.dollar();
        text += value;
        words.addString(value);
      } else if ((ch === "'" || ch === '"') && !this.opts.skipQuotes) {
        const value = ch === "'" ? this.singleQuoted() : this.doubleQuoted();
        text += value;
        words.addRaw(value);
      } else {
        this.next();
        if (ch === escapeChar) {
          if (rawEscapes) {
            words.addRaw(ch);
            text += ch;
          }
          const escaped = this.next();
          // An escape at the very end of the word is dropped.
          if (escaped === undefined) break;
          words.addRaw(escaped);
          text += escaped;
        } else {
          words.addChar(ch);
          text += ch;
        }
      }
    }
    if (stop !== undefined) throw new SubstitutionError(`missing '${stop}'`);
    return { text, words: words.finish() };
  }

  private singleQuoted(): string {
    // Nothing can be escaped inside single quotes, not even a single quote.
    const raw = this.opts.rawQuotes === true;
    this.next(); // the opening quote
    let out = raw ? "'" : '';
    for (;;) {
      const ch = this.next();
      if (ch === undefined) throw new SubstitutionError('unterminated single quote');
      if (ch === "'") return raw ? out + ch : out;
      out += ch;
    }
  }

  private doubleQuoted(): string {
    const raw = this.opts.rawQuotes === true;
    const escapeChar = this.opts.escape;
    this.next(); // the opening quote
    let out = raw ? '"' : '';
    for (;;) {
      const ch = this.peek();
      if (ch === undefined) throw new SubstitutionError('unterminated double quote');
      if (ch === '"') {
        this.next();
        return raw ? out + ch : out;
      }
      if (ch === '$') {
        out += this.dollar();
        continue;
      }
      this.next();
      if (ch === escapeChar) {
        if (this.opts.rawEscapes) out += ch;
        const following = this.peek();
        if (following === undefined) continue;
        // Inside double quotes the escape only escapes `"`, `$` and itself; elsewhere it stays literal.
        if (following === '"' || following === '$' || following === escapeChar) {
          out += this.next();
          continue;
        }
      }
      out += ch;
    }
  }

  private name(): string {
    let name = '';
    for (let ch = this.peek(); ch !== undefined; ch = this.peek()) {
      if (name === '' && isDigit(ch)) {
        while (this.peek() !== undefined && isDigit(this.peek()!)) name += this.next();
        return name;
      }
      if (name === '' && specialParams.has(ch)) return this.next()!;
      if (!isNameChar(ch)) break;
      name += this.next();
    }
    return name;
  }

  private get(name: string): string | undefined {
    return this.opts.lookup(name);
  }

  private dollar(): string {
    this.next(); // the $
    if (this.peek() !== '{') {
      const name = this.name();
      if (name === '') return '$';
      const value = this.get(name);
      if (value === undefined && this.opts.skipUnset) return `$${name}`;
      return value ?? '';
    }
    this.next(); // the {
    const first = this.peek();
    if (first === undefined) throw new SubstitutionError("missing '}'");
    if (first === '{' || first === '}' || first === ':') throw new SubstitutionError('bad substitution');
    const name = this.name();
    const op = this.next();
    if (op === undefined) throw new SubstitutionError("missing '}'");
    if (name === '') throw new SubstitutionError('bad substitution');
    if (op === '}') {
      const value = this.get(name);
      if (value === undefined && this.opts.skipUnset) return `\${${name}}`;
      return value ?? '';
    }
    if (op === '/') return this.replace(name);
    let modifier = op;
    const nullIsUnset = op === ':';
    if (nullIsUnset) modifier = this.next() ?? '';
    if (!['+', '-', '?', '#', '%'].includes(modifier)) {
      throw new SubstitutionError(
        `unsupported modifier (${nullIsUnset ? ':' : ''}${modifier}) in substitution`,
      );
    }
    const word = this.process('}', modifier === '#' || modifier === '%').text;
    const value = this.get(name);
    if (value === undefined && this.opts.skipUnset)
      return `\${${name}${nullIsUnset ? ':' : ''}${modifier}${word}}`;
    const unset = value === undefined || (nullIsUnset && value === '');
    switch (modifier) {
      case '-':
        return unset ? word : value!;
      case '+':
        return unset ? '' : word;
      case '?':
        if (unset) {
          const fallback = value === undefined ? 'is not allowed to be unset' : 'is not allowed to be empty';
          throw invalid(
            `${name}: ${word || fallback}; set ${name} with ARG, ENV or --build-arg ${name}=<value>`,
          );
        }
        return value!;
      default: {
        // `#`/`%` remove the shortest matching prefix/suffix, `##`/`%%` the longest.
        const greedy = word.startsWith(modifier);
        const pattern = greedy ? word.slice(1) : word;
        return trimPattern(value ?? '', pattern, modifier === '#' ? 'prefix' : 'suffix', greedy);
      }
    }
  }

  private replace(name: string): string {
    const all = this.peek() === '/';
    if (all) this.next();
    const pattern = this.process('/', true).text;
    const replacement = this.process('}', true).text;
    const value = this.get(name);
    if (value === undefined && this.opts.skipUnset)
      return `\${${name}/${all ? '/' : ''}${pattern}/${replacement}}`;
    const re = patternRegex(pattern, true);
    return (value ?? '').replace(all ? new RegExp(re.source, 'gu') : re, () => replacement);
  }
}

/** A shell pattern (`*`, `?`, escapes; no brackets) as a regular expression, as BuildKit supports it. */
function patternRegex(pattern: string, greedy: boolean, anchored = false): RegExp {
  let out = anchored ? '^' : '';
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') out += greedy ? '.*' : '.*?';
    else if (ch === '?') out += '.';
    else if (ch === '\\') {
      const next = chars[i + 1];
      // `\}` and `\/` only protect the ${} syntax; they are not part of the pattern.
      if (next === '}' || next === '/') continue;
      if (next !== '*' && next !== '?' && next !== '\\') {
        throw new SubstitutionError(`invalid escape '\\${next ?? ''}' in pattern (${pattern})`);
      }
      out += `\\${next}`;
      i++;
    } else out += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(anchored ? `${out}$` : out, 'u');
}

/** Removes the shortest (or longest, when greedy) prefix or suffix of `value` matching the pattern. */
function trimPattern(value: string, pattern: string, side: 'prefix' | 'suffix', greedy: boolean): string {
  const whole = patternRegex(pattern, true, true);
  const n = value.length;
  for (let k = 0; k <= n; k++) {
    const len = greedy ? n - k : k;
    const part = side === 'prefix' ? value.slice(0, len) : value.slice(n - len);
    if (whole.test(part)) return side === 'prefix' ? value.slice(len) : value.slice(0, n - len);
  }
  return value;
}

/** Runs the lexer; substitution errors become `Invalid` naming the word. */
export function lex(raw: string, opts: LexOptions): LexResult {
  try {
    return new Lexer(raw, opts).process(undefined, opts.rawEscapes === true);
  } catch (err) {
    if (err instanceof SubstitutionError) {
      throw invalid(`${err.message} in ${JSON.stringify(raw)}; check the quotes and the \${...} syntax`);
    }
    throw err;
  }
}

/** One word: quotes removed ('…' literal, "…" with expansion), escape char escapes, $VAR ${VAR} ${VAR:-d} ${VAR-d} ${VAR:+a} ${VAR+a} expanded (unset → ''). */
export function expandWord(raw: string, lookup: Lookup, escapeChar: EscapeChar = '\\'): string {
  return lex(raw, { lookup, escape: escapeChar }).text;
}

/** Expands and splits on unquoted whitespace (EXPOSE, VOLUME, ENV legacy form…). */
export function expandWords(raw: string, lookup: Lookup, escapeChar: EscapeChar = '\\'): string[] {
  return lex(raw, { lookup, escape: escapeChar }).words;
}

/** Heredoc bodies: $ references and escapes only; quotes are kept as text. */
export function expandHeredoc(content: string, lookup: Lookup, escapeChar: EscapeChar = '\\'): string {
  return lex(content, { lookup, escape: escapeChar, skipQuotes: true }).text;
}
