import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../../common/clock.js';
import { ConfigError } from '../../../common/errors.js';
import { FleetDirectory } from '../../../backend/publish/publishing.js';
import { StaticGtfs } from '../../../backend/publish/static-gtfs.js';
import { buildStaticGtfs, writeStaticGtfs } from '../../../simulator/gtfs/static-gtfs.js';
import { loadLine } from '../../../simulator/world/network-data.js';

describe('publishing inputs: static GTFS folder, fleet inventory, options', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'publish-inputs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a GTFS folder that is missing, lacks a file or a column, naming what is wrong', () => {
    assert.throws(() => StaticGtfs.load(join(dir, 'nope')), (e: unknown) => e instanceof ConfigError && /--gtfs: no such directory/.test(e.message));
    const gtfs = join(dir, 'gtfs');
    writeStaticGtfs(gtfs, buildStaticGtfs([loadLine('simulator/data/lines/halle-5.yaml')], { startDate: '20261101', endDate: '20261130' }));
    assert.ok(StaticGtfs.load(gtfs).tripCount > 100);
    rmSync(join(gtfs, 'stop_times.txt'));
    assert.throws(() => StaticGtfs.load(gtfs), /--gtfs stop_times\.txt.*missing/);
    writeFileSync(join(gtfs, 'stop_times.txt'), 'trip_id,arrival_time,departure_time,stop_sequence\r\n');
    assert.throws(() => StaticGtfs.load(gtfs), /--gtfs stop_times\.txt.*no column stop_id/);
  });

  it('reads the fleet inventory again for an unknown DevEUI, at most once a second', async () => {
    const clock = new VirtualClock(0);
    let reads = 0;
    const entries = [{ devEui: '70B3D57ED0010295', vehicleId: '661' }];
    const fleet = new FleetDirectory(() => {
      reads++;
      return [...entries];
    }, clock);
    assert.equal(fleet.fleetNumberOf('70b3d57ed0010295'), '661', 'DevEUIs compare without case');
    assert.equal(fleet.devEuiOf('661'), '70b3d57ed0010295');
    // A flood of unknown DevEUIs costs one read per second, not one per uplink.
    for (let i = 0; i < 1000; i++) assert.equal(fleet.fleetNumberOf(`00000000${String(i).padStart(8, '0')}`), undefined);
    assert.equal(reads, 1);
    entries.push({ devEui: '70b3d57ed0010296', vehicleId: '662' });
    assert.equal(fleet.fleetNumberOf('70b3d57ed0010296'), undefined, 'not before a second has passed');
    await clock.advance(1000);
    assert.equal(fleet.fleetNumberOf('70b3d57ed0010296'), '662', 'provisioned while running: found');
    assert.equal(reads, 2);
  });

  it('occupancy backend refuses an open-data threshold below 2 before it connects anywhere', () => {
    const run = spawnSync(process.execPath, ['bin/occupancy.mjs', 'backend', '--broker', 'mqtt://127.0.0.1:1', '--open-data-min-trips', '1'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 2, run.stderr);
    assert.match(run.stderr, /configuration error: --open-data-min-trips: expected a whole number of at least 2/);
  });
});
