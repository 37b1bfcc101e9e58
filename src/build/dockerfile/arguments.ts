/**
 * How BuildKit cuts an instruction's argument text (frontend/dockerfile/parser/line_parsers.go and
 * split_command.go): leading `--flags`, quote-aware words (ARG, ENV, LABEL), whitespace-split lists
 * (FROM, EXPOSE, COPY's shell form) and "JSON array if it is one, else shell form". Nothing here
 * expands variables; words keep their quotes for expand.ts.
 */
import type { EscapeChar } from './expand.ts';

export interface RawFlag {
  name: string;
  /** Undefined for a bare `--name`. */
  value: string | undefined;
}

const isSpace = (ch: string) => /\s/u.test(ch);

/**
 * Takes the `--name[=value]` words off the front of an argument text. Quotes are removed and `\`
 * escapes (always backslash, as in BuildKit) are applied inside flag words; a lone `--` ends the flags.
 */
export function extractFlags(text: string): { flags: RawFlag[]; rest: string } {
  const words: string[] = [];
  let pos = 0;
  for (;;) {
    while (pos < text.length && isSpace(text[pos]!)) pos++;
    if (!text.startsWith('--', pos)) break;
    let word = '';
    let quote: string | undefined;
    for (; pos < text.length; pos++) {
      const ch = text[pos]!;
      if (quote === undefined && isSpace(ch)) break;
      if (quote === undefined && (ch === '"' || ch === "'")) quote = ch;
      else if (ch === quote) quote = undefined;
      else if (ch === '\\' && pos + 1 < text.length) word += text[++pos];
      else if (ch !== '\\') word += ch;
    }
    if (word === '--') break;
    words.push(word);
  }
  const flags = words.map((word) => {
    const eq = word.indexOf('=');
    return eq < 0
      ? { name: word.slice(2), value: undefined }
      : { name: word.slice(2, eq), value: word.slice(eq + 1) };
  });
  return { flags, rest: text.slice(pos).trim() };
}

/**
 * Words separated by unquoted whitespace, quotes and escapes kept in the words (BuildKit's parseWords,
 * used by ARG, ENV and LABEL): `a="b c" d` is `a="b c"` and `d`.
 */
export function quotedWords(text: string, escapeChar: EscapeChar): string[] {
  const words: string[] = [];
  let word = '';
  let started = false;
  let quote: string | undefined;
  const chars = Array.from(text);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (quote === undefined && isSpace(ch)) {
      if (started) words.push(word);
      word = '';
      started = false;
      continue;
    }
    started = true;
    if (ch === escapeChar && quote !== "'") {
      // An escape at the very end is dropped; otherwise it and the escaped character both stay.
      if (i + 1 === chars.length) continue;
      word += ch + chars[++i];
      continue;
    }
    if (quote === undefined && (ch === '"' || ch === "'")) quote = ch;
    else if (ch === quote) quote = undefined;
    word += ch;
  }
  if (started) words.push(word);
  return words;
}

/** Whitespace-separated words with no quote handling, as BuildKit splits FROM, EXPOSE and COPY sources. */
export function plainWords(text: string): string[] {
  const trimmed = text.trim();
  return trimmed === '' ? [] : trimmed.split(/[\t\v\f\r ]+/);
}

/**
 * The JSON array form when the text is one (`["a", "b"]`), otherwise undefined, meaning shell form.
 * Throws the message to report when it is a JSON array of something other than strings.
 */
export function jsonArray(text: string): string[] | undefined {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('[')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  if (!parsed.every((item) => typeof item === 'string')) {
    throw new Error('the JSON array must contain only strings');
  }
  return parsed;
}
