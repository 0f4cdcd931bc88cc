import assert from 'node:assert/strict';
import { ConfigError } from '../../../common/errors.js';
import { loadScenario } from '../../../simulator/scenario.js';

describe('scenario --set overrides', () => {
  it('sets nested fields, list elements by index, and validates the result', () => {
    const s = loadScenario('demo', ['network.dataRate=3', 'lines.0.maxVehicles=1', 'depth=device']);
    assert.equal(s.network.dataRate, 3);
    assert.equal(s.lines[0]!.maxVehicles, 1);
    assert.equal(s.depth, 'device');
  });

  it('names the path that cannot be set, and why', () => {
    assert.throws(() => loadScenario('demo', ['lines.7.maxVehicles=1']), (e: unknown) => e instanceof ConfigError && /give an index from 0 to 0/.test(e.message));
    assert.throws(() => loadScenario('demo', ['name.x=1']), (e: unknown) => e instanceof ConfigError && /not a mapping/.test(e.message));
    assert.throws(() => loadScenario('demo', ['depth=sideways']), (e: unknown) => e instanceof ConfigError && /depth/.test(e.message));
  });
});
