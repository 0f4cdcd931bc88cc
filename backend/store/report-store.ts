/**
 * Where the backend keeps what it received: stop reports unique by (device, outbox epoch, sequence
 * number) (epoch 0: a gateway without one), and
 * per device what the ack policy must remember across a restart (how far everything arrived, when
 * the last ack went, how many downlinks today). SQLite (better-sqlite3, WAL, synchronous=FULL) by
 * default; in memory for benches. A report is handed on only after `add` said it is new, so a
 * restarted backend never hands a report on twice; consumers that must not lose one when the
 * backend itself crashes read the store with `since` instead of taking the callback.
 */
import Database from 'better-sqlite3';
import type { StopReport } from '../../proto/frames.js';

export interface DeviceAckState {
  /** The gateway's outbox epoch that `through` counts in (0: none). */
  epoch?: number;
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
  epoch: number;
  receivedAt: number;
  /** Position in the store, for `since`. */
  cursor: number;
}

export interface ReportStore {
  /** Keeps the report if (device, epoch, seq) is new; true if it was. */
  add(devEui: string, report: StopReport, receivedAt: number, epoch?: number): boolean;
  /**
   * What is known of a device: its ack state and the seqs above `through` that arrived, in the
   * saved epoch, or in `epoch` (then `through` starts at 0 if the saved state is of another).
   */
  device(devEui: string, epoch?: number): { state: DeviceAckState; beyond: number[] } | undefined;
  saveDevice(devEui: string, state: DeviceAckState): void;
  /** Reports after `cursor`, in the order they were stored. */
  since(cursor: number, limit: number): StoredReport[];
  close(): void;
}

/** The saved ack state as it stands in `epoch`: the downlink budget is the device's, `through` the epoch's. */
function inEpoch(saved: DeviceAckState | undefined, epoch: number): DeviceAckState {
  const s = saved ?? { through: 0, lastAckAt: Number.NEGATIVE_INFINITY, day: 0, acksToday: 0, downlinksToday: 0 };
  return (s.epoch ?? 0) === epoch ? { ...s, epoch } : { ...s, epoch, through: 0 };
}

export class MemoryReportStore implements ReportStore {
  private readonly reports: StoredReport[] = [];
  private readonly keys = new Set<string>();
  private readonly devices = new Map<string, DeviceAckState>();

  add(devEui: string, report: StopReport, receivedAt: number, epoch = 0): boolean {
    const key = `${devEui}/${epoch}/${report.seq}`;
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    this.reports.push({ ...report, devEui, epoch, receivedAt, cursor: this.reports.length + 1 });
    return true;
  }

  device(devEui: string, epoch?: number): { state: DeviceAckState; beyond: number[] } | undefined {
    const saved = this.devices.get(devEui);
    const e = epoch ?? saved?.epoch ?? 0;
    const seqs = this.reports.filter((r) => r.devEui === devEui && r.epoch === e).map((r) => r.seq);
    if (!saved && seqs.length === 0) return undefined;
    const s = inEpoch(saved, e);
    return { state: s, beyond: seqs.filter((q) => q > s.through) };
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
        epoch INTEGER NOT NULL DEFAULT 0,
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
        UNIQUE (dev_eui, epoch, seq)
      );
      CREATE TABLE IF NOT EXISTS devices (
        dev_eui TEXT PRIMARY KEY,
        epoch INTEGER NOT NULL DEFAULT 0,
        through INTEGER NOT NULL,
        last_ack_at REAL NOT NULL,
        day INTEGER NOT NULL,
        acks_today INTEGER NOT NULL,
        downlinks_today INTEGER NOT NULL
      );
    `);
    const columns = this.db.prepare<[], { name: string }>('SELECT name FROM pragma_table_info(\'reports\')').all().map((c) => c.name);
    if (!columns.includes('epoch')) {
      this.db.close();
      throw new Error(`report store ${path} predates outbox epochs (reports unique by device and seq only); export what it holds and start a new store file`);
    }
    this.stmts = {
      add: this.db.prepare(
        `INSERT OR IGNORE INTO reports (dev_eui, epoch, seq, departure, stop, line, course, destination, boardings, alightings, load, flags, received_at)
         VALUES (@devEui, @epoch, @seq, @departure, @stop, @line, @course, @destination, @boardings, @alightings, @load, @flags, @receivedAt)`,
      ),
      device: this.db.prepare<[string], { epoch: number; through: number; last_ack_at: number; day: number; acks_today: number; downlinks_today: number }>('SELECT * FROM devices WHERE dev_eui = ?'),
      above: this.db.prepare<[string, number, number], { seq: number }>('SELECT seq FROM reports WHERE dev_eui = ? AND epoch = ? AND seq > ? ORDER BY seq'),
      saveDevice: this.db.prepare(
        `INSERT INTO devices (dev_eui, epoch, through, last_ack_at, day, acks_today, downlinks_today) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (dev_eui) DO UPDATE SET epoch = excluded.epoch, through = excluded.through, last_ack_at = excluded.last_ack_at, day = excluded.day,
           acks_today = excluded.acks_today, downlinks_today = excluded.downlinks_today`,
      ),
      since: this.db.prepare<[number, number], Record<string, number | string>>('SELECT * FROM reports WHERE cursor > ? ORDER BY cursor LIMIT ?'),
    };
  }

  add(devEui: string, report: StopReport, receivedAt: number, epoch = 0): boolean {
    return this.stmts.add.run({ ...report, devEui, epoch, receivedAt }).changes === 1;
  }

  device(devEui: string, epoch?: number): { state: DeviceAckState; beyond: number[] } | undefined {
    const row = this.stmts.device.get(devEui);
    const saved: DeviceAckState | undefined = row
      ? { epoch: row.epoch, through: row.through, lastAckAt: row.last_ack_at, day: row.day, acksToday: row.acks_today, downlinksToday: row.downlinks_today }
      : undefined;
    const state = inEpoch(saved, epoch ?? saved?.epoch ?? 0);
    const beyond = this.stmts.above.all(devEui, state.epoch!, state.through).map((r) => r.seq);
    if (!row && beyond.length === 0) return undefined;
    return { state, beyond };
  }

  saveDevice(devEui: string, s: DeviceAckState): void {
    this.stmts.saveDevice.run(devEui, s.epoch ?? 0, s.through, Number.isFinite(s.lastAckAt) ? s.lastAckAt : -1e15, s.day, s.acksToday, s.downlinksToday);
  }

  since(cursor: number, limit: number): StoredReport[] {
    return this.stmts.since.all(cursor, limit).map((r) => ({
      cursor: r['cursor'] as number,
      devEui: r['dev_eui'] as string,
      epoch: r['epoch'] as number,
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
