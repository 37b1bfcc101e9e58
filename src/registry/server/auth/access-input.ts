/** Checks of what an administrator gives for registry users and anonymous-pull patterns. Pure. */
import { invalid, isMarinaError } from '../../../errors.ts';
import { checkRepositoryName } from '../repository-names.ts';

const userNamePattern = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** bcrypt reads at most 72 bytes of a password and silently ignores the rest. */
export const maxPasswordBytes = 72;

export function checkUserName(name: string): string {
  if (!userNamePattern.test(name)) {
    throw invalid(
      `invalid user name "${name}": use 1 to 64 of lowercase letters, digits, ".", "_" and "-", starting with a letter or digit`,
    );
  }
  return name;
}

export function checkPassword(password: string): string {
  if (password === '') throw invalid('the password is empty: give a password');
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes > maxPasswordBytes) {
    throw invalid(
      `the password is ${bytes} bytes long; bcrypt only uses the first ${maxPasswordBytes}, so a longer one would be cut silently: use at most ${maxPasswordBytes} bytes`,
    );
  }
  return password;
}

/** `*`, a repository name, or a repository name prefix followed by `/*`. */
export function checkAnonymousPattern(pattern: string): string {
  if (pattern === '*') return pattern;
  const name = pattern.endsWith('/*') ? pattern.slice(0, -2) : pattern;
  try {
    checkRepositoryName(name);
  } catch (err) {
    if (!isMarinaError(err, 'Invalid')) throw err;
    throw invalid(
      `invalid anonymous-pull pattern "${pattern}": expected a repository name (app, team/app), a prefix followed by /* (team/*), or * for every repository`,
    );
  }
  return pattern;
}
