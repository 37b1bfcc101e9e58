import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Node, Taint } from '../../resources/core-schemas.ts';
import type { Pod, Toleration } from '../../resources/pod-schemas.ts';
import { unreachableTaintKey } from '../../resources/tolerations.ts';
import {
  evictionDelayMs,
  heartbeatState,
  nodeChanges,
} from './node-lifecycle-decision.ts';

const now = new Date('2026-01-01T00:10:00Z');

function node(taints: Taint[] = [], ready = 'True'): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1' },
    spec: { taints },
    status: {
      conditions: [
        { type: 'Ready', status: ready, lastHeartbeatTime: '2026-01-01T00:00:00Z' },
        { type: 'MemoryPressure', status: 'False' },
      ],
    },
  };
}

function pod(tolerations?: Toleration[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: [], nodeName: 'n1', ...(tolerations ? { tolerations } : {}) },
  };
}

const unreachable = (effect: string, timeAdded = '2026-01-01T00:09:00Z'): Taint => ({
  key: unreachableTaintKey,
  effect,
  timeAdded,
});

test('a heartbeat is stale after the longer of the grace period and the lease duration', () => {
  const seen = now.getTime();
  assert.deepEqual(heartbeatState(seen, undefined, seen + 40_000, 40_000), { stale: false, staleInMs: 1 });
  assert.deepEqual(heartbeatState(seen, undefined, seen + 40_001, 40_000), { stale: true });
  assert.deepEqual(heartbeatState(seen, 60, seen + 50_000, 40_000), { stale: false, staleInMs: 10_001 });
});

test('an unreachable node gets Ready=Unknown and both unreachable taints, keeping the rest', () => {
  const other = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  const changes = nodeChanges(node([other]), true, now);
  assert.deepEqual(changes.taints, [
    other,
    unreachable('NoSchedule', '2026-01-01T00:10:00Z'),
    unreachable('NoExecute', '2026-01-01T00:10:00Z'),
  ]);
  const ready = changes.conditions?.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'Unknown');
  assert.equal(ready?.reason, 'NodeStatusUnknown');
  assert.equal(changes.conditions?.length, 2);
});

test('nothing changes for a node already marked, nor for a healthy untainted one; a recovered one loses the taints', () => {
  const marked = node([unreachable('NoSchedule'), unreachable('NoExecute')], 'Unknown');
  assert.deepEqual(nodeChanges(marked, true, now), {});
  assert.deepEqual(nodeChanges(node(), false, now), {});
  assert.deepEqual(nodeChanges(marked, false, now), { taints: [] });
});

test('eviction: at once without a toleration, after tolerationSeconds with one, never when tolerated forever', () => {
  const noExecute = [unreachable('NoSchedule'), unreachable('NoExecute')];
  assert.equal(
    evictionDelayMs(pod(), noExecute, now, 300),
    240_000,
    'the default 300 s from when the taint was added',
  );
  assert.equal(evictionDelayMs(pod(), noExecute, now, 0), 0);
  assert.equal(
    evictionDelayMs(
      pod([{ key: unreachableTaintKey, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }]),
      noExecute,
      now,
      300,
    ),
    0,
  );
  assert.equal(evictionDelayMs(pod([{ operator: 'Exists' }]), noExecute, now, 300), undefined);
  assert.equal(
    evictionDelayMs(pod(), [{ key: 'maintenance', effect: 'NoExecute' }], now, 300),
    0,
    'a NoExecute taint not tolerated',
  );
  assert.equal(
    evictionDelayMs(pod(), [unreachable('NoSchedule')], now, 0),
    undefined,
    'NoSchedule never evicts',
  );
  assert.equal(
    evictionDelayMs({ ...pod(), metadata: { name: 'p', deletionTimestamp: 't' } }, noExecute, now, 0),
    undefined,
  );
});
