/**
 * Marina's transfer and build events as Docker's JSON message lines (`{"status","id","progressDetail"}`,
 * `{"stream"}`, `{"aux"}`, `{"errorDetail"}`), the stream the docker CLI renders for pull, push and build.
 * Pure: each function maps one event to the lines to write.
 */
import type { BuildEvent, BuildResult } from '../../build/build-service.ts';
import { asMarinaError } from '../../errors.ts';
import type { TransferProgress } from '../../registry/client/image-transfer.ts';

export interface DockerJsonMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  aux?: Record<string, unknown>;
  errorDetail?: { code?: number; message: string };
  error?: string;
}

/**
 * One transfer event as Docker's lines. A layer Marina has downloaded is stored, so Docker's last per-layer step
 * (`Pull complete`, after its extraction) follows `Download complete` at once: the CLI counts a layer done on it.
 */
export function transferMessages(progress: TransferProgress): DockerJsonMessage[] {
  const message: DockerJsonMessage = { status: progress.status };
  if (progress.id !== undefined) message.id = progress.id;
  if (progress.current !== undefined) {
    message.progressDetail = { current: progress.current };
    if (progress.total !== undefined) message.progressDetail.total = progress.total;
  }
  if (progress.status === 'Download complete' && progress.id !== undefined)
    return [message, { status: 'Pull complete', id: progress.id }];
  return [message];
}

/** `{"status":"Pulling from library/busybox","id":"latest"}`, the first line of a pull. */
export const pullingFrom = (repositoryPath: string, tagOrDigest: string): DockerJsonMessage => ({
  status: `Pulling from ${repositoryPath}`,
  id: tagOrDigest,
});

/** `The push refers to repository [127.0.0.1:5000/app]`, the first line of a push. */
export const pushRefersTo = (repository: string): DockerJsonMessage => ({
  status: `The push refers to repository [${repository}]`,
});

/** The last line of a push, which SDKs read for the digest. */
export const pushAux = (tag: string, digest: string, size: number): DockerJsonMessage => ({
  aux: { Tag: tag, Digest: digest, Size: size },
});

/** An error after the 200, with the exit code of a failed RUN as Docker's `errorDetail.code`. */
export function errorMessage(err: unknown): DockerJsonMessage {
  const error = asMarinaError(err);
  const exitCode = error.details?.exitCode;
  const errorDetail: DockerJsonMessage['errorDetail'] = { message: error.message };
  if (typeof exitCode === 'number') errorDetail.code = exitCode;
  return { errorDetail, error: error.message };
}

const shortImageId = (id: string) => id.replace(/^sha256:/, '').slice(0, 12);

/**
 * The classic builder's output from build events: `Step i/n : INSTR`, ` ---> Using cache`, RUN output, then the
 * ID and tags. Steps are numbered within their stage (stages may run at once, so there is no global order to
 * number by). `quiet` (`docker build -q`) keeps only the image ID.
 */
export class ClassicBuildOutput {
  readonly #quiet: boolean;
  /** Steps that are a FROM: their base image is no cache hit, so Docker shows no `Using cache` for them. */
  readonly #fromSteps = new Set<string>();

  constructor(options: { quiet: boolean }) {
    this.#quiet = options.quiet;
  }

  event(event: BuildEvent): DockerJsonMessage[] {
    if (this.#quiet) return [];
    switch (event.type) {
      case 'step':
        if (/^FROM\s/i.test(event.instruction)) this.#fromSteps.add(event.id);
        return [{ stream: `Step ${event.index}/${event.total} : ${event.instruction}\n` }];
      case 'step-done':
        return event.cached && !this.#fromSteps.has(event.id) ? [{ stream: ' ---> Using cache\n' }] : [];
      case 'output':
        return event.data === '' ? [] : [{ stream: event.data }];
      case 'warning':
        return [{ stream: `[WARNING]: ${event.message}\n` }];
      case 'result':
        // The result's lines come from `result()`, once, whether the service reported it as an event or not.
        return [];
    }
  }

  result(result: BuildResult): DockerJsonMessage[] {
    const aux: DockerJsonMessage = { aux: { ID: result.imageId } };
    if (this.#quiet) return [aux, { stream: `${result.imageId}\n` }];
    return [
      aux,
      { stream: `Successfully built ${shortImageId(result.imageId)}\n` },
      ...result.tags.map((tag) => ({ stream: `Successfully tagged ${tag}\n` })),
    ];
  }
}
