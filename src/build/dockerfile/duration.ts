/**
 * Go's duration syntax (time.ParseDuration), which HEALTHCHECK flags use: `30s`, `1m30s`, `1.5h`,
 * `500ms`, `0`. Returns nanoseconds, the unit image configs record, or undefined when malformed.
 */
const nanosPerUnit: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign
  μs: 1e3, // U+03BC Greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

export function parseGoDuration(text: string): number | undefined {
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.replace(/^[-+]/, '');
  if (body === '0') return 0;
  if (body === '') return undefined;
  const part = /(\d*(?:\.\d*)?)([^\d.]+)/y;
  let total = 0;
  let at = 0;
  while (at < body.length) {
    part.lastIndex = at;
    const match = part.exec(body);
    if (!match) return undefined;
    const [whole, number, unit] = match;
    const perUnit = nanosPerUnit[unit!];
    if (number === '' || number === '.' || perUnit === undefined) return undefined;
    total += Number(number) * perUnit;
    at += whole.length;
  }
  return sign * Math.round(total);
}
