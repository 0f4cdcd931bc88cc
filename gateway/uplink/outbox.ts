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
 * Storage faults (a full disk, an I/O error, a damaged page) never end the gateway: a report whose
 * append fails keeps the sequence number it was given, waits in memory (at most `maxHeld`) and is
 * written again with the next append or `retryHeld()`; the failure is counted (`appendFailures`,
 * in the health frame, with `held`). A report that had to give way in memory is counted as dropped
 * and its number stays a gap the backend sees. Other writes (sent marks, budget, settings) that fail
 * are counted and logged; their state lives on in memory. The epoch (outbox-storage.ts) changes
 * with a fresh file or one that lost its tail, so the backend never drops new reports as old ones.
 *
 * It holds only what a frame may carry (the StopReport fields), nothing personal.
 */
import type Database from 'better-sqlite3';
import { ConfigError } from '../../common/errors.js';
import { moduleLogger } from '../../common/log.js';
import type { StopReport } from '../../proto/frames.js';
import { EpochMark, isStorageError, newEpoch, openOutboxDatabase } from './outbox-storage.js';

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
  /** Most reports kept in memory while the file refuses appends (disk full, damaged page). */
  maxHeld?: number;
}

/** Why the outbox numbers its reports under a new epoch (logged at open). */
export type EpochReason = 'kept' | 'new outbox' | 'sequence went back' | 'mark of another outbox' | 'outbox from an older gateway';

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

/** 2: the outbox has an epoch (meta 'epoch'); a version 1 file gets one and its reports are renumbered. */
const SCHEMA_VERSION = 2;

export class Outbox {
  private readonly db: Database.Database;
  private readonly maxReports: number;
  private readonly maxHeld: number;
  private readonly stmts;
  private readonly mark: EpochMark | undefined;
  private sentHigh: number;
  /** Reports numbered but not yet on disk (appends the file refused), ascending seq. */
  private readonly held: StopReport[] = [];
  /** Append failures and drops not yet written to the file (it refused them). */
  private unsaved = { appendFailures: 0, dropped: 0 };
  /** Last answers of reads, for when the file cannot answer (a damaged page): health still goes. */
  private lastRead = { size: 0, oldest: undefined as PendingReport | undefined };
  /** Starts of the gateway on this outbox, this one included. */
  readonly restarts: number;
  /** The numbering's identity: random, new with a fresh file or one whose seq went back. */
  readonly epoch: number;
  readonly epochReason: EpochReason;
  /** Since this start: writes other than appends the file refused (sent marks, budget, settings, the mark file). */
  readonly faults = { writeFailures: 0, appendRetries: 0 };

  constructor(options: OutboxOptions) {
    this.maxReports = options.maxReports ?? 50_000;
    this.maxHeld = options.maxHeld ?? 1_000;
    this.mark = options.path === ':memory:' || options.path === '' ? undefined : new EpochMark(`${options.path}.epoch`);
    const path = options.path;
    let version = 0;
    this.db = openOutboxDatabase(path, (db) => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 2000');
      version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new ConfigError('uplink.outboxPath', `outbox ${path} was written by a newer gateway (schema ${version}); refusing to touch it`);
      }
      db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value REAL NOT NULL);
      INSERT OR IGNORE INTO meta (key, value) VALUES ('next_seq', 1), ('dropped', 0), ('acked_through', 0), ('restarts', 0), ('append_failures', 0);
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
    });
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
    const chosen = this.chooseEpoch(version);
    this.epoch = chosen.epoch;
    this.epochReason = chosen.reason;
    this.sentHigh = chosen.sentHigh;
    this.restarts = this.metaValue('restarts') + 1;
    this.stmts.setMeta.run('restarts', this.restarts);
    this.writeMark();
    if (chosen.reason !== 'kept' && chosen.reason !== 'new outbox') {
      log.warn({ epoch: this.epoch, reason: chosen.reason, renumbered: this.size }, 'outbox numbering starts over under a new epoch');
    }
  }

  /**
   * Keeps the file's epoch unless the file is new, older than epochs, or the mark shows that its
   * sequence went back (a damaged or truncated WAL): then a new one, and the reports still in the
   * file are numbered again from 1, as not sent (the backend has nothing under the new epoch).
   */
  private chooseEpoch(version: number): { epoch: number; reason: EpochReason; sentHigh: number } {
    const current = this.stmts.meta.get('epoch')?.value;
    const mark = this.mark?.read();
    const next = this.metaValue('next_seq');
    let reason: EpochReason = 'kept';
    if (current === undefined) reason = next > 1 || version === 1 ? 'outbox from an older gateway' : 'new outbox';
    else if (mark && mark.epoch !== current) reason = 'mark of another outbox';
    else if (mark && next <= mark.sentHigh) reason = 'sequence went back';
    if (reason === 'kept') return { epoch: current!, reason, sentHigh: Math.max(mark?.sentHigh ?? 0, this.metaValue('acked_through')) };
    const epoch = newEpoch(current ?? mark?.epoch);
    this.db.transaction(() => {
      if (reason !== 'new outbox') this.renumber();
      this.stmts.setMeta.run('epoch', epoch);
    })();
    return { epoch, reason, sentHigh: 0 };
  }

  private renumber(): void {
    const seqs = this.db.prepare<[], { seq: number }>('SELECT seq FROM reports ORDER BY seq').all().map((r) => r.seq);
    this.db.prepare('UPDATE reports SET seq = -seq').run();
    const move = this.db.prepare('UPDATE reports SET seq = ?, send_count = 0, last_sent_at = NULL WHERE seq = ?');
    seqs.forEach((seq, i) => move.run(i + 1, -seq));
    this.stmts.setMeta.run('next_seq', seqs.length + 1);
    this.stmts.setMeta.run('acked_through', 0);
  }

  private writeMark(): void {
    if (!this.mark) return;
    try {
      this.mark.write({ epoch: this.epoch, sentHigh: this.sentHigh });
    } catch (error) {
      this.faults.writeFailures++;
      log.warn({ file: this.mark.path, code: (error as NodeJS.ErrnoException).code }, 'could not write the outbox epoch mark');
    }
  }

  /**
   * Before a batch goes on air: the mark file learns its highest seq, so that an outbox that later
   * loses its tail cannot hand the same numbers out again under the same epoch.
   */
  beforeSend(seqs: readonly number[]): void {
    const highest = seqs.reduce((h, s) => Math.max(h, s), 0);
    if (highest <= this.sentHigh) return;
    this.sentHigh = highest;
    this.writeMark();
  }

  /** Runs a write that may fail for storage reasons: counted and logged, the gateway goes on. */
  private tryWrite<T>(what: string, write: () => T, fallback: T): T {
    try {
      return write();
    } catch (error) {
      if (!isStorageError(error)) throw error;
      this.faults.writeFailures++;
      log.warn({ write: what, code: error.code }, 'outbox write failed (storage); kept in memory');
      return fallback;
    }
  }

  private metaValue(key: string): number {
    return this.stmts.meta.get(key)?.value ?? 0;
  }

  /**
   * Gives a report the next sequence number and stores it; returns it with its number. If the file
   * refuses it (storage), it is held in memory with that number and written with the next append or
   * retry; the failure is counted. Never throws for storage faults.
   */
  append(report: NewReport): StopReport {
    const row: StopReport = { ...report, seq: this.nextSeq };
    if (this.held.length > 0 && this.retryHeld() > 0) {
      this.unsaved.appendFailures++;
      this.hold(row);
      return row;
    }
    try {
      this.store(row);
    } catch (error) {
      if (!isStorageError(error)) throw error;
      this.unsaved.appendFailures++;
      log.warn({ seq: row.seq, code: error.code, held: this.held.length + 1 }, 'outbox append failed (storage); report kept in memory, will retry');
      this.hold(row);
    }
    return row;
  }

  /** Writes the held reports, all in one transaction (few pages: a nearly full disk may take it); returns how many are still held. */
  retryHeld(): number {
    if (this.held.length === 0) return 0;
    try {
      this.store(...this.held);
    } catch (error) {
      if (!isStorageError(error)) throw error;
      this.faults.appendRetries++;
      return this.held.length;
    }
    log.info({ stored: this.held.length }, 'outbox takes appends again; every held report is stored');
    this.held.length = 0;
    return 0;
  }

  private hold(row: StopReport): void {
    this.held.push(row);
    if (this.held.length > this.maxHeld) {
      const lost = this.held.shift()!;
      this.unsaved.dropped++;
      log.error({ seq: lost.seq, held: this.held.length }, 'outbox still refuses appends: the oldest report held in memory is given up (its seq stays a gap)');
    }
  }

  /** Stores reports (ascending seq) in one transaction, with the bound policy and the counts not yet saved. */
  private store(...rows: StopReport[]): void {
    let gaveWay = 0;
    this.db.transaction(() => {
      for (const r of rows) this.stmts.insert.run(r);
      this.stmts.setMeta.run('next_seq', Math.max(this.metaValue('next_seq'), rows[rows.length - 1]!.seq + 1));
      const overflow = this.stmts.count.get()!.n - this.maxReports;
      let dropped = this.unsaved.dropped;
      if (overflow > 0) {
        gaveWay = this.stmts.dropSent.run(overflow).changes;
        if (gaveWay < overflow) gaveWay += this.stmts.dropOldest.run(overflow - gaveWay).changes;
        dropped += gaveWay;
      }
      if (dropped > 0) this.stmts.setMeta.run('dropped', this.metaValue('dropped') + dropped);
      if (this.unsaved.appendFailures > 0) this.stmts.setMeta.run('append_failures', this.metaValue('append_failures') + this.unsaved.appendFailures);
    })();
    this.unsaved = { appendFailures: 0, dropped: 0 };
    if (gaveWay > 0) log.warn({ gaveWay, dropped: this.dropped, bound: this.maxReports }, 'outbox full: oldest reports given up (no acks for a long time?)');
  }

  /** Reports held in memory because the file refused them. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Reports whose append the file refused at first (since the outbox was made, as far as it could record). */
  get appendFailures(): number {
    return this.readMeta('append_failures') + this.unsaved.appendFailures;
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
    this.tryWrite('mark sent', () => {
      this.db.transaction(() => {
        for (const seq of seqs) this.stmts.markSent.run(at, seq);
      })();
    }, undefined);
  }

  /** Makes these reports due at once (an ack showed them missing), unless sent after `sentBefore`. */
  markMissing(seqs: readonly number[], sentBefore = Number.MAX_SAFE_INTEGER): number {
    return this.tryWrite('mark missing', () => this.db.transaction(() => seqs.reduce((n, seq) => n + this.stmts.markMissing.run(seq, sentBefore).changes, 0))(), 0);
  }

  /** Cumulative ack through `through`, plus individually received seqs beyond it. */
  acknowledge(through: number, received: readonly number[] = []): AckResult {
    const highest = received.reduce((h, s) => Math.max(h, s), through);
    if (highest >= this.nextSeq) {
      log.warn({ highest, nextSeq: this.nextSeq }, 'refused an ack for sequence numbers this outbox never gave');
      return { removed: 0, refused: true };
    }
    const removed = this.tryWrite('acknowledge', () => this.db.transaction(() => {
      let n = this.stmts.deleteThrough.run(through).changes;
      for (const seq of received) n += this.stmts.deleteOne.run(seq).changes;
      if (through > this.metaValue('acked_through')) this.stmts.setMeta.run('acked_through', through);
      return n;
    })(), 0);
    return { removed, refused: false };
  }

  /** Reports on disk not yet acknowledged (the last known count if the file cannot answer). */
  get size(): number {
    this.lastRead.size = this.read(() => this.stmts.count.get()!.n, this.lastRead.size);
    return this.lastRead.size;
  }

  /** The number the next report gets (beyond any held in memory). */
  get nextSeq(): number {
    const last = this.held[this.held.length - 1];
    return last ? last.seq + 1 : this.metaValue('next_seq');
  }

  get ackedThrough(): number {
    return this.metaValue('acked_through');
  }

  /** Reports given up: by the bound policy, or held in memory beyond `maxHeld`. */
  get dropped(): number {
    return this.readMeta('dropped') + this.unsaved.dropped;
  }

  get oldestPending(): PendingReport | undefined {
    this.lastRead.oldest = this.read(() => {
      const row = this.stmts.oldest.get(1);
      return row ? fromRow(row) : undefined;
    }, this.lastRead.oldest);
    const held = this.held[0];
    return this.lastRead.oldest ?? (held && { ...held, sendCount: 0, lastSentAt: undefined });
  }

  private read<T>(fn: () => T, fallback: T): T {
    try {
      return fn();
    } catch (error) {
      if (!isStorageError(error)) throw error;
      return fallback;
    }
  }

  private readMeta(key: string): number {
    return this.read(() => this.metaValue(key), 0);
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
    this.tryWrite('airtime budget', () => this.db.transaction(() => {
      this.stmts.setMeta.run('budget_day', state.day);
      this.stmts.setMeta.run('budget_used_ms', state.usedMs);
      this.stmts.setMeta.run('budget_band_free_at', state.bandFreeAt);
      this.stmts.setMeta.run('budget_tokens', state.tokens);
      this.stmts.setMeta.run('budget_last_refill', state.lastRefill);
    })(), undefined);
  }

  /** Settings the operator changed by downlink, to outlive restarts (keys as given to saveSetting). */
  loadSettings(): Record<string, number> {
    const rows = this.db.prepare<[], { key: string; value: number }>("SELECT key, value FROM meta WHERE key LIKE 'cfg:%'").all();
    return Object.fromEntries(rows.map((r) => [r.key.slice(4), r.value]));
  }

  saveSetting(key: string, value: number): void {
    this.tryWrite('setting', () => this.stmts.setMeta.run(`cfg:${key}`, value), undefined);
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
    if (this.held.length > 0 && this.retryHeld() > 0) {
      log.error({ held: this.held.length, firstSeq: this.held[0]!.seq }, 'outbox closed with reports it could not store: they are lost');
    }
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
