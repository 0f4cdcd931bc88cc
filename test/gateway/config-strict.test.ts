/**
 * The vehicle config is strict: any unknown key at any level is refused and named; the vehicle type
 * must be one the software knows and a fleet number must lie in its range; ids, EUIs and the time
 * zone are checked. The vehicle types file itself keeps one type per fleet number.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ConfigError } from '../../common/errors.js';
import { GatewayConfigSchema, GatewaySecretsSchema, parseGatewayConfig } from '../../gateway/config.js';
import { fleetNumberProblem, loadVehicleTypes, VehicleTypeSchema } from '../../contracts/vehicle-types.js';
import { lenientObjects } from '../helpers/zod-walk.js';
import { VALID_CONFIG } from './config.test.js';

const TYPES = loadVehicleTypes();
const XL = TYPES.get('MGT-XL')!;

/** VALID_CONFIG with every optional section present, so every level of the schema has an instance. */
const FULL = {
  ...VALID_CONFIG,
  timeZone: 'Europe/Berlin',
  modem: { ...VALID_CONFIG.modem, resetCommand: ['gpioset', 'gpiochip0', '17=0'] },
  estimation: { useModel: true },
  counting: { departureGraceSeconds: 15 },
  sources: {
    ibis: { port: '/dev/tram-ibis' },
    doorBoard: { port: '/dev/tram-doors', mapping: TYPES.get('MGT-K1')!.doorBoard, timing: {} },
    camera: { port: '/dev/tram-camera' },
    radio: { ble: true },
  },
  log: { level: 'info' },
};

function refused(raw: unknown, field: string, message: RegExp, options?: Parameters<typeof parseGatewayConfig>[2]): void {
  assert.throws(() => parseGatewayConfig(raw, '(test)', options), (e: unknown) => {
    assert.ok(e instanceof ConfigError, String(e));
    assert.equal(e.field, field);
    assert.match(e.message, message);
    return true;
  });
}

function withVehicle(vehicle: Partial<typeof VALID_CONFIG.vehicle>): unknown {
  return { ...VALID_CONFIG, vehicle: { ...VALID_CONFIG.vehicle, ...vehicle } };
}

function mappingPaths(value: unknown, path: string[] = []): string[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => mappingPaths(v, [...path, String(i)]));
  if (value === null || typeof value !== 'object') return [];
  return [path, ...Object.entries(value).flatMap(([k, v]) => mappingPaths(v, [...path, k]))];
}

describe('gateway config: strict inputs', () => {
  it('has no section that accepts undeclared keys, at any level (config, secrets, vehicle types)', () => {
    assert.deepEqual(lenientObjects(GatewayConfigSchema), []);
    assert.deepEqual(lenientObjects(GatewaySecretsSchema), []);
    assert.deepEqual(lenientObjects(VehicleTypeSchema), []);
  });

  it('refuses any unknown key at any level, naming it', () => {
    assert.doesNotThrow(() => parseGatewayConfig(FULL));
    const paths = mappingPaths(FULL);
    assert.ok(paths.length >= 15, `${paths.length} levels`);
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.stringMatching(/^[a-z][A-Za-z0-9]{0,11}$/), (path, key) => {
        const raw = structuredClone(FULL) as Record<string, unknown>;
        const node = path.reduce((n, k) => (n as Record<string, unknown>)[k], raw as unknown) as Record<string, unknown>;
        fc.pre(!(key in node));
        node[key] = 1;
        assert.throws(() => parseGatewayConfig(raw), (e: unknown) => e instanceof ConfigError && e.field === [...path, key].join('.') && /unknown field/.test(e.message));
      }),
      { numRuns: 150 },
    );
  });

  it('suggests the key that was meant', () => {
    refused({ ...VALID_CONFIG, uplink: { ...VALID_CONFIG.uplink, dailyAirtimeMS: 1000 } }, 'uplink.dailyAirtimeMS', /unknown field; did you mean dailyAirtimeMs\?/);
  });

  it('refuses a vehicle type the software does not know, listing the known ones', () => {
    refused(withVehicle({ type: 'MGT-K9' }), 'vehicle.type', /unknown vehicle type "MGT-K9" \(known: MGT6D, MGT-K1.*contracts\/data\/vehicle-types\.yaml/);
    // On the bench too: the simulator's own fleet numbers are not checked, the type is.
    refused(withVehicle({ type: 'MGT-K9' }), 'vehicle.type', /unknown vehicle type/, { fleet: 'bench' });
  });

  it('refuses a fleet number outside its type\'s range, and says whose it is', () => {
    refused(withVehicle({ type: 'MGT-XL', id: '663' }), 'vehicle.id', /fleet number 663 is not an MGT-XL \(its fleet numbers are 851-867\); 663 is an MGT-K1/);
    refused(withVehicle({ type: 'MGT-XL', id: '9001' }), 'vehicle.id', /851-867\)$|851-867\) \(in/);
    assert.equal(parseGatewayConfig(withVehicle({ type: 'MGT-XL', id: '9001' }), '(bench)', { fleet: 'bench' }).vehicle.id, '9001');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 99_999 }), (n) => {
        const inRange = n >= XL.fleet.from && n <= XL.fleet.to;
        assert.equal(fleetNumberProblem(TYPES, String(n), 'MGT-XL') === undefined, inRange, String(n));
      }),
    );
    // Ids that are not fleet numbers (a test rig's) are not range-checked.
    assert.equal(parseGatewayConfig(withVehicle({ id: 'bench-1' })).vehicle.id, 'bench-1');
  });

  it('refuses vehicle ids with spaces or odd characters, EUIs that are not hex, zones that do not exist', () => {
    for (const id of ['66 1', '661;rm', '', 'ü661', '661/2']) refused(withVehicle({ id }), 'vehicle.id', /expected a fleet number/);
    refused({ ...VALID_CONFIG, lorawan: { ...VALID_CONFIG.lorawan, devEui: '70b3d57ed001029g' } }, 'lorawan.devEui', /8 bytes of hex/);
    refused({ ...VALID_CONFIG, lorawan: { ...VALID_CONFIG.lorawan, joinEui: '70b3d57ed00000' } }, 'lorawan.joinEui', /8 bytes of hex/);
    refused({ ...VALID_CONFIG, timeZone: 'Europe/Halle' }, 'timeZone', /unknown time zone "Europe\/Halle".*Europe\/Berlin/);
  });

  describe('the vehicle types file', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'types-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));
    const type = (id: string, from: number, to: number) =>
      `  - { id: ${id}, name: ${id}, fleet: { from: ${from}, to: ${to} }, lengthM: 20, seats: 50, standing: 60, doors: 3, doorsConfirmed: false, levels: { medium: 25, high: 70 } }\n`;

    it('keeps one type per fleet number, and refuses unknown keys', () => {
      const path = join(dir, 'types.yaml');
      writeFileSync(path, `types:\n${type('A', 1, 10)}${type('B', 10, 20)}`);
      assert.throws(() => loadVehicleTypes(path), /types\.1\.fleet: fleet numbers 10-20 overlap A's 1-10/);
      writeFileSync(path, `types:\n${type('A', 1, 10)}${type('A', 11, 20)}`);
      assert.throws(() => loadVehicleTypes(path), /types\.1\.id: type A is listed twice/);
      writeFileSync(path, `types:\n${type('A', 10, 1)}`);
      assert.throws(() => loadVehicleTypes(path), /fleet\.from must not be above fleet\.to/);
      writeFileSync(path, `types:\n${type('A', 1, 10).replace('doors: 3', 'door: 3, doors: 3')}`);
      assert.throws(() => loadVehicleTypes(path), /types\.0\.door: unknown field; did you mean doors\?/);
    });
  });
});
