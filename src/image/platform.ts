/**
 * Picking one image out of a multi-platform index (OCI index or Docker manifest list), the way Docker
 * does: os and architecture must match, the variant too when one is asked for. Pure, so it is tested
 * without a registry.
 */
import type { Descriptor, Platform } from './image-types.ts';
import { invalid } from '../errors.ts';

/** Node's `process.arch` names → OCI architecture names. */
const ociArchitectureByNodeArch: Record<string, string> = {
  x64: 'amd64',
  arm64: 'arm64',
  arm: 'arm',
  ia32: '386',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
  loong64: 'loong64',
};

/** Containers are Linux images whatever the host reports; the architecture is the host's. */
export function hostPlatform(nodeArch: string = process.arch): Platform {
  return { os: 'linux', architecture: ociArchitectureByNodeArch[nodeArch] ?? nodeArch };
}

/** `os/arch[/variant]`, as `--platform` takes it. */
export function parsePlatform(text: string): Platform {
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((part) => !/^[a-z0-9_.-]+$/.test(part))) {
    throw invalid(`invalid platform "${text}": expected os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm/v7`);
  }
  const [os, architecture, variant] = parts as [string, string, string?];
  return variant === undefined ? { os, architecture } : { os, architecture, variant };
}

export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((part) => part !== undefined).join('/');
}

/** arm64 images are tagged `v8` or nothing, and both mean the same machines. */
function normalizedVariant(platform: Platform): string | undefined {
  if (platform.architecture === 'arm64' && platform.variant === 'v8') return undefined;
  return platform.variant;
}

/**
 * The index entry for `wanted`; an entry without variant is preferred when none was asked for.
 * `Invalid` listing what the index offers when nothing matches.
 */
export function selectPlatformManifest(manifests: Descriptor[], wanted: Platform, reference: string): Descriptor {
  const wantedVariant = normalizedVariant(wanted);
  const candidates = manifests.filter((descriptor) => {
    const platform = descriptor.platform;
    if (platform === undefined) return false;
    if (platform.os !== wanted.os || platform.architecture !== wanted.architecture) return false;
    return wantedVariant === undefined || normalizedVariant(platform) === wantedVariant;
  });
  const chosen =
    candidates.find((descriptor) => normalizedVariant(descriptor.platform as Platform) === undefined) ??
    candidates[0];
  if (chosen !== undefined) return chosen;
  const available = manifests
    .map((descriptor) => descriptor.platform)
    .filter((platform): platform is Platform => platform !== undefined && platform.os !== 'unknown')
    .map(formatPlatform);
  throw invalid(
    `${reference} has no image for platform ${formatPlatform(wanted)}; available: ${
      available.length > 0 ? available.join(', ') : 'none'
    }. Choose one with --platform`,
  );
}
