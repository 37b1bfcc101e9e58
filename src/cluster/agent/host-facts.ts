/**
 * The host's facts the Node reports, read through the engine (so a remote agent reports its own host):
 * cpus, memory, kernel and OS from the engine's info, and the host's address on the default bridge —
 * where pods reach the host — falling back to loopback.
 */
import type { Engine } from '../../engine/services.ts';
import type { HostFacts } from './node-object.ts';

export async function hostFacts(
  engine: Pick<Engine, 'info' | 'networks'>,
  hostname: string,
): Promise<HostFacts> {
  const info = await engine.info();
  const networks = await engine.networks.list().catch(() => []);
  const bridge = networks.find((n) => n.isDefault);
  return {
    hostname,
    cpus: info.cpus,
    memoryBytes: info.memoryBytes,
    arch: info.arch,
    kernel: info.kernel,
    osImage: info.os,
    hostIP: bridge?.gateway || '127.0.0.1',
    version: info.version,
  };
}
