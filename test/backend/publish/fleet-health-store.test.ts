import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { VirtualClock } from '../../../common/clock.js';
import { FleetHealth } from '../../../backend/publish/fleet-health.js';
import { Publishing } from '../../../backend/publish/publishing.js';
import type { ReportStore } from '../../../backend/store/report-store.js';
import type { Health } from '../../../proto/frames.js';
import { STORE_BACKINGS, type Backing } from '../../helpers/store-backings.js';

const T0 = Date.UTC(2026, 10, 23, 7, 0, 0);
const A = '70b3d57ed0010295';
const B = '70b3d57ed0010296';
const C = '70b3d57ed0010297';
const FLEET: Record<string, string> = { [A]: '661', [B]: '662', [C]: '663' };
const fleetNumberOf = (d: string) => FLEET[d];

const health = (over: Partial<Health> = {}): Health => ({
  uptimeMin: 125, outboxDepth: 4, oldestPendingSeq: 311, sensorFaults: 8, airtimeTodayMs: 12_300, modelVersion: 10200, softwareVersion: 100, restarts: 3,
  outboxDropped: 0, liveSkipped: 2, newestSeq: 314, outboxEpoch: 7, appendFailures: 0, reportsHeld: 0, estimatorMode: 1, calibrationTrips: 14,
  inOutPermilleOff: -35, cameraScalePermilleOff: 120, worstDoorPermilleOff: -80, worstDoor: 3, guardModelErrorTenths: 21, guardSumErrorTenths: 9,
  ...over,
});

// The same suite on every store that outlives the backend process.
for (const backing of STORE_BACKINGS.filter((b) => b.persistent)) describe(`fleet health kept in the store: ${backing.name}`, function () {
  this.timeout(30_000);
  let b: Backing | undefined;
  const open: ReportStore[] = [];
  const openStore = async () => {
    const s = await b!.open();
    open.push(s);
    return s;
  };
  const closeStore = async (s: ReportStore) => {
    open.splice(open.indexOf(s), 1);
    await s.close();
  };
  beforeEach(async function () {
    b = await backing.make(this);
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await b?.cleanup();
    b = undefined;
  });

  it('writes a change within the save delay, and a restarted table shows the same gateways (only those the trust layer admits)', async () => {
    const clock = new VirtualClock(T0);
    const store = await openStore();
    const before = new FleetHealth(fleetNumberOf, 2000, { store, clock, saveDelayMs: 1000 });
    assert.equal(await before.restore(), 0);
    before.live(A, T0 - 60_000);
    before.report(A, T0 - 50_000);
    before.health(A, health(), T0 - 40_000);
    before.live(B, T0 - 30_000);
    before.health(C, health({ sensorFaults: 0, modelVersion: 1 }), T0 - 20_000);
    assert.deepEqual(await store.gatewayHealth(), [], 'nothing written before the delay');
    await clock.advance(1000);
    await before.flush(); // the timer's write, awaited
    assert.deepEqual((await store.gatewayHealth()).map((r) => [r.devEui, r.frames]), [[A, 3], [B, 1], [C, 1]]);
    before.health(A, health({ outboxDepth: 0 }), T0 - 10_000); // pending at close
    await before.close();
    const shown = before.list();
    await closeStore(store);

    // A restart: C has left the inventory meanwhile, so the trust layer no longer admits it.
    const again = await openStore();
    const after = new FleetHealth(fleetNumberOf, 2000, { store: again, clock, accepts: (d) => d !== C });
    assert.equal(await after.restore(), 2);
    assert.deepEqual(after.list(), shown.filter((g) => g.devEui !== C));
    assert.equal(after.get(A)!.health!.outboxDepth, 0, 'the frame written at close');
    assert.deepEqual(after.get(A)!.health, health({ outboxDepth: 0 }), 'every field of the frame as it came');
    assert.deepEqual({ ...after.get(A)!, health: undefined }, { devEui: A, vehicle: '661', lastSeen: T0 - 10_000, lastLive: T0 - 60_000, lastReport: T0 - 50_000, healthAt: T0 - 10_000, health: undefined, frames: 4 });
    assert.deepEqual((await again.gatewayHealth()).map((r) => r.devEui), [A, B], 'the row of a device not admitted is deleted');
  });

  it('keeps at most one row per device and no more rows than gateways shown', async () => {
    const clock = new VirtualClock(T0);
    const store = await openStore();
    const table = new FleetHealth(fleetNumberOf, 2, { store, clock });
    await table.restore();
    for (let i = 0; i < 50; i++) table.live(A, T0 + i);
    table.live(B, T0 + 100);
    await table.flush();
    table.live(C, T0 + 200); // the third: A, heard least recently, leaves
    await table.flush();
    assert.deepEqual(table.list().map((g) => g.devEui), [B, C]);
    assert.deepEqual((await store.gatewayHealth()).map((r) => r.devEui), [B, C]);
    await table.close();
    // Restored into a smaller table: the most recently heard are kept, the rest deleted.
    const small = new FleetHealth(fleetNumberOf, 1, { store, clock });
    assert.equal(await small.restore(), 1);
    assert.deepEqual(small.list().map((g) => g.devEui), [C]);
    assert.deepEqual((await store.gatewayHealth()).map((r) => r.devEui), [C]);
  });

  it('shows the same fleet page and fleet JSON after Publishing restarts on the same store', async () => {
    const clock = new VirtualClock(T0);
    const fleet = () => Object.entries(FLEET).map(([devEui, vehicleId]) => ({ devEui, vehicleId }));
    const page = async (p: Publishing) => {
      const base = `http://127.0.0.1:${(p.servers[0]!.address() as AddressInfo).port}`;
      return { html: await (await fetch(`${base}/dashboard/fleet`)).text(), json: await (await fetch(`${base}/api/fleet.json`)).json() };
    };
    const store = await openStore();
    const first = await Publishing.start({ dashboard: 0, host: '127.0.0.1', store, fleet }, clock);
    first.live(A, { seq: 1, stop: 3, level: 2, occupancyTenths: 4, line: 5 }, T0 - 90_000);
    first.health(A, health(), T0 - 60_000);
    first.health(B, health({ sensorFaults: 0, outboxDepth: 0 }), T0 - 30_000);
    const shown = await page(first);
    assert.match(shown.html, /Kamera/);
    assert.match(shown.html, /<td>1\.2\.0<\/td>/, 'model version as the gateway reported it');
    await first.close();
    await closeStore(store);

    const again = await openStore();
    const second = await Publishing.start({ dashboard: 0, host: '127.0.0.1', store: again, fleet }, clock);
    try {
      const restarted = await page(second);
      assert.deepEqual(restarted.json, shown.json);
      assert.equal(restarted.html, shown.html);
      assert.equal((restarted.json as { gateways: unknown[] }).gateways.length, 2);
    } finally {
      await second.close();
    }
  });
});
