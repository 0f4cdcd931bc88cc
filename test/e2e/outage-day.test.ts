import assert from 'node:assert/strict';
import { runScenario, type BenchReport } from '../../simulator/day-run/run-scenario.js';
import { loadScenario } from '../../simulator/scenario.js';

/** The delivery acceptance day (issue 3), at SF7 and at SF9. */
for (const dataRate of [5, 3]) {
  describe(`outage-day at DR${dataRate} (coverage gap, loss, three power cuts per gateway)`, function () {
    this.timeout(120_000);
    let report: BenchReport;
    before(async () => {
      report = await runScenario(loadScenario('outage-day', [`network.dataRate=${dataRate}`]));
    });

    it('loses no report and hands none on twice, though every gateway lost power three times', () => {
      assert.ok(report.power.cuts >= 3 * report.vehicles && report.power.restarts === report.power.cuts);
      assert.ok(report.delivery.generated > 500);
      assert.equal(report.delivery.lost, 0);
      assert.equal(report.delivery.duplicates, 0);
      assert.ok(report.delivery.missedWhilePoweredOff > 0, 'stops served without power are not counted, and not reports');
    });

    it('stays inside the airtime and downlink rules', () => {
      assert.equal(report.airtime.dutyCycleViolations, 0);
      assert.ok(report.airtime.perVehicleDaySeconds <= 30, `${report.airtime.perVehicleDaySeconds} s`);
      assert.ok(report.airtime.maxDownlinksPerVehicleDay <= 10, `${report.airtime.maxDownlinksPerVehicleDay} downlinks`);
    });

    it('measures the live level outside the gap', () => {
      assert.ok(Number.isFinite(report.delivery.liveLatencyP95Seconds) && report.delivery.liveLatencyP95Seconds < 90);
      assert.ok(report.delivery.liveDelivered > 0);
    });
  });
}
