/**
 * marinad: parses flags, takes the state root's lock, creates the engine and serves the native API on a
 * unix socket. SIGTERM/SIGINT stop accepting and close the engine; containers keep running under conmon
 * and are picked up again by the next start (live restore).
 */
import { mkdirSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import type { Server } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import type { ApiContext } from '../api/api-types.ts';
import { createDockerApiServer } from '../api/docker/docker-server.ts';
import { createApiServer } from '../api/server.ts';
import { endpointOf } from '../cluster/apiserver/http-resource-client.ts';
import { checkDns1123Subdomain } from '../cluster/resources/names.ts';
import { marinaVersion } from '../api/version.ts';
import { parseMemory } from '../engine/config-parse.ts';
import { createEngine, networkDefaults } from '../engine/create-engine.ts';
import { asMarinaError, MarinaError } from '../errors.ts';
import { daemonTagOf } from '../network/daemon-tag.ts';
import { type DnsUpstream, nameserversOf, parseDnsUpstream } from '../network/dns-upstreams.ts';
import { readTextOrEmpty } from '../read-text.ts';
import { listenOnSocket } from './listen.ts';
import { setUpBuilder } from './build-setup.ts';
import { type ControlPlane, type JoinedNode, setUpControlPlane, setUpJoinedNode } from './cluster-setup.ts';
import { acquirePidLock } from './pid-lock.ts';
import { parseListenAddress, type RegistryParts, setUpRegistry } from './registry-setup.ts';
import { makeSeedImage } from './seed-images.ts';

const version = marinaVersion;
const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'];

interface DaemonFlags {
  root: string;
  socket: string;
  dockerSocket?: string;
  logLevel: string;
  logMaxSize: number;
  logMaxFiles: number;
  runc?: string;
  conmon?: string;
  bridge: string;
  bridgeSubnet: string;
  networkPool: string;
  dnsUpstream: DnsUpstream[];
  registryAddr?: string;
  registryAuth: 'token' | 'none';
  registryTlsCert?: string;
  registryTlsKey?: string;
  registryTlsSelfSigned: boolean;
  registryTokenTtl: number;
  insecureRegistry: string[];
  nodeName: string;
  agent: boolean;
  join?: string;
}

function parseFlags(argv: string[]): DaemonFlags {
  const asBytes = (value: string) => {
    try {
      return parseMemory(value, 'log size');
    } catch (err) {
      throw new InvalidArgumentError(asMarinaError(err).message);
    }
  };
  const asCount = (value: string) => {
    if (!/^[1-9]\d*$/.test(value)) throw new InvalidArgumentError('use a whole number of files, at least 1');
    return Number(value);
  };
  const asUpstream = (value: string, previous: DnsUpstream[]) => {
    try {
      return [...previous, parseDnsUpstream(value)];
    } catch (err) {
      throw new InvalidArgumentError(asMarinaError(err).message);
    }
  };
  const asAddress = (value: string) => {
    try {
      parseListenAddress(value);
      return value;
    } catch (err) {
      throw new InvalidArgumentError(asMarinaError(err).message);
    }
  };
  const asAuthMode = (value: string) => {
    if (value !== 'token' && value !== 'none') throw new InvalidArgumentError('use token or none');
    return value;
  };
  const asSeconds = (value: string) => {
    if (!/^[1-9]\d*$/.test(value))
      throw new InvalidArgumentError('use a whole number of seconds, at least 1');
    return Number(value);
  };
  const collect = (value: string, previous: string[]) => [...previous, value];
  // The API server's own check of a Node's name: a name it would refuse could never register.
  const asNodeName = (value: string) => {
    const problems = checkDns1123Subdomain(value);
    if (problems.length > 0) throw new InvalidArgumentError(problems.join('; '));
    return value;
  };
  const asControlPlane = (value: string) => {
    try {
      endpointOf(value);
      return value;
    } catch (err) {
      throw new InvalidArgumentError(asMarinaError(err).message);
    }
  };
  const asLevel = (value: string) => {
    if (!logLevels.includes(value)) throw new InvalidArgumentError(`use one of ${logLevels.join(', ')}`);
    return value;
  };
  return new Command('marinad')
    .description('Marina container engine daemon')
    .version(version)
    .option('--root <dir>', 'state root', '/var/lib/marina')
    .option('--socket <path>', 'unix socket of the API', '/run/marina/marina.sock')
    .option('--docker-socket <path>', "also serve Docker's Engine API on this unix socket (for docker, docker-compose, SDKs)")
    .option('--log-level <level>', `daemon log level (${logLevels.join(', ')})`, asLevel, 'info')
    .option('--log-max-size <size>', 'container log size before rotation', asBytes, 10 * 1024 * 1024)
    .option('--log-max-files <n>', 'container log files kept, rotated ones included', asCount, 3)
    .option('--runc <path>', 'runc binary')
    .option('--conmon <path>', 'conmon binary')
    .option('--bridge <name>', "the default network's bridge device", networkDefaults.bridge)
    .option('--bridge-subnet <cidr>', "the default network's subnet", networkDefaults.bridgeSubnet)
    .option(
      '--network-pool <cidr>',
      'where user networks without --subnet get their /24',
      networkDefaults.networkPool,
    )
    .option(
      '--dns-upstream <ip[:port]>',
      "where the embedded DNS forwards other names (repeatable; default: the host's resolv.conf)",
      asUpstream,
      [],
    )
    .option('--registry-addr <host:port>', 'serve the OCI registry here (off when not given)', asAddress)
    .option(
      '--registry-auth <mode>',
      'registry authentication: token (users and Docker tokens) or none',
      asAuthMode,
      'token',
    )
    .option('--registry-tls-cert <file>', "the registry's TLS certificate (PEM), with --registry-tls-key")
    .option('--registry-tls-key <file>', "the registry's TLS private key (PEM)")
    .option('--registry-tls-self-signed', 'serve the registry over TLS with a certificate made here', false)
    .option('--registry-token-ttl <seconds>', 'lifetime of the tokens the registry issues', asSeconds, 900)
    .option(
      '--insecure-registry <host[:port]>',
      'a registry pull and push may reach over plain HTTP or unverified TLS (repeatable; loopback always may)',
      collect,
      [],
    )
    .option('--node-name <name>', "this node's name in the control plane (its node agent's Node and Lease)", asNodeName, defaultNodeName())
    .option('--no-agent', 'do not run the node agent (pods bound to this node are not run)')
    .option(
      '--join <address>',
      "run no control plane here: this node's agent joins the one of the marinad at this API address (unix:///path or http://host:port)",
      asControlPlane,
    )
    .parse(argv)
    .opts<DaemonFlags>();
}

/** The host's name as a node name: Kubernetes' node names are lowercase DNS names. */
function defaultNodeName(): string {
  return hostname().toLowerCase().replace(/[^a-z0-9.-]/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'localhost';
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv);
  if (flags.join !== undefined && !flags.agent) {
    throw new MarinaError('Invalid', '--join runs only a node agent: it cannot be combined with --no-agent');
  }
  const logger = pino({ level: flags.logLevel, base: { pid: process.pid } }, pino.destination(2));
  if (process.getuid?.() !== 0) {
    throw new MarinaError(
      'Forbidden',
      'marinad must run as root (it mounts file systems, creates cgroups and runs runc): try sudo marinad',
    );
  }
  const root = resolve(flags.root);
  const socketPath = resolve(flags.socket);
  const dockerSocketPath = flags.dockerSocket === undefined ? undefined : resolve(flags.dockerSocket);
  mkdirSync(root, { recursive: true, mode: 0o711 });
  const releaseLock = acquirePidLock(join(root, 'marinad.lock'), root);

  let engine: Awaited<ReturnType<typeof createEngine>>;
  let server: Server | undefined;
  let dockerServer: Server | undefined;
  let registry: RegistryParts;
  let controlPlane: ControlPlane | undefined;
  let joined: JoinedNode | undefined;
  // Names the embedded and the cluster DNS do not know go here: --dns-upstream, else the host's resolvers.
  const dnsUpstreams = flags.dnsUpstream.length > 0 ? flags.dnsUpstream : nameserversOf(await readTextOrEmpty('/etc/resolv.conf'));
  try {
    engine = await createEngine({
      root,
      logger,
      version,
      attachHelperPath: join(dirname(fileURLToPath(import.meta.url)), 'marina-attach'),
      runcPath: flags.runc,
      conmonPath: flags.conmon,
      logMaxBytes: flags.logMaxSize,
      logMaxFiles: flags.logMaxFiles,
      bridge: flags.bridge,
      bridgeSubnet: flags.bridgeSubnet,
      networkPool: flags.networkPool,
      dnsUpstreams,
    });
  } catch (err) {
    releaseLock();
    throw err;
  }
  try {
    registry = await setUpRegistry(
      root,
      engine.storage,
      {
        addr: flags.registryAddr,
        auth: flags.registryAuth,
        tlsCert: flags.registryTlsCert,
        tlsKey: flags.registryTlsKey,
        tlsSelfSigned: flags.registryTlsSelfSigned,
        tokenTtlSeconds: flags.registryTokenTtl,
        insecureRegistries: flags.insecureRegistry,
      },
      logger,
    );
    const builds = await setUpBuilder({
      root,
      storage: engine.storage,
      networks: engine.networks,
      transfer: registry.transfer,
      runcPath: flags.runc ?? 'runc',
      logger,
    });
    const agent = {
      engine,
      transfer: registry.transfer,
      nodeName: flags.nodeName,
      stateDir: join(root, 'agent'),
      daemonTag: daemonTagOf(root),
      dnsUpstreams,
    };
    if (flags.join !== undefined) joined = await setUpJoinedNode({ address: flags.join, logger, agent });
    else controlPlane = await setUpControlPlane({ db: engine.storage.db, logger, agent: flags.agent ? agent : undefined });
    const context: ApiContext = {
      engine,
      logger,
      version,
      seedImage: makeSeedImage(engine),
      transfer: registry.transfer,
      registry: registry.registry,
      builds,
      cluster: controlPlane?.api,
      joinedControlPlane: joined?.controlPlane,
    };
    server = createApiServer(context);
    await listenOnSocket(server, socketPath);
    if (dockerSocketPath) {
      dockerServer = createDockerApiServer(context);
      await listenOnSocket(dockerServer, dockerSocketPath);
    }
  } catch (err) {
    server?.close();
    await controlPlane?.close();
    await joined?.close();
    await engine.close().catch(() => {});
    releaseLock();
    throw err;
  }
  logger.info({ socket: socketPath, dockerSocket: dockerSocketPath, root, version, joined: flags.join }, `marinad listening on unix://${socketPath}`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down; containers keep running');
    server.close();
    dockerServer?.close();
    dockerServer?.closeAllConnections();
    registry.server?.close();
    registry.server?.closeAllConnections();
    registry.transfer.close();
    // Streams such as events and follow keep connections open; they end with the daemon.
    server.closeAllConnections();
    await controlPlane?.close();
    await joined?.close();
    try {
      await engine.close();
    } catch (err) {
      logger.error({ err }, 'closing the engine failed');
    }
    for (const path of [socketPath, dockerSocketPath]) {
      try {
        if (path) unlinkSync(path);
      } catch {
        // Already gone: nothing to clean.
      }
    }
    releaseLock();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  const error = asMarinaError(err);
  process.stderr.write(`marinad: ${error.message}\n`);
  if (error.code === 'Internal' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
});
