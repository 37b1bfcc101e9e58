import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isMarinaError } from '../../errors.ts';
import { missedRuns, nextAfter, scheduleProblem, timeZoneProblem } from './cron.ts';

const at = (iso: string) => new Date(iso);

test('schedules Kubernetes accepts are valid', () => {
  for (const schedule of [
    '*/5 * * * *',
    '0 3 * * 1-5',
    '30 2 1,15 * *',
    '0 0 * JAN,jul SUN',
    '5/15 * * * *',
    '0 0 ? * mon-fri',
    '@hourly',
    '@daily',
    '@midnight',
    '@weekly',
    '@monthly',
    '@yearly',
    '@annually',
  ]) {
    assert.equal(scheduleProblem(schedule), undefined, schedule);
  }
});

test('schedules Kubernetes refuses are invalid, with the reason', () => {
  const cases: [string, RegExp][] = [
    ['* * * *', /exactly 5 fields, found 4/],
    ['0 * * * * *', /exactly 5 fields, found 6/],
    ['60 * * * *', /minute: 60 is out of range 0-59/],
    ['0 24 * * *', /hour: 24 is out of range/],
    ['0 0 0 * *', /day of month: 0 is out of range 1-31/],
    ['0 0 * 13 *', /month: 13 is out of range/],
    ['0 0 * * 7', /day of week: 7 is out of range 0-6/],
    ['0 0 L * *', /day of month: "L" is not a number/],
    ['0 0 * * 1#1', /day of week/],
    ['*/0 * * * *', /step "0" must be a positive number/],
    ['5-1 * * * *', /ends before it starts/],
    ['@every 1h', /unrecognized descriptor/],
    ['TZ=Europe/Paris 0 * * * *', /use timeZone field instead/],
    ['CRON_TZ=UTC 0 * * * *', /use timeZone field instead/],
  ];
  for (const [schedule, reason] of cases)
    assert.match(scheduleProblem(schedule) ?? 'valid', reason, schedule);
});

test('nextAfter is strictly after the given time', () => {
  assert.equal(nextAfter('0 * * * *', at('2024-01-01T10:00:00Z')).toISOString(), '2024-01-01T11:00:00.000Z');
  assert.equal(
    nextAfter('0 * * * *', at('2024-01-01T10:59:59.900Z')).toISOString(),
    '2024-01-01T11:00:00.000Z',
  );
  assert.equal(
    nextAfter('*/15 * * * *', at('2024-01-01T10:07:00Z')).toISOString(),
    '2024-01-01T10:15:00.000Z',
  );
  assert.equal(nextAfter('@monthly', at('2024-01-31T12:00:00Z')).toISOString(), '2024-02-01T00:00:00.000Z');
  assert.equal(
    nextAfter('0 9 * * mon', at('2024-01-01T09:00:00Z')).toISOString(),
    '2024-01-08T09:00:00.000Z',
  );
});

test('day of month and day of week are ORed when both are restricted, as cron does', () => {
  // 2024-01-05 is a Friday, the 13th a Saturday.
  const first = nextAfter('0 0 13 * 5', at('2024-01-01T00:00:00Z'));
  const second = nextAfter('0 0 13 * 5', first);
  const third = nextAfter('0 0 13 * 5', second);
  assert.deepEqual(
    [first, second, third].map((d) => d.toISOString()),
    ['2024-01-05T00:00:00.000Z', '2024-01-12T00:00:00.000Z', '2024-01-13T00:00:00.000Z'],
  );
});

test('the time zone decides the wall clock the schedule reads', () => {
  // 09:00 in Tokyo (UTC+9) is midnight UTC.
  assert.equal(
    nextAfter('0 9 * * *', at('2024-06-01T01:00:00Z'), 'Asia/Tokyo').toISOString(),
    '2024-06-02T00:00:00.000Z',
  );
  // New York is UTC-4 in June and UTC-5 in January.
  assert.equal(
    nextAfter('0 6 * * *', at('2024-06-01T00:00:00Z'), 'America/New_York').toISOString(),
    '2024-06-01T10:00:00.000Z',
  );
  assert.equal(
    nextAfter('0 6 * * *', at('2024-01-01T00:00:00Z'), 'America/New_York').toISOString(),
    '2024-01-01T11:00:00.000Z',
  );
});

test('bad schedules and time zones throw Invalid', () => {
  assert.throws(
    () => nextAfter('61 * * * *', new Date()),
    (err) => isMarinaError(err, 'Invalid') && /61/.test(err.message),
  );
  assert.throws(
    () => nextAfter('@hourly', new Date(), 'Mars/Olympus'),
    (err) => isMarinaError(err, 'Invalid'),
  );
  assert.equal(timeZoneProblem('Europe/Berlin'), undefined);
  assert.match(timeZoneProblem('Local') ?? '', /explicit time zone/);
  assert.match(timeZoneProblem('Mars/Olympus') ?? '', /unknown time zone/);
});

test('missedRuns gives the latest missed run and how many were missed', () => {
  const since = at('2024-01-01T10:00:00Z');
  assert.deepEqual(missedRuns('*/10 * * * *', since, at('2024-01-01T10:35:00Z')), {
    latest: at('2024-01-01T10:30:00Z'),
    count: 3,
  });
  assert.deepEqual(
    missedRuns('*/10 * * * *', since, at('2024-01-01T10:40:00Z')).latest,
    at('2024-01-01T10:40:00Z'),
  );
  assert.deepEqual(missedRuns('*/10 * * * *', since, at('2024-01-01T10:09:00Z')), {
    latest: undefined,
    count: 0,
  });
  const backlog = missedRuns('* * * * *', since, at('2024-02-01T00:00:00Z'));
  assert.equal(backlog.count, 100);
  assert.deepEqual(backlog.latest, at('2024-02-01T00:00:00Z'));
});
