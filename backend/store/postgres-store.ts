/**
 * The report store on PostgreSQL, for production: several backend instances (an MQTT shared
 * subscription spreads the uplinks among them) write to one database, and the unique key
 * (dev_eui, epoch, seq) with ON CONFLICT DO NOTHING decides which instance stores a report, so each
 * is stored and handed on exactly once. Same tables and meaning as the SQLite store; one connection
 * per instance, so that its statements run in the order they were given. The `pg` types stay here.
 */
import pg from 'pg';
import type { StopReport } from '../../proto/frames.js';
import { historyFrom, type HistoryPageQuery, type ReportHistory } from './report-history.js';
import {
  deviceFromRow, deviceParams, EMPTY_DEVICE, gatewayHealthFromRow, gatewayHealthParams, HISTORY_COLUMNS, historyRowFrom, reportFromRow, sameReport,
  type AddOutcome, type DeviceAckState, type GatewayHealthRow, type ReportStore, type StopReportQuery, type StoredDevice, type StoredGatewayHealth, type StoredReport,
} from './report-store.js';

export interface PostgresStoreOptions {
  /** postgres://user:password@host:port/database (the password may come from PGPASSWORD instead). */
  url: string;
  /** Schema for the tables (default: the connection's search path, usually public). */
  schema?: string;
}

const SCHEMA_LOCK = 0x4841_5641; // 'HAVA': one instance creates the tables at a time

export class PostgresReportStore implements ReportStore {
  readonly asynchronous = true;

  private constructor(
    private readonly client: pg.Client,
    private readonly options: PostgresStoreOptions,
  ) {}

  static async open(options: PostgresStoreOptions): Promise<PostgresReportStore> {
    const client = new pg.Client({ connectionString: options.url });
    await client.connect();
    try {
      if (options.schema) {
        if (!/^[a-z_][a-z0-9_]*$/.test(options.schema)) throw new Error(`bad schema name ${options.schema}`);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${options.schema}`);
        await client.query(`SET search_path TO ${options.schema}`);
      }
      await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
      await client.query(`
        CREATE TABLE IF NOT EXISTS reports (
          cursor BIGSERIAL PRIMARY KEY,
          dev_eui TEXT NOT NULL, epoch BIGINT NOT NULL DEFAULT 0, seq BIGINT NOT NULL,
          departure BIGINT NOT NULL, stop INTEGER NOT NULL, line INTEGER NOT NULL, course INTEGER NOT NULL,
          destination INTEGER NOT NULL, boardings INTEGER NOT NULL, alightings INTEGER NOT NULL, load INTEGER NOT NULL,
          flags INTEGER NOT NULL, received_at BIGINT NOT NULL, contested BOOLEAN NOT NULL DEFAULT false,
          UNIQUE (dev_eui, epoch, seq)
        );
        CREATE INDEX IF NOT EXISTS reports_departure ON reports (departure);
        CREATE TABLE IF NOT EXISTS devices (
          dev_eui TEXT PRIMARY KEY, through BIGINT NOT NULL, last_ack_at DOUBLE PRECISION NOT NULL, day BIGINT NOT NULL,
          acks_today INTEGER NOT NULL, downlinks_today INTEGER NOT NULL, epoch BIGINT NOT NULL DEFAULT 0,
          f_cnt BIGINT, f_cnt_digest TEXT, last_seen_at BIGINT
        );
        -- History pages are read in (departure, cursor) order: this index gives them without a sort.
        CREATE INDEX IF NOT EXISTS reports_departure_cursor ON reports (departure, cursor);
        CREATE TABLE IF NOT EXISTS gateway_health (
          dev_eui TEXT PRIMARY KEY, last_seen BIGINT NOT NULL, last_live BIGINT, last_report BIGINT, health_at BIGINT,
          health TEXT, frames BIGINT NOT NULL
        );
      `);
      await client.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    client.on('error', () => undefined); // a lost connection shows in the next query and in ping()
    return new PostgresReportStore(client, options);
  }

  async add(devEui: string, report: StopReport, receivedAt: number, epoch = 0): Promise<boolean> {
    return (await this.addBatch(devEui, epoch, [report], receivedAt))[0] === 'new';
  }

  async addBatch(devEui: string, epoch: number, reports: readonly StopReport[], receivedAt: number): Promise<AddOutcome[]> {
    if (reports.length === 0) return [];
    const col = (f: (r: StopReport) => number) => reports.map(f);
    const inserted = await this.client.query<{ seq: string }>(
      `INSERT INTO reports (dev_eui, epoch, seq, departure, stop, line, course, destination, boardings, alightings, load, flags, received_at)
       SELECT $1, $2, u.*, $13 FROM unnest($3::bigint[], $4::bigint[], $5::int[], $6::int[], $7::int[], $8::int[], $9::int[], $10::int[], $11::int[], $12::int[])
         AS u(seq, departure, stop, line, course, destination, boardings, alightings, load, flags)
       ON CONFLICT (dev_eui, epoch, seq) DO NOTHING RETURNING seq`,
      [
        devEui, epoch, col((r) => r.seq), col((r) => r.departure), col((r) => r.stop), col((r) => r.line), col((r) => r.course),
        col((r) => r.destination), col((r) => r.boardings), col((r) => r.alightings), col((r) => r.load), col((r) => r.flags), receivedAt,
      ],
    );
    const fresh = new Set(inserted.rows.map((r) => Number(r.seq)));
    const others = reports.filter((r) => !fresh.has(r.seq));
    const existing = new Map<number, StoredReport>();
    if (others.length > 0) {
      const rows = await this.client.query('SELECT * FROM reports WHERE dev_eui = $1 AND epoch = $2 AND seq = ANY($3::bigint[])', [devEui, epoch, others.map((r) => r.seq)]);
      for (const row of rows.rows) existing.set(Number(row.seq), reportFromRow(row));
    }
    const contested: number[] = [];
    const outcomes = reports.map((r): AddOutcome => {
      if (fresh.has(r.seq)) return 'new';
      const old = existing.get(r.seq);
      if (!old || sameReport(old, r)) return 'duplicate';
      contested.push(old.cursor);
      return 'conflict';
    });
    if (contested.length > 0) await this.client.query('UPDATE reports SET contested = true WHERE cursor = ANY($1::bigint[])', [contested]);
    return outcomes;
  }

  async device(devEui: string): Promise<{ state: DeviceAckState; beyond: number[] } | undefined> {
    const row = (await this.client.query('SELECT * FROM devices WHERE dev_eui = $1', [devEui])).rows[0];
    const { devEui: _, ...state } = row ? deviceFromRow(row) : { devEui, ...EMPTY_DEVICE };
    const above = await this.client.query<{ seq: string }>('SELECT seq FROM reports WHERE dev_eui = $1 AND epoch = $2 AND seq > $3 ORDER BY seq', [devEui, state.epoch ?? 0, state.through]);
    const beyond = above.rows.map((r) => Number(r.seq));
    if (!row && beyond.length === 0) return undefined;
    return { state, beyond };
  }

  async saveDevice(devEui: string, s: DeviceAckState): Promise<void> {
    await this.client.query(
      `INSERT INTO devices (dev_eui, through, last_ack_at, day, acks_today, downlinks_today, epoch, f_cnt, f_cnt_digest, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
       ON CONFLICT (dev_eui) DO UPDATE SET through = excluded.through, last_ack_at = excluded.last_ack_at, day = excluded.day,
         acks_today = excluded.acks_today, downlinks_today = excluded.downlinks_today, epoch = excluded.epoch, f_cnt = excluded.f_cnt,
         f_cnt_digest = excluded.f_cnt_digest, last_seen_at = excluded.last_seen_at`,
      deviceParams(devEui, s),
    );
  }

  async since(cursor: number, limit: number): Promise<StoredReport[]> {
    return (await this.client.query('SELECT * FROM reports WHERE cursor > $1 ORDER BY cursor LIMIT $2', [cursor, limit])).rows.map(reportFromRow);
  }

  async stopReports(q: StopReportQuery): Promise<StoredReport[]> {
    const rows = await this.client.query(
      `SELECT * FROM reports WHERE departure >= $1 AND departure < $2 AND ($3::int IS NULL OR line = $3) AND (NOT contested OR $4) ORDER BY departure, cursor`,
      [q.from, q.to, q.line ?? null, q.includeContested === true],
    );
    return rows.rows.map(reportFromRow);
  }

  async devices(): Promise<StoredDevice[]> {
    return (await this.client.query('SELECT * FROM devices ORDER BY dev_eui')).rows.map(deviceFromRow);
  }

  /**
   * Reads on connections of their own (at most two), so that a month's export never waits behind,
   * nor holds up, the uplinks this instance stores. Pages are keyed by (departure, cursor).
   */
  history(options: { pageSize?: number } = {}): ReportHistory {
    const schema = this.options.schema;
    const pool = new pg.Pool({ connectionString: this.options.url, max: 2, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
    pool.on('error', () => undefined); // an idle connection lost: the next query opens another
    return historyFrom({
      page: async (q: HistoryPageQuery) => {
        const rows = await pool.query<Parameters<typeof historyRowFrom>[0]>(
          `SELECT ${HISTORY_COLUMNS} FROM reports WHERE departure >= $1 AND departure < $2 AND (departure > $1 OR cursor > $3) AND NOT contested
             AND ($4::int IS NULL OR line = $4) AND ($5::bigint IS NULL OR received_at < $5) AND ($6::text IS NULL OR dev_eui = $6)
           ORDER BY departure, cursor LIMIT $7`,
          [q.afterDeparture, q.to, q.afterCursor, q.line, q.receivedBefore, q.devEui, q.limit],
        );
        return rows.rows.map(historyRowFrom);
      },
      lines: async (from, to) => (await pool.query<{ line: number }>('SELECT DISTINCT line FROM reports WHERE departure >= $1 AND departure < $2 AND NOT contested ORDER BY line', [from, to])).rows.map((r) => r.line),
      span: async () => {
        const row = (await pool.query<{ first: string | null; last: string | null }>(`SELECT (SELECT departure FROM reports WHERE NOT contested ORDER BY departure LIMIT 1) AS first,
                  (SELECT departure FROM reports WHERE NOT contested ORDER BY departure DESC LIMIT 1) AS last`)).rows[0];
        return row && row.first !== null && row.last !== null ? { first: Number(row.first), last: Number(row.last) } : undefined;
      },
      close: () => pool.end(),
      ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    });
  }

  async saveGatewayHealth(rows: readonly StoredGatewayHealth[]): Promise<void> {
    if (rows.length === 0) return;
    const col = (i: number) => rows.map((r) => gatewayHealthParams(r)[i]);
    await this.client.query(
      `INSERT INTO gateway_health (dev_eui, last_seen, last_live, last_report, health_at, health, frames)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::bigint[])
       ON CONFLICT (dev_eui) DO UPDATE SET last_seen = excluded.last_seen, last_live = excluded.last_live, last_report = excluded.last_report,
         health_at = excluded.health_at, health = excluded.health, frames = excluded.frames`,
      [col(0), col(1), col(2), col(3), col(4), col(5), col(6)],
    );
  }

  async removeGatewayHealth(devEuis: readonly string[]): Promise<void> {
    if (devEuis.length > 0) await this.client.query('DELETE FROM gateway_health WHERE dev_eui = ANY($1::text[])', [devEuis]);
  }

  async gatewayHealth(): Promise<StoredGatewayHealth[]> {
    return (await this.client.query<GatewayHealthRow>('SELECT * FROM gateway_health ORDER BY dev_eui')).rows.map(gatewayHealthFromRow);
  }

  async ping(): Promise<boolean> {
    try {
      await this.client.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}
