import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWrk } from './wrk-output.ts';

const report = (p99: string, extra = '') => `Running 1s test @ http://127.0.0.1:18089/index.html
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.47ms    3.97ms  59.12ms   97.24%
    Req/Sec     2.27k     1.57k    4.93k    61.90%
  Latency Distribution
     50%    1.83ms
     75%    2.44ms
     90%    3.56ms
     99%   ${p99}
  4758 requests in 1.10s, 5.61MB read
${extra}Requests/sec:   4327.84
Transfer/sec:      5.10MB
`;

test('requests/s and p99 in milliseconds, whatever unit wrk chose', () => {
  assert.deepEqual(parseWrk(report('22.11ms')), { requestsPerSecond: 4327.84, p99Ms: 22.11, errors: 0 });
  assert.equal(parseWrk(report('850.00us')).p99Ms, 0.85);
  assert.equal(parseWrk(report('1.50s')).p99Ms, 1500);
});

test('socket errors and bad responses are counted', () => {
  const extra = '  Socket errors: connect 1, read 2, write 0, timeout 3\n  Non-2xx or 3xx responses: 4\n';
  assert.equal(parseWrk(report('1ms', extra)).errors, 10);
});

test('a report without the latency distribution is an error', () => {
  assert.throws(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused'), /no Requests\/sec/);
});
