import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VirtualClock } from '../../../common/clock.js';
import { Rng } from '../../../common/random.js';
import { RunningSumEstimator } from '../../../gateway/estimation/estimator.js';
import { Gateway } from '../../../gateway/gateway.js';
import { Outbox } from '../../../gateway/uplink/outbox.js';
import { DEFAULT_SCHEDULER_OPTIONS } from '../../../gateway/uplink/uplink-scheduler.js';
import { Level } from '../../../proto/frames.js';
import { FakeLoraModem, type Transmission } from '../../helpers/fake-lora-modem.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 10, 23, 4, 0, 0);
const utcDay = (t: number) => Math.floor(t / DAY) * DAY;

const windowArb = fc.record({ from: fc.integer({ min: 0, max: 16 * HOUR }), minutes: fc.integer({ min: 1, max: 150 }) });

const runArb = fc.record({
  seed: fc.nat(),
  dailyMs: fc.constantFrom(30_000, 15_000, 60_000),
  departures: fc.array(fc.integer({ min: 0, max: 16 * HOUR }), { minLength: 1, maxLength: 220 }),
  levels: fc.array(fc.constantFrom(Level.LEVEL_LOW, Level.LEVEL_MEDIUM, Level.LEVEL_HIGH), { minLength: 1, maxLength: 8 }),
  drChanges: fc.array(fc.record({ at: fc.integer({ min: 0, max: 16 * HOUR }), dr: fc.integer({ min: 0, max: 5 }) }), { maxLength: 6 }),
  refusing: fc.array(windowArb, { maxLength: 3 }),
  gaps: fc.array(windowArb, { maxLength: 3 }),
  sessionLosses: fc.array(fc.integer({ min: 0, max: 16 * HOUR }), { maxLength: 3 }),
  uplinkLoss: fc.constantFrom(0, 0.05, 0.3),
  downlinkLoss: fc.constantFrom(0, 0.05, 0.3),
});

type Run = typeof runArb extends fc.Arbitrary<infer T> ? T : never;

const within = (windows: Run['gaps'], t: number) => windows.some((w) => t >= T0 + w.from && t < T0 + w.from + w.minutes * 60_000);

/** A service day of random traffic, data rates and outages, then two quiet days at DR5. */
async function simulate(run: Run) {
  const clock = new VirtualClock(T0 - HOUR);
  const modem = new FakeLoraModem(clock, new Rng(run.seed), {
    refusing: (t) => within(run.refusing, t),
    inCoverage: (t) => !within(run.gaps, t),
    uplinkLoss: run.uplinkLoss,
    downlinkLoss: run.downlinkLoss,
    ackIntervalMs: 2 * HOUR,
  });
  modem.dr = run.drChanges[0]?.dr ?? 5;
  const outbox = new Outbox({ path: ':memory:' });
  const gateway = new Gateway(
    { clock, modem, outbox, estimator: new RunningSumEstimator({ seats: 50, capacity: 118 }) },
    {
      vehicleId: '661', capacity: 118, seats: 50, levels: { medium: 25, high: 73 }, departureGraceMs: 15_000, liveEnabled: true,
      dailyAirtimeMs: run.dailyMs, serviceHours: 19, dayOf: utcDay, scheduler: { ...DEFAULT_SCHEDULER_OPTIONS },
    },
  );
  const sendsAt: Array<{ at: number; dr: number; bytes: number }> = [];
  gateway.scheduler.onSent = (f) => sendsAt.push({ at: f.at, dr: f.dr, bytes: f.bytes });
  let appended = 0;
  [...run.departures].sort((a, b) => a - b).forEach((offset, i) => {
    clock.setTimeout(() => {
      const report = outbox.append({ departure: clock.now(), stop: 1 + (i % 10), line: 5, course: 2, destination: 51, boardings: i % 9, alightings: i % 4, load: 20, flags: 0 });
      appended++;
      gateway.scheduler.notifyReport();
      gateway.scheduler.offerLive({ seq: report.seq, stop: 1 + (i % 10), level: run.levels[i % run.levels.length]!, occupancyTenths: 3, line: 5 }, clock.now());
    }, T0 + offset - clock.now());
  });
  for (const { at, dr } of run.drChanges) clock.setTimeout(() => (modem.dr = dr), T0 + at - clock.now());
  for (const at of run.sessionLosses) clock.setTimeout(() => modem.loseSession(), T0 + at - clock.now());
  // The outages are over after 19 h: the data rate comes back to DR5 for the quiet days.
  clock.setTimeout(() => (modem.dr = 5), T0 + 19 * HOUR - clock.now());
  await gateway.start();
  await clock.runUntil(T0 + 3 * DAY);
  gateway.halt();
  return { modem, outbox, appended, gateway };
}

function checkAirtime(transmissions: readonly Transmission[], dailyMs: number): void {
  const perDay = new Map<number, number>();
  for (let i = 0; i < transmissions.length; i++) {
    const t = transmissions[i]!;
    perDay.set(utcDay(t.start), (perDay.get(utcDay(t.start)) ?? 0) + t.toaMs);
    const next = transmissions[i + 1];
    // One sub-band (g1, 1 %): the next start keeps the off time Toff = ToA/DC - ToA after this one.
    if (next) assert.ok(next.start >= t.start + t.toaMs / 0.01 - 1e-6, `duty cycle: ${t.kind} at ${t.start} (${t.toaMs.toFixed(1)} ms) then ${next.kind} ${next.start - t.start} ms later`);
    assert.ok(!t.overLimit, `payload of ${t.bytes} bytes over the limit of DR${t.dr}`);
    assert.ok(!t.confirmed, 'a confirmed uplink would request a downlink');
  }
  for (const [day, used] of perDay) assert.ok(used <= dailyMs + 1e-6, `day ${new Date(day).toISOString()}: ${used.toFixed(0)} ms of ${dailyMs}`);
}

describe('UplinkScheduler under random traffic, data rates and outages (property)', function () {
  this.timeout(120_000);

  it('never exceeds the duty cycle or the daily budget, keeps every payload within its data rate, and delivers every report', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (run) => {
        const { modem, outbox, appended, gateway } = await simulate(run);
        checkAirtime(modem.transmissions, run.dailyMs);
        assert.equal(gateway.scheduler.stats.confirmedUplinks, 0);
        const missing = Array.from({ length: appended }, (_, i) => i + 1).filter((seq) => !modem.received.has(seq));
        assert.deepEqual(missing, [], `${missing.length} of ${appended} reports never arrived`);
        assert.equal(outbox.size, 0, 'every report acknowledged in the end');
        outbox.close();
      }),
      { numRuns: Number(process.env['SCHEDULER_RUNS'] ?? 25) },
    );
  });
});
