import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filterPsOutput } from './container-top.ts';

const psEf = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 10:00 ?        00:00:01 /sbin/init
root        4242    4230  0 10:01 ?        00:00:00 sleep 100
root        4250    4242  0 10:01 pts/0    00:00:00 sh -c echo hi there
`;

test('keeps only the rows of the given pids, the command with its spaces', () => {
  const table = filterPsOutput(psEf, new Set([4242, 4250]));
  assert.deepEqual(table.titles, ['UID', 'PID', 'PPID', 'C', 'STIME', 'TTY', 'TIME', 'CMD']);
  assert.deepEqual(table.processes, [
    ['root', '4242', '4230', '0', '10:01', '?', '00:00:00', 'sleep 100'],
    ['root', '4250', '4242', '0', '10:01', 'pts/0', '00:00:00', 'sh -c echo hi there'],
  ]);
});

test('finds the PID column wherever ps options put it', () => {
  const aux = 'USER PID %CPU COMMAND\nroot 7 0.0 top -b\nroot 8 0.0 other\n';
  assert.deepEqual(filterPsOutput(aux, new Set([7])).processes, [['root', '7', '0.0', 'top -b']]);
});

test('ps output without a PID column is refused with a hint', () => {
  assert.throws(() => filterPsOutput('USER COMMAND\nroot x\n', new Set([1])), { code: 'Invalid', message: /PID column/ });
});
