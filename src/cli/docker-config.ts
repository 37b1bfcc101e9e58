/**
 * Registry credentials in Docker's config.json format (`{"auths": {"host:port": {"auth": base64("user:pass")}}}`),
 * so the file reads the same to anyone who knows Docker's. It holds passwords: mode 0600, written whole to a
 * temporary file and renamed over the old one, so a crash never leaves half a file, and keys Marina does not
 * use are kept as they were.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { invalid } from '../errors.ts';
import { readTextIfPresent } from '../read-text.ts';
import type { RegistryCredentials } from '../registry/client/image-transfer.ts';

export interface AuthEntry {
  /** base64("user:password"). */
  auth?: string;
  /** An OAuth2 refresh token the registry returned at login, used instead of the password. */
  identitytoken?: string;
  [key: string]: unknown;
}

export interface DockerConfig {
  auths?: Record<string, AuthEntry>;
  [key: string]: unknown;
}

/** `$MARINA_CONFIG/config.json`, default `~/.marina/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.MARINA_CONFIG || join(homedir(), '.marina'), 'config.json');
}

export async function readConfig(path: string): Promise<DockerConfig> {
  const text = await readTextIfPresent(path);
  if (text === undefined || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid(`${path} is not valid JSON (${(err as Error).message}): fix or remove it`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalid(`${path} must hold a JSON object like {"auths": {}}: fix or remove it`);
  return parsed as DockerConfig;
}

/** Writes the whole file to a temporary neighbour with mode 0600, then renames it over `path`. */
export async function writeConfig(path: string, config: DockerConfig): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600, flag: 'wx' });
    // The mode given to open is masked by the umask; set it outright, before the passwords become visible.
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/**
 * The key a server is stored under, so `https://index.docker.io/v1/` (what docker login writes for Docker Hub),
 * `index.docker.io` and `docker.io` find the same entry.
 */
export function registryKey(server: string): string {
  const host = server
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase();
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

function findKey(config: DockerConfig, server: string): string | undefined {
  const wanted = registryKey(server);
  return Object.keys(config.auths ?? {}).find((key) => registryKey(key) === wanted);
}

export function credentialsFor(config: DockerConfig, server: string): RegistryCredentials | undefined {
  const key = findKey(config, server);
  if (key === undefined) return undefined;
  const entry = config.auths![key]!;
  if (entry.identitytoken) return { identityToken: entry.identitytoken };
  if (!entry.auth) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0)
    throw invalid(
      `the saved login for ${key} is damaged (no "user:password" in auth): run marina login ${key}`,
    );
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Replaces the entry for `server` (under whatever spelling it was saved), keeping every other key. */
export function withCredentials(
  config: DockerConfig,
  server: string,
  login: { username: string; password: string; identityToken?: string },
): DockerConfig {
  const auths = { ...config.auths };
  const existing = findKey(config, server);
  if (existing !== undefined) delete auths[existing];
  auths[server] = login.identityToken
    ? { identitytoken: login.identityToken }
    : { auth: Buffer.from(`${login.username}:${login.password}`).toString('base64') };
  return { ...config, auths };
}

/** The config without the entry for `server`, or `undefined` when there was none. */
export function withoutCredentials(config: DockerConfig, server: string): DockerConfig | undefined {
  const key = findKey(config, server);
  if (key === undefined) return undefined;
  const auths = { ...config.auths };
  delete auths[key];
  return { ...config, auths };
}

/** The X-Registry-Auth header value: base64url of Docker's JSON shape. */
export function encodeRegistryAuth(credentials: RegistryCredentials, server: string): string {
  const body = {
    username: credentials.username,
    password: credentials.password,
    identitytoken: credentials.identityToken,
    serveraddress: server,
  };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}
