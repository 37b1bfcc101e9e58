/**
 * Composes the registry over the engine's storage: the Distribution service and access admin (always,
 * so users can be set up before the registry listens), the pull/push client, and — with
 * `--registry-addr` — the OCI Distribution server on its own listener, plain or TLS.
 */
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ApiContext } from '../api/api-types.ts';
import type { EngineStorage } from '../engine/create-engine.ts';
import { invalid } from '../errors.ts';
import { RegistryClient } from '../registry/client/registry-client.ts';
import { createRegistryAuth } from '../registry/server/auth/create-registry-auth.ts';
import { DistributionService } from '../registry/server/distribution-service.ts';
import { createRegistryServer } from '../registry/server/http/registry-server.ts';
import { ensureSelfSignedCertificate } from '../registry/server/tls.ts';

export interface RegistryFlags {
  /** `host:port` to serve the registry on; undefined keeps it off. */
  addr?: string;
  auth: 'token' | 'none';
  tlsCert?: string;
  tlsKey?: string;
  tlsSelfSigned: boolean;
  tokenTtlSeconds: number;
  insecureRegistries: string[];
}

export interface RegistryParts {
  transfer: RegistryClient;
  registry: ApiContext['registry'];
  /** Listening when `addr` was given. */
  server: Server | undefined;
}

/** The token service name in challenges and token audiences. */
const tokenService = 'marina-registry';

export function parseListenAddress(value: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  const port = Number(match?.[3]);
  if (!match || port > 65535)
    throw invalid(`invalid registry address "${value}": use HOST:PORT, e.g. 127.0.0.1:5000`);
  return { host: match[1] ?? match[2]!, port };
}

export async function setUpRegistry(
  root: string,
  storage: EngineStorage,
  flags: RegistryFlags,
  logger: Logger,
): Promise<RegistryParts> {
  const log = logger.child({ part: 'registry' });
  const { db, content, collector, images } = storage;
  const distribution = new DistributionService({ db, content, collector, logger: log });
  const auth = await createRegistryAuth({
    db,
    root,
    service: tokenService,
    tokenTtlSeconds: flags.tokenTtlSeconds,
    logger: log,
  });
  const transfer = new RegistryClient({
    content,
    collector,
    images,
    insecureRegistries: flags.insecureRegistries,
    certsDir: join(root, 'certs.d'),
    logger: log,
  });
  const parts: RegistryParts = {
    transfer,
    registry: { distribution, access: auth.access },
    server: undefined,
  };
  if (flags.addr === undefined) return parts;

  const { host, port } = parseListenAddress(flags.addr);
  const tls = await tlsOf(root, host, flags);
  const server = createRegistryServer({
    distribution,
    auth: flags.auth === 'none' ? undefined : auth,
    logger: log,
    tls,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(invalid(`cannot serve the registry on ${flags.addr}: ${err.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  log.info(
    { addr: flags.addr, auth: flags.auth, tls: server !== undefined && 'cert' in server },
    `registry listening on ${flags.addr}`,
  );
  return { ...parts, server };
}

async function tlsOf(
  root: string,
  host: string,
  flags: RegistryFlags,
): Promise<{ cert: string; key: string } | undefined> {
  if (flags.tlsCert !== undefined || flags.tlsKey !== undefined) {
    if (flags.tlsCert === undefined || flags.tlsKey === undefined)
      throw invalid('give both --registry-tls-cert and --registry-tls-key, or neither');
    const [cert, key] = await Promise.all([readFile(flags.tlsCert, 'utf8'), readFile(flags.tlsKey, 'utf8')]);
    return { cert, key };
  }
  if (!flags.tlsSelfSigned) return undefined;
  const made = await ensureSelfSignedCertificate(join(root, 'registry', 'tls'), [host]);
  return { cert: made.cert, key: made.key };
}
