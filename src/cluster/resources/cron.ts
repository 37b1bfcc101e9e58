/**
 * CronJob schedules: the syntax Kubernetes accepts (five fields, or @hourly/@daily/@weekly/@monthly/
 * @yearly/@annually/@midnight, as robfig/cron's standard parser reads them) and the next run time in a time
 * zone. The syntax check is ours, so that extensions other libraries accept (seconds, `L`, `#`, `H`) are
 * refused as Kubernetes refuses them; the date arithmetic, with its daylight-saving corner cases, is
 * cron-parser's.
 */
import { CronExpressionParser } from 'cron-parser';
import { invalid } from '../../errors.ts';

const descriptors: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface FieldBounds {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const fields: readonly FieldBounds[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

function fieldValue(text: string, bounds: FieldBounds): number | string {
  const byName = bounds.names?.indexOf(text.toLowerCase()) ?? -1;
  if (byName >= 0) return byName + bounds.min;
  if (!/^\d+$/.test(text)) return `${bounds.name}: ${JSON.stringify(text)} is not a number`;
  const value = Number(text);
  if (value < bounds.min || value > bounds.max) {
    return `${bounds.name}: ${value} is out of range ${bounds.min}-${bounds.max}`;
  }
  return value;
}

/** The problem with one field (a step like `0-30/15`, a range `1-5`, a list `mon,wed`), or undefined. */
function checkField(text: string, bounds: FieldBounds): string | undefined {
  for (const part of text.split(',')) {
    const [range, step, ...extra] = part.split('/');
    if (extra.length > 0 || range === undefined || range === '')
      return `${bounds.name}: ${JSON.stringify(part)} is malformed`;
    if (step !== undefined && (!/^\d+$/.test(step) || Number(step) === 0)) {
      return `${bounds.name}: step ${JSON.stringify(step)} must be a positive number`;
    }
    if (range === '*' || range === '?') continue;
    const [low, high, ...more] = range.split('-');
    if (more.length > 0 || low === undefined) return `${bounds.name}: ${JSON.stringify(part)} is malformed`;
    const lowValue = fieldValue(low, bounds);
    if (typeof lowValue === 'string') return lowValue;
    if (high !== undefined) {
      const highValue = fieldValue(high, bounds);
      if (typeof highValue === 'string') return highValue;
      if (highValue < lowValue) return `${bounds.name}: range ${JSON.stringify(range)} ends before it starts`;
    }
  }
  return undefined;
}

/** The schedule as five fields (descriptors expanded), or the reason it is not a valid schedule. */
function expand(schedule: string): { fields: string } | { problem: string } {
  const trimmed = schedule.trim();
  if (/^(CRON_)?TZ=/.test(trimmed)) {
    return { problem: 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead' };
  }
  if (trimmed.startsWith('@')) {
    const expanded = descriptors[trimmed.toLowerCase()];
    if (expanded !== undefined) return { fields: expanded };
    return {
      problem: `unrecognized descriptor ${JSON.stringify(trimmed)} (known: ${Object.keys(descriptors).join(', ')})`,
    };
  }
  const parts = trimmed.split(/\s+/);
  if (parts.length !== 5)
    return { problem: `expected exactly 5 fields, found ${parts.length}: ${JSON.stringify(trimmed)}` };
  for (const [i, part] of parts.entries()) {
    const problem = checkField(part, fields[i]!);
    if (problem !== undefined) return { problem };
  }
  return { fields: parts.join(' ') };
}

/** Why the schedule is invalid, or undefined when it is valid. */
export function scheduleProblem(schedule: string): string | undefined {
  const result = expand(schedule);
  return 'problem' in result ? result.problem : undefined;
}

/** Why the time zone is not usable, or undefined; like Kubernetes, `Local` is refused (it differs by node). */
export function timeZoneProblem(timeZone: string): string | undefined {
  if (timeZone.trim() !== timeZone || timeZone === '' || timeZone.toLowerCase() === 'local') {
    return 'must be an explicit time zone as defined in https://www.iana.org/time-zones';
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return undefined;
  } catch {
    return `unknown time zone ${timeZone}`;
  }
}

function expression(schedule: string, date: Date, timeZone: string) {
  const result = expand(schedule);
  if ('problem' in result) throw invalid(`invalid schedule ${JSON.stringify(schedule)}: ${result.problem}`);
  const zoneProblem = timeZoneProblem(timeZone);
  if (zoneProblem !== undefined)
    throw invalid(`invalid time zone ${JSON.stringify(timeZone)}: ${zoneProblem}`);
  return CronExpressionParser.parse(result.fields, { currentDate: date, tz: timeZone });
}

/** The first run strictly after `date`, in `timeZone` (default UTC, as Kubernetes' controller runs). */
export function nextAfter(schedule: string, date: Date, timeZone = 'UTC'): Date {
  return expression(schedule, date, timeZone).next().toDate();
}

/**
 * The runs a CronJob controller missed after its last run (`since`) up to and including `now`: the latest,
 * which is the one to start, and how many, counted up to `limit` (Kubernetes gives up on a CronJob that
 * missed more than 100, rather than counting a stopped controller's backlog one by one).
 */
export function missedRuns(
  schedule: string,
  since: Date,
  now: Date,
  timeZone = 'UTC',
  limit = 100,
): { latest: Date | undefined; count: number } {
  // cron-parser's prev() is strictly before its start, so start just after `now` to include a run at `now`.
  const latest = expression(schedule, new Date(now.getTime() + 1), timeZone)
    .prev()
    .toDate();
  if (latest <= since) return { latest: undefined, count: 0 };
  // One expression walked forward: the schedule and time zone are checked and parsed once, not per run.
  const runs = expression(schedule, since, timeZone);
  let count = 0;
  for (let run = runs.next().toDate(); run <= now && count < limit; run = runs.next().toDate()) count++;
  return { latest, count };
}
