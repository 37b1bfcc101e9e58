/**
 * For in-process controller tests: a real ResourceService on a temporary SQLite store, the shared
 * informers running, the controllers a test builds running on them, and Events collected in memory. All
 * of it stops and is removed when the test ends. Nothing runs pods: a test plays the node agent by
 * writing pod status.
 */
import type { TestContext } from 'node:test';
import type { KubeObject } from '../apiserver/api-kind.ts';
import { openTestCluster, type TestCluster } from '../apiserver/test-cluster.ts';
import type { EventSink, EventType } from './event-recorder.ts';
import { type ControllerInformers, createInformers } from './informers.ts';
import { type Controller, runController } from './runtime/controller.ts';

export interface RecordedEvent {
  object: string;
  type: EventType;
  reason: string;
  message: string;
}

export interface ControllerFixture {
  cluster: TestCluster;
  informers: ControllerInformers;
  events: EventSink & { recorded: RecordedEvent[] };
  logger: { warn(): void; debug(): void };
  signal: AbortSignal;
  /** What every controller takes: the API, the shared informers, the event sink and the logger. */
  common: {
    client: TestCluster['api'];
    informers: ControllerInformers;
    events: ControllerFixture['events'];
    logger: ControllerFixture['logger'];
  };
  /** Runs the controllers until the test ends. */
  run(...controllers: Controller[]): void;
}

export async function controllerFixture(t: TestContext, now?: () => Date): Promise<ControllerFixture> {
  const cluster = await openTestCluster(now);
  const abort = new AbortController();
  const informers = createInformers(cluster.api, { retryDelayMs: 10 });
  const running: Promise<unknown>[] = [informers.run(abort.signal)];
  const recorded: RecordedEvent[] = [];
  const events = {
    recorded,
    async record(object: KubeObject, type: EventType, reason: string, message: string) {
      recorded.push({ object: `${object.kind}/${object.metadata.name}`, type, reason, message });
    },
  };
  const logger = { warn() {}, debug() {} };
  t.after(async () => {
    abort.abort();
    await Promise.allSettled(running);
    await cluster.dispose();
  });
  await informers.synced();
  return {
    cluster,
    informers,
    events,
    logger,
    signal: abort.signal,
    common: { client: cluster.api, informers, events, logger },
    run(...controllers) {
      for (const controller of controllers)
        running.push(runController(controller, { logger, signal: abort.signal }));
    },
  };
}
