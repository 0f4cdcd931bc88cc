/**
 * The fleet inventory: which vehicle has which gateway (DevEUI, modem), when it was provisioned and
 * how its last self-test went. One SQLite file for the whole fleet, found in one place: `--inventory`,
 * else $OCCUPANCY_INVENTORY, else /var/lib/tram-occupancy/fleet-inventory.db; never silently the
 * working directory. Only `provision new` may create it; everything else refuses a missing file (a
 * typo must not become a second, empty inventory). A DevEUI and a fleet number appear once each,
 * enforced by the database. It holds no keys.
 * A contract between the technicians' tools (which write it) and the back office (which trusts only
 * the devices it lists).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../common/errors.js';

export const DEFAULT_INVENTORY_PATH = '/var/lib/tram-occupancy/fleet-inventory.db';
export const INVENTORY_ENV = 'OCCUPANCY_INVENTORY';

/** The inventory file to use, and where that choice came from (for messages). */
export function inventoryLocation(option: string | undefined, env: NodeJS.ProcessEnv = process.env): { path: string; from: string } {
  if (option) return { path: resolve(option), from: '--inventory' };
  const fromEnv = env[INVENTORY_ENV];
  if (fromEnv) return { path: resolve(fromEnv), from: `$${INVENTORY_ENV}` };
  return { path: DEFAULT_INVENTORY_PATH, from: 'the default location' };
}

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

export interface OpenOptions {
  /** Create the file (and its folder) when missing; otherwise a missing file is an error. Default true. */
  create?: boolean;
}

export interface RecordOptions {
  /** Replace the gateway of a vehicle already in the inventory (a new modem). */
  replace?: boolean;
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

function entryOf(r: Row): InventoryEntry {
  return {
    vehicleId: r.vehicle_id,
    type: r.type,
    devEui: r.dev_eui,
    joinEui: r.join_eui,
    modemDialect: r.modem_dialect,
    provisionedAt: r.provisioned_at,
    lastSelfTestAt: r.last_selftest_at ?? undefined,
    lastSelfTestOk: r.last_selftest_ok === null ? undefined : r.last_selftest_ok === 1,
  };
}

export class FleetInventory {
  private readonly db: Database.Database;

  constructor(
    readonly path: string,
    options: OpenOptions = {},
  ) {
    const create = options.create ?? true;
    if (!create && !existsSync(path)) {
      throw new ConfigError(
        'inventory',
        `no fleet inventory at ${path}: give the right file with --inventory or $${INVENTORY_ENV} (occupancy provision new creates it with the first vehicle)`,
      );
    }
    try {
      if (create) mkdirSync(dirname(path), { recursive: true });
      this.db = new Database(path, { fileMustExist: !create });
    } catch (error) {
      throw new ConfigError('inventory', `cannot open the fleet inventory ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message} (give another file with --inventory or $${INVENTORY_ENV})`);
    }
    this.db.pragma('journal_mode = WAL');
    // New files get the checks in the table; files made before them get the unique index at least.
    this.db.exec(`CREATE TABLE IF NOT EXISTS vehicles (
      vehicle_id TEXT PRIMARY KEY NOT NULL CHECK (length(vehicle_id) > 0),
      type TEXT NOT NULL,
      dev_eui TEXT NOT NULL UNIQUE CHECK (length(dev_eui) = 16 AND dev_eui NOT GLOB '*[^0-9a-f]*'),
      join_eui TEXT NOT NULL CHECK (length(join_eui) = 16 AND join_eui NOT GLOB '*[^0-9a-f]*'),
      modem_dialect TEXT NOT NULL,
      provisioned_at TEXT NOT NULL,
      last_selftest_at TEXT,
      last_selftest_ok INTEGER
    );
    CREATE UNIQUE INDEX IF NOT EXISTS vehicles_dev_eui ON vehicles (dev_eui);`);
  }

  /** Opens an inventory that must exist already (every command but `provision new`). */
  static openExisting(path: string): FleetInventory {
    return new FleetInventory(path, { create: false });
  }

  /**
   * Adds a vehicle's gateway. Refuses a DevEUI fitted to another vehicle, and a vehicle that is
   * already in the inventory unless `replace`. `alsoDo` runs in the same transaction (writing the
   * vehicle's files): if it throws, nothing is recorded.
   */
  record(entry: InventoryEntry, options: RecordOptions = {}, alsoDo?: () => void): void {
    const devEui = entry.devEui.toLowerCase();
    const run = this.db.transaction(() => {
      const other = this.db.prepare<[string], Row>('SELECT * FROM vehicles WHERE dev_eui = ?').get(devEui);
      if (other && other.vehicle_id !== entry.vehicleId) {
        throw new ConfigError('devEui', `DevEUI ${entry.devEui} is already fitted to vehicle ${other.vehicle_id}: remove it there first (occupancy provision remove ${other.vehicle_id})`);
      }
      const existing = this.get(entry.vehicleId);
      if (existing && !options.replace) {
        throw new ConfigError(
          'vehicle',
          `vehicle ${entry.vehicleId} is already in the inventory (DevEUI ${existing.devEui}, provisioned ${existing.provisionedAt.slice(0, 10)}): use --force to fit it a new gateway`,
        );
      }
      try {
        this.db
          .prepare(
            `INSERT INTO vehicles (vehicle_id, type, dev_eui, join_eui, modem_dialect, provisioned_at)
             VALUES (@vehicleId, @type, @devEui, @joinEui, @modemDialect, @provisionedAt)
             ON CONFLICT(vehicle_id) DO UPDATE SET type = excluded.type, dev_eui = excluded.dev_eui, join_eui = excluded.join_eui,
               modem_dialect = excluded.modem_dialect, provisioned_at = excluded.provisioned_at, last_selftest_at = NULL, last_selftest_ok = NULL`,
          )
          .run({ vehicleId: entry.vehicleId, type: entry.type, devEui, joinEui: entry.joinEui.toLowerCase(), modemDialect: entry.modemDialect, provisionedAt: entry.provisionedAt });
      } catch (error) {
        // The checks above cover this; a second technician writing at the same instant does not.
        const code = (error as { code?: string }).code ?? '';
        if (code.startsWith('SQLITE_CONSTRAINT')) throw new ConfigError('inventory', `refused by the inventory: ${(error as Error).message} (vehicle ${entry.vehicleId}, DevEUI ${entry.devEui})`);
        throw error;
      }
      alsoDo?.();
    });
    run();
  }

  get(vehicleId: string): InventoryEntry | undefined {
    const row = this.db.prepare<[string], Row>('SELECT * FROM vehicles WHERE vehicle_id = ?').get(vehicleId);
    return row ? entryOf(row) : undefined;
  }

  /** Records a self-test result; false when the vehicle is not in the inventory. */
  recordSelfTest(vehicleId: string, at: string, ok: boolean): boolean {
    return this.db.prepare('UPDATE vehicles SET last_selftest_at = ?, last_selftest_ok = ? WHERE vehicle_id = ?').run(at, ok ? 1 : 0, vehicleId).changes > 0;
  }

  remove(vehicleId: string): boolean {
    return this.db.prepare('DELETE FROM vehicles WHERE vehicle_id = ?').run(vehicleId).changes > 0;
  }

  list(): InventoryEntry[] {
    return this.db.prepare<[], Row>('SELECT * FROM vehicles ORDER BY CAST(vehicle_id AS INTEGER), vehicle_id').all().map(entryOf);
  }

  close(): void {
    this.db.close();
  }
}
