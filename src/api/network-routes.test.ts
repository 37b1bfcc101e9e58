/** The network routes over a real API server on a unix socket, with a stand-in engine that records its calls. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Engine } from '../engine/services.ts';
import { notFound } from '../errors.ts';
import type { NetworkService } from '../network/network-service.ts';
import { callApi, jsonOf, serveTestApi } from './test-api.ts';

const network = { id: 'n'.repeat(64), name: 'backend', driver: 'bridge', subnet: '10.210.1.0/24' };
const containers: Record<string, { id: string; name: string; state: { running: boolean; pid: number } }> = {
  web: { id: 'c1', name: 'web', state: { running: true, pid: 4242 } },
  idle: { id: 'c2', name: 'idle', state: { running: false, pid: 0 } },
};

function standInEngine() {
  const calls: unknown[][] = [];
  const networks: Partial<NetworkService> = {
    create: async (request) => {
      calls.push(['create', request]);
      return { ...network, name: request.name } as never;
    },
    list: async () => [network] as never,
    inspect: async (id) => {
      if (id !== 'backend') throw notFound(`no such network: ${id}`);
      return { ...network, containers: {} } as never;
    },
    remove: async (id) => void calls.push(['remove', id]),
    prune: async () => ['old'],
    ports: (id) => [
      { protocol: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPort: id === 'c1' ? 8080 : 1 },
    ],
  };
  const inspect = async (id: string) => {
    const found = containers[id];
    if (!found) throw notFound(`no such container: ${id}`);
    return found;
  };
  const connectNetwork = async (container: string, ...rest: unknown[]) => {
    await inspect(container);
    calls.push(['connect', container, ...rest]);
  };
  const disconnectNetwork = async (container: string, ...rest: unknown[]) => {
    await inspect(container);
    calls.push(['disconnect', container, ...rest]);
  };
  return {
    engine: { networks, containers: { inspect, connectNetwork, disconnectNetwork } } as unknown as Engine,
    calls,
  };
}

async function withServer(t: import('node:test').TestContext, engine: Engine) {
  const socketPath = await serveTestApi(t, { engine });
  return async (method: string, path: string, body?: unknown) => {
    const answer = await callApi(socketPath, method, path, { body });
    return { status: answer.status, json: jsonOf(answer) as Record<string, unknown> | undefined };
  };
}

test('create validates the body and answers 201 with the record', async (t) => {
  const { engine, calls } = standInEngine();
  const call = await withServer(t, engine);
  const created = await call('POST', '/v1/networks', {
    name: 'backend',
    subnet: '10.210.1.0/24',
    internal: true,
  });
  assert.equal(created.status, 201);
  assert.equal(created.json?.name, 'backend');
  assert.deepEqual(calls, [['create', { name: 'backend', subnet: '10.210.1.0/24', internal: true }]]);

  for (const [body, field] of [
    [{}, 'name'],
    [{ name: 'x', internal: 'yes' }, 'internal'],
    [{ name: 'x', subnett: '10.0.0.0/24' }, ''],
  ] as const) {
    const bad = await call('POST', '/v1/networks', body);
    assert.equal(bad.status, 400, JSON.stringify(body));
    assert.equal(bad.json?.code, 'Invalid');
    assert.deepEqual(bad.json?.details, { field });
  }
  assert.equal(calls.length, 1, 'bad bodies reach no service');
});

test('list, inspect, remove and prune map onto the service', async (t) => {
  const { engine, calls } = standInEngine();
  const call = await withServer(t, engine);
  assert.deepEqual((await call('GET', '/v1/networks')).json, [network]);
  assert.equal((await call('GET', '/v1/networks/backend')).status, 200);
  assert.deepEqual(await call('GET', '/v1/networks/nope'), {
    status: 404,
    json: { code: 'NotFound', message: 'no such network: nope' },
  });
  assert.equal((await call('DELETE', '/v1/networks/backend')).status, 204);
  assert.deepEqual((await call('POST', '/v1/networks/prune')).json, { deleted: ['old'] });
  assert.deepEqual(calls, [['remove', 'backend']]);
});

test('connect and disconnect go to the container service (which remembers them for later starts)', async (t) => {
  const { engine, calls } = standInEngine();
  const call = await withServer(t, engine);
  const connected = await call('POST', '/v1/networks/backend/connect', { container: 'web', aliases: ['db'] });
  assert.equal(connected.status, 200);
  assert.deepEqual(calls, [['connect', 'web', 'backend', ['db']]]);
  assert.equal((await call('POST', '/v1/networks/backend/connect', { container: 'ghost' })).status, 404);
  assert.equal((await call('POST', '/v1/networks/backend/connect', {})).status, 400);

  assert.equal((await call('POST', '/v1/networks/backend/disconnect', { container: 'web' })).status, 204);
  assert.deepEqual(calls.at(-1), ['disconnect', 'web', 'backend']);
  assert.equal(calls.length, 2);
});

test("a container's published ports, by name", async (t) => {
  const call = await withServer(t, standInEngine().engine);
  assert.deepEqual((await call('GET', '/v1/containers/web/port')).json, [
    { protocol: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPort: 8080 },
  ]);
  assert.equal((await call('GET', '/v1/containers/ghost/port')).status, 404);
});
