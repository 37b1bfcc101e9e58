/**
 * Decides where `logs --tail N` must start reading, from records seen newest first (pure). Only the
 * records at the end of the log are looked at, so tailing a log of gigabytes reads a few kilobytes.
 *
 * An entry is a run of partial records of one stream closed by a final record of that stream, and the
 * streams interleave. Walking backwards, a final record ends an entry; once N shown entries are counted,
 * reading must still go back until every stream with a counted entry reaches the final record of the
 * entry before it, so that no counted entry is cut at its head. Reading forward from there yields the
 * counted entries whole (plus possibly a few older ones, which the reader's last-N window drops).
 */
import type { K8sLogRecord, LogStream } from './k8s-log.ts';
import { isPastUntil, isShown, type LogQuery } from './log-query.ts';

type StreamState = 'unseen' | 'open' | 'closed';

export class TailStartFinder {
  private counted = 0;
  private sinceReached = false;
  private readonly states = new Map<LogStream, StreamState>();
  private readonly query: LogQuery;
  private readonly want: number;

  constructor(query: LogQuery, tail: number) {
    this.query = query;
    this.want = tail;
  }

  /** Feeds the next record going backwards; true when reading can start right after this record. */
  feedBackward(record: K8sLogRecord): boolean {
    const state = this.states.get(record.stream) ?? 'unseen';
    if (state === 'closed') return this.done();
    const enough = this.counted >= this.want || this.sinceReached;
    if (!record.partial) {
      if (this.query.sinceNano !== undefined && record.timeNano < this.query.sinceNano) this.sinceReached = true;
      if (enough || this.sinceReached) {
        this.states.set(record.stream, 'closed');
        return this.done();
      }
      this.countIfShown(record);
      this.states.set(record.stream, 'open');
      return false;
    }
    // A partial record with no final record after it: a line still being written, an entry of its own.
    if (state === 'unseen' && !enough) this.countIfShown(record);
    this.states.set(record.stream, 'open');
    return false;
  }

  private countIfShown(record: K8sLogRecord): void {
    if (isShown(record, this.query) && !isPastUntil(record, this.query)) this.counted++;
  }

  private done(): boolean {
    if (this.counted < this.want && !this.sinceReached) return false;
    for (const state of this.states.values()) if (state === 'open') return false;
    return true;
  }
}
