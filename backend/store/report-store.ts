/**
 * Where the backend keeps what it received: stop reports unique by (device, outbox epoch, sequence
 * number), and per device what the ack policy and the session check must remember across a restart
 * (how far everything arrived, when the last ack went, how many downlinks today, the epoch and the
 * last frame counter). SQLite (better-sqlite3, WAL) is the embedded default; in
 * memory for benches; PostgreSQL (postgres-store.ts) for production, where several backend
 * instances share one database and the unique key decides which instance stores a report.
 *
 * Methods return `Awaitable` values: the SQLite and memory stores answer at once (so the bench's
 * virtual clock stays deterministic), PostgreSQL with promises. A report is handed on only after
 * the store said it is new, so a restarted backend never hands a report on twice.
 *
 * SQLite runs with synchronous=NORMAL: a committed report survives a crash of the process at once,
 * and a power cut once `sync()` has run, which the processor does before every ack downlink. A
 * gateway deletes reports only when acked, so what a power cut takes from the backend's last
 * moments the gateways still hold and send again. (synchronous=FULL, an fsync per uplink, is an
 * option: the bench shows what it costs.)
 *
 * A report whose (device, epoch, seq) is already stored with other contents is a conflict: one of
 * the two was forged. The stored one is then marked contested (left out of `stopReports`), so a
 * forgery that arrives first no longer silently shuts out the genuine report.
 */
import Database from 'better-sqlite3';
import type { Health, StopReport } from '../../proto/frames.js';
import { TIME_UNIT_MS } from '../../proto/frames.js';
import { historyFrom, type HistoryPageQuery, type HistoryRow, type ReportHistory } from './report-history.js';

export type Awaitable<T> = T | Promise<T>;

export interface DeviceAckState {
  /** Every seq up to this arrived (in the current epoch). */
  through: number;
  lastAckAt: number;
  /** Start of the day the counters below belong to. */
  day: number;
  acksToday: number;
  downlinksToday: number;
  /** Outbox epoch the seqs belong to (0 until a gateway sends one). */
  epoch?: number;
  /** Last frame counter accepted from the device's session, and a digest of that frame. */
  fCnt?: number;
  fCntDigest?: string;
  /** When the device was last heard (ms). */
  lastSeenAt?: number;
}

export interface StoredReport extends StopReport {
  devEui: string;
  /** The gateway's outbox epoch the seq belongs to (0: a gateway without one). */
  epoch: number;
  receivedAt: number;
  /** Position in the store, for `since`. */
  cursor: number;
  /** Another report came for the same (device, epoch, seq) with other contents. */
  contested: boolean;
}

export interface StoredDevice extends DeviceAckState {
  devEui: string;
}

/**
 * What the fleet page last knew of a gateway (backend/publish/fleet-health.ts), kept so that a
 * restarted backend shows it again: one row per device, the latest Health frame as it came.
 */
export interface StoredGatewayHealth {
  devEui: string;
  lastSeen: number;
  lastLive: number | undefined;
  lastReport: number | undefined;
  healthAt: number | undefined;
  health: Health | undefined;
  frames: number;
}

/** What `addBatch` found for each report: new, the same report again, or other contents for a stored seq. */
export type AddOutcome = 'new' | 'duplicate' | 'conflict';

export interface StopReportQuery {
  /** Departure at or after (ms). */
  from: number;
  /** Departure before (ms). */
  to: number;
  line?: number;
  /** Contested reports are left out unless asked for. */
  includeContested?: boolean;
}

export interface ReportStore {
  /** True if the methods answer with promises (PostgreSQL): the processor then takes uplinks one at a time. */
  readonly asynchronous?: boolean;
  /** Keeps the report if (device, epoch, seq) is new; true if it was. */
  add(devEui: string, report: StopReport, receivedAt: number, epoch?: number): Awaitable<boolean>;
  /** Keeps the new reports of one uplink (one transaction), and tells for each what it was. */
  addBatch(devEui: string, epoch: number, reports: readonly StopReport[], receivedAt: number): Awaitable<AddOutcome[]>;
  /** What is known of a device: its state and the seqs above `through` (in its epoch) that arrived. */
  device(devEui: string): Awaitable<{ state: DeviceAckState; beyond: number[] } | undefined>;
  saveDevice(devEui: string, state: DeviceAckState): Awaitable<void>;
  /** Reports after `cursor`, in the order they were stored. */
  since(cursor: number, limit: number): Awaitable<StoredReport[]>;
  /** Reports by departure time, oldest first (for history and exports). */
  stopReports(query: StopReportQuery): Awaitable<StoredReport[]>;
  /** Every device the store knows, by DevEUI. */
  devices(): Awaitable<StoredDevice[]>;
  /** Read queries for history and open data (report-history.ts), paged by `pageSize` reports; close it before the store. */
  history(options?: { pageSize?: number }): ReportHistory;
  /** Keeps the fleet page's last state of these gateways (one row per device, replaced). */
  saveGatewayHealth(rows: readonly StoredGatewayHealth[]): Awaitable<void>;
  /** Forgets these gateways' fleet-page state. */
  removeGatewayHealth(devEuis: readonly string[]): Awaitable<void>;
  /** The fleet page's state of every gateway kept, by DevEUI. */
  gatewayHealth(): Awaitable<StoredGatewayHealth[]>;
  /** Makes everything written so far durable on disk (before an ack downlink makes gateways delete reports). */
  sync?(): void;
  /** Is the store reachable (for /healthz)? */
  ping(): Awaitable<boolean>;
  close(): Awaitable<void>;
}

export const EMPTY_DEVICE: Readonly<DeviceAckState> = Object.freeze({ through: 0, lastAckAt: Number.NEGATIVE_INFINITY, day: 0, acksToday: 0, downlinksToday: 0, epoch: 0 });

/** The same report sent again: every field equal, the departure within the batch's time unit (it is rebuilt from ages). */
export function sameReport(a: StopReport, b: StopReport): boolean {
  return (
    a.seq === b.seq && a.stop === b.stop && a.line === b.line && a.course === b.course && a.destination === b.destination &&
    a.boardings === b.boardings && a.alightings === b.alightings && a.load === b.load && a.flags === b.flags &&
    Math.abs(a.departure - b.departure) <= 2 * TIME_UNIT_MS
  );
}

export class MemoryReportStore implements ReportStore {
  private readonly reports: StoredReport[] = [];
  private readonly byKey = new Map<string, StoredReport>();
  private readonly states = new Map<string, DeviceAckState>();
  private readonly healths = new Map<string, StoredGatewayHealth>();

  add(devEui: string, report: StopReport, receivedAt: number, epoch = 0): boolean {
    return this.addBatch(devEui, epoch, [report], receivedAt)[0] === 'new';
  }

  addBatch(devEui: string, epoch: number, reports: readonly StopReport[], receivedAt: number): AddOutcome[] {
    return reports.map((report) => {
      const key = `${devEui}/${epoch}/${report.seq}`;
      const old = this.byKey.get(key);
      if (old) {
        if (sameReport(old, report)) return 'duplicate';
        old.contested = true;
        return 'conflict';
      }
      const stored: StoredReport = { ...report, devEui, receivedAt, epoch, contested: false, cursor: this.reports.length + 1 };
      this.byKey.set(key, stored);
      this.reports.push(stored);
      return 'new';
    });
  }

  device(devEui: string): { state: DeviceAckState; beyond: number[] } | undefined {
    const state = this.states.get(devEui);
    const s = state ?? EMPTY_DEVICE;
    const seqs = this.reports.filter((r) => r.devEui === devEui && r.epoch === (s.epoch ?? 0)).map((r) => r.seq);
    if (!state && seqs.length === 0) return undefined;
    return { state: { ...s }, beyond: seqs.filter((q) => q > s.through).sort((a, b) => a - b) };
  }

  saveDevice(devEui: string, state: DeviceAckState): void {
    this.states.set(devEui, { ...state });
  }

  since(cursor: number, limit: number): StoredReport[] {
    return this.reports.slice(cursor, cursor + limit).map((r) => ({ ...r }));
  }

  stopReports(q: StopReportQuery): StoredReport[] {
    return this.reports
      .filter((r) => r.departure >= q.from && r.departure < q.to && (q.line === undefined || r.line === q.line) && (q.includeContested || !r.contested))
      .sort((a, b) => a.departure - b.departure || a.cursor - b.cursor)
      .map((r) => ({ ...r }));
  }

  devices(): StoredDevice[] {
    const euis = new Set([...this.states.keys(), ...this.reports.map((r) => r.devEui)]);
    return [...euis].sort().map((devEui) => ({ devEui, ...(this.states.get(devEui) ?? EMPTY_DEVICE) }));
  }

  history(options: { pageSize?: number } = {}): ReportHistory {
    const visible = (from: number, to: number) => this.reports.filter((r) => !r.contested && r.departure >= from && r.departure < to);
    return historyFrom({
      page: (q) => visible(q.from, q.to)
        .filter((r) => (r.departure > q.afterDeparture || (r.departure === q.afterDeparture && r.cursor > q.afterCursor)) &&
          (q.line === null || r.line === q.line) && (q.receivedBefore === null || r.receivedAt < q.receivedBefore) && (q.devEui === null || r.devEui === q.devEui))
        .sort((a, b) => a.departure - b.departure || a.cursor - b.cursor)
        .slice(0, q.limit)
        .map(historyRow),
      lines: (from, to) => [...new Set(visible(from, to).map((r) => r.line))].sort((a, b) => a - b),
      span: () => {
        const all = visible(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
        return all.length ? { first: Math.min(...all.map((r) => r.departure)), last: Math.max(...all.map((r) => r.departure)) } : undefined;
      },
      ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    });
  }

  saveGatewayHealth(rows: readonly StoredGatewayHealth[]): void {
    for (const row of rows) this.healths.set(row.devEui, { ...row, health: row.health ? { ...row.health } : undefined });
  }

  removeGatewayHealth(devEuis: readonly string[]): void {
    for (const devEui of devEuis) this.healths.delete(devEui);
  }

  gatewayHealth(): StoredGatewayHealth[] {
    return [...this.healths.values()].sort((a, b) => a.devEui.localeCompare(b.devEui)).map((r) => ({ ...r, health: r.health ? { ...r.health } : undefined }));
  }

  ping(): boolean {
    return true;
  }

  close(): void {}
}

function historyRow(r: StoredReport): HistoryRow {
  return {
    cursor: r.cursor, devEui: r.devEui, seq: r.seq, departure: r.departure, stop: r.stop, line: r.line, course: r.course, destination: r.destination,
    boardings: r.boardings, alightings: r.alightings, load: r.load, flags: r.flags, receivedAt: r.receivedAt,
  };
}

interface ReportRow {
  cursor: number;
  dev_eui: string;
  epoch: number;
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
  received_at: number;
  contested: number | boolean;
}

interface DeviceRow {
  dev_eui: string;
  through: number;
  last_ack_at: number;
  day: number;
  acks_today: number;
  downlinks_today: number;
  epoch: number;
  f_cnt: number | null;
  f_cnt_digest: string | null;
  last_seen_at: number | null;
}

/** -Infinity (never acked) as the stores keep it: a number far in the past. */
export const NEVER = -1e15;

export function reportFromRow(r: ReportRow): StoredReport {
  return {
    cursor: Number(r.cursor),
    devEui: r.dev_eui,
    epoch: Number(r.epoch),
    seq: Number(r.seq),
    departure: Number(r.departure),
    stop: r.stop,
    line: r.line,
    course: r.course,
    destination: r.destination,
    boardings: r.boardings,
    alightings: r.alightings,
    load: r.load,
    flags: r.flags,
    receivedAt: Number(r.received_at),
    contested: r.contested === true || r.contested === 1,
  };
}

export function deviceFromRow(r: DeviceRow): StoredDevice {
  const lastAckAt = Number(r.last_ack_at);
  return {
    devEui: r.dev_eui,
    through: Number(r.through),
    lastAckAt: lastAckAt <= NEVER ? Number.NEGATIVE_INFINITY : lastAckAt,
    day: Number(r.day),
    acksToday: r.acks_today,
    downlinksToday: r.downlinks_today,
    epoch: Number(r.epoch),
    ...(r.f_cnt !== null ? { fCnt: Number(r.f_cnt) } : {}),
    ...(r.f_cnt_digest !== null ? { fCntDigest: r.f_cnt_digest } : {}),
    ...(r.last_seen_at !== null ? { lastSeenAt: Number(r.last_seen_at) } : {}),
  };
}

export function deviceParams(devEui: string, s: DeviceAckState): unknown[] {
  return [devEui, s.through, Number.isFinite(s.lastAckAt) ? s.lastAckAt : NEVER, s.day, s.acksToday, s.downlinksToday, s.epoch ?? 0, s.fCnt ?? null, s.fCntDigest ?? null, s.lastSeenAt ?? null];
}

interface HistoryDbRow {
  cursor: number | string;
  dev_eui: string;
  seq: number | string;
  departure: number | string;
  stop: number;
  line: number;
  course: number;
  destination: number;
  boardings: number;
  alightings: number;
  load: number;
  flags: number;
  received_at: number | string;
}

/** Columns of a history page, the same in SQLite and PostgreSQL. */
export const HISTORY_COLUMNS = 'cursor, dev_eui, seq, departure, stop, line, course, destination, boardings, alightings, load, flags, received_at';

export function historyRowFrom(r: HistoryDbRow): HistoryRow {
  return {
    cursor: Number(r.cursor), devEui: r.dev_eui, seq: Number(r.seq), departure: Number(r.departure), stop: r.stop, line: r.line, course: r.course,
    destination: r.destination, boardings: r.boardings, alightings: r.alightings, load: r.load, flags: r.flags, receivedAt: Number(r.received_at),
  };
}

export interface GatewayHealthRow {
  dev_eui: string;
  last_seen: number | string;
  last_live: number | string | null;
  last_report: number | string | null;
  health_at: number | string | null;
  health: string | null;
  frames: number | string;
}

const optionalNumber = (v: number | string | null) => (v === null ? undefined : Number(v));

export function gatewayHealthFromRow(r: GatewayHealthRow): StoredGatewayHealth {
  let health: Health | undefined;
  try {
    health = r.health === null ? undefined : (JSON.parse(r.health) as Health);
  } catch {
    health = undefined; // a damaged row loses its frame, not the page
  }
  return {
    devEui: r.dev_eui, lastSeen: Number(r.last_seen), lastLive: optionalNumber(r.last_live), lastReport: optionalNumber(r.last_report),
    healthAt: optionalNumber(r.health_at), health, frames: Number(r.frames),
  };
}

export function gatewayHealthParams(g: StoredGatewayHealth): unknown[] {
  return [g.devEui, g.lastSeen, g.lastLive ?? null, g.lastReport ?? null, g.healthAt ?? null, g.health ? JSON.stringify(g.health) : null, g.frames];
}

const REPORT_COLUMNS = 'dev_eui, epoch, seq, departure, stop, line, course, destination, boardings, alightings, load, flags, received_at';

export class SqliteReportStore implements ReportStore {
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly addMany: (devEui: string, epoch: number, reports: readonly StopReport[], receivedAt: number) => AddOutcome[];

  constructor(path: string, options: { synchronous?: 'NORMAL' | 'FULL' } = {}) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    this.migrate();
    this.stmts = {
      add: this.db.prepare(`INSERT OR IGNORE INTO reports (${REPORT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      existing: this.db.prepare<[string, number, number], ReportRow>('SELECT * FROM reports WHERE dev_eui = ? AND epoch = ? AND seq = ?'),
      contest: this.db.prepare('UPDATE reports SET contested = 1 WHERE cursor = ?'),
      device: this.db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE dev_eui = ?'),
      above: this.db.prepare<[string, number, number], { seq: number }>('SELECT seq FROM reports WHERE dev_eui = ? AND epoch = ? AND seq > ? ORDER BY seq'),
      saveDevice: this.db.prepare(
        `INSERT INTO devices (dev_eui, through, last_ack_at, day, acks_today, downlinks_today, epoch, f_cnt, f_cnt_digest, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (dev_eui) DO UPDATE SET through = excluded.through, last_ack_at = excluded.last_ack_at, day = excluded.day,
           acks_today = excluded.acks_today, downlinks_today = excluded.downlinks_today, epoch = excluded.epoch, f_cnt = excluded.f_cnt,
           f_cnt_digest = excluded.f_cnt_digest, last_seen_at = excluded.last_seen_at`,
      ),
      since: this.db.prepare<[number, number], ReportRow>('SELECT * FROM reports WHERE cursor > ? ORDER BY cursor LIMIT ?'),
      range: this.db.prepare<[number, number, number | null, number | null, number], ReportRow>(
        'SELECT * FROM reports WHERE departure >= ? AND departure < ? AND (? IS NULL OR line = ?) AND contested <= ? ORDER BY departure, cursor',
      ),
      devices: this.db.prepare<[], DeviceRow>('SELECT * FROM devices ORDER BY dev_eui'),
      // (departure, cursor) after the last page's; the index on departure holds the rowid (cursor) too, so the order costs no sort.
      historyPage: this.db.prepare<[HistoryPageQuery], HistoryDbRow>(
        `SELECT ${HISTORY_COLUMNS} FROM reports WHERE departure >= @afterDeparture AND departure < @to AND (departure > @afterDeparture OR cursor > @afterCursor)
           AND contested = 0 AND (@line IS NULL OR line = @line) AND (@receivedBefore IS NULL OR received_at < @receivedBefore) AND (@devEui IS NULL OR dev_eui = @devEui)
         ORDER BY departure, cursor LIMIT @limit`,
      ),
      historyLines: this.db.prepare<[number, number], { line: number }>('SELECT DISTINCT line FROM reports WHERE departure >= ? AND departure < ? AND contested = 0 ORDER BY line'),
      // Both ends walk the departure index and stop at the first report not contested (MIN/MAX with a condition would read the whole table).
      historySpan: this.db.prepare<[], { first: number | null; last: number | null }>(
        `SELECT (SELECT departure FROM reports WHERE contested = 0 ORDER BY departure LIMIT 1) AS first,
                (SELECT departure FROM reports WHERE contested = 0 ORDER BY departure DESC LIMIT 1) AS last`,
      ),
      saveHealth: this.db.prepare(
        `INSERT INTO gateway_health (dev_eui, last_seen, last_live, last_report, health_at, health, frames) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (dev_eui) DO UPDATE SET last_seen = excluded.last_seen, last_live = excluded.last_live, last_report = excluded.last_report,
           health_at = excluded.health_at, health = excluded.health, frames = excluded.frames`,
      ),
      removeHealth: this.db.prepare('DELETE FROM gateway_health WHERE dev_eui = ?'),
      healths: this.db.prepare<[], GatewayHealthRow>('SELECT * FROM gateway_health ORDER BY dev_eui'),
    };
    this.addMany = this.db.transaction((devEui: string, epoch: number, reports: readonly StopReport[], receivedAt: number) =>
      reports.map((r): AddOutcome => {
        const args = [devEui, epoch, r.seq, r.departure, r.stop, r.line, r.course, r.destination, r.boardings, r.alightings, r.load, r.flags, receivedAt];
        if (this.stmts.add.run(...args).changes === 1) return 'new';
        const old = this.stmts.existing.get(devEui, epoch, r.seq)!;
        if (sameReport(reportFromRow(old), r)) return 'duplicate';
        this.stmts.contest.run(old.cursor);
        return 'conflict';
      }),
    );
  }

  /** Creates the tables, or brings a file of an earlier version up to date (reports keyed without epoch). */
  private migrate(): void {
    const columns = (table: string) => new Set(this.db.prepare<[], { name: string }>(`PRAGMA table_info(${table})`).all().map((c) => c.name));
    this.db.transaction(() => {
      const old = columns('reports');
      if (old.size > 0 && !old.has('epoch')) this.db.exec('ALTER TABLE reports RENAME TO reports_v1');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS reports (
          cursor INTEGER PRIMARY KEY AUTOINCREMENT,
          dev_eui TEXT NOT NULL, epoch INTEGER NOT NULL DEFAULT 0, seq INTEGER NOT NULL,
          departure INTEGER NOT NULL, stop INTEGER NOT NULL, line INTEGER NOT NULL, course INTEGER NOT NULL,
          destination INTEGER NOT NULL, boardings INTEGER NOT NULL, alightings INTEGER NOT NULL, load INTEGER NOT NULL,
          flags INTEGER NOT NULL, received_at INTEGER NOT NULL, contested INTEGER NOT NULL DEFAULT 0,
          UNIQUE (dev_eui, epoch, seq)
        );
        CREATE INDEX IF NOT EXISTS reports_departure ON reports (departure);
        CREATE TABLE IF NOT EXISTS devices (
          dev_eui TEXT PRIMARY KEY, through INTEGER NOT NULL, last_ack_at REAL NOT NULL, day INTEGER NOT NULL,
          acks_today INTEGER NOT NULL, downlinks_today INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS gateway_health (
          dev_eui TEXT PRIMARY KEY, last_seen INTEGER NOT NULL, last_live INTEGER, last_report INTEGER, health_at INTEGER,
          health TEXT, frames INTEGER NOT NULL
        );
        DROP INDEX IF EXISTS reports_by_departure;
      `);
      if (old.size > 0 && !old.has('epoch')) {
        this.db.exec(`INSERT INTO reports (cursor, ${REPORT_COLUMNS}) SELECT cursor, dev_eui, 0, seq, departure, stop, line, course, destination, boardings, alightings, load, flags, received_at FROM reports_v1;
          DROP TABLE reports_v1;`);
      }
      const dev = columns('devices');
      for (const [name, type] of [['epoch', 'INTEGER NOT NULL DEFAULT 0'], ['f_cnt', 'INTEGER'], ['f_cnt_digest', 'TEXT'], ['last_seen_at', 'INTEGER']]) {
        if (!dev.has(name!)) this.db.exec(`ALTER TABLE devices ADD COLUMN ${name} ${type}`);
      }
    })();
  }

  add(devEui: string, report: StopReport, receivedAt: number, epoch = 0): boolean {
    return this.addMany(devEui, epoch, [report], receivedAt)[0] === 'new';
  }

  addBatch(devEui: string, epoch: number, reports: readonly StopReport[], receivedAt: number): AddOutcome[] {
    return this.addMany(devEui, epoch, reports, receivedAt);
  }

  device(devEui: string): { state: DeviceAckState; beyond: number[] } | undefined {
    const row = this.stmts.device.get(devEui);
    const { devEui: _, ...state } = row ? deviceFromRow(row) : { devEui, ...EMPTY_DEVICE };
    const beyond = this.stmts.above.all(devEui, state.epoch ?? 0, state.through).map((r) => r.seq);
    if (!row && beyond.length === 0) return undefined;
    return { state, beyond };
  }

  saveDevice(devEui: string, s: DeviceAckState): void {
    this.stmts.saveDevice.run(...deviceParams(devEui, s));
  }

  since(cursor: number, limit: number): StoredReport[] {
    return this.stmts.since.all(cursor, limit).map(reportFromRow);
  }

  stopReports(q: StopReportQuery): StoredReport[] {
    const line = q.line ?? null;
    return this.stmts.range.all(q.from, q.to, line, line, q.includeContested ? 1 : 0).map(reportFromRow);
  }

  devices(): StoredDevice[] {
    return this.stmts.devices.all().map(deviceFromRow);
  }

  /** On this connection: each page is one synchronous query, so a read never interleaves with a write (WAL keeps it beside the writer). */
  history(options: { pageSize?: number } = {}): ReportHistory {
    return historyFrom({
      page: (q) => this.stmts.historyPage.all(q).map(historyRowFrom),
      lines: (from, to) => this.stmts.historyLines.all(from, to).map((r) => r.line),
      span: () => {
        const row = this.stmts.historySpan.get();
        return row && row.first !== null && row.last !== null ? { first: row.first, last: row.last } : undefined;
      },
      ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    });
  }

  saveGatewayHealth(rows: readonly StoredGatewayHealth[]): void {
    this.db.transaction(() => {
      for (const row of rows) this.stmts.saveHealth.run(...gatewayHealthParams(row));
    })();
  }

  removeGatewayHealth(devEuis: readonly string[]): void {
    this.db.transaction(() => {
      for (const devEui of devEuis) this.stmts.removeHealth.run(devEui);
    })();
  }

  gatewayHealth(): StoredGatewayHealth[] {
    return this.stmts.healths.all().map(gatewayHealthFromRow);
  }

  /** WAL with synchronous=NORMAL: a commit is safe from a crash of the process, and a checkpoint (which syncs the WAL first) from a power cut. */
  sync(): void {
    this.db.pragma('wal_checkpoint(PASSIVE)');
  }

  ping(): boolean {
    return this.db.open;
  }

  close(): void {
    this.db.close();
  }
}
