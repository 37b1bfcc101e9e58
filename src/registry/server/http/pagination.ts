/** The `n`/`last` query of tag and catalog listings and the RFC 8288 `Link` header to the next page. */
import { invalid } from '../../../errors.ts';

export interface PageQuery {
  n?: number;
  last?: string;
}

export function parsePageQuery(query: URLSearchParams): PageQuery {
  const page: PageQuery = {};
  const n = query.get('n');
  if (n !== null && n !== '') {
    if (!/^\d+$/.test(n)) throw invalid(`n="${n}" must be a whole number of entries per page, e.g. n=100`);
    page.n = Number(n);
  }
  const last = query.get('last');
  if (last !== null && last !== '') page.last = last;
  return page;
}

/** `</v2/…?n=N&last=L>; rel="next"`: the same page size (when one was asked) after `next`. */
export function nextPageLink(path: string, n: number | undefined, next: string): string {
  const query = new URLSearchParams();
  if (n !== undefined) query.set('n', String(n));
  query.set('last', next);
  return `<${path}?${query.toString()}>; rel="next"`;
}
