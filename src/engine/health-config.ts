/**
 * The healthcheck a container gets: the image's HEALTHCHECK (Docker's config, durations in nanoseconds)
 * overridden field by field by the create request, with Docker's defaults for what neither sets.
 */
import { invalid } from '../errors.ts';
import type { HealthConfig } from '../image/image-types.ts';
import type { HealthcheckConfig, HealthcheckRequest } from './container-types.ts';

export const defaultHealthIntervalMs = 30_000;
export const defaultHealthTimeoutMs = 30_000;
export const defaultHealthRetries = 3;
const defaultShell = ['/bin/sh', '-c'];

/** A positive value wins, else the next one; Docker treats 0 as "not set" at every level. */
const firstSet = (...values: (number | undefined)[]): number | undefined =>
  values.find((v) => v !== undefined && v > 0);
const nsToMs = (ns: number | undefined) => (ns === undefined ? undefined : Math.round(ns / 1e6));

/** The argv a test runs, or undefined for `NONE`; `Invalid` for anything Docker would not accept. */
function testCommand(test: readonly string[], shell: readonly string[]): string[] | undefined {
  const [kind, ...rest] = test;
  if (kind === 'NONE' && rest.length === 0) return undefined;
  if (kind === 'CMD' && rest.length > 0) return rest;
  if (kind === 'CMD-SHELL' && rest.length === 1 && rest[0] !== '') return [...shell, rest[0]!];
  throw invalid(
    `invalid healthcheck test ${JSON.stringify(test)}: use ["CMD", program, args…], ["CMD-SHELL", "command"] or ["NONE"]`,
    { field: 'healthcheck.test' },
  );
}

/**
 * Undefined when there is no healthcheck: none in the image nor the request, or `NONE` in either (the
 * request's first). Options without any test to apply them to are refused rather than silently ignored.
 */
export function resolveHealthcheck(
  image: { Healthcheck?: HealthConfig; Shell?: string[] } | undefined,
  request: HealthcheckRequest | undefined,
): HealthcheckConfig | undefined {
  const fromImage = image?.Healthcheck;
  const test = request?.test.length ? request.test : fromImage?.Test?.length ? fromImage.Test : undefined;
  if (test === undefined) {
    if (request) {
      throw invalid('healthcheck options were given but there is no test to run: give one (--health-cmd)', {
        field: 'healthcheck.test',
      });
    }
    return undefined;
  }
  const command = testCommand(test, image?.Shell?.length ? image.Shell : defaultShell);
  if (command === undefined) return undefined;
  return {
    command,
    intervalMs: firstSet(request?.intervalMs, nsToMs(fromImage?.Interval)) ?? defaultHealthIntervalMs,
    timeoutMs: firstSet(request?.timeoutMs, nsToMs(fromImage?.Timeout)) ?? defaultHealthTimeoutMs,
    startPeriodMs: firstSet(request?.startPeriodMs, nsToMs(fromImage?.StartPeriod)) ?? 0,
    retries: firstSet(request?.retries, fromImage?.Retries) ?? defaultHealthRetries,
    onFailure: request?.onFailure ?? 'restart',
  };
}
