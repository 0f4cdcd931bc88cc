/**
 * The backend's receiving path, measured: ChirpStack v4 uplink events as JSON (live levels, stop
 * batches with resends, health frames, as a fleet sends them) through parsing, the trust checks,
 * decoding, de-duplication and the SQLite store (WAL, synchronous=FULL, one transaction per
 * uplink), one core. Also the same through the in-memory store, to show what the disk costs.
 * `node --import tsx bench/backend-ingest.ts` prints the figures alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../common/clock.js';
import { configureLogging } from '../common/log.js';
import { DeviceTrust } from '../backend/ingest/device-trust.js';
import { parseChirpStackUplink } from '../backend/ingest/network-events.js';
import { UplinkProcessor } from '../backend/ingest/uplink-processor.js';
import { capacitiesByType } from '../backend/ingest/vehicle-capacities.js';
import { MemoryReportStore, SqliteReportStore, type ReportStore } from '../backend/store/report-store.js';
import { encodeHealth, encodeLive, encodeStopBatch, Level, type StopReport } from '../proto/frames.js';

const T0 = Date.UTC(2026, 10, 23, 5, 0, 0);

/** A fleet's uplink events: per departure a live frame, every 4th departure a batch of the last 4-8 reports (overlapping: resends), every 30th a health frame. */
export function fleetEvents(vehicles: number, uplinks: number): string[] {
  const out: string[] = [];
  const seq = new Array<number>(vehicles).fill(0);
  const fCnt = new Array<number>(vehicles).fill(0);
  let t = T0;
  for (let k = 0; out.length < uplinks; k++) {
    const v = k % vehicles;
    const devEui = `70b3d57ed001${(0x259 + v).toString(16).padStart(4, '0')}`;
    t += 250;
    const event = (fPort: number, payload: Uint8Array) =>
      out.push(JSON.stringify({
        deduplicationId: `${k}-${fPort}`, time: new Date(t).toISOString(), deviceInfo: { tenantId: 't', applicationId: 'a', devEui, deviceName: `tram-${v}` },
        devAddr: '01020304', dr: 5, fCnt: ++fCnt[v]!, fPort, data: Buffer.from(payload).toString('base64'), rxInfo: [{ gatewayId: '0016c001f1500000', rssi: -97, snr: 7.5 }],
      }));
    const s = ++seq[v]!;
    event(1, encodeLive({ seq: s, stop: s % 30, level: Level.LEVEL_MEDIUM, occupancyTenths: 4, line: 5 }));
    if (s % 4 === 0) {
      const reports: StopReport[] = [];
      for (let q = Math.max(1, s - 4 - (s % 8)); q <= s; q++) reports.push({ seq: q, departure: t - (s - q) * 90_000 - 30_000, stop: q % 30, line: 5, course: 1 + v, destination: 51, boardings: q % 7, alightings: q % 5, load: 20 + (q % 40), flags: 0 });
      event(2, encodeStopBatch(reports, t));
    }
    if (s % 30 === 0) event(3, encodeHealth({ uptimeMin: s, outboxDepth: 4, oldestPendingSeq: s - 3, sensorFaults: 0, airtimeTodayMs: 9000, modelVersion: 3, softwareVersion: 10000, restarts: 0, outboxDropped: 0, liveSkipped: 0, newestSeq: s, outboxEpoch: 0, appendFailures: 0, reportsHeld: 0 }));
  }
  return out.slice(0, uplinks);
}

export interface IngestFigures {
  uplinks: number;
  reports: number;
  duplicates: number;
  /** Wall time, and uplinks per wall second. */
  seconds: number;
  perSecond: number;
  /** CPU time of this process (user + system), and uplinks per CPU second: per core, whatever else the machine runs. */
  cpuSeconds: number;
  perCpuSecond: number;
}

/** `fromJson`: the whole path from the network server's JSON; else from envelopes already read (decode + dedup + store). */
export function measureIngest(events: readonly string[], store: ReportStore, fromJson = true): IngestFigures {
  const clock = new VirtualClock(T0);
  const trust = new DeviceTrust({ capacities: capacitiesByType() });
  const processor = new UplinkProcessor(clock, { report: () => undefined }, { send: () => undefined }, { store, trust });
  const envelopes = fromJson ? [] : events.map((json) => parseChirpStackUplink(json, T0));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  if (fromJson) for (const json of events) processor.handle(parseChirpStackUplink(json, T0));
  else for (const envelope of envelopes) processor.handle(envelope);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  processor.close();
  return {
    uplinks: events.length, reports: processor.counters.reports, duplicates: processor.counters.duplicateReports,
    seconds, perSecond: events.length / seconds, cpuSeconds, perCpuSecond: events.length / cpuSeconds,
  };
}

export interface BackendIngestFigures {
  /** decode + dedup + store on SQLite (envelopes read from JSON beforehand). */
  sqlite: IngestFigures;
  /** The same from the network server's JSON (parse and validate included). */
  sqliteFromJson: IngestFigures;
  /** With synchronous=FULL (an fsync per transaction). */
  sqliteFull: IngestFigures;
  memory: IngestFigures;
}

export function backendIngestFigures(uplinks = 30_000, vehicles = 100): BackendIngestFigures & { loadAverage: number; cores: number } {
  const events = fleetEvents(vehicles, uplinks);
  const dir = mkdtempSync(join(tmpdir(), 'bench-backend-'));
  let runs = 0;
  /** The median of three runs, each on a fresh file (the machine may be shared). */
  const onSqlite = (name: string, fromJson: boolean, synchronous: 'NORMAL' | 'FULL' = 'NORMAL') => {
    const three = [0, 1, 2].map(() => {
      const store = new SqliteReportStore(join(dir, `${name}-${++runs}.db`), { synchronous });
      const figures = measureIngest(events, store, fromJson);
      store.close();
      return figures;
    });
    return three.sort((a, b) => a.perCpuSecond - b.perCpuSecond)[1]!;
  };
  try {
    onSqlite('warm-up', true); // the JIT, on the same path
    return {
      loadAverage: loadavg()[0]!,
      cores: availableParallelism(),
      sqlite: onSqlite('envelopes', false),
      sqliteFromJson: onSqlite('json', true),
      sqliteFull: onSqlite('full', false, 'FULL'),
      memory: measureIngest(events, new MemoryReportStore(), false),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  configureLogging({ level: 'warn' });
  const f = backendIngestFigures();
  console.log(JSON.stringify(f, null, 2));
}
