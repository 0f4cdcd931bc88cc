/**
 * Runs a scenario on the bench, in one process and in virtual time: the world and its trams, one
 * gateway per tram (its modem driver speaking RUI3 AT over a byte stream to an emulated module),
 * the air, the network-server emulator publishing ChirpStack v4 uplink events, and the backend that
 * decodes them. Returns the run's measured report; nothing in it is written in.
 */
import { VirtualClock } from '../../common/clock.js';
import { createDuplexPair } from '../../common/duplex-pair.js';
import { Rng } from '../../common/random.js';
import { round } from '../../common/stats.js';
import { localDayStart, zonedTimeToEpoch } from '../../common/time.js';
import { parseChirpStackUplink } from '../../backend/ingest/network-events.js';
import { UplinkProcessor } from '../../backend/ingest/uplink-processor.js';
import { Rui3Modem } from '../../firmware-bindings/lora/rui3.js';
import { RunningSumEstimator } from '../../gateway/estimation/estimator.js';
import { Gateway, type DepartureRecord } from '../../gateway/gateway.js';
import { Outbox } from '../../gateway/uplink/outbox.js';
import { DEFAULT_SCHEDULER_OPTIONS } from '../../gateway/uplink/uplink-scheduler.js';
import type { StopReport } from '../../proto/frames.js';
import { Air } from '../lorawan/air.js';
import { EmulatedRui3 } from '../lorawan/emulated-rui3.js';
import { NetworkServerEmulator } from '../lorawan/network-server.js';
import { chirpStackUplinkEvent } from '../lorawan/uplink-event.js';
import { scenarioRelative, type Scenario } from '../scenario.js';
import { CameraModel, DEFAULT_CAMERA } from '../sensors/camera-model.js';
import { DoorCounterModel } from '../sensors/door-counter-model.js';
import { loadLine, loadVehicleTypes, type VehicleTypeData } from '../world/network-data.js';
import { buildBlocks, planTrips, type VehicleBlock } from '../world/service-plan.js';
import { SimpleDemand } from '../world/simple-demand.js';
import { VehicleRunner, type TruthStop } from '../world/vehicle-runner.js';
import { countErrors, p95Seconds, scoreOccupancy, type CountErrors, type OccupancyScore, type ScoredStop } from './scoring.js';

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
    liveLatencyP95Seconds: number;
  };
  airtime: {
    totalSeconds: number;
    perVehicleDaySeconds: number;
    meanPerVehicleDaySeconds: number;
    dutyCycleViolations: number;
  };
  frames: {
    count: number;
    live: number;
    batches: number;
    bytesPerStopReport: number;
    meanLiveBytes: number;
  };
  counting: CountErrors;
  run: { simulatedHours: number; wallSeconds: number; simulatedHoursPerWallSecond: number };
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
}

interface VehicleRig {
  block: VehicleBlock;
  devEui: string;
  gateway: Gateway;
  outbox: Outbox;
  runner: VehicleRunner;
  records: Map<number, DepartureRecord>;
}

const JOIN_EUI = '70b3d57ed0000000';

function fleetNumbers(types: Map<string, VehicleTypeData>): (typeId: string) => string {
  const next = new Map<string, number>();
  return (typeId) => {
    const type = types.get(typeId)!;
    const n = next.get(typeId) ?? type.fleet.from;
    if (n > type.fleet.to) throw new Error(`the scenario needs more ${typeId} trams than the fleet has (${type.fleet.from}-${type.fleet.to})`);
    next.set(typeId, n + 1);
    return String(n);
  };
}

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<BenchReport> {
  const wallStart = performance.now();
  const seed = options.seed ?? scenario.seed;
  const rng = new Rng(seed);
  const tz = scenario.timeZone;
  const startMs = zonedTimeToEpoch(scenario.date, scenario.start, tz);
  const endMs = zonedTimeToEpoch(scenario.date, scenario.end, tz);
  const serviceDay = zonedTimeToEpoch(scenario.date, '00:00', tz);
  const drainEnd = endMs + scenario.drainMinutes * 60_000;
  const clock = new VirtualClock(startMs - 15 * 60_000);
  const dayOf = (t: number) => localDayStart(t, tz);

  const gaps = scenario.network.coverageGaps.map((g) => ({
    from: zonedTimeToEpoch(scenario.date, g.from, tz),
    to: zonedTimeToEpoch(scenario.date, g.to, tz),
    vehicles: g.vehicles ? new Set(g.vehicles) : undefined,
  }));
  const vehicleOfDev = new Map<string, string>();
  const air = new Air(clock, rng.fork('air'), {
    inCoverage: (dev, t) => !gaps.some((g) => t >= g.from && t < g.to && (!g.vehicles || g.vehicles.has(vehicleOfDev.get(dev) ?? ''))),
    uplinkLoss: scenario.network.uplinkLoss,
    downlinkLoss: scenario.network.downlinkLoss,
  }, dayOf);

  // Backend: consumes what the network server publishes, exactly as it would from MQTT.
  const rigs = new Map<string, VehicleRig>();
  const delivered: ScoredStop[] = [];
  const seenByConsumer = new Set<string>();
  let consumerDuplicates = 0;
  const reportLatencies: number[] = [];
  const liveLatencies: number[] = [];
  const truthByKey = new Map<string, TruthStop>();
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
        const truth = record ? truthByKey.get(`${rig.block.vehicleId}/${record.stopEvent.departure}`) : undefined;
        if (record) reportLatencies.push(receivedAt - record.stopEvent.departure);
        if (truth) delivered.push({ truth, estimate: report.load, levels: rig.block.vehicleType.levels });
      },
      live: (devEui, live, receivedAt) => {
        const record = rigs.get(devEui)?.records.get(live.seq);
        if (record) liveLatencies.push(receivedAt - record.stopEvent.departure);
      },
    },
    { send: (devEui, fPort, payload) => ns.enqueueDownlink(devEui, { fPort, payload: Buffer.from(payload), confirmed: false }) },
  );
  const ns: NetworkServerEmulator = new NetworkServerEmulator(clock, rng.fork('network-server'), {
    applicationId: 'b1f4c2d0-0000-4000-8000-00000000a001',
    applicationName: 'havag-occupancy',
    tenantId: '52f14cd4-c6f1-4fbd-8f87-4025e1d49242',
    netId: '000013',
    publish: (uplink) => processor.handle(parseChirpStackUplink(JSON.stringify(chirpStackUplinkEvent(uplink)), clock.now())),
  });
  air.attach(ns);

  // The world: lines, vehicle blocks, one gateway per tram.
  const types = loadVehicleTypes();
  const nextFleetNumber = fleetNumbers(types);
  const lastDeparture = new Map<string, number>();
  const demand = new SimpleDemand({ timeZone: tz, scale: scenario.demand.scale, boardingsPerMinute: 1.1, meanGroup: 1.35 });
  const frameBytes = { live: [] as number[], batchBytes: 0, batchReports: 0 };
  for (const lineRef of scenario.lines) {
    const line = loadLine(scenarioRelative(scenario, lineRef.file));
    const type = types.get(lineRef.vehicleType);
    if (!type) throw new Error(`scenario ${scenario.name}: unknown vehicle type ${lineRef.vehicleType}`);
    const trips = planTrips(line, serviceDay, startMs, endMs);
    const blocks = buildBlocks(line, type, trips, () => nextFleetNumber(type.id), lineRef.maxVehicles);
    for (const block of blocks) {
      const vrng = rng.fork(`vehicle-${block.vehicleId}`);
      const devEui = `70b3d57ed001${Number(block.vehicleId).toString(16).padStart(4, '0')}`;
      vehicleOfDev.set(devEui, block.vehicleId);
      const appKey = Array.from({ length: 16 }, () => vrng.int(0, 255).toString(16).padStart(2, '0')).join('');
      ns.register({ devEui, joinEui: JOIN_EUI, appKey, name: `tram-${block.vehicleId}` });
      const [host, device] = createDuplexPair();
      const emulated = new EmulatedRui3(device, clock, air, vrng.fork('modem'), { factoryDevEui: devEui });
      emulated.mac.dr = scenario.network.dataRate;
      const modem = new Rui3Modem(host, clock, { credentials: { devEui, joinEui: JOIN_EUI, appKey }, adr: false, dr: scenario.network.dataRate });
      const outbox = new Outbox({ path: ':memory:' });
      const gateway = new Gateway(
        { clock, modem, outbox, estimator: new RunningSumEstimator({ seats: type.seats, capacity: type.capacity }) },
        {
          vehicleId: block.vehicleId,
          capacity: type.capacity,
          seats: type.seats,
          levels: type.levels,
          departureGraceMs: 15_000,
          liveEnabled: scenario.gateway.liveEnabled,
          dailyAirtimeMs: scenario.gateway.dailyAirtimeMs,
          serviceHours: 19,
          dayOf,
          scheduler: { ...DEFAULT_SCHEDULER_OPTIONS },
        },
      );
      const records = new Map<number, DepartureRecord>();
      gateway.onDeparture((r) => records.set(r.report.seq, r));
      gateway.scheduler.onSent = (s) => {
        if (s.fPort === 1) frameBytes.live.push(s.bytes);
        else if (s.fPort === 2) {
          frameBytes.batchBytes += s.bytes;
          frameBytes.batchReports += s.reports;
        }
      };
      const runner = new VehicleRunner(
        {
          clock,
          rng: vrng.fork('world'),
          sink: gateway,
          demand,
          doors: new DoorCounterModel(
            {
              missBase: scenario.sensors.doorMissBase,
              missClose: scenario.sensors.doorMissClose,
              doubleCrowd: scenario.sensors.doorDoubleCrowd,
              closeGapMs: scenario.sensors.closeGapMs,
            },
            vrng.fork('doors'),
          ),
          camera: new CameraModel(DEFAULT_CAMERA, vrng.fork('camera')),
          lastDeparture,
          onTruth: (t) => {
            truthByKey.set(`${t.vehicleId}/${t.doorsClosed}`, t);
            allTruth.push(t);
          },
        },
        block,
      );
      rigs.set(devEui, { block, devEui, gateway, outbox, runner, records });
    }
  }

  const starting = [...rigs.values()].map((r) => r.gateway.start());
  for (const rig of rigs.values()) rig.runner.start();

  const totalMs = drainEnd - clock.now();
  const t0 = clock.now();
  for (let t = clock.now(); t < drainEnd; ) {
    t = Math.min(drainEnd, t + 15 * 60_000);
    await clock.runUntil(t);
    options.onProgress?.({ simulatedMs: t - t0, totalMs, stopEvents: allTruth.length, delivered: delivered.length });
  }
  await Promise.all(starting);
  for (const rig of rigs.values()) {
    const stopping = rig.gateway.stop();
    await clock.advance(1000);
    await stopping;
    rig.outbox.close();
  }

  const gatewayStopEvents = [...rigs.values()].reduce((n, r) => n + r.records.size, 0);
  const airStats = [...air.allStats().values()];
  const perDay = airStats.flatMap((s) => [...s.airtimeByDay.values()]);
  const frames = [...rigs.values()].reduce(
    (acc, r) => ({ count: acc.count + r.gateway.scheduler.stats.frames, live: acc.live + r.gateway.scheduler.stats.liveSent, batches: acc.batches + r.gateway.scheduler.stats.batches }),
    { count: 0, live: 0, batches: 0 },
  );
  const wallSeconds = (performance.now() - wallStart) / 1000;
  const simulatedHours = (drainEnd - (startMs - 15 * 60_000)) / 3_600_000;
  return {
    scenario: scenario.name,
    seed,
    vehicles: rigs.size,
    stopEvents: gatewayStopEvents,
    occupancy: { ...scoreOccupancy(delivered), estimator: 'running-sum' },
    delivery: {
      generated: gatewayStopEvents,
      delivered: seenByConsumer.size,
      duplicates: consumerDuplicates,
      lost: gatewayStopEvents - seenByConsumer.size,
      latencyP95Seconds: p95Seconds(reportLatencies),
      liveLatencyP95Seconds: p95Seconds(liveLatencies),
    },
    airtime: {
      totalSeconds: round(airStats.reduce((s, a) => s + a.airtimeMs, 0) / 1000, 2),
      perVehicleDaySeconds: round(Math.max(0, ...perDay) / 1000, 2),
      meanPerVehicleDaySeconds: round(perDay.length ? perDay.reduce((a, b) => a + b, 0) / perDay.length / 1000 : 0, 2),
      dutyCycleViolations: airStats.reduce((s, a) => s + a.dutyCycleViolations, 0),
    },
    frames: {
      count: frames.count,
      live: frames.live,
      batches: frames.batches,
      bytesPerStopReport: round(frameBytes.batchReports ? frameBytes.batchBytes / frameBytes.batchReports : NaN, 2),
      meanLiveBytes: round(frameBytes.live.length ? frameBytes.live.reduce((a, b) => a + b, 0) / frameBytes.live.length : NaN, 2),
    },
    counting: countErrors(allTruth),
    run: { simulatedHours: round(simulatedHours, 2), wallSeconds: round(wallSeconds, 2), simulatedHoursPerWallSecond: round(simulatedHours / wallSeconds, 1) },
    ...(options.keepDetails
      ? { details: { truth: allTruth, scored: delivered, reports: [...rigs.values()].flatMap((r) => [...r.records.values()].map((d) => ({ vehicleId: r.block.vehicleId, report: d.report }))) } }
      : {}),
  };
}
