import assert from 'node:assert/strict';
import type { StopEvent } from '../../../gateway/counting/stop-event.js';
import type { LoadEstimate } from '../../../gateway/estimation/estimator.js';
import { FEATURE_INDEX } from '../../../gateway/estimation/features.js';
import { GUARD_MIN_TRIP_ENDS } from '../../../gateway/estimation/model-guard.js';
import { OnnxEstimator } from '../../../gateway/estimation/onnx-estimator.js';
import type { ModelOutputs, OnnxLoadModel } from '../../../gateway/estimation/onnx-model.js';

function stop(boardings: number, alightings: number, faults: StopEvent['faults'] = []): StopEvent {
  return { stop: 1, trip: { line: 5, course: 1, destination: 51 }, arrival: 0, departure: 0, doors: [], boardings, alightings, terminus: false, faults };
}

/** A stand-in at the edge of the unit: answers what the test says, or fails. */
function fakeModel(answer: (features: Float32Array) => Partial<ModelOutputs> | Error): OnnxLoadModel {
  return {
    predict: async (features: Float32Array) => {
      const a = answer(features);
      if (a instanceof Error) throw a;
      return { load: Float32Array.of(0), uncertainty: Float32Array.of(1), level: Int32Array.of(1), ...a };
    },
  } as unknown as OnnxLoadModel;
}

const vehicle = { capacity: 100, seats: 40, levels: { medium: 20, high: 60 }, timeZone: 'Europe/Berlin' };

describe('OnnxEstimator', () => {
  it('reports the model load, clamped to [0, 2 x capacity]', async () => {
    const values = [-5, 42.6, 900];
    const est = new OnnxEstimator(fakeModel(() => ({ load: Float32Array.of(values.shift()!) })), vehicle);
    assert.equal((await est.next(stop(5, 0))).load, 0);
    const mid = await est.next(stop(5, 0));
    assert.equal(mid.load, 43);
    assert.equal(mid.source, 'model');
    assert.equal((await est.next(stop(5, 0))).load, 200);
  });

  it('falls back to the running sum when the model cannot run, and says so', async () => {
    const est = new OnnxEstimator(fakeModel(() => new Error('session lost')), vehicle);
    await est.next(stop(10, 0));
    const e = await est.next(stop(5, 3));
    assert.equal(e.source, 'running-sum');
    assert.equal(e.load, 12);
    assert.equal(e.lowConfidence, true);
    assert.equal(est.counters.fallbacks, 2);
  });

  it('flags low confidence on a sensor fault or a large uncertainty', async () => {
    const est = new OnnxEstimator(fakeModel((f) => ({ load: Float32Array.of(10), uncertainty: Float32Array.of(f[0]! > 0.2 ? 9 : 1) })), vehicle);
    assert.equal((await est.next(stop(10, 0))).lowConfidence, false);
    assert.equal((await est.next(stop(1, 0, ['camera']))).lowConfidence, true);
    assert.equal((await est.next(stop(20, 0))).lowConfidence, true, 'sd 9 of capacity 100 is too unsure');
  });

  it('feeds radio sightings to its features', async () => {
    let seen = -1;
    const est = new OnnxEstimator(fakeModel((f) => ((seen = f[19]!), {})), vehicle);
    est.observe({ type: 'radio', at: 0, pseudonym: 'p1', rssi: -60, medium: 'ble' });
    est.observe({ type: 'door', at: 0, door: 1, open: true });
    await est.next(stop(1, 0));
    assert.ok(Math.abs(seen - 0.01) < 1e-6, 'one device heard since the last departure');
  });
});

describe('OnnxEstimator guard and self-calibration', () => {
  /** A trip of 12 riders: they board at the terminus and all leave at the next, where a sparse camera sees them arrive. */
  async function trip(est: OnnxEstimator): Promise<LoadEstimate[]> {
    const terminus: StopEvent = { ...stop(10, 12), terminus: true, camera: { before: 12, after: 10, confidence: 0.95 } };
    return [await est.next(terminus), await est.next(stop(2, 0))];
  }
  /** A model that adds 8 riders nobody saw. */
  const biased = () => fakeModel((f) => ({ load: Float32Array.of(f[FEATURE_INDEX.running_sum]! * 100 + 8) }));

  it('falls back to the running sum when the model does worse at this vehicle\'s trip ends, and says so in its status', async () => {
    const est = new OnnxEstimator(biased(), vehicle);
    assert.equal((await trip(est))[1]!.source, 'model');
    for (let t = 0; t < GUARD_MIN_TRIP_ENDS; t++) await trip(est);
    const [, after] = await trip(est);
    assert.equal(after!.source, 'running-sum');
    assert.equal(after!.load, 12);
    assert.ok(est.counters.guarded > 0);
    const status = est.status();
    assert.equal(status.mode, 'guard-fallback');
    assert.ok(status.guardModelError > status.guardSumError + 5, JSON.stringify(status));
  });

  it('keeps the model when it does as well as the running sum', async () => {
    const est = new OnnxEstimator(fakeModel((f) => ({ load: Float32Array.of(f[FEATURE_INDEX.running_sum]! * 100) })), vehicle);
    for (let t = 0; t < 10; t++) await trip(est);
    assert.equal(est.status().mode, 'model');
    assert.equal((await trip(est))[1]!.source, 'model');
  });

  it('keeps what it learned in its store and takes it up again after a restart', async () => {
    let kept: unknown;
    const store = { load: () => kept, save: (s: unknown) => (kept = JSON.parse(JSON.stringify(s))) };
    const first = new OnnxEstimator(biased(), vehicle);
    first.persistTo(store);
    for (let t = 0; t < 8; t++) await trip(first);
    assert.ok(kept, 'saved at trip ends');
    const before = first.status();
    const second = new OnnxEstimator(biased(), vehicle);
    second.persistTo(store);
    assert.deepEqual(second.status(), before);
    assert.equal((await second.next(stop(1, 0))).source, 'running-sum', 'the guard\'s choice outlives the restart');
    // A store that cannot be read starts afresh instead of stopping the gateway.
    const broken = new OnnxEstimator(biased(), vehicle);
    broken.persistTo({ load: () => { throw new Error('disk gone'); }, save: () => { throw new Error('disk gone'); } });
    assert.equal(broken.status().calibrationTrips, 0);
    for (let t = 0; t < 3; t++) await trip(broken);
  });

  it('corrects the model by what the camera counts at this vehicle\'s quiet moments, and keeps that across a restart', async () => {
    let kept: { scale?: { moments: number } } | undefined;
    const store = { load: () => kept, save: (s: unknown) => (kept = JSON.parse(JSON.stringify(s))) };
    // The model says 80 % of the running sum; the camera counts what the doors counted.
    const under = () => fakeModel((f) => ({ load: Float32Array.of(f[FEATURE_INDEX.running_sum]! * 100 * 0.8) }));
    const est = new OnnxEstimator(under(), vehicle);
    est.persistTo(store);
    const quiet = async (): Promise<LoadEstimate[]> => {
      const out = [await est.next({ ...stop(10, 12), terminus: true, camera: { before: 12, after: 10, confidence: 0.95 } })];
      for (let i = 0; i < 5; i++) out.push(await est.next({ ...stop(2, 0), camera: { before: 10 + 2 * i, after: 12 + 2 * i, confidence: 0.95 } }));
      return out;
    };
    const first = await quiet();
    assert.equal(first[1]!.load, 10, 'nothing learned yet: the model\'s 80 % of 12, rounded');
    for (let t = 0; t < 60; t++) await quiet();
    const status = est.status();
    assert.equal(status.modelScale, 1.1, `at its bound: ${status.modelScale}`);
    assert.equal(status.mode, 'model');
    const later = await quiet();
    assert.equal(later[1]!.load, Math.round(Math.round(0.8 * 12) * 1.1), 'the corrected load is reported');
    assert.ok((kept?.scale?.moments ?? 0) > 100, 'the model scale is saved with the calibration at trip ends');
    const again = new OnnxEstimator(under(), vehicle);
    again.persistTo(store);
    assert.equal(again.status().modelScale, est.status().modelScale, 'and restored after a restart');
  });
});
