import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runScenario, type BenchReport } from '../../simulator/day-run/run-scenario.js';
import { loadScenario } from '../../simulator/scenario.js';

const SHORT = fileURLToPath(new URL('../fixtures/scenarios/short.yaml', import.meta.url));

function withoutWallTime(r: BenchReport): Omit<BenchReport, 'run'> {
  const { run: _run, ...rest } = r;
  return rest;
}

describe('bench run, end to end (short scenario)', function () {
  this.timeout(120_000);
  let report: BenchReport;
  before(async () => {
    report = await runScenario(loadScenario(SHORT), { keepDetails: true });
  });

  it('delivers every stop report exactly once within the drain time', () => {
    assert.ok(report.stopEvents > 20, `only ${report.stopEvents} stop events`);
    assert.equal(report.delivery.generated, report.stopEvents);
    assert.equal(report.delivery.delivered, report.delivery.generated);
    assert.equal(report.delivery.lost, 0);
    assert.equal(report.delivery.duplicates, 0);
  });

  it('scores the delivered loads against the ground truth the run saw', () => {
    const details = report.details!;
    assert.equal(report.occupancy.n, details.scored.length);
    const mae = details.scored.reduce((s, x) => s + Math.abs(x.estimate - x.truth.loadAfter), 0) / details.scored.length;
    assert.equal(report.occupancy.mae, Math.round(mae * 1000) / 1000);
    // Every gateway stop event corresponds to a true stop visit of its vehicle.
    assert.equal(details.truth.length, report.stopEvents);
    const trueBoardings = details.truth.reduce((s, t) => s + t.boardings, 0);
    assert.ok(trueBoardings > 50, `too few passengers to mean anything (${trueBoardings})`);
  });

  it('stays inside the airtime rules', () => {
    assert.equal(report.airtime.dutyCycleViolations, 0);
    assert.ok(report.airtime.perVehicleDaySeconds <= 30);
    assert.ok(report.frames.count >= report.frames.live + report.frames.batches);
  });

  it('gives the same report for the same seed', async () => {
    const again = await runScenario(loadScenario(SHORT), { keepDetails: true });
    assert.deepEqual(withoutWallTime({ ...again, details: undefined }), withoutWallTime({ ...report, details: undefined }));
  });

  it('produces the same stop events at device depth (doors, vehicle bus and camera as bytes) as at event depth', async () => {
    const device = await runScenario(loadScenario(SHORT, ['depth=device']), { keepDetails: true });
    // Everything the counting saw came through the bindings: Firmata, IBIS telegrams, camera lines.
    const d = device.devices!;
    const counted = device.details!.reports.reduce((s, r) => s + r.report.boardings + r.report.alightings, 0);
    assert.equal(d.passagesFromBeams, counted, 'every counted passage was read from the beams');
    assert.ok(d.firmataMessages > counted, `Firmata messages ${d.firmataMessages}`);
    assert.ok(d.ibisTelegrams > 100 && d.staffNumbersDropped > 0 && d.cameraLines > 20, JSON.stringify(d));
    assert.equal(report.devices, undefined);
    const key = (r: { vehicleId: string; report: { departure: number } }) => `${r.vehicleId}/${r.report.departure}`;
    const events = (x: BenchReport) =>
      [...x.details!.reports]
        .sort((a, b) => key(a).localeCompare(key(b)))
        .map(({ vehicleId, report: r }) => ({ vehicleId, departure: r.departure, stop: r.stop, line: r.line, course: r.course, destination: r.destination, boardings: r.boardings, alightings: r.alightings, load: r.load, flags: r.flags }));
    assert.equal(device.stopEvents, report.stopEvents);
    assert.ok(device.details!.reports.length > 20);
    assert.deepEqual(events(device), events(report));
  });

  it('delivers the same day through RN2483 modems and a mixed fleet', async () => {
    for (const modems of ['rn2483', 'mixed']) {
      const r = await runScenario(loadScenario(SHORT, [`network.modems=${modems}`]));
      assert.equal(r.stopEvents, report.stopEvents, modems);
      assert.equal(r.delivery.delivered, r.delivery.generated, modems);
      assert.equal(r.delivery.duplicates, 0, modems);
      assert.equal(r.airtime.dutyCycleViolations, 0, modems);
      assert.ok(r.frames.count > 0);
    }
  });
});

