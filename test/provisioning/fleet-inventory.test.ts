import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { ConfigError } from '../../common/errors.js';
import { DEFAULT_INVENTORY_PATH, FleetInventory, inventoryLocation, type InventoryEntry } from '../../contracts/fleet-inventory.js';

const BIN = fileURLToPath(new URL('../../bin/occupancy.mjs', import.meta.url));
const entry = (vehicleId: string, devEui: string): InventoryEntry => ({
  vehicleId, type: 'MGT-K1', devEui, joinEui: '70b3d57ed0000000', modemDialect: 'rui3', provisionedAt: '2026-12-04T10:00:00Z',
});

describe('fleet inventory', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'inventory-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is found in one place: --inventory, else $OCCUPANCY_INVENTORY, else /var/lib; never the working directory', () => {
    assert.deepEqual(inventoryLocation('/srv/fleet.db', { OCCUPANCY_INVENTORY: '/x/y.db' }), { path: '/srv/fleet.db', from: '--inventory' });
    assert.equal(inventoryLocation(undefined, { OCCUPANCY_INVENTORY: '/x/y.db' }).path, '/x/y.db');
    assert.equal(inventoryLocation(undefined, {}).path, DEFAULT_INVENTORY_PATH);
    assert.equal(DEFAULT_INVENTORY_PATH, '/var/lib/tram-occupancy/fleet-inventory.db');
    assert.ok(inventoryLocation('relative.db', {}).path.startsWith('/'), 'a relative --inventory is resolved (and shown) as a full path');
  });

  it('refuses to open a missing inventory for reading, and creates no file doing so', () => {
    const path = join(dir, 'typo.db');
    assert.throws(() => FleetInventory.openExisting(path), (e: unknown) => e instanceof ConfigError && /no fleet inventory at .*typo\.db/.test(e.message));
    assert.equal(existsSync(path), false);
  });

  it('keeps each fleet number and each DevEUI once; replacing a vehicle\'s gateway takes --force', () => {
    const inventory = new FleetInventory(join(dir, 'sub', 'fleet.db'));
    inventory.record(entry('661', '70B3D57ED0010295'));
    assert.throws(() => inventory.record(entry('670', '70b3d57ed0010295')), /already fitted to vehicle 661/);
    assert.throws(() => inventory.record(entry('661', '70b3d57ed0010299')), /661 is already in the inventory.*--force/);
    inventory.record(entry('661', '70b3d57ed0010299'), { replace: true });
    inventory.record(entry('670', '70b3d57ed0010295'));
    assert.deepEqual(inventory.list().map((r) => [r.vehicleId, r.devEui]), [['661', '70b3d57ed0010299'], ['670', '70b3d57ed0010295']]);
    inventory.close();
  });

  it('the database itself refuses a second DevEUI and a malformed one, whoever writes', () => {
    const path = join(dir, 'fleet.db');
    new FleetInventory(path).close();
    // A second technician's tool writing the same file without the checks of record().
    const db = new Database(path);
    const insert = db.prepare('INSERT INTO vehicles (vehicle_id, type, dev_eui, join_eui, modem_dialect, provisioned_at) VALUES (?, ?, ?, ?, ?, ?)');
    insert.run('661', 'MGT-K1', '70b3d57ed0010295', '70b3d57ed0000000', 'rui3', 'now');
    assert.throws(() => insert.run('670', 'MGT-K1', '70b3d57ed0010295', '70b3d57ed0000000', 'rui3', 'now'), /UNIQUE/);
    assert.throws(() => insert.run('671', 'MGT-K1', '70B3D57ED0010296', '70b3d57ed0000000', 'rui3', 'now'), /CHECK/, 'upper case would dodge the unique index');
    assert.throws(() => insert.run('661', 'MGT-K1', '70b3d57ed0010297', '70b3d57ed0000000', 'rui3', 'now'), /UNIQUE|PRIMARY/);
    db.close();
  });

  it('records nothing when writing the vehicle\'s files fails', () => {
    const inventory = new FleetInventory(join(dir, 'fleet.db'));
    assert.throws(() => inventory.record(entry('661', '70b3d57ed0010295'), {}, () => {
      throw new ConfigError('secrets', 'exists');
    }), /exists/);
    assert.deepEqual(inventory.list(), []);
    assert.equal(inventory.recordSelfTest('661', 'now', true), false, 'a self-test of an unknown vehicle is not recorded');
    inventory.close();
  });

  it('never holds a DevEUI or a fleet number twice, whatever technicians do (property)', () => {
    const vehicles = fc.constantFrom('661', '662', '663', '801', '851');
    const euis = fc.constantFrom('70b3d57ed0010291', '70b3d57ed0010292', '70B3D57ED0010292', '70b3d57ed0010293');
    const op = fc.oneof(
      fc.record({ kind: fc.constant('new' as const), vehicle: vehicles, eui: euis, force: fc.boolean() }),
      fc.record({ kind: fc.constant('remove' as const), vehicle: vehicles }),
    );
    let run = 0;
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const inventory = new FleetInventory(join(dir, `p${run++}.db`));
        const model = new Map<string, string>();
        for (const o of ops) {
          if (o.kind === 'remove') {
            assert.equal(inventory.remove(o.vehicle), model.delete(o.vehicle));
            continue;
          }
          const eui = o.eui.toLowerCase();
          const holder = [...model].find(([, e]) => e === eui)?.[0];
          const allowed = (holder === undefined || holder === o.vehicle) && (!model.has(o.vehicle) || o.force);
          let refused = false;
          try {
            inventory.record(entry(o.vehicle, o.eui), { replace: o.force });
          } catch (error) {
            assert.ok(error instanceof ConfigError, String(error));
            refused = true;
          }
          assert.equal(refused, !allowed, `${o.vehicle} ${o.eui} force=${o.force}`);
          if (allowed) model.set(o.vehicle, eui);
        }
        const rows = inventory.list();
        inventory.close();
        assert.deepEqual(new Map(rows.map((r) => [r.vehicleId, r.devEui])), model);
        assert.equal(new Set(rows.map((r) => r.devEui)).size, rows.length);
      }),
      { numRuns: 60 },
    );
  });

  describe('from the command line', function () {
    this.timeout(60_000);
    const occupancy = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      spawnSync(process.execPath, [BIN, 'provision', ...args], { encoding: 'utf8', cwd: dir, env: { ...process.env, OCCUPANCY_INVENTORY: '', ...env } });

    it('one inventory from any folder; a second vehicle with the same DevEUI, an unknown removal and a typo are refused non-zero', () => {
      const env = { OCCUPANCY_INVENTORY: join(dir, 'fleet.db') };
      const first = occupancy(['new', '661', '--type', 'MGT-K1', '--dev-eui', '70B3D57ED0010295', '--out', join(dir, 'v661')], env);
      assert.equal(first.status, 0, first.stderr);
      const second = spawnSync(process.execPath, [BIN, 'provision', 'new', '670', '--type', 'MGT-K1', '--dev-eui', '70B3D57ED0010295', '--out', join(dir, 'v670')], {
        encoding: 'utf8', cwd: tmpdir(), env: { ...process.env, ...env },
      });
      assert.notEqual(second.status, 0);
      assert.match(second.stderr, /already fitted to vehicle 661/);
      assert.equal(existsSync(join(dir, 'v670', 'secrets.yaml')), false, 'no key written for a refused vehicle');
      const remove = occupancy(['remove', '999'], env);
      assert.notEqual(remove.status, 0);
      assert.match(remove.stderr, /vehicle 999 is not in .*fleet\.db/);
      const typo = occupancy(['list', '--inventory', 'typo.db'], env);
      assert.notEqual(typo.status, 0);
      assert.match(typo.stderr, /no fleet inventory at .*typo\.db/);
      assert.equal(existsSync(join(dir, 'typo.db')), false);
      const list = occupancy(['list', '--json', '-'], env);
      assert.deepEqual((JSON.parse(list.stdout) as InventoryEntry[]).map((r) => r.vehicleId), ['661']);
    });
  });
});
