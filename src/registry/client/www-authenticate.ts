/**
 * Parsing of `WWW-Authenticate` (RFC 7235): a list of challenges, each a scheme and comma-separated
 * `key=value` or `key="quoted"` parameters. Registries send `Bearer realm="…",service="…",scope="…"`
 * (the Docker token spec) or `Basic realm="…"`; several headers may arrive joined by commas.
 */

export interface AuthChallenge {
  /** Lowercase: `bearer`, `basic`. */
  scheme: string;
  /** Parameter names lowercased, values unquoted. */
  params: Record<string, string>;
}

const tokenPattern = /[!#$%&'*+.^_`|~0-9A-Za-z-]+/y;

export function parseWwwAuthenticate(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = [];
  let pos = 0;
  const skip = (pattern: RegExp) => {
    pattern.lastIndex = pos;
    const match = pattern.exec(header);
    if (match) pos += match[0].length;
    return match?.[0];
  };
  const token = () => skip(tokenPattern);
  while (pos < header.length) {
    skip(/[\s,]+/y);
    const scheme = token();
    if (scheme === undefined) break;
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
    challenges.push(challenge);
    skip(/\s+/y);
    // Parameters until a token that is not followed by `=` (the next challenge's scheme) or the end.
    while (pos < header.length) {
      const start = pos;
      skip(/[\s,]+/y);
      const name = token();
      if (name === undefined || skip(/\s*=\s*/y) === undefined) {
        pos = start;
        break;
      }
      // Unquoted values are meant to be tokens; registries put URLs there too, so anything up to a comma.
      challenge.params[name.toLowerCase()] = header[pos] === '"' ? quotedString() : (skip(/[^,\s]*/y) ?? '');
    }
  }
  return challenges;

  function quotedString(): string {
    let value = '';
    pos += 1;
    while (pos < header.length && header[pos] !== '"') {
      if (header[pos] === '\\' && pos + 1 < header.length) pos += 1;
      value += header[pos];
      pos += 1;
    }
    pos += 1;
    return value;
  }
}
