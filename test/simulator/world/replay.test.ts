import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { runScenario } from '../../../simulator/day-run/run-scenario.js';
import { loadScenario } from '../../../simulator/scenario.js';

const SCENARIO = fileURLToPath(new URL('../../fixtures/scenarios/replay-two-trips.yaml', import.meta.url));

describe('replay of counted trips', function () {
  this.timeout(60_000);

  it('makes the counted boardings and alightings the ground truth, with one tram for both trips', async () => {
    // The running sum: with perfect door counters it must equal the truth exactly (the model is scored elsewhere).
    const report = await runScenario(loadScenario(SCENARIO, ['gateway.estimator=running-sum']), { keepDetails: true });
    const truth = report.details!.truth;
    assert.equal(report.vehicles, 1, 'the return trip starts where the first ended: one tram');
    // Nine stop visits: the terminus serves the last stop of trip A and the first of trip B at once.
    assert.equal(truth.length, 9);
    assert.deepEqual(
      truth.map((t) => [t.stopName, t.boardings, t.alightings]),
      [
        ['Alpha', 12, 0],
        ['Beta', 8, 3],
        ['Gamma', 5, 6],
        ['Delta', 2, 9],
        ['Epsilon', 9, 9],
        ['Delta', 6, 2],
        ['Gamma', 4, 5],
        ['Beta', 1, 6],
        ['Alpha', 0, 7],
      ],
    );
    assert.deepEqual(truth.map((t) => t.loadAfter), [12, 17, 16, 9, 9, 13, 12, 7, 0]);
    assert.equal(truth[4]!.terminus, true);
    // Perfect sensors and radio: the estimate equals the truth everywhere, and all arrives.
    assert.equal(report.delivery.lost, 0);
    assert.equal(report.occupancy.mae, 0);
  });

  it('says where to put the file when the replay file is missing', async () => {
    const scenario = { ...loadScenario(SCENARIO), replay: { file: 'nowhere.csv.gz', vehicleType: 'MGT-XL', balance: 'clamp' as const } };
    await assert.rejects(runScenario(scenario), /no replay file at .*nowhere\.csv\.gz/);
  });
});
