/**
 * The line layer of a Dockerfile, as BuildKit's parser reads it (frontend/dockerfile/parser/parser.go):
 * parser directives at the top, comments, line continuations (with comment and blank lines inside them
 * skipped), and here-document bodies after the line that names them. What comes out is one logical line
 * per instruction; splitting it into keyword, flags and arguments is parse.ts's job.
 *
 * dockerfile-ast (the VS Code language server's parser) was tried for this layer and not used: it
 * finds heredocs where BuildKit does not (`echo a<<EOF`, `echo \<<EOF` swallow the following lines)
 * and misses quoted delimiters with spaces (`<<'E O'`).
 */
import { invalid } from '../../errors.ts';
import type { Heredoc } from './ast.ts';
import { type EscapeChar, lex } from './expand.ts';

export interface LogicalLine {
  /** The instruction with continuations joined and leading whitespace removed. */
  text: string;
  /** 1-based line and column of the instruction's first character. */
  line: number;
  column: number;
  /** Here-documents named on the line (RUN, COPY, ADD), bodies read. */
  heredocs: Heredoc[];
}

export interface LineScan {
  escape: EscapeChar;
  syntax?: string;
  lines: LogicalLine[];
}

const directivePattern = /^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$/;
const knownDirectives = new Set(['syntax', 'escape', 'check']);
/** `3<<-"EOF"`: optional fd, `-` to strip leading tabs, then the delimiter word. */
const heredocPattern = /^(\d*)<<(-?)\s*([^<]*)$/;
const heredocKeywords = new Set(['run', 'copy', 'add']);

const where = (file: string, line: number, column: number) => ({ file, line, column });
const located = (file: string, line: number, column: number, message: string) =>
  invalid(`${file}:${line}:${column}: ${message}`, where(file, line, column));

const trimNewline = (s: string) => s.replace(/[\r\n]+$/, '');
const trimLeft = (s: string) => s.replace(/^\s+/u, '');
const isComment = (s: string) => trimLeft(s).startsWith('#');

/** Reads the directives at the top: they stop at the first line that is not one (even a blank line). */
function readDirectives(lines: string[], file: string): { escape: EscapeChar; syntax?: string } {
  const seen = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    const match = directivePattern.exec(trimLeft(trimNewline(lines[i]!)));
    const name = match?.[1]?.toLowerCase();
    if (!match || !name || !knownDirectives.has(name)) break;
    if (seen.has(name)) {
      throw located(file, i + 1, 1, `the ${name} parser directive is given twice; keep only one`);
    }
    const value = match[2]!;
    if (name === 'escape' && value !== '\\' && value !== '`') {
      throw located(file, i + 1, 1, `invalid escape character '${value}'; use \\ or \``);
    }
    seen.set(name, value);
  }
  const escapeChar = (seen.get('escape') ?? '\\') as EscapeChar;
  const syntax = seen.get('syntax');
  return syntax === undefined ? { escape: escapeChar } : { escape: escapeChar, syntax };
}

/**
 * Heredoc delimiters named on a line. Like BuildKit, the line is split into words with quotes and
 * escapes kept (always with `\`, whatever the escape directive says) and each word is matched whole:
 * `<<EOF` and `2<<-'EOF'` are heredocs, `'<<EOF'`, `a<<EOF` and `\<<EOF` are not.
 */
function heredocsNamedOn(text: string): { name: string; chomp: boolean; expand: boolean }[] {
  if (!text.includes('<<')) return [];
  // `<< EOF` is one heredoc: glue the delimiter to the operator before splitting.
  const glued = text.replace(/(^|\s)(\d*<<-?)\s+(?=\S)/g, '$1$2');
  const keepAll = { lookup: () => undefined, escape: '\\' as const, skipUnset: true };
  let words: string[];
  try {
    words = lex(glued, { ...keepAll, rawQuotes: true, rawEscapes: true }).words;
  } catch {
    return []; // unbalanced quotes: parse.ts reports the line's real problem
  }
  const found: { name: string; chomp: boolean; expand: boolean }[] = [];
  for (const word of words) {
    const match = heredocPattern.exec(word);
    if (!match || match[3] === '') continue;
    const rest = match[3]!;
    const unquoted = lex(rest, keepAll).words;
    if (unquoted.length !== 1) continue;
    const name = unquoted[0]!;
    // Any quote in the delimiter (`<<"EOF"`, `<<'EOF'`, `<<E"O"F`) makes the body literal.
    const quotes = (s: string) => (s.match(/['"]/g) ?? []).length;
    found.push({ name, chomp: match[2] === '-', expand: quotes(rest) === quotes(name) });
  }
  return found;
}

/** Splits a Dockerfile into logical lines. Throws Invalid (with file:line:col) for bad directives and unterminated heredocs. */
export function scanLines(text: string, file: string): LineScan {
  // Lines keep their line endings so heredoc bodies are byte-exact; a UTF-8 BOM is dropped.
  const raw = text.replace(/^\uFEFF/, '').match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const directives = readDirectives(raw, file);
  const esc = directives.escape === '\\' ? '\\\\' : '`';
  // An escape at the end of a line continues it, unless it is itself escaped (`foo \\`).
  const continuation = new RegExp(`([^${esc}])${esc}[ \\t]*$|^${esc}[ \\t]*$`);
  const trimContinuation = (s: string): [string, boolean] =>
    continuation.test(s) ? [s.replace(continuation, '$1'), false] : [s, true];

  const lines: LogicalLine[] = [];
  let i = 0;
  while (i < raw.length) {
    const first = trimNewline(raw[i]!);
    const body = trimLeft(first);
    const line = i + 1;
    const column = first.length - body.length + 1;
    i++;
    if (body === '' || body.startsWith('#')) continue;
    let [joined, ended] = trimContinuation(body);
    while (!ended && i < raw.length) {
      const next = trimNewline(raw[i]!);
      i++;
      if (isComment(next)) continue;
      // Blank lines inside a continuation are skipped too (BuildKit warns that this will become an error).
      if (trimLeft(next) === '') continue;
      let part: string;
      [part, ended] = trimContinuation(next);
      joined += part;
    }
    if (joined === '') continue;
    const keyword = /^\S+/.exec(joined)?.[0]?.toLowerCase() ?? '';
    const heredocs: Heredoc[] = [];
    if (heredocKeywords.has(keyword)) {
      for (const doc of heredocsNamedOn(joined)) {
        const bodyLines: string[] = [];
        let terminated = false;
        while (i < raw.length) {
          const candidate = raw[i]!;
          i++;
          const end = doc.chomp ? trimNewline(candidate).replace(/^\t+/, '') : trimNewline(candidate);
          if (end === doc.name) {
            terminated = true;
            break;
          }
          bodyLines.push(candidate);
        }
        if (!terminated) {
          throw located(
            file,
            line,
            column,
            `unterminated heredoc <<${doc.name}; end it with a line containing only ${doc.name}`,
          );
        }
        let content = bodyLines.map((l) => (l.endsWith('\n') ? l : `${l}\n`)).join('');
        if (doc.chomp) content = content.replace(/^\t+/gm, '');
        heredocs.push({ name: doc.name, content, expand: doc.expand });
      }
    }
    lines.push({ text: joined, line, column, heredocs });
  }
  return { ...directives, lines };
}
