import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { correlation } from '../../../common/stats.js';
import { runCalibration } from '../../../simulator/demand/calibrate.js';
import { calibrateDemand, DEFAULT_CALIBRATION_OPTIONS } from '../../../simulator/demand/calibration.js';
import { parseDemandCalibration, type DemandCalibration } from '../../../simulator/demand/calibration-schema.js';
import { formatCsvField } from '../../../simulator/demand/csv-line.js';
import { modelVarianceToMean } from '../../../simulator/demand/dispersion.js';
import { syntheticWeek, trueBinRates, TRUTH } from './synthetic.js';

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

describe('calibrateDemand on a synthetic week with a known truth', function () {
  this.timeout(60_000);
  const week = syntheticWeek(7);
  let c: DemandCalibration;
  before(() => {
    // No uncounted trams here: the cap on long gaps would only hide the short workings' gaps.
    c = parseDemandCalibration(calibrateDemand(week.trips, provenance, { ...DEFAULT_CALIBRATION_OPTIONS, missingTramFactor: 3 }));
  });

  it('recovers the time-of-day profile, peaks included', () => {
    for (const weekend of [false, true]) {
      const p = c.timeOfDay[weekend ? 'weekend' : 'weekday'];
      // Bins with a few hundred events at least (a bin after midnight has a handful of boardings).
      const served = p.events.map((n, b) => (n >= 250 ? b : -1)).filter((b) => b >= 0);
      assert.ok(served.length >= 30, `${served.length} bins with service`);
      // Truth averaged over the bin's events; both normalised to mean 1 over the same bins.
      const binTruth = trueBinRates(week, weekend ? 'weekend' : 'weekday', 3);
      const truth = served.map((b) => binTruth[b]!);
      const got = served.map((b) => p.profile[b]!);
      const meanOf = (v: number[]): number => v.reduce((x, y) => x + y, 0) / v.length;
      const r = correlation(got, truth);
      assert.ok(r > 0.98, `profile correlation ${r}`);
      served.forEach((b, i) => {
        const want = truth[i]! / meanOf(truth);
        const have = got[i]! / meanOf(got);
        assert.ok(Math.abs(have - want) < 0.12 * want + 0.05, `${weekend ? 'weekend' : 'weekday'} bin ${b}: ${have} vs ${want}`);
      });
    }
    const wd = c.timeOfDay.weekday.profile;
    const peak = wd.indexOf(Math.max(...wd));
    assert.ok(peak === 15 || peak === 16, `morning peak in bin ${peak}`);
    assert.ok(wd[15]! > 3 * wd[11]!, 'the 07:30 bin is well above the 05:30 one');
    assert.equal(c.timeOfDay.weekday.events[2], 0, 'no service at 01:00');
    assert.equal(c.timeOfDay.weekday.medianHeadwayMinutes[20], TRUTH.headwayMinutes);
  });

  it('recovers the shape along the trip and the alighting probabilities', () => {
    const pos = c.position.boardingIntensity;
    // The truth of a bin: the truth at the places along a trip that fall into it (full trips of 12
    // stops, three times as many short ones of 8), averaged.
    const short = Array.from({ length: 6 }, (_, j) => (j + 1) / 7);
    const places = [...Array.from({ length: 10 }, (_, i) => (i + 1) / 11), ...short, ...short, ...short];
    const truth = (k: number): number => {
      const xs = places.filter((x) => 1 + Math.min(9, Math.floor(x * 10)) === k);
      return xs.reduce((s, x) => s + 1.2 - 0.6 * x, 0) / xs.length;
    };
    // Stop and position are told apart only through the short workings: a few stops link the bins,
    // so single bins are noisy; the whole shape is not.
    const bins = Array.from({ length: 10 }, (_, i) => i + 1);
    for (const k of bins) {
      const ratio = pos[k]! / pos[5]!;
      const want = truth(k) / truth(5);
      assert.ok(Math.abs(ratio - want) < 0.15 * want, `bin ${k}: ${ratio} vs ${want}`);
    }
    const r = correlation(bins.map((k) => pos[k]!), bins.map(truth));
    assert.ok(r > 0.95, `shape correlation ${r}`);
    assert.equal(pos[11], 0);
    const first = pos[0]! / pos[1]!;
    assert.ok(Math.abs(first - 1.3 / truth(1)) < 0.15 * first, `first stop / bin 1: ${first} vs ${1.3 / truth(1)}`);
    for (let k = 1; k <= 10; k++) {
      const want = 0.05 + 0.25 * ((k - 0.5) / 10);
      assert.ok(Math.abs(c.position.alightingProbability[k]! - want) < 0.03, `alight bin ${k}: ${c.position.alightingProbability[k]} vs ${want}`);
    }
    assert.equal(c.position.alightingProbability[11], 1);
  });

  it('recovers the stop factors', () => {
    const ids = Object.keys(c.stops.factors);
    assert.ok(ids.length >= 40);
    const r = correlation(
      ids.map((id) => Math.log(c.stops.factors[id]!)),
      ids.map((id) => Math.log(week.stopFactors.get(id)!)),
    );
    assert.ok(r > 0.95, `log factor correlation ${r}`);
    assert.ok(Math.abs(c.stops.lognormalSigma - 0.5) < 0.15, `sigma ${c.stops.lognormalSigma}`);
  });

  it('recovers the group sizes, and the var/mean of a plain compound Poisson', () => {
    const [p1, p2, p3] = c.groups.sizeTable;
    assert.ok(Math.abs(p1! - 0.8) < 0.05, `P(1) ${p1}`);
    assert.ok(Math.abs(p2! - 0.15) < 0.05, `P(2) ${p2}`);
    assert.ok(Math.abs(p3! - 0.05) < 0.03, `P(3) ${p3}`);
    assert.ok(Math.abs(c.groups.meanSize - 1.25) < 0.08, `mean size ${c.groups.meanSize}`);
    // Groups alone give var/mean = E[G²]/E[G] = 1.45/1.25 ≈ 1.5; rates that vary inside an hour's
    // cell add a little, which bursts and rate noise may take up, but not much.
    for (const mean of [0.5, 2, 8]) {
      const vm = modelVarianceToMean(c.groups.sizeTable, { ...c.groups.bursts, rateNoiseCv2: c.groups.rateNoiseCv2 }, mean);
      assert.ok(vm > 1.3 && vm < 2.3, `var/mean at ${mean}: ${vm}`);
    }
  });
});

describe('runCalibration (the calibrate command)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'calibrate-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a CSV, writes a calibration JSON that passes the schema, with provenance', async () => {
    const { trips } = syntheticWeek(3, ['20121002']);
    const lines = ['date,line,trip_id,direction,seq,stop_id,stop_name,arrival,boardings,alightings,load'];
    for (const t of trips) {
      for (const s of t.stops) {
        lines.push([t.date, t.line, t.tripId, String(t.direction), String(s.seq), s.stopId, s.stopName, s.arrivalText, String(s.boardings), String(s.alightings), String(s.reportedLoad)].map(formatCsvField).join(','));
      }
    }
    lines.push('20121002,A,broken,0,1,X,Y,99:99:99,1,1,0');
    const data = join(dir, 'week.csv');
    const out = join(dir, 'calibration.json');
    writeFileSync(data, `${lines.join('\n')}\n`);
    const progress: number[] = [];
    const run = await runCalibration({ data, out, calibratedAt: '2025-02-03T04:05:06.000Z', onProgress: (p) => progress.push(p.lines) });
    const saved = parseDemandCalibration(JSON.parse(readFileSync(out, 'utf8')));
    assert.deepEqual(saved, run.calibration);
    assert.equal(saved.provenance.source, 'week.csv');
    assert.equal(saved.provenance.calibratedAt, '2025-02-03T04:05:06.000Z');
    assert.equal(saved.provenance.rowsRead, lines.length - 1);
    assert.equal(saved.provenance.rowsRejected, 1);
    assert.deepEqual(saved.provenance.rejectedByReason, { 'bad-time': 1 });
    assert.equal(saved.provenance.rowsUsed, lines.length - 2);
    assert.ok(progress.length >= 1 && progress.at(-1) === lines.length);
  });
});
