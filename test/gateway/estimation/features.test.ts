import assert from 'node:assert/strict';
import type { StopEvent } from '../../../gateway/counting/stop-event.js';
import { FEATURE_INDEX, FeatureBuilder } from '../../../gateway/estimation/features.js';

const T = Date.UTC(2026, 10, 23, 6, 30, 0); // 07:30 in Berlin, a Monday
function stop(boardings: number, alightings: number, extra: Partial<StopEvent> = {}): StopEvent {
  return { stop: 1, trip: { line: 5, course: 1, destination: 51 }, arrival: T, departure: T, doors: [], boardings, alightings, terminus: false, faults: [], ...extra };
}

describe('FeatureBuilder', () => {
  it('keeps the trip state, normalised by capacity', () => {
    const fb = new FeatureBuilder({ capacity: 100, seats: 40, timeZone: 'Europe/Berlin' });
    fb.next(stop(10, 0));
    const r = fb.next(stop(5, 8, { camera: { before: 9, after: 7, confidence: 0.9 } }));
    const f = (name: keyof typeof FEATURE_INDEX) => r.features[FEATURE_INDEX[name]]!;
    assert.equal(r.runningSum, 7);
    assert.ok(Math.abs(f('running_sum') - 0.07) < 1e-6);
    assert.ok(Math.abs(f('cum_in') - 0.15) < 1e-6);
    assert.ok(Math.abs(f('cum_out') - 0.08) < 1e-6);
    assert.ok(Math.abs(f('camera_after') - 0.07) < 1e-6);
    assert.equal(f('camera_present'), 1);
    assert.equal(f('stops_since_start'), 2);
    assert.equal(f('capacity'), 100);
    assert.ok(Math.abs(f('seats_share') - 0.4) < 1e-6);
    assert.ok(Math.abs(Math.atan2(f('hour_sin'), f('hour_cos')) / (2 * Math.PI) * 24 - 7.5) < 1e-3, '07:30 local');
    assert.equal(f('weekend'), 0);
  });

  it('starts the trip afresh at a terminus (alightings belong to the old trip)', () => {
    const fb = new FeatureBuilder({ capacity: 100, seats: 40, timeZone: 'Europe/Berlin' });
    fb.next(stop(30, 0));
    const r = fb.next(stop(12, 25, { terminus: true }));
    assert.equal(r.runningSum, 12);
    assert.ok(Math.abs(r.features[FEATURE_INDEX.cum_out]!) < 1e-9);
    assert.equal(r.features[FEATURE_INDEX.terminus], 1);
    assert.equal(r.features[FEATURE_INDEX.stops_since_start], 1);
  });

  it('marks faults and a missing camera, and counts radio devices across departures', () => {
    const fb = new FeatureBuilder({ capacity: 100, seats: 40, timeZone: 'Europe/Berlin' });
    ['a', 'b'].forEach((p) => fb.onRadioSighting(p));
    fb.next(stop(1, 0));
    ['a', 'c'].forEach((p) => fb.onRadioSighting(p));
    const r = fb.next(stop(1, 0, { faults: ['beam', 'camera'] }));
    assert.equal(r.features[FEATURE_INDEX.door_fault], 1);
    assert.equal(r.features[FEATURE_INDEX.camera_fault], 1);
    assert.equal(r.features[FEATURE_INDEX.camera_present], 0);
    assert.equal(r.features[FEATURE_INDEX.camera_after], -1);
    assert.ok(Math.abs(r.features[FEATURE_INDEX.radio_persistent]! - 0.01) < 1e-6, 'a was heard on both sides of the departure');
    assert.ok(Math.abs(r.features[FEATURE_INDEX.radio_current]! - 0.02) < 1e-6);
  });
});
