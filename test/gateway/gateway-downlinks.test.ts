import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../common/clock.js';
import { Rng } from '../../common/random.js';
import { RunningSumEstimator } from '../../gateway/estimation/estimator.js';
import { Gateway } from '../../gateway/gateway.js';
import { Outbox } from '../../gateway/uplink/outbox.js';
import { DEFAULT_SCHEDULER_OPTIONS } from '../../gateway/uplink/uplink-scheduler.js';
import { encodeAck, encodeConfigChange } from '../../proto/frames.js';
import { FakeLoraModem } from '../helpers/fake-lora-modem.js';

const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);
const report = (i: number) => ({ departure: T0 - 3_600_000 + i * 60_000, stop: i, line: 5, course: 1, destination: 51, boardings: 2, alightings: 1, load: 10 + i, flags: 0 });

function gatewayOn(outbox: Outbox, clock: VirtualClock) {
  const modem = new FakeLoraModem(clock, new Rng(1), { refusing: () => false, inCoverage: () => true, uplinkLoss: 0, downlinkLoss: 0, ackIntervalMs: Infinity });
  const gateway = new Gateway(
    { clock, modem, outbox, estimator: new RunningSumEstimator({ seats: 50, capacity: 118 }) },
    {
      vehicleId: '661', capacity: 118, seats: 50, levels: { medium: 25, high: 73 }, departureGraceMs: 15_000, liveEnabled: true,
      dailyAirtimeMs: 30_000, serviceHours: 19, dayOf: (t) => Math.floor(t / 86_400_000) * 86_400_000, scheduler: { ...DEFAULT_SCHEDULER_OPTIONS },
    },
  );
  return { modem, gateway };
}

describe('Gateway downlinks', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gateway-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('an ack removes what arrived and makes what it shows missing go again at once', () => {
    const clock = new VirtualClock(T0);
    const outbox = new Outbox({ path: ':memory:' });
    const { modem, gateway } = gatewayOn(outbox, clock);
    for (let i = 1; i <= 5; i++) outbox.append(report(i));
    outbox.markSent([1, 2, 3, 4], T0 - 3_600_000);
    outbox.markSent([4], T0 - 60_000); // sent again a minute ago: the ack may be older than that
    modem.emit('downlink', { fPort: 10, payload: encodeAck({ through: 1, runs: [1, 1, 2] }) });
    assert.deepEqual(outbox.due(0, 10).map((r) => r.seq), [2, 5], 'seq 2 due again at once, 5 never sent');
    assert.deepEqual([...Array(5).keys()].map((i) => outbox.get(i + 1) !== undefined), [false, true, false, true, true]);
    assert.equal(gateway.counters.missingReported, 1);
    outbox.close();
  });

  it('sends what an ack showed missing once more after 150 min when no newer ack came, and not when one did', async () => {
    const clock = new VirtualClock(T0);
    const outbox = new Outbox({ path: ':memory:' });
    const { modem, gateway } = gatewayOn(outbox, clock);
    for (let i = 1; i <= 3; i++) outbox.append(report(i));
    outbox.markSent([1, 2, 3], T0 - 3_600_000);
    modem.emit('downlink', { fPort: 10, payload: encodeAck({ through: 1, runs: [1, 1] }) }); // 2 missing, 3 arrived
    assert.deepEqual(outbox.due(0, 10).map((r) => r.seq), [2]);
    outbox.markSent([2], clock.now()); // the resend goes (and is lost: no ack follows)
    await clock.advance(149 * 60_000);
    assert.deepEqual(outbox.due(0, 10).map((r) => r.seq), [], 'not before 150 min');
    await clock.advance(60_000);
    assert.deepEqual(outbox.due(0, 10).map((r) => r.seq), [2], 'due again: the resend may have been lost');
    assert.equal(gateway.counters.missingRetried, 1);
    outbox.markSent([2], clock.now());
    await clock.advance(6 * 3_600_000);
    assert.deepEqual(outbox.due(clock.now() - DEFAULT_SCHEDULER_OPTIONS.resendAfterMs, 10).map((r) => r.seq), [], 'once only: then the 8 h resend');
    assert.equal(gateway.counters.missingRetried, 1);

    // A newer ack within the 150 min says what is missing now: the retry of the older one is off.
    outbox.append(report(4));
    outbox.markSent([4], clock.now() - 3_600_000);
    modem.emit('downlink', { fPort: 10, payload: encodeAck({ through: 3, runs: [1] }) }); // 2 arrived at last, 4 missing
    outbox.markSent([4], clock.now());
    await clock.advance(30 * 60_000);
    modem.emit('downlink', { fPort: 10, payload: encodeAck({ through: 3, runs: [] }) }); // older than the resend: says nothing of 4
    await clock.advance(3 * 3_600_000);
    assert.deepEqual(outbox.due(clock.now() - DEFAULT_SCHEDULER_OPTIONS.resendAfterMs, 10).map((r) => r.seq), [], '4 waits for the 8 h resend or the next ack');
    assert.equal(gateway.counters.missingRetried, 1);
    outbox.close();
  });

  it('refuses an ack for reports it never made, and ignores malformed downlinks, counting both', () => {
    const clock = new VirtualClock(T0);
    const outbox = new Outbox({ path: ':memory:' });
    const { modem, gateway } = gatewayOn(outbox, clock);
    outbox.append(report(1));
    modem.emit('downlink', { fPort: 10, payload: encodeAck({ through: 40, runs: [] }) });
    modem.emit('downlink', { fPort: 10, payload: Uint8Array.from([0x0a, 0xff]) });
    modem.emit('downlink', { fPort: 99, payload: Uint8Array.from([1]) });
    assert.equal(outbox.size, 1);
    assert.deepEqual({ refusedAcks: gateway.counters.refusedAcks, bad: gateway.counters.badDownlinks }, { refusedAcks: 1, bad: 2 });
    outbox.close();
  });

  it('applies a config change, refuses values out of bounds, and keeps what it applied across a restart', () => {
    const clock = new VirtualClock(T0);
    const path = join(dir, 'outbox.db');
    const first = new Outbox({ path });
    const { modem, gateway } = gatewayOn(first, clock);
    modem.emit('downlink', { fPort: 11, payload: encodeConfigChange({ liveEnabled: false, healthIntervalMin: 360, maxBatch: 12, dailyAirtimeMs: 5 }) });
    assert.equal(gateway.isLiveEnabled, false);
    assert.equal(gateway.scheduler.settings.healthIntervalMs, 360 * 60_000);
    assert.equal(gateway.scheduler.settings.maxBatch, 12);
    assert.equal(gateway.counters.refusedConfig, 1, 'a daily budget of 5 ms is refused');
    first.close();
    const second = new Outbox({ path });
    const restarted = gatewayOn(second, clock).gateway;
    assert.equal(restarted.isLiveEnabled, false);
    assert.equal(restarted.scheduler.settings.maxBatch, 12);
    second.close();
  });

  it('survives any downlink (fuzzed ports and bytes, random acks and config changes): no throw, no unsent report lost', () => {
    const anyDownlink = fc.oneof(
      fc.record({ fPort: fc.integer({ min: 0, max: 255 }), payload: fc.uint8Array({ maxLength: 64 }) }),
      fc.record({ fPort: fc.constant(10), payload: fc.uint8Array({ maxLength: 24 }) }),
      fc.record({ fPort: fc.constant(11), payload: fc.uint8Array({ maxLength: 24 }) }),
      fc
        .record({ through: fc.integer({ min: 0, max: 40 }), runs: fc.array(fc.integer({ min: 1, max: 6 }), { maxLength: 6 }) })
        .map((a) => ({ fPort: 10, payload: encodeAck(a) })),
      fc
        .record({ liveEnabled: fc.boolean(), healthIntervalMin: fc.integer({ min: -5, max: 5000 }), maxBatch: fc.integer({ min: -1, max: 200 }), dailyAirtimeMs: fc.integer({ min: -1, max: 10_000_000 }) })
        .map((c) => ({ fPort: 11, payload: encodeConfigChange(c) })),
    );
    fc.assert(
      fc.property(fc.array(anyDownlink, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 20 }), (downlinks, sentUpTo) => {
        const clock = new VirtualClock(T0);
        const outbox = new Outbox({ path: ':memory:' });
        const { modem, gateway } = gatewayOn(outbox, clock);
        for (let i = 1; i <= 20; i++) outbox.append(report(i));
        const sent = Array.from({ length: sentUpTo }, (_, i) => i + 1);
        outbox.markSent(sent, T0 - 3_600_000);
        for (const d of downlinks) modem.emit('downlink', d);
        const c = gateway.counters;
        assert.equal(c.downlinks, downlinks.length);
        assert.equal(c.badDownlinks + c.acks + c.refusedAcks + c.configChanges, downlinks.length, JSON.stringify(c));
        for (let seq = sentUpTo + 1; seq <= 20; seq++) assert.ok(outbox.get(seq), `unsent report ${seq} lost`);
        // The gateway still takes new reports after all of it.
        assert.equal(outbox.append(report(21)).seq, 21);
        outbox.close();
      }),
      { numRuns: 300 },
    );
  });
});

