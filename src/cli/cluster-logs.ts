/**
 * `marina logs KIND/NAME` and `marina exec KIND/NAME`: through the cluster API's `pods/NAME/log` and
 * `pods/NAME/exec` (marinad reads the log or runs the command in the pod's current container), never by
 * reaching into the engine from here. Loaded only when a KIND/NAME argument is given.
 */
import { PassThrough } from 'node:stream';
import { kubePathOf } from '../cluster/apiserver/http-resource-client.ts';
import type { Pod } from '../cluster/resources/pod-schemas.ts';
import { kindByName } from '../cluster/resources/registry.ts';
import { type ExecChannelMessage, exitCodeOfStatus, parseExecChannelMessage } from '../api/cluster/exec-channel.ts';
import { encodeFrame, FrameDecoder } from '../api/stdio-framing.ts';
import { MarinaError } from '../errors.ts';
import { resources } from './cluster-actions.ts';
import { checkPodTargetKind, pickWorkloadPod, sinceSecondsOf } from './cluster-logs-target.ts';
import { parseKindSlashName } from './cluster-targets.ts';
import { api, Exit } from './cli-support.ts';
import type { Upgraded } from './client.ts';
import { runStdioSession, type TerminalSize, terminalSize } from './stdio-session.ts';

const pods = kindByName('pod');

export interface PodLogFlags {
  namespace: string;
  container?: string;
  follow?: boolean;
  previous?: boolean;
  tail?: string;
  since?: string;
  timestamps?: boolean;
}

export interface PodExecFlags {
  namespace: string;
  container?: string;
  interactive?: boolean;
  tty?: boolean;
}

/** The pod `pod/NAME` names, or the one kubectl would pick for `deploy/NAME`, `rs/NAME`, `job/NAME`. */
async function podNameOf(target: string, namespace: string): Promise<string> {
  const { kind, name } = parseKindSlashName(target);
  checkPodTargetKind(kind);
  if (kind.kind === 'Pod') return name;
  const client = resources();
  const workload = await client.get(kind, namespace, name);
  const { items } = await client.list(pods, namespace);
  return pickWorkloadPod(kind, workload, items as Pod[]).metadata.name ?? '';
}

const podPath = (namespace: string, pod: string, subresource: 'log' | 'exec') => kubePathOf(pods, namespace, pod, subresource);

export async function podLogs(target: string, flags: PodLogFlags): Promise<void> {
  const pod = await podNameOf(target, flags.namespace);
  const tail = flags.tail === undefined || flags.tail === 'all' ? undefined : Number(flags.tail);
  if (tail !== undefined && !(Number.isInteger(tail) && tail >= -1)) throw new MarinaError('Invalid', `--tail must be a number of lines, or -1 for all, not "${flags.tail}"`);
  const res = await api().send('GET', podPath(flags.namespace, pod, 'log'), {
    query: {
      container: flags.container,
      follow: flags.follow,
      previous: flags.previous,
      // kubectl's --tail -1 is every line.
      tailLines: tail !== undefined && tail >= 0 ? tail : undefined,
      sinceSeconds: flags.since === undefined ? undefined : sinceSecondsOf(flags.since, Date.now()),
      timestamps: flags.timestamps,
    },
  });
  for await (const chunk of res) if (!process.stdout.write(chunk as Buffer)) await new Promise((r) => process.stdout.once('drain', r));
}

/** Runs `command` in the pod's container; exits with the command's exit code, as kubectl exec does. */
export async function podExec(target: string, command: string[], flags: PodExecFlags): Promise<never> {
  const pod = await podNameOf(target, flags.namespace);
  const client = api();
  const up = await client.upgrade(podPath(flags.namespace, pod, 'exec'), {
    container: flags.container,
    command,
    stdin: flags.interactive,
    tty: flags.tty,
  });
  const channel = systemChannel(up);
  // Nothing is read from stdin before the terminal has its size, so the first keystrokes meet the right one.
  const execId = await channel.execId;
  const resize =
    flags.tty && execId
      ? (size: TerminalSize) =>
          client.send('POST', `/v1/exec/${encodeURIComponent(execId)}/resize`, { query: { h: size.height, w: size.width } }).then(() => {})
      : undefined;
  const size = terminalSize();
  // A command that already ended has no terminal to size: not an error of the exec.
  if (resize && size) await resize(size).catch(() => {});
  await runStdioSession(channel.session, { stdin: Boolean(flags.interactive), tty: Boolean(flags.tty), ...(resize ? { resize } : {}) });
  const status = channel.status();
  const code = status ? exitCodeOfStatus(status) : undefined;
  if (code === undefined) {
    process.stderr.write(`marina: ${status?.message ?? 'the exec stream ended without the command\'s status'}\n`);
    throw new Exit(1);
  }
  throw new Exit(code);
}

/**
 * Takes the system channel (stream 3: the exec id, then the command's Status) out of the framed stream
 * and hands the stdio session the rest, still framed. `execId` is undefined when the stream ended without one.
 */
function systemChannel(up: Upgraded) {
  const decoder = new FrameDecoder();
  const output = new PassThrough();
  let status: Extract<ExecChannelMessage, { kind: 'Status' }> | undefined;
  let announce: (execId: string | undefined) => void = () => {};
  const execId = new Promise<string | undefined>((resolve) => (announce = resolve));
  up.output.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      if (frame.stream !== 'system') {
        output.write(encodeFrame(frame.stream, frame.data));
        continue;
      }
      const message = parseExecChannelMessage(frame.data);
      if (message?.kind === 'Exec') announce(message.execId);
      else if (message?.kind === 'Status') status = message;
    }
  });
  up.output.once('end', () => {
    announce(undefined);
    output.end();
  });
  return { session: { ...up, output, multiplexed: true }, execId, status: () => status };
}
