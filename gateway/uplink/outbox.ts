/**
 * The durable outbox: a stop report gets its sequence number and is on disk (SQLite, WAL,
 * synchronous=FULL) before it is first sent; acknowledged ranges leave it. Power may fail at any
 * instant: a report is either wholly in with its number or not at all, and a number is never
 * given twice (the counter lives in the same transaction as the report). It also keeps the little
 * state that must survive a power cut with it: restarts, reports given up, and the airtime budget.
 *
 * Bound policy (docs/delivery.md): beyond `maxReports`, the oldest reports that were already sent
 * at least once give way first (they most likely arrived and only the ack is missing), then the
 * oldest unsent ones; each is counted (`dropped`, in the health frame) and logged. Never silently.
 *
 * It holds only what a frame may carry (the StopReport fields), nothing personal.
 */
import Database from 'better-sqlite3';
import { moduleLogger } from '../../common/log.js';
import type { StopReport } from '../../proto/frames.js';

const log = moduleLogger('uplink.outbox');

export type NewReport = Omit<StopReport, 'seq'>;

export interface PendingReport extends StopReport {
  sendCount: number;
  lastSentAt: number | undefined;
}

export interface OutboxOptions {
  /** File path, or ':memory:' for benches and tests that do not need durability. */
  path: string;
  /** Most reports kept; beyond it reports give way as the bound policy says, counted. */
  maxReports?: number;
}

/** What an ack did to the outbox. */
export interface AckResult {
  /** Reports removed. */
  removed: number;
  /** The ack was refused: it names sequence numbers this outbox never gave. */
  refused: boolean;
}

/** The airtime budget's state, kept with the outbox so that a restart cannot forget airtime used. */
export interface BudgetState {
  day: number;
  usedMs: number;
  bandFreeAt: number;
  tokens: number;
  lastRefill: number;
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

const SCHEMA_VERSION = 1;

export class Outbox {
  private readonly db: Database.Database;
  private readonly maxReports: number;
  private readonly stmts;
  /** Starts of the gateway on this outbox, this one included. */
  readonly restarts: number;

  constructor(options: OutboxOptions) {
    this.db = new Database(options.path);
    this.maxReports = options.maxReports ?? 50_000;
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 2000');
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION) {
      throw new Error(`outbox ${options.path} was written by a newer gateway (schema ${version}); refusing to touch it`);
    }
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value REAL NOT NULL);
      INSERT OR IGNORE INTO meta (key, value) VALUES ('next_seq', 1), ('dropped', 0), ('acked_through', 0), ('restarts', 0);
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
      -- What the load estimator learned about this vehicle (self-calibration, guard): one JSON row.
      CREATE TABLE IF NOT EXISTS estimator_state (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
      PRAGMA user_version = ${SCHEMA_VERSION};
    `);
    this.stmts = {
      meta: this.db.prepare<[string], { value: number }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      insert: this.db.prepare(
        `INSERT INTO reports (seq, departure, stop, line, course, destination, boardings, alightings, load, flags)
         VALUES (@seq, @departure, @stop, @line, @course, @destination, @boardings, @alightings, @load, @flags)`,
      ),
      count: this.db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM reports'),
      oldest: this.db.prepare<[number], Row>('SELECT * FROM reports ORDER BY seq LIMIT ?'),
      get: this.db.prepare<[number], Row>('SELECT * FROM reports WHERE seq = ?'),
      unsent: this.db.prepare<[number], Row>('SELECT * FROM reports WHERE send_count = 0 ORDER BY seq LIMIT ?'),
      due: this.db.prepare<[number, number], Row>('SELECT * FROM reports WHERE send_count = 0 OR last_sent_at <= ? ORDER BY seq LIMIT ?'),
      nextResend: this.db.prepare<[], { at: number | null }>('SELECT MIN(last_sent_at) AS at FROM reports WHERE send_count > 0'),
      markMissing: this.db.prepare('UPDATE reports SET last_sent_at = 0 WHERE seq = ? AND send_count > 0 AND last_sent_at <= ?'),
      markSent: this.db.prepare('UPDATE reports SET send_count = send_count + 1, last_sent_at = ? WHERE seq = ?'),
      // Only what went on air at least once can have arrived: an ack never removes an unsent report.
      deleteThrough: this.db.prepare('DELETE FROM reports WHERE seq <= ? AND send_count > 0'),
      deleteOne: this.db.prepare('DELETE FROM reports WHERE seq = ? AND send_count > 0'),
      dropSent: this.db.prepare('DELETE FROM reports WHERE seq IN (SELECT seq FROM reports WHERE send_count > 0 ORDER BY seq LIMIT ?)'),
      dropOldest: this.db.prepare('DELETE FROM reports WHERE seq IN (SELECT seq FROM reports ORDER BY seq LIMIT ?)'),
    };
    this.restarts = this.metaValue('restarts') + 1;
    this.stmts.setMeta.run('restarts', this.restarts);
  }

  private metaValue(key: string): number {
    return this.stmts.meta.get(key)?.value ?? 0;
  }

  /** Stores a report under the next sequence number; returns it as stored. */
  append(report: NewReport): StopReport {
    let gaveWay = 0;
    const stored = this.db.transaction((r: NewReport): StopReport => {
      const seq = this.metaValue('next_seq');
      this.stmts.setMeta.run('next_seq', seq + 1);
      const row = { ...r, seq };
      this.stmts.insert.run(row);
      const overflow = this.stmts.count.get()!.n - this.maxReports;
      if (overflow > 0) {
        gaveWay = this.stmts.dropSent.run(overflow).changes;
        if (gaveWay < overflow) gaveWay += this.stmts.dropOldest.run(overflow - gaveWay).changes;
        this.stmts.setMeta.run('dropped', this.metaValue('dropped') + gaveWay);
      }
      return row;
    })(report);
    if (gaveWay > 0) log.warn({ gaveWay, dropped: this.dropped, bound: this.maxReports }, 'outbox full: oldest reports given up (no acks for a long time?)');
    return stored;
  }

  /** Reports never sent, or sent at or before `resendBefore` and still unacknowledged, oldest first. */
  due(resendBefore: number, limit: number): PendingReport[] {
    return this.stmts.due.all(resendBefore, limit).map(fromRow);
  }

  unsent(limit: number): PendingReport[] {
    return this.stmts.unsent.all(limit).map(fromRow);
  }

  /** When the longest-waiting sent report was last sent (undefined: nothing sent is waiting). */
  get oldestSentAt(): number | undefined {
    return this.stmts.nextResend.get()?.at ?? undefined;
  }

  get(seq: number): PendingReport | undefined {
    const row = this.stmts.get.get(seq);
    return row ? fromRow(row) : undefined;
  }

  markSent(seqs: readonly number[], at: number): void {
    this.db.transaction(() => {
      for (const seq of seqs) this.stmts.markSent.run(at, seq);
    })();
  }

  /** Makes these reports due at once (an ack showed them missing), unless sent after `sentBefore`. */
  markMissing(seqs: readonly number[], sentBefore = Number.MAX_SAFE_INTEGER): number {
    return this.db.transaction(() => seqs.reduce((n, seq) => n + this.stmts.markMissing.run(seq, sentBefore).changes, 0))();
  }

  /** Cumulative ack through `through`, plus individually received seqs beyond it. */
  acknowledge(through: number, received: readonly number[] = []): AckResult {
    const highest = received.reduce((h, s) => Math.max(h, s), through);
    if (highest >= this.nextSeq) {
      log.warn({ highest, nextSeq: this.nextSeq }, 'refused an ack for sequence numbers this outbox never gave');
      return { removed: 0, refused: true };
    }
    const removed = this.db.transaction(() => {
      let n = this.stmts.deleteThrough.run(through).changes;
      for (const seq of received) n += this.stmts.deleteOne.run(seq).changes;
      if (through > this.metaValue('acked_through')) this.stmts.setMeta.run('acked_through', through);
      return n;
    })();
    return { removed, refused: false };
  }

  get size(): number {
    return this.stmts.count.get()!.n;
  }

  get nextSeq(): number {
    return this.metaValue('next_seq');
  }

  get ackedThrough(): number {
    return this.metaValue('acked_through');
  }

  get dropped(): number {
    return this.metaValue('dropped');
  }

  get oldestPending(): PendingReport | undefined {
    const row = this.stmts.oldest.get(1);
    return row ? fromRow(row) : undefined;
  }

  loadBudget(): BudgetState | undefined {
    const day = this.stmts.meta.get('budget_day')?.value;
    if (day === undefined) return undefined;
    return {
      day,
      usedMs: this.metaValue('budget_used_ms'),
      bandFreeAt: this.metaValue('budget_band_free_at'),
      tokens: this.metaValue('budget_tokens'),
      lastRefill: this.metaValue('budget_last_refill'),
    };
  }

  saveBudget(state: BudgetState): void {
    this.db.transaction(() => {
      this.stmts.setMeta.run('budget_day', state.day);
      this.stmts.setMeta.run('budget_used_ms', state.usedMs);
      this.stmts.setMeta.run('budget_band_free_at', state.bandFreeAt);
      this.stmts.setMeta.run('budget_tokens', state.tokens);
      this.stmts.setMeta.run('budget_last_refill', state.lastRefill);
    })();
  }

  /** Settings the operator changed by downlink, to outlive restarts (keys as given to saveSetting). */
  loadSettings(): Record<string, number> {
    const rows = this.db.prepare<[], { key: string; value: number }>("SELECT key, value FROM meta WHERE key LIKE 'cfg:%'").all();
    return Object.fromEntries(rows.map((r) => [r.key.slice(4), r.value]));
  }

  saveSetting(key: string, value: number): void {
    this.stmts.setMeta.run(`cfg:${key}`, value);
  }

  /** The estimator's learned state as last saved, or undefined (none yet, or unreadable). */
  loadEstimatorState(): unknown {
    const row = this.db.prepare<[], { json: string }>('SELECT json FROM estimator_state WHERE id = 1').get();
    if (!row) return undefined;
    try {
      return JSON.parse(row.json) as unknown;
    } catch {
      return undefined;
    }
  }

  saveEstimatorState(state: unknown): void {
    const json = JSON.stringify(state);
    // A few hundred bytes; anything far bigger is a bug, not a state worth a disk write per trip.
    if (json === undefined || json.length > 16_384) throw new RangeError('estimator state too large to keep');
    this.db.prepare('INSERT INTO estimator_state (id, json) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET json = excluded.json').run(json);
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
