/**
 * `npm run bench`: prints figures (frame sizes against other encodings, airtime per vehicle-day at
 * SF7 and SF9, outbox writes per second on disk, simulation speed). Never pass/fail on time: these
 * are measurements to read and compare, not tests. `npm run bench -- vehicle edge` runs only those
 * sections (frames, airtime, outbox, edge, backend, publishing, vehicle); the whole takes minutes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureLogging } from '../common/log.js';
import { uplinkTimeOnAirMs } from '../firmware-bindings/lora/airtime.js';
import { maxPayload } from '../contracts/lora-region-eu868.js';
import { Outbox } from '../gateway/uplink/outbox.js';
import { encodeHealth, encodeLive, encodeStopBatch, Level, type HealthReport, type StopReport } from '../proto/frames.js';
import { runScenario } from '../simulator/day-run/run-scenario.js';
import { loadScenario } from '../simulator/scenario.js';
import { bitPackedFloorBytes, cayenneLppBytes, jsonBytes } from './frame-encodings.js';
import { inChild, modelInference, pseudonymising } from './edge.js';
import { measureDoorBoardSpeed } from './door-board-speed.js';
import { backendIngestFigures } from './backend-ingest.js';
import { measurePublishing } from './publishing.js';
import { buildImage, gatewayProcessMemory, modelInImage, stopTimes } from './vehicle.js';

configureLogging({ level: 'warn' });

function table(title: string, header: string[], rows: Array<Array<string | number>>): void {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  console.log(`\n${title}`);
  for (const [k, r] of cells.entries()) {
    console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
    if (k === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

const f2 = (v: number) => v.toFixed(2);

// Stop reports as the demo day's gateways stored them, numbered as in a gateway's second year.
const SEQ_OFFSET = 120_000;
// Every batch and health frame carries the outbox epoch: random in 1..16383, two varint bytes for 99 % of them.
const EPOCH = 9_000;
const SECTIONS = ['frames', 'airtime', 'outbox', 'edge', 'backend', 'publishing', 'vehicle'] as const;
const chosen = process.argv.slice(2);
for (const c of chosen) {
  if (!(SECTIONS as readonly string[]).includes(c)) {
    console.error(`unknown bench section "${c}": choose from ${SECTIONS.join(', ')} (none: all of them)`);
    process.exit(2);
  }
}
/** `npm run bench -- vehicle edge` runs those sections only; no argument runs all. */
const want = (section: (typeof SECTIONS)[number]) => chosen.length === 0 || chosen.includes(section);
const f1 = (v: number) => v.toFixed(1);

let demoRun: Awaited<ReturnType<typeof runScenario>> | undefined;
const demoDay = async () => (demoRun ??= await runScenario(loadScenario('demo'), { keepDetails: true }));

if (want('frames')) {
  const demo = await demoDay();
  const byVehicle = new Map<string, StopReport[]>();
  for (const { vehicleId, report } of demo.details!.reports) {
    const list = byVehicle.get(vehicleId) ?? [];
    list.push({ ...report, seq: report.seq + SEQ_OFFSET });
    byVehicle.set(vehicleId, list);
  }

  /** Every run of n consecutive reports of a vehicle, each sent 5 minutes after its last departure. */
  function windows(n: number): Array<{ reports: StopReport[]; sentAt: number }> {
    const out: Array<{ reports: StopReport[]; sentAt: number }> = [];
    for (const list of byVehicle.values()) {
      list.sort((a, b) => a.seq - b.seq);
      for (let i = 0; i + n <= list.length; i += n) {
        const reports = list.slice(i, i + n);
        out.push({ reports, sentAt: reports[n - 1]!.departure + 300_000 });
      }
    }
    return out;
  }

  const sizeRows = [1, 4, 8, 16].map((n) => {
    const w = windows(n);
    const per = (f: (x: (typeof w)[number]) => number) => w.reduce((s, x) => s + f(x), 0) / (w.length * n);
    const proto = per((x) => encodeStopBatch(x.reports, x.sentAt, EPOCH).length);
    const noEpoch = per((x) => encodeStopBatch(x.reports, x.sentAt).length);
    return [`batch of ${n}`, f2(proto), f2(noEpoch), f2(per((x) => jsonBytes(x.reports))), f2(per((x) => cayenneLppBytes(x.reports).length)), f2(per((x) => bitPackedFloorBytes(x.reports, x.sentAt))), f2(proto * n)];
  });
  table(
    `Bytes per stop report (${demo.stopEvents} reports of the demo day, every window of n consecutive reports of a vehicle)`,
    ['batch', 'protobuf', 'without epoch', 'JSON', 'Cayenne LPP', 'bit-packed floor', 'protobuf payload B'],
    sizeRows,
  );
  // The largest batch that fits one SF9 frame, as the backlog goes after an outage.
  const fullSf9 = windows(40).map((x) => {
    let k = 1;
    while (k < 40 && encodeStopBatch(x.reports.slice(0, k + 1), x.sentAt, EPOCH).length <= maxPayload(3)) k++;
    return encodeStopBatch(x.reports.slice(0, k), x.sentAt, EPOCH).length / k;
  });
  const live = encodeLive({ seq: SEQ_OFFSET + 1500, stop: 7, level: Level.LEVEL_MEDIUM, occupancyTenths: 4, line: 5 });
  console.log(`  full batch at SF9 (up to ${maxPayload(3)} B): ${f2(fullSf9.reduce((a, b) => a + b, 0) / fullSf9.length)} B per report`);
  const health: HealthReport = {
    uptimeMin: 600, outboxDepth: 12, oldestPendingSeq: SEQ_OFFSET + 1488, sensorFaults: 0, airtimeTodayMs: 9_400, modelVersion: 10_100, softwareVersion: 100,
    restarts: 3, outboxDropped: 0, liveSkipped: 2, newestSeq: SEQ_OFFSET + 1500, outboxEpoch: EPOCH, appendFailures: 0, reportsHeld: 0,
  };
  const healthBytes = encodeHealth(health).length;
  const healthBefore = encodeHealth({ ...health, outboxEpoch: 0 }).length;
  const healthFault = encodeHealth({ ...health, appendFailures: 37, reportsHeld: 37 }).length;
  console.log(`  health frame: ${healthBytes} B (${healthBefore} B without the epoch; ${healthFault} B while 37 reports wait in memory for a full disk)`);
  console.log(`  live frame: ${live.length} B (airtime ${uplinkTimeOnAirMs(live.length, 5).toFixed(1)} ms at SF7, ${uplinkTimeOnAirMs(live.length, 3).toFixed(1)} ms at SF9)`);

}

if (want('airtime')) {
  const demo = await demoDay();
  const airtimeRows: Array<Array<string | number>> = [];
  for (const name of ['demo', 'outage-day']) {
    for (const dr of [5, 3]) {
      const r = name === 'demo' && dr === 5 ? demo : await runScenario(loadScenario(name, [`network.dataRate=${dr}`]));
      airtimeRows.push([
        `${name} SF${[12, 11, 10, 9, 8, 7][dr]}`,
        f2(r.airtime.perVehicleDaySeconds),
        f2(r.airtime.meanPerVehicleDaySeconds),
        `${r.delivery.lost} / ${r.delivery.duplicates}`,
        `${r.delivery.liveDelivered} of ${r.delivery.generated}`,
        r.delivery.liveLatencyP95Seconds,
        r.airtime.maxDownlinksPerVehicleDay,
        `${r.run.simulatedHoursPerWallSecond}`,
      ]);
    }
  }
  table('Airtime per vehicle-day (fair use: 30 s) and delivery', ['scenario', 'max s', 'mean s', 'lost / dup', 'live levels', 'live p95 s', 'max downlinks/day', 'sim h per s'], airtimeRows);

}

if (want('outbox')) {
  // Outbox on disk: every write is its own transaction, fsynced (WAL, synchronous=FULL).
  const dir = mkdtempSync(join(tmpdir(), 'bench-outbox-'));
  const outbox = new Outbox({ path: join(dir, 'outbox.db') });
  const report = { departure: Date.now(), stop: 3, line: 5, course: 1, destination: 51, boardings: 7, alightings: 2, load: 30, flags: 0 };
  const writes = (fn: (i: number) => void, n: number) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn(i);
    return n / ((performance.now() - t0) / 1000);
  };
  const appends = writes(() => outbox.append(report), 400);
  const marks = writes((i) => outbox.markSent([i + 1], Date.now()), 400);
  const budget = writes((i) => outbox.saveBudget({ day: 0, usedMs: i, bandFreeAt: i, tokens: i, lastRefill: i }), 400);
  outbox.close();
  rmSync(dir, { recursive: true, force: true });
  table(`Outbox writes per second (file in ${tmpdir()}, WAL, synchronous=FULL, one transaction each)`, ['write', 'per second'], [
    ['append a report (seq + row)', Math.round(appends)],
    ['mark a report sent', Math.round(marks)],
    ['save the airtime budget', Math.round(budget)],
  ]);

}

if (want('edge')) {
  // The edge agent: model, pseudonymiser, memory, simulation at both depths.
  const inference = await modelInference();
  const pseudo = pseudonymising();
  const fleet = inChild('fleet-day');
  const device = inChild('device-depth');
  const doorOnly = await measureDoorBoardSpeed();
  table('Edge agent, in this process through tsx (aims: inference p99 < 0.5 ms, pseudonymising < 20 us)', ['measure', 'figure'], [
    [`load model ${inference.version} (${Math.round(inference.modelBytes / 1024)} KiB), one departure: p50 / p99 / max`, `${f1(inference.p50Us)} / ${f1(inference.p99Us)} / ${f1(inference.maxUs)} us over ${inference.rows}`],
    ['pseudonymise one address (HMAC-SHA-256, truncated)', `${f2(pseudo.hmacUs)} us`],
    ['one radio sighting through the radio source', `${f2(pseudo.sourceUs)} us`],
    [`fleet-day, event depth (${fleet.vehicles} trams, ${fleet.stopEvents} stop events, ${f1(fleet.simulatedHours!)} h with the night's drain)`, `${f1(fleet.wallSeconds)} s wall, ${f1(fleet.simulatedHours! / fleet.wallSeconds)} fleet h per s, peak RSS ${f1(fleet.peakRssMb)} MB`],
    [
      `door board alone: one tram-hour of door events through Firmata bytes and johnny-five (${doorOnly.passages} passages, ${doorOnly.messages} messages)`,
      `${Math.round(doorOnly.simulatedSecondsPerWallSecond)} sim s per wall s (${f2(doorOnly.wallSeconds)} s wall)`,
    ],
    [`one tram day at device depth, whole gateway (doors, IBIS, camera as bytes; ${device.stopEvents} stop events)`, `${f1(device.wallSeconds)} s wall, ${f1(device.simulatedHours! / device.wallSeconds)} sim h/s, ${Math.round(device.stopEvents! / device.wallSeconds)} stop events/s, peak RSS ${f1(device.peakRssMb)} MB`],
  ]);

}

if (want('backend')) {
  // The backend's receiving path on one core: aim 10,000 uplinks/s for decode + dedup + store on SQLite.
  const ingest = backendIngestFigures();
  const rate = (f: { perSecond: number; perCpuSecond: number; uplinks: number }) => [Math.round(f.perCpuSecond), Math.round(f.perSecond)];
  table(
    `Backend ingest, one core (${ingest.sqlite.uplinks} uplinks of 100 trams: ${ingest.sqlite.reports} new reports, ${ingest.sqlite.duplicates} resent; SQLite file in ${tmpdir()}; median of 3; ` +
      `load average ${ingest.loadAverage.toFixed(1)} on ${ingest.cores} cores, so per CPU second is the per-core figure)`,
    ['path', 'uplinks per CPU s', 'per wall s'],
    [
      ['decode + trust + dedup + store, SQLite (WAL, synchronous=NORMAL, checkpoint before each ack)', ...rate(ingest.sqlite)],
      ['the same from ChirpStack JSON (parse and validate included)', ...rate(ingest.sqliteFromJson)],
      ['decode + trust + dedup + store, SQLite synchronous=FULL (fsync per transaction)', ...rate(ingest.sqliteFull)],
      ['decode + trust + dedup, memory store', ...rate(ingest.memory)],
    ],
  );
  console.log('');

}

if (want('publishing')) {
  const demo = await demoDay();
  // Publishing: trip matching, the GTFS-RT feed, the monthly open-data export.
  const pub = await measurePublishing(demo.details!.reports, 4);
  table('Publishing (backend)', ['measure', 'figure'], [
    [`match a live level to its trip (static GTFS of 11 lines, ${pub.trips} trips; ${pub.matched} of 20000 random queries matched)`, `${Math.round(pub.matchesPerSecond)} per s`],
    [`GTFS-RT VehiclePositions for ${pub.feedVehicles} vehicles with trips (${pub.feedBytes} bytes)`, `${Math.round(pub.feedsPerSecond)} feeds per s`],
    [`open-data export of a month (${pub.monthReports} stop reports in SQLite: the demo day x 30 days x 4; ${pub.exportRows} cells, ${pub.published} published at k = 5)`, `${pub.exportSeconds.toFixed(2)} s (${Math.round(pub.monthReports / pub.exportSeconds)} reports per s)`],
  ]);
}

if (want('vehicle')) {
  // The vehicle deployable: the image, the compiled gateway as a process, the model inside it, stops.
  const image = buildImage();
  try {
    const model = await modelInImage(image.image);
    const asUnit = await gatewayProcessMemory(image.image, 'unit');
    const glibc = await gatewayProcessMemory(image.image, 'glibc');
    const bare = await gatewayProcessMemory(image.image, 'bare');
    const stops = await stopTimes(image.image);
    const mem = (m: { rssMb: number; hwmMb: number; anonMb: number; fileMb: number }) => `${f1(m.rssMb)} MB (peak ${f1(m.hwmMb)}; anonymous ${f1(m.anonMb)}, file-backed ${f1(m.fileMb)})`;
    table(`Vehicle image and process (aims: RSS with the model <= 120 MB, inference p99 <= 0.5 ms, every stop < 5 s with exit 0; load average ${os.loadavg()[0]!.toFixed(1)} on ${os.cpus().length} cores)`, ['measure', 'figure'], [
      ['npm run build: vehicle image (tsc from the entry point, assets, package.json + lockfile, tarball)', `${f1(image.buildSeconds)} s; tarball ${Math.round(image.tarballKiB)} KiB; ${image.runtimePackages} runtime packages (${image.lockedPackages} with their dependencies)`],
      [`gateway process as the unit runs it (node flags and malloc of gateway/node-runtime.ts: ${asUnit.allocator}${asUnit.allocator === 'jemalloc' ? '' : ', libjemalloc2 is not installed here'}), tram sources configured, joined, first frame sent`, mem(asUnit)],
      ['the same without jemalloc (glibc malloc with the unit\'s settings)', mem(glibc)],
      ['the same with plain `node` and no settings', mem(bare)],
      [`load model in the image, as the unit runs it: RSS with the gateway's modules / model loaded / after ${model.rows} departures`, `${f1(model.rssBeforeModel)} / ${f1(model.rssModelLoaded)} / ${f1(model.rssAfter)} MB (peak ${f1(model.hwm)})`],
      ['  one departure: p50 / p99 / max', `${f1(model.p50Us)} / ${f1(model.p99Us)} / ${f1(model.maxUs)} us`],
      ...stops.map((s) => [`stop by SIGTERM/SIGINT at a random moment: ${s.moment} (${s.stops} stops)`, `median ${Math.round(s.medianMs)} ms, max ${Math.round(s.maxMs)} ms; ${s.clean} of ${s.stops} exit 0`]),
    ]);
  } finally {
    image.cleanup();
  }
  console.log('');
}
