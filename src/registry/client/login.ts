/**
 * `login`: checks credentials with the registry's own flow, as docker does. `GET /v2/` without
 * credentials; on a Bearer challenge a token is requested with the credentials (the OAuth2 password
 * grant with `access_type=offline` first, whose refresh token becomes the identity token kept instead
 * of the password), on a Basic one the credentials are sent; then `/v2/` must answer 200 with them.
 */
import { invalid } from '../../errors.ts';
import type { RegistryCredentials } from './image-transfer.ts';
import { registryErrorFromResponse } from './registry-error-body.ts';
import { type RegistryHttp, readBody } from './registry-http.ts';
import { registryHost } from './registry-host.ts';
import { type AuthCache, challengesOf, RegistrySession } from './registry-session.ts';

/** `https://host:5000/`, `host:5000`, `docker.io` → the host to talk to. */
export function loginHost(server: string): string {
  const bare = server.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '');
  if (bare === '') throw invalid(`invalid registry "${server}": expected host[:port]`);
  return registryHost(bare === 'index.docker.io' ? 'docker.io' : bare);
}

export async function loginToRegistry(
  http: RegistryHttp,
  cache: AuthCache,
  server: string,
  credentials: RegistryCredentials,
): Promise<{ status: string; identityToken?: string }> {
  const host = loginHost(server);
  if (credentials.identityToken === undefined && (credentials.username === undefined || credentials.password === undefined)) {
    throw invalid(`login to ${host} needs a username and a password`);
  }
  const session = new RegistrySession(http, cache, { host, credentials });
  const v2 = new URL('/v2/', await http.baseUrl(host));
  const anonymous = await http.send({ method: 'GET', url: v2 });
  anonymous.body.resume();
  // A registry without auth takes any credentials, like docker login against it.
  if (anonymous.status === 200) return { status: 'Login Succeeded' };
  if (anonymous.status !== 401) {
    throw registryErrorFromResponse(anonymous.status, '', `login to ${host}`);
  }
  const challenges = challengesOf(anonymous);
  const bearer = challenges.find((challenge) => challenge.scheme === 'bearer');
  let authorization: string | undefined;
  let identityToken: string | undefined;
  if (bearer !== undefined) {
    const token = await session.fetchToken(bearer, [], true);
    authorization = `Bearer ${token.token}`;
    identityToken = token.refreshToken;
  } else {
    authorization = session.basicAuthorization();
    cache.basicHosts.add(host);
  }
  const checked = await http.send({
    method: 'GET',
    url: v2,
    headers: authorization === undefined ? {} : { authorization },
  });
  const body = await readBody(checked, 64 * 1024);
  if (checked.status === 401) throw session.unauthorized(checked, body);
  if (checked.status !== 200) throw registryErrorFromResponse(checked.status, body.toString(), `login to ${host}`);
  return identityToken === undefined ? { status: 'Login Succeeded' } : { status: 'Login Succeeded', identityToken };
}
