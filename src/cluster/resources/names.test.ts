import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkConfigKey,
  checkDns1123Label,
  checkDns1123Subdomain,
  checkEnvVarName,
  checkLabelValue,
  checkPortName,
  checkQualifiedName,
} from './names.ts';

const ok = (problems: string[]) => problems.length === 0;

test('RFC 1123 labels and subdomains', () => {
  for (const good of ['web', 'a', '0abc', 'my-app-2']) assert.ok(ok(checkDns1123Label(good)), good);
  for (const bad of ['Web', '-web', 'web-', 'web.app', 'a_b', '', 'a'.repeat(64)])
    assert.ok(!ok(checkDns1123Label(bad)), bad);
  for (const good of ['web.example.com', 'a-b.c', 'x']) assert.ok(ok(checkDns1123Subdomain(good)), good);
  for (const bad of ['web..app', '.web', 'Web.app', `${'a'.repeat(250)}.com`])
    assert.ok(!ok(checkDns1123Subdomain(bad)), bad);
});

test('qualified names (label keys) and label values', () => {
  for (const good of ['app', 'app.kubernetes.io/name', 'example.com/My_Key', 'A.b-c_d'])
    assert.ok(ok(checkQualifiedName(good)), good);
  for (const bad of ['', '/app', 'a/b/c', 'Example.com/app', 'app-', `${'a'.repeat(64)}`, 'a b']) {
    assert.ok(!ok(checkQualifiedName(bad)), bad);
  }
  for (const good of ['', 'v1.2', 'my_value', 'X']) assert.ok(ok(checkLabelValue(good)), good);
  for (const bad of ['-v', 'a b', 'v.', 'a'.repeat(64)]) assert.ok(!ok(checkLabelValue(bad)), bad);
});

test('port names, env var names and config keys', () => {
  for (const good of ['http', 'grpc-web', 'h2c', 'metrics9']) assert.ok(ok(checkPortName(good)), good);
  for (const bad of ['HTTP', '80', 'a--b', '-http', 'http-', 'a-very-long-port-name'])
    assert.ok(!ok(checkPortName(bad)), bad);
  for (const good of ['PATH', 'my.env-name', '_X1']) assert.ok(ok(checkEnvVarName(good)), good);
  for (const bad of ['1X', 'A=B', 'a b', '']) assert.ok(!ok(checkEnvVarName(bad)), bad);
  for (const good of ['app.conf', '.hidden', 'KEY_1']) assert.ok(ok(checkConfigKey(good)), good);
  for (const bad of ['a/b', '.', '..', '..data', 'a b']) assert.ok(!ok(checkConfigKey(bad)), bad);
});
