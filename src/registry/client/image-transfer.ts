/**
 * Pull and push between the engine's image store and any registry speaking the OCI Distribution spec
 * (Docker Hub's token flow included). Implemented in this directory; the API layer streams the progress
 * events to the CLI as NDJSON.
 */
import type { ImageRecord } from '../../image/image-types.ts';

/** Credentials for one registry, as the CLI sends them (Docker's X-Registry-Auth shape, decoded). */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (`identitytoken` in Docker's config.json). */
  identityToken?: string;
}

/** One line of progress, per layer (`id` = the blob's short digest) or for the whole transfer. */
export interface TransferProgress {
  id?: string;
  status: string;
  /** Bytes done and total, for Downloading / Pushing. */
  current?: number;
  total?: number;
}

export interface PullOptions {
  credentials?: RegistryCredentials;
  /** `os/arch[/variant]`; default the host's. */
  platform?: string;
  onProgress?: (progress: TransferProgress) => void;
  signal?: AbortSignal;
}

export interface PushOptions {
  credentials?: RegistryCredentials;
  onProgress?: (progress: TransferProgress) => void;
  signal?: AbortSignal;
}

export interface ImageTransfer {
  /** Pulls `reference` (tag or digest); resolves with the stored image, named `reference`. */
  pull(reference: string, options?: PullOptions): Promise<{ image: ImageRecord; digest: string }>;
  /** Pushes the local image named `reference` to the registry in its name; resolves with the manifest digest. */
  push(reference: string, options?: PushOptions): Promise<{ digest: string; size: number }>;
  /** Checks credentials against `server` (a host[:port]) with the registry's own auth flow; `Unauthorized` if wrong. */
  login(server: string, credentials: RegistryCredentials): Promise<{ status: string; identityToken?: string }>;
}

/** What pull and push need of the engine's image store (ImageStore implements it). */
export interface ImageTarget {
  inspect(nameOrId: string): Promise<ImageRecord>;
  /**
   * Records an image whose manifest, config and layers are already in the content store, named
   * `reference` (normalized), and emits the `pull` event. Call inside the content collector's lease.
   */
  registerPulled(manifestDigest: `sha256:${string}`, reference: string): Promise<ImageRecord>;
}
