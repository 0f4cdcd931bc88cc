import assert from 'node:assert/strict';
import { VirtualClock } from '../../../common/clock.js';
import { DisconnectedError } from '../../../common/errors.js';
import { configureLogging, currentLogLevel } from '../../../common/log.js';
import { Rng } from '../../../common/random.js';
import { AirtimeBudget } from '../../../gateway/uplink/airtime-budget.js';
import { Outbox } from '../../../gateway/uplink/outbox.js';
import { DEFAULT_SCHEDULER_OPTIONS, UplinkScheduler, type SentFrame } from '../../../gateway/uplink/uplink-scheduler.js';
import { Level, type HealthReport } from '../../../proto/frames.js';
import { FakeLoraModem, type FakeConditions } from '../../helpers/fake-lora-modem.js';

const T0 = Date.UTC(2026, 10, 23, 8, 0, 0);
const DAY = 86_400_000;

function rig(options: { dailyMs?: number; conditions?: Partial<FakeConditions> } = {}) {
  const clock = new VirtualClock(T0);
  const modem = new FakeLoraModem(clock, new Rng(3), { refusing: () => false, inCoverage: () => true, uplinkLoss: 0, downlinkLoss: 0, ackIntervalMs: Infinity, ...options.conditions });
  modem.joined = true;
  const outbox = new Outbox({ path: ':memory:' });
  const budget = new AirtimeBudget({ dailyMs: options.dailyMs ?? 30_000, dutyCycle: 0.01, serviceHours: 19, burstShare: 0.1, reportReserveShare: 0.3, dayOf: (t) => Math.floor(t / DAY) * DAY, store: outbox });
  const scheduler = new UplinkScheduler(clock, modem, outbox, budget, { ...DEFAULT_SCHEDULER_OPTIONS });
  const sent: SentFrame[] = [];
  scheduler.onSent = (f) => sent.push(f);
  return { clock, modem, outbox, budget, scheduler, sent };
}

const live = (seq: number, level = Level.LEVEL_MEDIUM) => ({ seq, stop: 3, level, occupancyTenths: 4, line: 5 });
const report = (clock: VirtualClock, i: number) => ({ departure: clock.now(), stop: i, line: 5, course: 1, destination: 51, boardings: 3, alightings: 1, load: 10, flags: 0 });

describe('UplinkScheduler', () => {
  it('sends a health frame after start, then the live level first after each departure', async () => {
    const { clock, outbox, scheduler, sent, modem } = rig();
    let health: HealthReport | undefined;
    scheduler.healthSource = () => (health = { uptimeMin: 0, outboxDepth: outbox.size, oldestPendingSeq: 0, sensorFaults: 0, airtimeTodayMs: 0, modelVersion: 0, softwareVersion: 100, restarts: 1, outboxDropped: 0, liveSkipped: 0, newestSeq: outbox.nextSeq - 1, outboxEpoch: outbox.epoch, appendFailures: 0, reportsHeld: 0 });
    scheduler.start();
    await clock.advance(60_000);
    assert.deepEqual(sent.map((f) => f.fPort), [3]);
    assert.ok(health);
    const log: Array<{ at: number; what: string }> = [];
    scheduler.onSent = (f) => log.push({ at: f.at, what: f.fPort === 1 ? 'live' : f.fPort === 2 ? 'batch' : 'health' });
    for (let i = 1; i <= 40; i++) {
      const r = outbox.append(report(clock, i));
      scheduler.notifyReport();
      scheduler.offerLive(live(r.seq, i % 2 ? Level.LEVEL_LOW : Level.LEVEL_HIGH), clock.now());
      log.push({ at: clock.now(), what: 'departure' });
      // Odd times, so that no departure falls on the very millisecond a batch was due to start.
      await clock.advance(4 * 60_000 + 7_001);
    }
    // In the order things started on air (a frame is reported when its send is over).
    const events = [...log].sort((a, b) => a.at - b.at).map((e) => e.what);
    assert.equal(events.filter((e) => e === 'live').length, 40, 'every live level went (SF7 has room)');
    assert.ok(events.includes('batch'));
    // Between a departure and its live level nothing else goes on air.
    events.forEach((e, k) => {
      if (e === 'departure') assert.equal(events[k + 1], 'live', events.slice(k, k + 3).join(' '));
    });
    assert.ok(modem.transmissions.every((t) => !t.confirmed));
    await scheduler.stop();
  });

  it('gives a live level up when the budget has no room for it in time, and counts it', async () => {
    const { clock, outbox, scheduler } = rig({ dailyMs: 2_000 });
    scheduler.start();
    for (let i = 1; i <= 30; i++) {
      const r = outbox.append(report(clock, i));
      scheduler.offerLive(live(r.seq, i % 3), clock.now());
      await clock.advance(60_000);
    }
    assert.ok(scheduler.stats.liveSkipped > 0, 'a 2 s budget cannot carry 30 live frames in 30 minutes');
    assert.equal(scheduler.stats.liveSent + scheduler.stats.liveSkipped + scheduler.stats.liveSuperseded, 30);
    await scheduler.stop();
  });

  it('gives the airtime back when the module refuses, and charges it when the frame went', async () => {
    let refusing = true;
    const { clock, outbox, scheduler, budget, modem } = rig({ conditions: { refusing: () => refusing } });
    for (let i = 1; i <= 50; i++) outbox.append(report(clock, i));
    scheduler.start();
    await clock.advance(30_000);
    assert.equal(budget.usedTodayMs, 0, 'refused: nothing went on air, nothing is charged');
    assert.ok(scheduler.stats.sendErrors > 0);
    refusing = false;
    await clock.advance(60_000);
    const onAir = modem.transmissions.reduce((s, t) => s + t.toaMs, 0);
    assert.ok(onAir > 0);
    assert.equal(budget.usedTodayMs, onAir);
    const batch = modem.transmissions.find((t) => t.fPort === 2)!;
    assert.ok(batch.bytes! <= 222);
    await scheduler.stop();
  });

  it('fills a batch to the payload limit of the data rate in force', async () => {
    const { clock, outbox, scheduler, modem } = rig();
    modem.dr = 0;
    for (let i = 1; i <= 60; i++) outbox.append(report(clock, i));
    scheduler.start();
    await clock.advance(10 * 60_000);
    const batches = modem.transmissions.filter((t) => t.fPort === 2);
    assert.ok(batches.length > 0 && batches.every((t) => t.bytes! <= 51 && t.bytes! > 40), batches.map((t) => t.bytes).join(' '));
    await scheduler.stop();
  }).timeout(20_000);

  it('sends a report again when no ack came within resendAfterMs', async () => {
    const { clock, outbox, scheduler, modem } = rig();
    outbox.append(report(clock, 1));
    scheduler.start();
    await clock.advance(25 * 60_000);
    const first = modem.transmissions.filter((t) => t.fPort === 2).length;
    assert.equal(first, 1, 'sent once, after the batch delay');
    await clock.advance(DEFAULT_SCHEDULER_OPTIONS.resendAfterMs);
    assert.equal(modem.transmissions.filter((t) => t.fPort === 2).length, 2, 'no ack: sent again');
    assert.equal(outbox.get(1)!.sendCount, 2);
    await scheduler.stop();
  });

  it('when the data rate drops between planning and sending, takes the refusal back and sends smaller batches', async () => {
    const { clock, outbox, scheduler, modem, budget } = rig();
    for (let i = 1; i <= 60; i++) outbox.append(report(clock, i));
    const realStatus = modem.status.bind(modem);
    let once = true;
    modem.status = async () => {
      if (!once) return realStatus();
      once = false;
      const planned = await realStatus();
      modem.dr = 0; // ADR, or the network, lowered it right after
      return planned;
    };
    scheduler.start();
    await clock.advance(10 * 60_000);
    const [refused, ...sentAfter] = modem.transmissions.filter((t) => t.fPort === 2);
    assert.ok(refused!.overLimit, 'the first batch was planned for DR5 and refused at DR0');
    assert.ok(sentAfter.length > 0 && sentAfter.every((t) => !t.overLimit && t.bytes! <= 51));
    assert.equal(budget.usedTodayMs, sentAfter.reduce((s, t) => s + t.toaMs, 0) + modem.transmissions.filter((t) => t.fPort !== 2).reduce((s, t) => s + t.toaMs, 0), 'the refused one was refunded');
    await scheduler.stop();
  });

  it('waits for a modem whose port went away, loses nothing, and sends once it is back', async () => {
    const { clock, modem, outbox, scheduler, sent } = rig();
    const lines: string[] = [];
    const level = currentLogLevel();
    configureLogging({ destination: { write: (l: string) => lines.push(l) }, level: 'warn' });
    try {
      let away = true;
      const status = modem.status.bind(modem);
      modem.status = async () => {
        if (away) throw new DisconnectedError('modem port is away; reopening');
        return status();
      };
      scheduler.start();
      for (let i = 1; i <= 8; i++) {
        outbox.append(report(clock, i));
        scheduler.notifyReport();
      }
      await clock.advance(5 * 60_000);
      assert.equal(sent.length, 0, 'nothing can go while the port is away');
      assert.ok(scheduler.stats.modemAway >= 5, `attempts ${scheduler.stats.modemAway}`);
      assert.equal(outbox.size, 8, 'every report still waits');
      assert.ok(lines.some((l) => l.includes('modem away')) && !lines.some((l) => l.includes('"level":50')), 'a warning, not an error');
      away = false;
      await clock.advance(30 * 60_000);
      const reported = sent.filter((f) => f.fPort === 2).reduce((n, f) => n + f.reports, 0);
      assert.equal(reported, 8, 'the backlog went once the modem was back');
      await scheduler.stop();
    } finally {
      configureLogging({ destination: { write: (l: string) => process.stderr.write(l) }, level });
    }
  });
});

