/**
 * The ES256 key that signs registry tokens: made once and kept at `<dir>/token-signing-key.pem` (PKCS#8,
 * mode 0600), so tokens stay valid across daemon restarts. Written to a temporary neighbour, fsynced and
 * renamed, so a crash never leaves half a key behind.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MarinaError } from '../../../errors.ts';
import { readTextIfPresent } from '../../../read-text.ts';

export const signingKeyFile = 'token-signing-key.pem';

export interface SigningKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export async function loadOrCreateSigningKey(dir: string): Promise<SigningKeys> {
  const path = join(dir, signingKeyFile);
  const pem = (await readTextIfPresent(path)) ?? (await createKeyFile(dir, path));
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new MarinaError(
      'Internal',
      `the registry token signing key ${path} cannot be read (${(err as Error).message}): remove it to have a new one made (tokens signed with it stop working)`,
      { cause: err },
    );
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new MarinaError(
      'Internal',
      `the registry token signing key ${path} is not an EC P-256 key (ES256): remove it to have a new one made`,
    );
  }
  return { privateKey, publicKey: createPublicKey(privateKey) };
}

async function createKeyFile(dir: string, path: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(pem);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  return pem;
}
