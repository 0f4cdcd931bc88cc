/**
 * Scenarios are strict (docs/scenarios.md: a typo never silently does nothing): any unknown key at
 * any level is refused and named, in the file and through `--set`; time zones, dates, windows and
 * vehicle types are checked before a run starts.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { z } from 'zod';
import { ConfigError } from '../../../common/errors.js';
import { loadScenario, scenarioFromObject, ScenarioSchema } from '../../../simulator/scenario.js';
import { DemandCalibrationSchema } from '../../../simulator/demand/calibration-schema.js';
import { LineSchema } from '../../../simulator/world/network-data.js';
import { lenientObjects } from '../../helpers/zod-walk.js';

/** outage-day with every optional section present, so every level of the schema has an instance. */
function fullScenario(): Record<string, unknown> {
  const s = loadScenario('outage-day', [
    'faults=[{sensor: beam, door: 1, from: "10:00", to: "11:00", vehicles: ["661"]}]',
    'replay={file: x.csv, vehicleType: MGT-XL, lines: ["12"]}',
    'powerCuts.0.vehicles=["662"]',
  ]);
  const { path: _path, dir: _dir, ...raw } = s;
  return JSON.parse(JSON.stringify(raw)) as Record<string, unknown>;
}

/** Every path (as keys) to a mapping inside `value`, the top level included. */
function mappingPaths(value: unknown, path: string[] = []): string[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => mappingPaths(v, [...path, String(i)]));
  if (value === null || typeof value !== 'object') return [];
  return [path, ...Object.entries(value).flatMap(([k, v]) => mappingPaths(v, [...path, k]))];
}

function at(root: unknown, path: readonly string[]): Record<string, unknown> {
  return path.reduce((node, key) => (node as Record<string, unknown>)[key], root) as Record<string, unknown>;
}

function refusedNaming(run: () => unknown, field: string): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.ok(e.message.includes(`${field}: unknown field`), `${e.message} should name ${field}`);
    return true;
  });
}

const unknownKey = fc.stringMatching(/^[a-z][A-Za-z0-9]{0,11}$/);

describe('scenario: strict inputs', () => {
  it('has no section that accepts undeclared keys, at any level (scenario, line files, demand calibration)', () => {
    assert.deepEqual(lenientObjects(ScenarioSchema), []);
    assert.deepEqual(lenientObjects(LineSchema), []);
    assert.deepEqual(lenientObjects(DemandCalibrationSchema), []);
    // The walk finds a lenient object where there is one.
    assert.deepEqual(lenientObjects(z.object({ a: z.array(z.object({ b: z.number() })).default([]) }).strict()), ['a[]']);
  });

  it('refuses any unknown key at any level of the file, naming it', () => {
    const base = fullScenario();
    const paths = mappingPaths(base);
    assert.ok(paths.length >= 13, `${paths.length} levels`);
    fc.assert(
      fc.property(fc.constantFrom(...paths), unknownKey, (path, key) => {
        const raw = structuredClone(base);
        const node = at(raw, path);
        fc.pre(!(key in node));
        node[key] = 1;
        refusedNaming(() => scenarioFromObject(raw), [...path, key].join('.'));
      }),
      { numRuns: 150 },
    );
  });

  it('refuses any unknown key given with --set, naming it and the --set', () => {
    const sections = ['', 'network', 'demand', 'gateway', 'sensors', 'radio', 'lines.0'];
    fc.assert(
      fc.property(fc.constantFrom(...sections), unknownKey, (section, key) => {
        const field = section ? `${section}.${key}` : key;
        const known = section ? at(fullScenario(), section.split('.')) : fullScenario();
        fc.pre(!(key in known));
        refusedNaming(() => loadScenario('demo', [`${field}=3`]), field);
      }),
      { numRuns: 40 },
    );
    assert.throws(() => loadScenario('demo', ['network.datarate=3']), /network\.datarate: unknown field; did you mean dataRate\?.*\(with --set network\.datarate=3\)/);
  });

  it('refuses a time zone that does not exist, with a hint', () => {
    assert.throws(() => loadScenario('demo', ['timeZone=Europe/Halle']), /timeZone: unknown time zone "Europe\/Halle".*Europe\/Berlin/);
    assert.equal(loadScenario('demo', ['timeZone=Europe/Zurich']).timeZone, 'Europe/Zurich');
  });

  it('refuses windows that end before they start, and power cuts outside the day', () => {
    assert.throws(() => loadScenario('demo', ['network.coverageGaps=[{from: "15:00", to: "14:00"}]']), /network\.coverageGaps\.0\.to: 15:00 → 14:00 ends before it starts/);
    assert.throws(() => loadScenario('demo', ['faults=[{sensor: camera, from: "12:00", to: "12:00"}]']), /faults\.0\.to/);
    assert.throws(() => loadScenario('demo', ['end=04:00']), /end: the day ends \(04:00\) before it starts \(05:00\)/);
    assert.throws(() => loadScenario('demo', ['powerCuts=[{at: "23:00", minutes: 5}]']), /powerCuts\.0\.at: 23:00 is outside the simulated day 05:00–21:00/);
    assert.throws(() => loadScenario('demo', ['network.coverageGaps=[{from: "10:75", to: "11:00"}]']), /coverageGaps\.0\.from: expected HH:MM/);
    // Past midnight is written past 24:00.
    assert.equal(loadScenario('demo', ['network.coverageGaps=[{from: "20:00", to: "25:00"}]']).network.coverageGaps.length, 1);
  });

  it('refuses unknown vehicle types, impossible dates and odd fleet numbers', () => {
    assert.throws(() => loadScenario('demo', ['lines.0.vehicleType=MGT-K9']), /lines\.0\.vehicleType: unknown vehicle type "MGT-K9" \(known: .*MGT-K1/);
    assert.throws(() => loadScenario('demo', ['date=2026-02-30']), /date: not a calendar date/);
    assert.throws(() => loadScenario('demo', ['powerCuts=[{at: "08:00", minutes: 5, vehicles: ["66 1"]}]']), /powerCuts\.0\.vehicles\.0: expected a fleet number/);
  });
});
