import assert from 'node:assert/strict';
import { calibrateDemand, DEFAULT_CALIBRATION_OPTIONS } from '../../../simulator/demand/calibration.js';
import { compareFit } from '../../../simulator/demand/fit-compare.js';
import { formatFitReport, formatHoldout, holdout } from '../../../simulator/demand/fit-report.js';
import { renderFitSvg } from '../../../simulator/demand/fit-svg.js';
import { syntheticWeek } from './synthetic.js';

const provenance = {
  source: 'synthetic',
  sourceBytes: 0,
  calibratedAt: '2025-01-01T00:00:00.000Z',
  dates: [],
  lines: [],
  rowsRead: 0,
  rowsRejected: 0,
  rejectedByReason: {},
  tripsRead: 0,
  notes: [],
};

describe('fit report', function () {
  this.timeout(60_000);

  it('replays the trips through the model and finds the fit it was calibrated for', () => {
    const { trips } = syntheticWeek(5, ['20121002', '20121006']);
    const calibration = calibrateDemand(trips, provenance, { ...DEFAULT_CALIBRATION_OPTIONS, missingTramFactor: 3 });
    const report = compareFit(calibration, trips, { seed: 1, capacity: 1000, stops: 'source' });
    assert.ok(Math.abs(report.total.errorPct) < 3, `total ${report.total.errorPct}%`);
    assert.ok(report.profile.weekday.correlation > 0.95, `weekday r ${report.profile.weekday.correlation}`);
    report.boardingShare.data.forEach((d, k) => assert.ok(Math.abs(d - report.boardingShare.model[k]!) < 0.02, `position ${k}`));
    assert.equal(report.daily.length, 2);
    assert.equal(report.capacityLimitedVisits, 0);
    // The same replay gives the same report.
    assert.deepEqual(compareFit(calibration, trips, { seed: 1, capacity: 1000, stops: 'source' }), report);

    const table = formatFitReport(report);
    assert.match(table, /\| boardings, whole week/);
    const svg = renderFitSvg(report, 'test');
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/<polyline /g) ?? []).length, 2 + 2 + 4 + 3);
    assert.doesNotMatch(svg, /NaN|undefined|Infinity/);
    // Boardings grow with the gap since the last tram, in the counts and in the model.
    const grows = (v: number[]): boolean => v.filter(Number.isFinite).every((x, k, a) => k === 0 || x >= a[k - 1]! - 0.05);
    assert.ok(grows(report.byGap.data) && grows(report.byGap.model));
  });

  it('carries over to a day it was not calibrated on', () => {
    const { trips } = syntheticWeek(6, ['20121001', '20121002', '20121003']);
    const calibration = calibrateDemand(trips, provenance, { ...DEFAULT_CALIBRATION_OPTIONS, missingTramFactor: 3 });
    const h = holdout(trips, calibration, { seed: 2, capacity: 1000 }, ['20121003']);
    assert.deepEqual(h.report.daily.map((d) => d.date), ['20121003']);
    assert.ok(Math.abs(h.report.daily[0]!.errorPct) < 5, `held-out day ${h.report.daily[0]!.errorPct}%`);
    assert.match(formatHoldout(h), /Held out 20121003/);
  });
});
