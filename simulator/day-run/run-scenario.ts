/**
 * Runs a scenario on the bench, in one process and in virtual time: the world and its trams, one
 * gateway per tram (its modem driver speaking RUI3 AT over a byte stream to an emulated module,
 * behind a power switch), the air, the network-server emulator publishing ChirpStack v4 (or TTS v3)
 * events as JSON, and the backend that parses and decodes them and acknowledges by downlink.
 * Returns the run's measured report; nothing in it is written in.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../common/clock.js';
import { Rng } from '../../common/random.js';
import { round } from '../../common/stats.js';
import { localDayStart, zonedTimeToEpoch } from '../../common/time.js';
import {
  parseChirpStackJoin,
  parseChirpStackTxAck,
  parseChirpStackUplink,
  parseTtsDownSent,
  parseTtsJoin,
  parseTtsUplink,
} from '../../backend/ingest/network-events.js';
import { UplinkProcessor } from '../../backend/ingest/uplink-processor.js';
import type { ReportStore } from '../../backend/store/report-store.js';
import type { StopReport } from '../../proto/frames.js';
import { Air } from '../lorawan/air.js';
import { NetworkServerEmulator } from '../lorawan/network-server.js';
import { chirpStackJoinEvent, chirpStackTxAckEvent, chirpStackUplinkEvent, ttsDownSentMessage, ttsJoinMessage, ttsUplinkMessage, type NsDownlinkSent, type NsJoin, type NsUplink } from '../lorawan/uplink-event.js';
import type { Scenario } from '../scenario.js';
import type { TruthStop } from '../world/vehicle-runner.js';
import { buildWorld } from '../world/world-builder.js';
import { OnnxLoadModel } from '../../gateway/estimation/onnx-model.js';
import { SHIPPED_MODEL } from '../../gateway/estimation/shipped-model.js';
import { countErrors, p95Seconds, scoreOccupancy, type CountErrors, type OccupancyScore, type ScoredStop } from './scoring.js';
import { emptyDeviceCounters, JOIN_EUI, VehicleRig, type DeviceCounters, type RigCapture } from './vehicle-rig.js';

export interface BenchReport {
  scenario: string;
  seed: number;
  vehicles: number;
  stopEvents: number;
  occupancy: OccupancyScore & { estimator: string };
  delivery: {
    generated: number;
    delivered: number;
    duplicates: number;
    lost: number;
    latencyP95Seconds: number;
    /** Live level, departure to backend, p95 over departures outside coverage gaps and power cuts. */
    liveLatencyP95Seconds: number;
    /** Live levels the backend received (one per departure at most). */
    liveDelivered: number;
    /** Reports sent again (lost on the way, or not acknowledged in time). */
    resent: number;
    /** Acks the backend sent. */
    acks: number;
    /** Stops served while the gateway had no power: nobody counted them. */
    missedWhilePoweredOff: number;
  };
  airtime: {
    totalSeconds: number;
    perVehicleDaySeconds: number;
    meanPerVehicleDaySeconds: number;
    dutyCycleViolations: number;
    /** Most downlinks any vehicle heard in a day (fair use: 10). */
    maxDownlinksPerVehicleDay: number;
    dataRate: number;
  };
  frames: {
    count: number;
    live: number;
    batches: number;
    bytesPerStopReport: number;
    meanLiveBytes: number;
    health: number;
  };
  counting: CountErrors;
  power: { cuts: number; restarts: number };
  run: { simulatedHours: number; wallSeconds: number; simulatedHoursPerWallSecond: number };
  /** At device depth: what the gateways' bindings read from the emulated devices' bytes. */
  devices?: DeviceCounters;
  /** Only with `keepDetails`: what the scores were computed from (for tests and plots). */
  details?: { truth: TruthStop[]; scored: ScoredStop[]; reports: Array<{ vehicleId: string; report: StopReport }> };
}

export interface Progress {
  simulatedMs: number;
  totalMs: number;
  stopEvents: number;
  delivered: number;
}

export interface RunOptions {
  seed?: number;
  onProgress?: (p: Progress) => void;
  keepDetails?: boolean;
  /**
   * Every network-server event also goes here as it happens (e.g. to a real MQTT broker through
   * NetworkServerMqttBridge, for a backend watching live); the run's own backend still acks.
   */
  mirror?: { publishUplink(u: NsUplink): void; publishDownlinkSent(d: NsDownlinkSent): void; publishJoin(j: NsJoin): void };
  /** The trams of the run as they are set up (fleet number, DevEUI, vehicle type), before the day starts. */
  onVehicle?: (v: { vehicleId: string; devEui: string; vehicleType: string; joinEui: string; dialect: string }) => void;
  /** Simulated seconds per wall-clock second (default: as fast as it goes). */
  pace?: number;
  /** Notes for people while the run is set up (e.g. what a replay read and fixed). */
  onInfo?: (text: string) => void;
  /** Taps on every gateway (privacy proof): modem bytes, raw ids the world made, source events, uplinks. */
  capture?: RigCapture & {
    /** Every uplink event as the network server publishes it (JSON, as on MQTT). */
    published?: (json: string) => void;
    /** Keep the outboxes as files in this directory (not removed after the run). */
    outboxDir?: string;
    /** The backend stores what it receives here (the caller closes it). */
    store?: ReportStore;
    /** Each vehicle's AppKey as it is made (to search for it everywhere else). */
    appKey?: (vehicleId: string, appKey: string) => void;
  };
}

/** How far a stop event's departure may lie from the true doors-closed time of its visit. */
const TRUTH_MATCH_MS = 2000;

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<BenchReport> {
  const wallStart = performance.now();
  const seed = options.seed ?? scenario.seed;
  const rng = new Rng(seed);
  const tz = scenario.timeZone;
  const at = (hhmm: string) => zonedTimeToEpoch(scenario.date, hhmm, tz);
  const startMs = at(scenario.start);
  const endMs = at(scenario.end);
  const serviceDay = at('00:00');
  const drainEnd = endMs + scenario.drainMinutes * 60_000;
  const clock = new VirtualClock(startMs - 15 * 60_000);
  const dayOf = (t: number) => localDayStart(t, tz);
  const tts = scenario.network.server === 'tts';

  const gaps = scenario.network.coverageGaps.map((g) => ({ from: at(g.from), to: at(g.to), vehicles: g.vehicles ? new Set(g.vehicles) : undefined }));
  const inGap = (vehicleId: string, t: number) => gaps.some((g) => t >= g.from && t < g.to && (!g.vehicles || g.vehicles.has(vehicleId)));
  const rigs = new Map<string, VehicleRig>();
  const air = new Air(clock, rng.fork('air'), {
    inCoverage: (dev, t) => !inGap(rigs.get(dev)?.block.vehicleId ?? '', t),
    uplinkLoss: scenario.network.uplinkLoss,
    downlinkLoss: scenario.network.downlinkLoss,
  }, dayOf);

  // Backend: consumes what the network server publishes, as JSON, exactly as it would from MQTT.
  const delivered: ScoredStop[] = [];
  const seenByConsumer = new Set<string>();
  let consumerDuplicates = 0;
  let liveDelivered = 0;
  const reportLatencies: number[] = [];
  const liveLatencies: number[] = [];
  // The true stop visit behind a gateway's stop event: same vehicle, doors closed at the same time.
  // At device depth the binding dates the last close from the bytes (debounced contact edges), so a
  // few milliseconds either way are the same visit.
  const truthByVehicle = new Map<string, TruthStop[]>();
  const truthFor = (vehicleId: string, departure: number): TruthStop | undefined => {
    const list = truthByVehicle.get(vehicleId);
    if (!list) return undefined;
    let lo = 0;
    let hi = list.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.doorsClosed < departure) lo = mid + 1;
      else hi = mid;
    }
    // list[lo] is the first visit closing at or after the departure (or the last one); list[lo - 1] the one before.
    const before = list[lo - 1];
    const best = before && Math.abs(before.doorsClosed - departure) < Math.abs(list[lo]!.doorsClosed - departure) ? before : list[lo]!;
    return Math.abs(best.doorsClosed - departure) <= TRUTH_MATCH_MS ? best : undefined;
  };
  const allTruth: TruthStop[] = [];
  const processor = new UplinkProcessor(
    clock,
    {
      report: (devEui, report, receivedAt) => {
        const rig = rigs.get(devEui);
        if (!rig) return;
        const key = `${devEui}/${report.seq}`;
        if (seenByConsumer.has(key)) {
          consumerDuplicates++;
          return;
        }
        seenByConsumer.add(key);
        const record = rig.records.get(report.seq);
        const truth = record ? truthFor(rig.block.vehicleId, record.stopEvent.departure) : undefined;
        if (record) reportLatencies.push(receivedAt - record.stopEvent.departure);
        if (truth) delivered.push({ truth, estimate: report.load, levels: rig.block.vehicleType.levels, capacity: rig.block.vehicleType.capacity });
      },
      live: (devEui, live, receivedAt) => {
        const rig = rigs.get(devEui);
        const record = rig?.records.get(live.seq);
        if (!rig || !record) return;
        liveDelivered++;
        if (!inGap(rig.block.vehicleId, record.stopEvent.departure)) liveLatencies.push(receivedAt - record.stopEvent.departure);
      },
    },
    { send: (devEui, fPort, payload) => ns.enqueueDownlink(devEui, { fPort, payload: Buffer.from(payload), confirmed: false }) },
    { dayOf, ...(options.capture?.store ? { store: options.capture.store } : {}) },
  );
  const ns: NetworkServerEmulator = new NetworkServerEmulator(clock, rng.fork('network-server'), {
    applicationId: 'b1f4c2d0-0000-4000-8000-00000000a001',
    applicationName: 'havag-occupancy',
    tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
    netId: '000013',
    publish: (u) => {
      const json = JSON.stringify(tts ? ttsUplinkMessage(u) : chirpStackUplinkEvent(u));
      options.capture?.published?.(json);
      options.mirror?.publishUplink(u);
      processor.handle(tts ? parseTtsUplink(json, clock.now()) : parseChirpStackUplink(json, clock.now()));
    },
    downlinkSent: (d) => {
      options.mirror?.publishDownlinkSent(d);
      const json = JSON.stringify(tts ? ttsDownSentMessage(d) : chirpStackTxAckEvent(d));
      processor.downlinkSent((tts ? parseTtsDownSent(json) : parseChirpStackTxAck(json)).devEui);
    },
    joined: (j) => {
      options.mirror?.publishJoin(j);
      const json = JSON.stringify(tts ? ttsJoinMessage(j) : chirpStackJoinEvent(j));
      processor.joined((tts ? parseTtsJoin(json) : parseChirpStackJoin(json)).devEui);
    },
  });
  air.attach(ns);

  // A scenario with power cuts needs outboxes that outlive their gateway: files in a temp dir.
  const outboxDir = options.capture?.outboxDir ?? (scenario.powerCuts.length > 0 ? mkdtempSync(join(tmpdir(), 'bench-outbox-')) : undefined);
  const frameBytes = { live: [] as number[], batchBytes: 0, batchReports: 0 };
  // The load model, loaded once and shared by every gateway (inference holds no state).
  const model = scenario.gateway.estimator === 'model' ? await loadShippedModel(options.onInfo) : undefined;
  // The world: vehicle blocks from lines or a replay, one gateway per tram behind a power switch.
  const world = await buildWorld(scenario, {
    clock,
    rng,
    window: { serviceDay, startMs, endMs },
    onTruth: (t) => {
      // Stop visits of one vehicle come in time order.
      const list = truthByVehicle.get(t.vehicleId) ?? [];
      list.push(t);
      truthByVehicle.set(t.vehicleId, list);
      allTruth.push(t);
    },
    attach: (block, vrng) => {
      const devEui = `70b3d57ed001${Number(block.vehicleId).toString(16).padStart(4, '0')}`;
      const appKey = Array.from({ length: 16 }, () => vrng.int(0, 255).toString(16).padStart(2, '0')).join('');
      ns.register({ devEui, joinEui: JOIN_EUI, appKey, name: `tram-${block.vehicleId}` });
      options.capture?.appKey?.(block.vehicleId, appKey);
      const dialect = scenario.network.modems === 'mixed' ? (rigs.size % 2 === 0 ? 'rui3' : 'rn2483') : scenario.network.modems;
      const rig = new VehicleRig(
        {
          clock,
          air,
          dataRate: scenario.network.dataRate,
          dailyAirtimeMs: scenario.gateway.dailyAirtimeMs,
          liveEnabled: scenario.gateway.liveEnabled,
          healthIntervalMin: scenario.gateway.healthIntervalMin,
          timeZone: tz,
          depth: scenario.depth,
          dialect,
          keyRotationHour: scenario.gateway.keyRotationHour,
          ...(options.capture ? { capture: options.capture } : {}),
          ...(model ? { model } : {}),
          outboxPath: outboxDir ? join(outboxDir, `${block.vehicleId}.db`) : ':memory:',
          onSent: (s) => {
            if (s.fPort === 1) frameBytes.live.push(s.bytes);
            else if (s.fPort === 2) {
              frameBytes.batchBytes += s.bytes;
              frameBytes.batchReports += s.reports;
            }
          },
        },
        block,
        devEui,
        appKey,
        vrng.fork('modem'),
      );
      rigs.set(devEui, rig);
      options.onVehicle?.({ vehicleId: block.vehicleId, devEui, vehicleType: block.vehicleType.id, joinEui: JOIN_EUI, dialect });
      return { sink: rig, radio: (sighting) => rig.radioSighting(sighting) };
    },
  });
  if (world.replaySummary) options.onInfo?.(world.replaySummary);
  const runners = world.runners;

  for (const rig of rigs.values()) rig.powerOn();
  let cuts = 0;
  for (const cut of scenario.powerCuts) {
    for (const rig of rigs.values()) {
      if (cut.vehicles && !cut.vehicles.includes(rig.block.vehicleId)) continue;
      cuts++;
      clock.setTimeout(() => rig.powerOff(), at(cut.at) - clock.now());
      clock.setTimeout(() => rig.powerOn(), at(cut.at) + cut.minutes * 60_000 - clock.now());
    }
  }
  for (const runner of runners) runner.start();

  const totalMs = drainEnd - clock.now();
  const t0 = clock.now();
  // Paced: steps of one wall second, each waiting out what is left of its second.
  const step = options.pace ? Math.max(1000, Math.min(15 * 60_000, options.pace * 1000)) : 15 * 60_000;
  for (let t = clock.now(); t < drainEnd; ) {
    t = Math.min(drainEnd, t + step);
    const wallAt = performance.now();
    await clock.runUntil(t);
    if (options.pace) await new Promise((r) => setTimeout(r, Math.max(0, (step / options.pace!) - (performance.now() - wallAt))));
    options.onProgress?.({ simulatedMs: t - t0, totalMs, stopEvents: allTruth.length, delivered: delivered.length });
  }
  for (const rig of rigs.values()) {
    const stopping = rig.shutdown();
    await clock.advance(30_000);
    await stopping;
  }
  processor.close();
  await model?.close();
  if (outboxDir && !options.capture?.outboxDir) rmSync(outboxDir, { recursive: true, force: true });

  const rigList = [...rigs.values()];
  const generated = rigList.reduce((n, r) => n + r.records.size, 0);
  const stats = rigList.map((r) => r.stats());
  const sum = (key: keyof (typeof stats)[number]) => stats.reduce((n, s) => n + (s[key] ?? 0), 0);
  const airStats = [...air.allStats().values()];
  const perDay = airStats.flatMap((s) => [...s.airtimeByDay.values()]);
  const wallSeconds = (performance.now() - wallStart) / 1000;
  const simulatedHours = (drainEnd - (startMs - 15 * 60_000)) / 3_600_000;
  const vehicleOf = new Map(rigList.map((r) => [r.block.vehicleId, r]));
  return {
    scenario: scenario.name,
    seed,
    vehicles: rigs.size,
    stopEvents: generated,
    occupancy: { ...scoreOccupancy(delivered), estimator: model ? `model ${model.version}` : 'running-sum' },
    delivery: {
      generated,
      delivered: seenByConsumer.size,
      duplicates: consumerDuplicates,
      lost: generated - seenByConsumer.size,
      latencyP95Seconds: p95Seconds(reportLatencies),
      liveLatencyP95Seconds: p95Seconds(liveLatencies),
      liveDelivered,
      resent: sum('reportsResent'),
      acks: processor.counters.acksSent,
      missedWhilePoweredOff: allTruth.filter((t) => !vehicleOf.get(t.vehicleId)!.wasPoweredAt(t.doorsClosed)).length,
    },
    airtime: {
      totalSeconds: round(airStats.reduce((s, a) => s + a.airtimeMs, 0) / 1000, 2),
      perVehicleDaySeconds: round(Math.max(0, ...perDay) / 1000, 2),
      meanPerVehicleDaySeconds: round(perDay.length ? perDay.reduce((a, b) => a + b, 0) / perDay.length / 1000 : 0, 2),
      dutyCycleViolations: airStats.reduce((s, a) => s + a.dutyCycleViolations, 0),
      maxDownlinksPerVehicleDay: Math.max(0, ...airStats.flatMap((s) => [...s.downlinksByDay.values()])),
      dataRate: scenario.network.dataRate,
    },
    frames: {
      count: sum('frames'),
      live: sum('liveSent'),
      batches: sum('batches'),
      bytesPerStopReport: round(frameBytes.batchReports ? frameBytes.batchBytes / frameBytes.batchReports : NaN, 2),
      meanLiveBytes: round(frameBytes.live.length ? frameBytes.live.reduce((a, b) => a + b, 0) / frameBytes.live.length : NaN, 2),
      health: sum('healthSent'),
    },
    counting: countErrors(allTruth),
    power: { cuts, restarts: rigList.reduce((n, r) => n + r.restarts, 0) },
    run: { simulatedHours: round(simulatedHours, 2), wallSeconds: round(wallSeconds, 2), simulatedHoursPerWallSecond: round(simulatedHours / wallSeconds, 1) },
    ...(scenario.depth === 'device'
      ? {
          devices: rigList.reduce((sum, r) => {
            for (const k of Object.keys(sum) as Array<keyof DeviceCounters>) sum[k] += r.deviceCounters[k];
            return sum;
          }, emptyDeviceCounters()),
        }
      : {}),
    ...(options.keepDetails
      ? { details: { truth: allTruth, scored: delivered, reports: rigList.flatMap((r) => [...r.records.values()].map((d) => ({ vehicleId: r.block.vehicleId, report: d.report }))) } }
      : {}),
  };
}

/** The shipped model, or none (the running sum then) with a note saying why. */
async function loadShippedModel(onInfo?: (text: string) => void): Promise<OnnxLoadModel | undefined> {
  try {
    return await OnnxLoadModel.load(SHIPPED_MODEL);
  } catch (error) {
    onInfo?.(`load model not used (${(error as Error).message}); the gateways use the running sum`);
    return undefined;
  }
}
