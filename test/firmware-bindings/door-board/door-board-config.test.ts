import assert from 'node:assert/strict';
import { ConfigError } from '../../../common/errors.js';
import { DoorBoardMappingSchema } from '../../../contracts/door-board-mapping.js';
import { parseGatewayConfig } from '../../../gateway/config.js';
import { loadVehicleTypes } from '../../../contracts/vehicle-types.js';

const VALID_CONFIG = {
  vehicle: { id: '661', type: 'MGT-K1', seats: 50, capacity: 118, levels: { medium: 25, high: 73 } },
  modem: { dialect: 'rui3', port: '/dev/ttyAMA0' },
  lorawan: { devEui: '70b3d57ed0010295', joinEui: '70b3d57ed0000000' },
  uplink: { outboxPath: '/var/lib/tram-occupancy/outbox.db' },
};

describe('door board config', () => {
  it('every vehicle type maps each of its doors to three distinct pins the board has', () => {
    const types = loadVehicleTypes();
    assert.ok(types.size >= 5);
    for (const t of types.values()) {
      const m = t.doorBoard;
      assert.ok(m, `${t.id} has a doorBoard mapping`);
      assert.deepEqual(
        m.doors.map((d) => d.door).sort((a, b) => a - b),
        Array.from({ length: t.doors }, (_, i) => i + 1),
        `${t.id}: doors 1..${t.doors}`,
      );
      const pins = m.doors.flatMap((d) => [d.contact, d.outer, d.inner]);
      assert.equal(new Set(pins).size, pins.length);
      assert.ok(pins.every((p) => p >= 2 && p <= (m.board === 'uno' ? 19 : 69)), `${t.id}: pins on the ${m.board}`);
    }
  });

  it('refuses a pin used twice, the serial pins, and a pin the board does not have, naming the place', () => {
    const bad = (doors: unknown, board = 'uno') => DoorBoardMappingSchema.safeParse({ board, doors });
    const twice = bad([{ door: 1, contact: 2, outer: 3, inner: 4 }, { door: 2, contact: 4, outer: 5, inner: 6 }]);
    assert.equal(twice.success, false);
    assert.deepEqual(twice.error!.issues[0]!.path, ['doors', 1, 'contact']);
    assert.equal(bad([{ door: 1, contact: 1, outer: 3, inner: 4 }]).success, false);
    assert.equal(bad([{ door: 1, contact: 20, outer: 3, inner: 4 }]).success, false);
    assert.equal(bad([{ door: 1, contact: 20, outer: 3, inner: 4 }], 'mega').success, true);
    assert.equal(bad([{ door: 1, contact: 2, outer: 3, inner: 4 }, { door: 1, contact: 5, outer: 6, inner: 7 }]).success, false);
  });

  it('is the gateway config section sources.doorBoard, with timing defaults, errors naming the field', () => {
    const mapping = { doors: [{ door: 1, contact: 2, outer: 3, inner: 4 }] };
    const c = parseGatewayConfig({ ...VALID_CONFIG, sources: { doorBoard: { port: '/dev/ttyACM0', mapping } } });
    assert.equal(c.sources.doorBoard?.baudRate, 57_600);
    assert.equal(c.sources.doorBoard?.timing.beamBlockedSeconds, 30);
    assert.equal(c.sources.doorBoard?.mapping.contactOpenLevel, 'low');
    assert.throws(
      () => parseGatewayConfig({ ...VALID_CONFIG, sources: { doorBoard: { port: '/dev/ttyACM0', mapping, timing: { beamDebounceMs: -1 } } } }),
      (e: Error) => e instanceof ConfigError && e.field === 'sources.doorBoard.timing.beamDebounceMs',
    );
    assert.throws(
      () => parseGatewayConfig({ ...VALID_CONFIG, sources: { doorBoard: { port: '/dev/ttyACM0' } } }),
      (e: Error) => e instanceof ConfigError && e.field === 'sources.doorBoard.mapping',
    );
  });
});
