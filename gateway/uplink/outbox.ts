/**
 * The durable outbox: a stop report gets its sequence number and is on disk (SQLite, WAL,
 * synchronous=FULL) before it is first sent; acknowledged ranges leave it. Power may fail at any
 * instant: a report is either wholly in with its number or not at all, and a number is never
 * given twice. It holds only what a frame may carry (the StopReport fields), nothing personal.
 */
import Database from 'better-sqlite3';
import type { StopReport } from '../../proto/frames.js';

export type NewReport = Omit<StopReport, 'seq'>;

export interface PendingReport extends StopReport {
  sendCount: number;
  lastSentAt: number | undefined;
}

export interface OutboxOptions {
  /** File path, or ':memory:' for benches and tests that do not need durability. */
  path: string;
  /** Most reports kept; beyond it the oldest unacknowledged ones are dropped and counted. */
  maxReports?: number;
}

interface Row {
  seq: number;
  departure: number;
  stop: number;
  line: number;
  course: number;
  destination: number;
  boardings: number;
  alightings: number;
  load: number;
  flags: number;
  send_count: number;
  last_sent_at: number | null;
}

export class Outbox {
  private readonly db: Database.Database;
  private readonly maxReports: number;
  private readonly stmts;

  constructor(options: OutboxOptions) {
    this.db = new Database(options.path);
    this.maxReports = options.maxReports ?? 50_000;
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT OR IGNORE INTO meta (key, value) VALUES ('next_seq', 1), ('dropped', 0), ('acked_through', 0);
      CREATE TABLE IF NOT EXISTS reports (
        seq INTEGER PRIMARY KEY,
        departure INTEGER NOT NULL,
        stop INTEGER NOT NULL,
        line INTEGER NOT NULL,
        course INTEGER NOT NULL,
        destination INTEGER NOT NULL,
        boardings INTEGER NOT NULL CHECK (boardings >= 0),
        alightings INTEGER NOT NULL CHECK (alightings >= 0),
        load INTEGER NOT NULL CHECK (load >= 0),
        flags INTEGER NOT NULL,
        send_count INTEGER NOT NULL DEFAULT 0,
        last_sent_at INTEGER
      );
    `);
    this.stmts = {
      meta: this.db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: this.db.prepare('UPDATE meta SET value = ? WHERE key = ?'),
      insert: this.db.prepare(
        `INSERT INTO reports (seq, departure, stop, line, course, destination, boardings, alightings, load, flags)
         VALUES (@seq, @departure, @stop, @line, @course, @destination, @boardings, @alightings, @load, @flags)`,
      ),
      count: this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM reports'),
      oldest: this.db.prepare<[number], Row>('SELECT * FROM reports ORDER BY seq LIMIT ?'),
      unsent: this.db.prepare<[number], Row>('SELECT * FROM reports WHERE send_count = 0 ORDER BY seq LIMIT ?'),
      due: this.db.prepare<[number, number], Row>(
        'SELECT * FROM reports WHERE send_count = 0 OR last_sent_at <= ? ORDER BY seq LIMIT ?',
      ),
      markMissing: this.db.prepare('UPDATE reports SET last_sent_at = 0 WHERE seq = ? AND send_count > 0'),
      sentBefore: this.db.prepare<[number, number], Row>('SELECT * FROM reports WHERE seq < ? AND send_count > 0 ORDER BY seq LIMIT ?'),
      markSent: this.db.prepare('UPDATE reports SET send_count = send_count + 1, last_sent_at = ? WHERE seq = ?'),
      deleteThrough: this.db.prepare('DELETE FROM reports WHERE seq <= ?'),
      deleteOne: this.db.prepare('DELETE FROM reports WHERE seq = ?'),
      dropOldest: this.db.prepare('DELETE FROM reports WHERE seq IN (SELECT seq FROM reports ORDER BY seq LIMIT ?)'),
    };
  }

  private metaValue(key: string): number {
    return this.stmts.meta.get(key)!.value;
  }

  /** Stores a report under the next sequence number; returns it as stored. */
  append(report: NewReport): StopReport {
    return this.db.transaction((r: NewReport): StopReport => {
      const seq = this.metaValue('next_seq');
      this.stmts.setMeta.run(seq + 1, 'next_seq');
      const stored = { ...r, seq };
      this.stmts.insert.run(stored);
      const overflow = this.stmts.count.get()!.n - this.maxReports;
      if (overflow > 0) {
        this.stmts.dropOldest.run(overflow);
        this.stmts.setMeta.run(this.metaValue('dropped') + overflow, 'dropped');
      }
      return stored;
    })(report);
  }

  /** Reports never sent, or sent at or before `resendBefore` and still unacknowledged, oldest first. */
  due(resendBefore: number, limit: number): PendingReport[] {
    return this.stmts.due.all(resendBefore, limit).map(fromRow);
  }

  unsent(limit: number): PendingReport[] {
    return this.stmts.unsent.all(limit).map(fromRow);
  }

  markSent(seqs: readonly number[], at: number): void {
    this.db.transaction(() => {
      for (const seq of seqs) this.stmts.markSent.run(at, seq);
    })();
  }

  /** Makes these reports due at once (an ack showed them missing). */
  markMissing(seqs: readonly number[]): void {
    this.db.transaction(() => {
      for (const seq of seqs) this.stmts.markMissing.run(seq);
    })();
  }

  /** Unacknowledged reports sent before `seq`, oldest first (the gaps an ack leaves). */
  sentBefore(seq: number, limit: number): PendingReport[] {
    return this.stmts.sentBefore.all(seq, limit).map(fromRow);
  }

  /** Cumulative ack through `through`, plus individually received seqs beyond it. */
  acknowledge(through: number, received: readonly number[] = []): void {
    this.db.transaction(() => {
      this.stmts.deleteThrough.run(through);
      for (const seq of received) this.stmts.deleteOne.run(seq);
      if (through > this.metaValue('acked_through')) this.stmts.setMeta.run(through, 'acked_through');
    })();
  }

  get size(): number {
    return this.stmts.count.get()!.n;
  }

  get nextSeq(): number {
    return this.metaValue('next_seq');
  }

  get dropped(): number {
    return this.metaValue('dropped');
  }

  get oldestPending(): PendingReport | undefined {
    const row = this.stmts.oldest.get(1);
    return row ? fromRow(row) : undefined;
  }

  close(): void {
    this.db.close();
  }
}

function fromRow(row: Row): PendingReport {
  return {
    seq: row.seq,
    departure: row.departure,
    stop: row.stop,
    line: row.line,
    course: row.course,
    destination: row.destination,
    boardings: row.boardings,
    alightings: row.alightings,
    load: row.load,
    flags: row.flags,
    sendCount: row.send_count,
    lastSentAt: row.last_sent_at ?? undefined,
  };
}
