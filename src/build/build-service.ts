/**
 * The build role: a Dockerfile and its context in, an image in the store out. The API layer (native
 * and, later, Docker-compatible) decodes a request into a BuildRequest, calls `build`, and streams the
 * BuildEvents it receives.
 */
import type { Readable } from 'node:stream';
import type { CacheUsage } from './build-cache.ts';

export type BuildContextSource =
  /** A directory on this machine (the CLI's fast path when it talks to a local daemon). */
  | { kind: 'directory'; path: string }
  /** A tar archive (plain or gzip), e.g. `marina build -` or a remote client. */
  | { kind: 'tar'; stream: Readable };

export interface BuildRequest {
  context: BuildContextSource;
  /**
   * The Dockerfile: a path inside the context (default `Dockerfile`), an absolute path on this machine
   * (directory contexts only), or its text.
   */
  dockerfile?: { path: string } | { text: string };
  /** Names to give the result, e.g. `app:1`; none leaves it untagged (found by ID). */
  tags: string[];
  buildArgs: Record<string, string>;
  /** Build only up to this stage (by name or index). */
  target?: string;
  noCache: boolean;
  /** Fetch base images from their registry even when they are in the store. */
  pull: boolean;
  /** `os/arch[/variant]`; only this machine's platform can run RUN steps. */
  platform?: string;
  /** Extra labels set on the final image (`--label`). */
  labels: Record<string, string>;
  /** Network of RUN steps: `default` (the default bridge when networking is on), `none` or `host`. */
  network: 'default' | 'none' | 'host';
  /** Credentials for pulling base images, by registry host (from X-Registry-Config). */
  credentials?: Record<string, { username?: string; password?: string; identitytoken?: string }>;
}

/** A step is one Dockerfile instruction of one stage; `id` is unique within the build. */
export type BuildEvent =
  | {
      type: 'step';
      id: string;
      /** Stage name, or its index when it has none. */
      stage: string;
      /** 1-based position among the stage's instructions (FROM is 1) and their count. */
      index: number;
      total: number;
      instruction: string;
    }
  | { type: 'step-done'; id: string; cached: boolean; durationMs: number }
  | { type: 'output'; id: string; stream: 'stdout' | 'stderr'; data: string }
  | { type: 'warning'; message: string }
  | { type: 'result'; imageId: string; tags: string[] };

export interface BuildResult {
  imageId: string;
  tags: string[];
}

export interface BuildService {
  /**
   * Builds; `onEvent` receives progress as it happens. Throws MarinaError: `Invalid` for a bad
   * Dockerfile, context or argument (nothing is built); `BuildFailed` with details `{ step, exitCode }`
   * when a RUN exits non-zero. No image is tagged when any step fails.
   */
  build(request: BuildRequest, onEvent: (event: BuildEvent) => void, signal?: AbortSignal): Promise<BuildResult>;
  /** The build cache's entries with their sizes (`system df`). */
  cacheUsage(): Promise<CacheUsage[]>;
}
