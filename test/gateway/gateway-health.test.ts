import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../common/clock.js';
import { Rng } from '../../common/random.js';
import type { EstimatorStatus, LoadEstimator } from '../../gateway/estimation/estimator.js';
import { RunningSumEstimator } from '../../gateway/estimation/estimator.js';
import { OnnxEstimator } from '../../gateway/estimation/onnx-estimator.js';
import type { OnnxLoadModel } from '../../gateway/estimation/onnx-model.js';
import { estimatorHealth, fitHealth, Gateway, healthParts } from '../../gateway/gateway.js';
import { MODEL_VERSION_NO_MODEL, MODEL_VERSION_NOT_REPORTED, modelVersionCode, modelVersionText } from '../../contracts/model-metadata.js';
import { Outbox } from '../../gateway/uplink/outbox.js';
import { DEFAULT_SCHEDULER_OPTIONS } from '../../gateway/uplink/uplink-scheduler.js';
import { decodeUplink, encodeHealth, EstimatorMode } from '../../proto/frames.js';
import { FakeLoraModem } from '../helpers/fake-lora-modem.js';

const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);
const vehicle = { capacity: 100, seats: 40, levels: { medium: 20, high: 60 }, timeZone: 'Europe/Berlin' };
const model = { predict: async () => ({ load: Float32Array.of(0), uncertainty: Float32Array.of(1), level: Int32Array.of(1), gtfsStatus: Int32Array.of(1) }) } as unknown as OnnxLoadModel;

function gatewayOn(outbox: Outbox, estimator: LoadEstimator) {
  const clock = new VirtualClock(T0);
  const modem = new FakeLoraModem(clock, new Rng(1), { refusing: () => false, inCoverage: () => true, uplinkLoss: 0, downlinkLoss: 0, ackIntervalMs: Infinity });
  return new Gateway(
    { clock, modem, outbox, estimator },
    {
      vehicleId: '661', capacity: 100, seats: 40, levels: vehicle.levels, departureGraceMs: 15_000, liveEnabled: true,
      dailyAirtimeMs: 30_000, serviceHours: 19, dayOf: (t) => Math.floor(t / 86_400_000) * 86_400_000, scheduler: { ...DEFAULT_SCHEDULER_OPTIONS },
    },
  );
}

const healthOf = (gateway: Gateway) => {
  const bytes = encodeHealth(gateway.scheduler.healthSource!());
  const decoded = decodeUplink(3, bytes, T0);
  assert.equal(decoded.kind, 'health');
  return { bytes, health: decoded.kind === 'health' ? decoded.message : undefined! };
};

describe('Gateway health: the estimator and the self-calibration', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gateway-health-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reports what the vehicle learned, restored from its outbox after a restart', () => {
    const path = join(dir, 'outbox.db');
    const learned = {
      calibration: { version: 1, trips: 40, tripIn: 2000, tripOut: 1800, doorIn: [1000, 1000], doorOut: [1000, 800], quiet: 90, quietCamera: 1100, quietDoors: 1000 },
      guard: { version: 1, tripEnds: 40, weight: 10, modelError: 35, sumError: 12, fallback: true },
    };
    const before = new Outbox({ path });
    before.saveEstimatorState(learned);
    before.close();
    const outbox = new Outbox({ path });
    const { health, bytes } = healthOf(gatewayOn(outbox, new OnnxEstimator(model, vehicle)));
    assert.equal(health.estimatorMode, EstimatorMode.ESTIMATOR_MODE_GUARD_FALLBACK);
    assert.equal(health.calibrationTrips, 40);
    assert.ok(Math.abs(health.inOutPermilleOff - -97) <= 2, `outs per in about 1860/2060: ${health.inOutPermilleOff}`);
    assert.ok(Math.abs(health.cameraScalePermilleOff - 96) <= 2, `camera per door about 1140/1040: ${health.cameraScalePermilleOff}`);
    assert.equal(health.worstDoor, 2);
    assert.ok(health.worstDoorPermilleOff < -150);
    assert.deepEqual([health.guardModelErrorTenths, health.guardSumErrorTenths], [35, 12]);
    assert.ok(bytes.length <= 51);
    outbox.close();
  });

  it('says "running sum" without a model, and zero for what an old gateway never sent', () => {
    const outbox = new Outbox({ path: ':memory:' });
    const { health } = healthOf(gatewayOn(outbox, new RunningSumEstimator(vehicle)));
    assert.equal(health.estimatorMode, EstimatorMode.ESTIMATOR_MODE_RUNNING_SUM);
    assert.equal(health.modelVersion, MODEL_VERSION_NO_MODEL, 'no model, said as such: not "not reported"');
    const old = decodeUplink(3, encodeHealth({ uptimeMin: 1, outboxDepth: 0, oldestPendingSeq: 0, sensorFaults: 0, airtimeTodayMs: 0, modelVersion: 0, softwareVersion: 0, restarts: 1, outboxDropped: 0, liveSkipped: 0, newestSeq: 0, outboxEpoch: 0, appendFailures: 0, reportsHeld: 0 }), T0);
    assert.equal(old.kind === 'health' && old.message.estimatorMode, EstimatorMode.ESTIMATOR_MODE_UNKNOWN);
    assert.equal(old.kind === 'health' && old.message.modelVersion, MODEL_VERSION_NOT_REPORTED);
    outbox.close();
  });

  it('reports the loaded model\'s version as major*10000 + minor*100 + patch, and 0 for a version that is not one', () => {
    const outbox = new Outbox({ path: ':memory:' });
    const named = (version: string) => Object.assign(Object.create(model) as OnnxLoadModel, { version });
    assert.equal(healthOf(gatewayOn(outbox, new OnnxEstimator(named('1.2.0'), vehicle))).health.modelVersion, 10200);
    assert.equal(healthOf(gatewayOn(outbox, new OnnxEstimator(named('1.2.0-noradio'), vehicle))).health.modelVersion, 10200, 'the suffix is not carried');
    assert.equal(healthOf(gatewayOn(outbox, new OnnxEstimator(named('unknown'), vehicle))).health.modelVersion, MODEL_VERSION_NOT_REPORTED);
    assert.equal(healthOf(gatewayOn(outbox, new OnnxEstimator(named('0.0.1'), vehicle))).health.modelVersion, MODEL_VERSION_NOT_REPORTED, 'below 1.0.0 would collide with the reserved values');
    assert.deepEqual([modelVersionCode('12.34.56'), modelVersionCode('1.100.0'), modelVersionText(123456), modelVersionText(MODEL_VERSION_NO_MODEL)], [123456, undefined, '12.34.56', undefined]);
    outbox.close();
  });

  it('keeps the health frame within 51 bytes however large the figures, the estimator fields giving way last first', () => {
    const outbox = new Outbox({ path: ':memory:' });
    for (let i = 0; i < 3; i++) outbox.append({ departure: T0, stop: 1, line: 5, course: 1, destination: 51, boardings: 1, alightings: 0, load: 1, flags: 0 });
    const extreme: EstimatorStatus = { mode: 'guard-fallback', calibrationTrips: 1e6, inOutRatio: 0.75, cameraScale: 1.5, worstDoor: 8, worstDoorRatio: 0.75, modelScale: 1.1, guardModelError: 1e4, guardSumError: 1e4 };
    const estimator: LoadEstimator = { name: 'x', next: () => ({ load: 0, sigma: 1, source: 'model', lowConfidence: false }), status: () => extreme };
    const full = gatewayOn(outbox, estimator).scheduler.healthSource!();
    assert.ok(encodeHealth(full).length <= 51, `${encodeHealth(full).length} bytes`);
    assert.equal(full.guardModelErrorTenths, 127, 'saturates');
    assert.equal(full.calibrationTrips, 127);
    // A base frame as large as it may get leaves less room: the guard, then the door fields give way.
    const big = { uptimeMin: 2 ** 20, outboxDepth: 50_000, oldestPendingSeq: 2 ** 31, sensorFaults: 63, airtimeTodayMs: 86_400_000, modelVersion: 2, softwareVersion: 100, restarts: 2 ** 14, outboxDropped: 2 ** 14, liveSkipped: 2 ** 14, newestSeq: 2 ** 31, outboxEpoch: 16_383, appendFailures: 0, reportsHeld: 0 };
    const tight = fitHealth(big, estimatorHealth(extreme));
    assert.ok(encodeHealth(tight).length <= 51, `${encodeHealth(tight).length} bytes`);
    assert.ok(encodeHealth(fitHealth(big, estimatorHealth(extreme).slice(0, 4))).length <= 51);
    assert.equal(tight.guardModelErrorTenths, undefined, 'the guard fields went first');
    assert.equal(tight.estimatorMode, EstimatorMode.ESTIMATOR_MODE_GUARD_FALLBACK, 'the mode goes last');
    // The model version goes after the estimator's fields: here the calibration went, the version and the mode stayed.
    const versioned = fitHealth(big, healthParts(10200, extreme));
    assert.ok(encodeHealth(versioned).length <= 51, `${encodeHealth(versioned).length} bytes`);
    assert.deepEqual([versioned.modelVersion, versioned.estimatorMode, versioned.calibrationTrips], [10200, EstimatorMode.ESTIMATOR_MODE_GUARD_FALLBACK, undefined]);
    // Counters beyond any service life: they saturate, the seqs and the outbox epoch go whole.
    const huge = { ...big, restarts: 2 ** 31, outboxDropped: 2 ** 31, liveSkipped: 2 ** 31, appendFailures: 2 ** 31, reportsHeld: 2 ** 20 };
    const saturated = fitHealth(huge, estimatorHealth(extreme));
    assert.ok(encodeHealth(saturated).length <= 51, `${encodeHealth(saturated).length} bytes`);
    assert.equal(saturated.newestSeq, 2 ** 31);
    assert.equal(saturated.outboxEpoch, 16_383);
    assert.equal(saturated.restarts, 16_383);
    // Saturated, there is room for the model version again (the mode, after it, has none).
    const lastOne = fitHealth(huge, healthParts(10200, extreme));
    assert.ok(encodeHealth(lastOne).length <= 51, `${encodeHealth(lastOne).length} bytes`);
    assert.deepEqual([lastOne.modelVersion, lastOne.estimatorMode, lastOne.restarts], [10200, undefined, 16_383]);
    outbox.close();
  });
});
