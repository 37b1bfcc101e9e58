/** The credentials file: Docker's format, mode 0600, other keys kept, written whole or not at all. */
import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { decodeRegistryAuth } from '../api/registry-routes.ts';
import {
  configPath,
  credentialsFor,
  encodeRegistryAuth,
  readConfig,
  registryKey,
  withCredentials,
  withoutCredentials,
  writeConfig,
} from './docker-config.ts';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'marina-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

test('configPath: $MARINA_CONFIG/config.json, else ~/.marina/config.json', () => {
  assert.equal(configPath({ MARINA_CONFIG: '/etc/m' }), '/etc/m/config.json');
  assert.match(configPath({}), /\/\.marina\/config\.json$/);
});

test('a login is stored as base64(user:pass) with mode 0600, in a new directory too', async (t) => {
  const path = join(tempDir(t), 'new', 'config.json');
  assert.deepEqual(await readConfig(path), {});
  await writeConfig(path, withCredentials({}, 'localhost:5000', { username: 'u', password: 'p:w' }));
  assert.equal(modeOf(path), 0o600);
  const saved = JSON.parse(readFileSync(path, 'utf8'));
  assert.deepEqual(saved, { auths: { 'localhost:5000': { auth: Buffer.from('u:p:w').toString('base64') } } });
  assert.deepEqual(credentialsFor(await readConfig(path), 'localhost:5000'), {
    username: 'u',
    password: 'p:w',
  });
  assert.equal(credentialsFor(saved, 'localhost:5001'), undefined);
});

test('rewriting keeps other keys and entries and tightens a looser file to 0600', async (t) => {
  const path = join(tempDir(t), 'config.json');
  const other = { auths: { 'ghcr.io': { auth: 'eDp5' } }, credsStore: 'pass', psFormat: '{{.ID}}' };
  writeFileSync(path, JSON.stringify(other));
  chmodSync(path, 0o644);
  await writeConfig(
    path,
    withCredentials(await readConfig(path), 'localhost:5000', { username: 'a', password: 'b' }),
  );
  assert.equal(modeOf(path), 0o600);
  const saved = await readConfig(path);
  assert.equal(saved.credsStore, 'pass');
  assert.equal(saved.psFormat, '{{.ID}}');
  assert.deepEqual(Object.keys(saved.auths ?? {}).sort(), ['ghcr.io', 'localhost:5000']);

  const loggedOut = withoutCredentials(saved, 'localhost:5000');
  assert.ok(loggedOut);
  await writeConfig(path, loggedOut);
  assert.deepEqual(await readConfig(path), other);
  assert.equal(withoutCredentials(other, 'localhost:5000'), undefined);
});

test('the write goes through a temporary file that never stays behind, even when the rename fails', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'config.json');
  await writeConfig(path, { auths: {} });
  await writeConfig(path, withCredentials({}, 'h:1', { username: 'u', password: 'p' }));
  assert.deepEqual(readdirSync(dir), ['config.json']);
  // A directory where the file should be: rename fails, and the temporary file goes with the error.
  const blocked = join(dir, 'blocked');
  mkdirSync(join(blocked, 'config.json'), { recursive: true });
  await assert.rejects(writeConfig(join(blocked, 'config.json'), {}));
  assert.deepEqual(readdirSync(blocked), ['config.json']);
});

test('an identity token is stored instead of the password and sent as such', () => {
  const config = withCredentials({}, 'registry.example:443', {
    username: 'u',
    password: 'p',
    identityToken: 'rt',
  });
  assert.deepEqual(config.auths, { 'registry.example:443': { identitytoken: 'rt' } });
  assert.deepEqual(credentialsFor(config, 'registry.example:443'), { identityToken: 'rt' });
});

test("Docker Hub's spellings find the same entry; a damaged entry says how to repair it", () => {
  for (const key of ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io'])
    assert.equal(registryKey(key), 'docker.io');
  assert.equal(registryKey('LocalHost:5000'), 'localhost:5000');
  const config = {
    auths: { 'https://index.docker.io/v1/': { auth: Buffer.from('u:p').toString('base64') } },
  };
  assert.deepEqual(credentialsFor(config, 'docker.io'), { username: 'u', password: 'p' });
  // A new login replaces the old spelling instead of adding a second entry.
  assert.deepEqual(
    Object.keys(withCredentials(config, 'docker.io', { username: 'v', password: 'q' }).auths ?? {}),
    ['docker.io'],
  );
  assert.throws(() => credentialsFor({ auths: { h: { auth: 'bm9jb2xvbg' } } }, 'h'), /marina login h/);
});

test('a broken file is an Invalid error naming it', async (t) => {
  const path = join(tempDir(t), 'config.json');
  writeFileSync(path, '{"auths":');
  await assert.rejects(readConfig(path), (err: Error) => err.message.includes(path));
  writeFileSync(path, '[]');
  await assert.rejects(readConfig(path), /JSON object/);
});

test('the X-Registry-Auth the CLI sends is what the API decodes', () => {
  const header = encodeRegistryAuth({ username: 'u', password: 'p>?' }, 'localhost:5000');
  assert.deepEqual(decodeRegistryAuth(header), { username: 'u', password: 'p>?' });
  assert.deepEqual(decodeRegistryAuth(encodeRegistryAuth({ identityToken: 't' }, 'h')), {
    identityToken: 't',
  });
});
