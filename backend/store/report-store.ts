/**
 * Where the backend keeps what it received: stop reports unique by (device, sequence number), and
 * per device what the ack policy must remember across a restart (how far everything arrived, when
 * the last ack went, how many downlinks today). SQLite (better-sqlite3, WAL, synchronous=FULL) by
 * default; in memory for benches. A report is handed on only after `add` said it is new, so a
 * restarted backend never hands a report on twice; consumers that must not lose one when the
 * backend itself crashes read the store with `since` instead of taking the callback.
 */
import Database from 'better-sqlite3';
import type { StopReport } from '../../proto/frames.js';

export interface DeviceAckState {
  /** Every seq up to this arrived. */
  through: number;
  lastAckAt: number;
  /** Start of the day the counters below belong to. */
  day: number;
  acksToday: number;
  downlinksToday: number;
}

export interface StoredReport extends StopReport {
  devEui: string;
  receivedAt: number;
  /** Position in the store, for `since`. */
  cursor: number;
}

export interface ReportStore {
  /** Keeps the report if (device, seq) is new; true if it was. */
  add(devEui: string, report: StopReport, receivedAt: number): boolean;
  /** What is known of a device: its ack state and the seqs above `through` that arrived. */
  device(devEui: string): { state: DeviceAckState; beyond: number[] } | undefined;
  saveDevice(devEui: string, state: DeviceAckState): void;
  /** Reports after `cursor`, in the order they were stored. */
  since(cursor: number, limit: number): StoredReport[];
  close(): void;
}

export class MemoryReportStore implements ReportStore {
  private readonly reports: StoredReport[] = [];
  private readonly keys = new Set<string>();
  private readonly devices = new Map<string, DeviceAckState>();

  add(devEui: string, report: StopReport, receivedAt: number): boolean {
    const key = `${devEui}/${report.seq}`;
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    this.reports.push({ ...report, devEui, receivedAt, cursor: this.reports.length + 1 });
    return true;
  }

  device(devEui: string): { state: DeviceAckState; beyond: number[] } | undefined {
    const state = this.devices.get(devEui);
    const seqs = this.reports.filter((r) => r.devEui === devEui).map((r) => r.seq);
    if (!state && seqs.length === 0) return undefined;
    const s = state ?? { through: 0, lastAckAt: Number.NEGATIVE_INFINITY, day: 0, acksToday: 0, downlinksToday: 0 };
    return { state: { ...s }, beyond: seqs.filter((q) => q > s.through) };
  }

  saveDevice(devEui: string, state: DeviceAckState): void {
    this.devices.set(devEui, { ...state });
  }

  since(cursor: number, limit: number): StoredReport[] {
    return this.reports.slice(cursor, cursor + limit);
  }

  close(): void {}
}

export class SqliteReportStore implements ReportStore {
  private readonly db: Database.Database;
  private readonly stmts;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS reports (
        cursor INTEGER PRIMARY KEY AUTOINCREMENT,
        dev_eui TEXT NOT NULL,
        seq INTEGER NOT NULL,
        departure INTEGER NOT NULL,
        stop INTEGER NOT NULL,
        line INTEGER NOT NULL,
        course INTEGER NOT NULL,
        destination INTEGER NOT NULL,
        boardings INTEGER NOT NULL,
        alightings INTEGER NOT NULL,
        load INTEGER NOT NULL,
        flags INTEGER NOT NULL,
        received_at INTEGER NOT NULL,
        UNIQUE (dev_eui, seq)
      );
      CREATE TABLE IF NOT EXISTS devices (
        dev_eui TEXT PRIMARY KEY,
        through INTEGER NOT NULL,
        last_ack_at REAL NOT NULL,
        day INTEGER NOT NULL,
        acks_today INTEGER NOT NULL,
        downlinks_today INTEGER NOT NULL
      );
    `);
    this.stmts = {
      add: this.db.prepare(
        `INSERT OR IGNORE INTO reports (dev_eui, seq, departure, stop, line, course, destination, boardings, alightings, load, flags, received_at)
         VALUES (@devEui, @seq, @departure, @stop, @line, @course, @destination, @boardings, @alightings, @load, @flags, @receivedAt)`,
      ),
      device: this.db.prepare<[string], { through: number; last_ack_at: number; day: number; acks_today: number; downlinks_today: number }>('SELECT * FROM devices WHERE dev_eui = ?'),
      above: this.db.prepare<[string, number], { seq: number }>('SELECT seq FROM reports WHERE dev_eui = ? AND seq > ? ORDER BY seq'),
      saveDevice: this.db.prepare(
        `INSERT INTO devices (dev_eui, through, last_ack_at, day, acks_today, downlinks_today) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (dev_eui) DO UPDATE SET through = excluded.through, last_ack_at = excluded.last_ack_at, day = excluded.day,
           acks_today = excluded.acks_today, downlinks_today = excluded.downlinks_today`,
      ),
      since: this.db.prepare<[number, number], Record<string, number | string>>('SELECT * FROM reports WHERE cursor > ? ORDER BY cursor LIMIT ?'),
    };
  }

  add(devEui: string, report: StopReport, receivedAt: number): boolean {
    return this.stmts.add.run({ ...report, devEui, receivedAt }).changes === 1;
  }

  device(devEui: string): { state: DeviceAckState; beyond: number[] } | undefined {
    const row = this.stmts.device.get(devEui);
    const state: DeviceAckState = row
      ? { through: row.through, lastAckAt: row.last_ack_at, day: row.day, acksToday: row.acks_today, downlinksToday: row.downlinks_today }
      : { through: 0, lastAckAt: Number.NEGATIVE_INFINITY, day: 0, acksToday: 0, downlinksToday: 0 };
    const beyond = this.stmts.above.all(devEui, state.through).map((r) => r.seq);
    if (!row && beyond.length === 0) return undefined;
    return { state, beyond };
  }

  saveDevice(devEui: string, s: DeviceAckState): void {
    this.stmts.saveDevice.run(devEui, s.through, Number.isFinite(s.lastAckAt) ? s.lastAckAt : -1e15, s.day, s.acksToday, s.downlinksToday);
  }

  since(cursor: number, limit: number): StoredReport[] {
    return this.stmts.since.all(cursor, limit).map((r) => ({
      cursor: r['cursor'] as number,
      devEui: r['dev_eui'] as string,
      seq: r['seq'] as number,
      departure: r['departure'] as number,
      stop: r['stop'] as number,
      line: r['line'] as number,
      course: r['course'] as number,
      destination: r['destination'] as number,
      boardings: r['boardings'] as number,
      alightings: r['alightings'] as number,
      load: r['load'] as number,
      flags: r['flags'] as number,
      receivedAt: r['received_at'] as number,
    }));
  }

  close(): void {
    this.db.close();
  }
}
