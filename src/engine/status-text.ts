/** The human status column of `ps`, worded like Docker's. */
import type { ContainerState } from './container-types.ts';

/** Docker's rounding of elapsed time: `Less than a second`, `3 seconds`, `About a minute`, `5 hours`… */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(seconds / 60);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(seconds / 3600);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(seconds / 3600 / 24 / 365)} years`;
}

const since = (iso: string, now: number) => humanDuration(Math.max(0, now - Date.parse(iso)));

export function statusText(state: ContainerState, now: number): string {
  switch (state.status) {
    case 'created':
      return 'Created';
    case 'running':
      return `Up ${since(state.startedAt, now)}`;
    case 'paused':
      return `Up ${since(state.startedAt, now)} (Paused)`;
    case 'restarting':
      return `Restarting (${state.exitCode}) ${since(state.finishedAt, now)} ago`;
    case 'removing':
      return 'Removal In Progress';
    case 'exited':
      return `Exited (${state.exitCode}) ${since(state.finishedAt, now)} ago`;
    case 'dead':
      return 'Dead';
  }
}
