/**
 * The fleet inventory: which vehicle has which gateway (DevEUI, modem), when it was provisioned and
 * how its last self-test went. An SQLite file on the technicians' laptop or share. It holds no keys.
 * A contract between the technicians' tools (which write it) and the back office (which trusts only
 * the devices it lists).
 */
import Database from 'better-sqlite3';
import { ConfigError } from '../common/errors.js';

export interface InventoryEntry {
  vehicleId: string;
  type: string;
  devEui: string;
  joinEui: string;
  modemDialect: string;
  provisionedAt: string;
  lastSelfTestAt?: string | undefined;
  lastSelfTestOk?: boolean | undefined;
}

interface Row {
  vehicle_id: string;
  type: string;
  dev_eui: string;
  join_eui: string;
  modem_dialect: string;
  provisioned_at: string;
  last_selftest_at: string | null;
  last_selftest_ok: number | null;
}

export class FleetInventory {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS vehicles (
      vehicle_id TEXT PRIMARY KEY,
      type TEXT NOT NULL,
      dev_eui TEXT NOT NULL UNIQUE,
      join_eui TEXT NOT NULL,
      modem_dialect TEXT NOT NULL,
      provisioned_at TEXT NOT NULL,
      last_selftest_at TEXT,
      last_selftest_ok INTEGER
    )`);
  }

  /** Adds or replaces a vehicle's gateway; refuses a DevEUI already fitted to another vehicle. */
  record(entry: InventoryEntry): void {
    const other = this.db.prepare<[string], Row>('SELECT * FROM vehicles WHERE dev_eui = ?').get(entry.devEui.toLowerCase());
    if (other && other.vehicle_id !== entry.vehicleId) {
      throw new ConfigError('devEui', `DevEUI ${entry.devEui} is already fitted to vehicle ${other.vehicle_id}: remove it there first (occupancy provision remove ${other.vehicle_id})`);
    }
    this.db
      .prepare(
        `INSERT INTO vehicles (vehicle_id, type, dev_eui, join_eui, modem_dialect, provisioned_at)
         VALUES (@vehicleId, @type, @devEui, @joinEui, @modemDialect, @provisionedAt)
         ON CONFLICT(vehicle_id) DO UPDATE SET type = excluded.type, dev_eui = excluded.dev_eui, join_eui = excluded.join_eui,
           modem_dialect = excluded.modem_dialect, provisioned_at = excluded.provisioned_at, last_selftest_at = NULL, last_selftest_ok = NULL`,
      )
      .run({ ...entry, devEui: entry.devEui.toLowerCase(), joinEui: entry.joinEui.toLowerCase() });
  }

  recordSelfTest(vehicleId: string, at: string, ok: boolean): void {
    this.db.prepare('UPDATE vehicles SET last_selftest_at = ?, last_selftest_ok = ? WHERE vehicle_id = ?').run(at, ok ? 1 : 0, vehicleId);
  }

  remove(vehicleId: string): boolean {
    return this.db.prepare('DELETE FROM vehicles WHERE vehicle_id = ?').run(vehicleId).changes > 0;
  }

  list(): InventoryEntry[] {
    return this.db
      .prepare<[], Row>('SELECT * FROM vehicles ORDER BY CAST(vehicle_id AS INTEGER), vehicle_id')
      .all()
      .map((r) => ({
        vehicleId: r.vehicle_id,
        type: r.type,
        devEui: r.dev_eui,
        joinEui: r.join_eui,
        modemDialect: r.modem_dialect,
        provisionedAt: r.provisioned_at,
        lastSelfTestAt: r.last_selftest_at ?? undefined,
        lastSelfTestOk: r.last_selftest_ok === null ? undefined : r.last_selftest_ok === 1,
      }));
  }

  close(): void {
    this.db.close();
  }
}
