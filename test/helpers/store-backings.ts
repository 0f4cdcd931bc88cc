/**
 * The report stores a suite runs against, each as a backing database that can be opened as often as
 * a test needs (instances sharing it, or a restart): SQLite in a temporary folder, PostgreSQL in a
 * schema of its own (pending without a server unless REQUIRE_POSTGRES=1, test/helpers/postgres.ts),
 * and memory (one object: it does not outlive its handle). Does nothing on import.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresReportStore } from '../../backend/store/postgres-store.js';
import { MemoryReportStore, SqliteReportStore, type ReportStore } from '../../backend/store/report-store.js';
import { postgresOrSkip } from './postgres.js';

export interface Backing {
  open(): Promise<ReportStore>;
  cleanup(): Promise<void>;
}

export interface BackingKind {
  name: 'SQLite' | 'PostgreSQL' | 'memory';
  /** Outlives its handle: restarts and several instances can be tested. */
  persistent: boolean;
  make(ctx: Mocha.Context): Promise<Backing>;
}

export const STORE_BACKINGS: readonly BackingKind[] = [
  {
    name: 'SQLite',
    persistent: true,
    make: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'store-test-'));
      return { open: async () => new SqliteReportStore(join(dir, 'reports.db')), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    persistent: true,
    make: async (ctx) => {
      const db = await postgresOrSkip(ctx);
      return { open: () => PostgresReportStore.open({ url: db.url, schema: db.schema }), cleanup: () => db.drop() };
    },
  },
  {
    name: 'memory',
    persistent: false,
    make: async () => {
      const store = new MemoryReportStore();
      return { open: async () => store, cleanup: async () => undefined };
    },
  },
];
