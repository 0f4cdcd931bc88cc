import assert from 'node:assert/strict';
import { DEFAULT_PLAN, HELD_OUT_LINES, HELD_OUT_SEED_FROM, GENEVA_HELD_OUT_DAYS, SENSOR_RANGE, startsWarm, trainingScenarios, warmUpDay } from '../../models/training/plan.js';

describe('training plan', () => {
  const scenarios = trainingScenarios(DEFAULT_PLAN);

  it('starts every second day warm by default, and none with warmEvery 0', () => {
    const warm = scenarios.filter((_, i) => startsWarm(DEFAULT_PLAN, i));
    assert.equal(warm.length, Math.floor(scenarios.length / 2));
    assert.ok(warm.some((s) => s.replay) && warm.some((s) => !s.replay), 'Halle days and Geneva replays both start warm');
    assert.equal(scenarios.filter((_, i) => startsWarm({ ...DEFAULT_PLAN, warmEvery: 0 }, i)).length, 0);
    assert.equal(scenarios.filter((_, i) => startsWarm({ ...DEFAULT_PLAN, warmEvery: 1 }, i)).length, scenarios.length);
  });

  it('warms a Halle day with the same weekday a week earlier, and a replay with its own day, each on a seed of its own', () => {
    const halle = scenarios.find((s) => !s.replay)!;
    const w = warmUpDay(halle);
    const weekday = (d: string) => new Date(`${d}T12:00:00Z`).getUTCDay();
    assert.equal(weekday(w.date), weekday(halle.date));
    assert.equal((Date.parse(halle.date) - Date.parse(w.date)) / 86_400_000, 7);
    assert.deepEqual(w.lines, halle.lines, 'the same timetable, so the same vehicles');
    assert.deepEqual(w.sensors, halle.sensors, 'the same installation');
    assert.notEqual(w.seed, halle.seed);

    const geneva = scenarios.find((s) => s.replay)!;
    const g = warmUpDay(geneva);
    assert.equal(g.date, geneva.date, 'the counted week holds no earlier day');
    assert.notEqual(g.seed, geneva.seed);
  });

  it('never touches what is held out: line 9, seeds from 9000, Geneva\'s Thursday and Friday, warm-up days included', () => {
    for (const s of [...scenarios, ...scenarios.map(warmUpDay)]) {
      assert.ok(s.seed < HELD_OUT_SEED_FROM, `${s.name} seed ${s.seed}`);
      assert.ok(!GENEVA_HELD_OUT_DAYS.includes(s.date), `${s.name} ${s.date}`);
      for (const l of s.lines) assert.ok(!HELD_OUT_LINES.some((h) => l.file.includes(`${h}.yaml`)), `${s.name} ${l.file}`);
    }
  });

  it('draws door quality beyond the range, so its worst installation is not the edge, and the camera within it', () => {
    const beyond = (list: typeof scenarios) => list.filter((s) => s.sensors.doorMissClose > SENSOR_RANGE.doorMissClose).length;
    const worst = scenarios.filter((s) => s.sensors.doorMissClose >= 0.8 * SENSOR_RANGE.doorMissClose);
    assert.ok(beyond(scenarios) >= 3, `${beyond(scenarios)} days beyond the range`);
    assert.ok(worst.length >= 6, `${worst.length} days at 80 % of the range or worse`);
    for (const s of scenarios) {
      assert.ok(s.sensors.doorMissClose <= DEFAULT_PLAN.doorQualityMax * SENSOR_RANGE.doorMissClose + 1e-12, s.name);
      assert.ok(s.sensors.doorMissBase <= DEFAULT_PLAN.doorQualityMax * SENSOR_RANGE.doorMissBase + 1e-12, s.name);
      assert.ok(s.sensors.cameraCrowdUndercount <= SENSOR_RANGE.cameraCrowdUndercount + 1e-12, s.name);
      assert.ok(s.sensors.cameraNoiseSd <= SENSOR_RANGE.cameraNoiseSd + 1e-12, s.name);
    }
    const within = trainingScenarios({ ...DEFAULT_PLAN, doorQualityMax: 1 });
    assert.equal(beyond(within), 0, 'doorQualityMax 1 stays within the range, as model 1.2.0');
    assert.deepEqual(within.map((s) => [s.name, s.seed, s.date]), scenarios.map((s) => [s.name, s.seed, s.date]), 'the same days, only their doors differ');
  });
});
