import assert from 'node:assert/strict';
import { decodeFeed, vehiclePositionsFeed } from '../../../backend/publish/gtfs-rt.js';
import { localClock } from '../../../common/time.js';
import { publishedDay, type PublishedDay } from '../../helpers/published-day.js';

describe('GTFS-RT vehicle positions matched to the static GTFS (a bench morning on line 5)', function () {
  this.timeout(60_000);
  let day: PublishedDay;

  before(async () => {
    day = await publishedDay();
  });
  after(() => day?.close());

  /** The true stop visit behind a live frame: the vehicle's stop report of the same seq, then its truth. */
  function truthOf(vehicle: string, seq: number) {
    const report = day.report.details!.reports.find((r) => r.vehicleId === vehicle && r.report.seq === seq)?.report;
    if (!report) return undefined;
    return day.report.details!.truth.find((t) => t.vehicleId === vehicle && Math.abs(t.doorsClosed - report.departure) <= 2000);
  }

  it('matches nearly every live level to the trip, direction and stop the tram was really at', () => {
    assert.ok(day.lives.length >= 100, `only ${day.lives.length} live frames`);
    let checked = 0;
    let right = 0;
    const tripsOfRun = new Map<string, Set<string>>();
    for (const l of day.lives) {
      const truth = truthOf(l.vehicle, l.live.seq);
      if (!truth) continue;
      checked++;
      const t = l.published?.trip;
      if (t && t.directionId === truth.direction && t.stopId === truth.stopId && t.routeId === 'halle-5') right++;
      if (t) {
        const key = `${l.vehicle}/${truth.tripIndex}`;
        tripsOfRun.set(key, (tripsOfRun.get(key) ?? new Set()).add(t.tripId));
      }
    }
    assert.ok(checked >= 100, `only ${checked} live frames with a known truth`);
    assert.ok(right / checked >= 0.95, `${right} of ${checked} matched to the true direction and stop`);
    // One run of a tram is one scheduled trip, and no two runs share one.
    const single = [...tripsOfRun.values()].filter((s) => s.size === 1).length;
    assert.ok(single / tripsOfRun.size >= 0.9, `${single} of ${tripsOfRun.size} runs matched to a single trip`);
    const ids = [...tripsOfRun.values()].flatMap((s) => [...s]);
    assert.equal(new Set(ids).size, ids.length, 'two runs matched to the same scheduled trip');
  });

  it('publishes a feed that gtfs-realtime-bindings decodes into TripDescriptor, stop, fleet number and occupancy', () => {
    // The board at the moment of some live frame in the middle of the morning.
    const at = day.lives[Math.floor(day.lives.length / 2)]!.receivedAt;
    // The board holds each vehicle's latest level: rebuild it as it stood then from the lives so far.
    const latest = new Map(day.lives.filter((l) => l.receivedAt <= at && at - l.receivedAt <= 10 * 60_000).map((l) => [l.vehicle, l.published!]));
    const feed = decodeFeed(vehiclePositionsFeed([...latest.values()], at));
    assert.equal(feed.header.timestamp, Math.floor(at / 1000));
    assert.equal(feed.entity.length, 3, 'the three trams of the morning');
    for (const e of feed.entity) {
      const v = e.vehicle;
      assert.match(v.vehicle.label, /^66\d$/, 'label is the fleet number');
      assert.equal(v.vehicle.id, v.vehicle.label);
      assert.ok(!/^70b3/.test(v.vehicle.label), 'never the DevEUI');
      assert.match(v.trip.tripId, /^halle-5-[01]-\d{4}$/);
      assert.equal(v.trip.routeId, 'halle-5');
      assert.equal(v.trip.tripId.split('-')[2], String(v.trip.directionId));
      assert.equal(v.trip.startDate, '20261123');
      assert.equal(v.trip.startTime.slice(0, 5).replace(':', ''), v.trip.tripId.slice(-4));
      assert.ok(day.gtfs.stopName(v.stopId), `stop ${v.stopId} is in stops.txt`);
      assert.ok([1, 2].includes(v.currentStatus), 'STOPPED_AT or IN_TRANSIT_TO');
      assert.ok(v.currentStopSequence >= 1);
      assert.ok(v.occupancyStatus >= 0 && v.occupancyStatus <= 5);
      assert.equal(v.occupancyPercentage % 10, 0);
    }
  });

  it('says IN_TRANSIT_TO the next stop after a departure, STOPPED_AT at the last stop', () => {
    const withTrip = day.lives.filter((l) => l.published?.trip);
    const mid = withTrip.find((l) => l.published!.trip!.next !== undefined)!;
    const feed = decodeFeed(vehiclePositionsFeed([mid.published!], mid.receivedAt));
    const v = feed.entity[0]!.vehicle;
    assert.equal(v.currentStatus, 2);
    assert.equal(v.stopId, mid.published!.trip!.next!.stopId);
    assert.equal(v.currentStopSequence, mid.live.stop + 1);
    // The trams' last arrivals at the end of the morning are at a terminus, with no trip after.
    const lastStop = withTrip.find((l) => l.published!.trip!.next === undefined);
    assert.ok(lastStop, 'a live level at the last stop of a trip');
    const f = decodeFeed(vehiclePositionsFeed([lastStop.published!], lastStop.receivedAt));
    assert.equal(f.entity[0]!.vehicle.currentStatus, 1);
    assert.equal(f.entity[0]!.vehicle.stopId, lastStop.published!.trip!.stopId);
    assert.ok(['KROE', 'AMMD'].includes(f.entity[0]!.vehicle.stopId), 'a terminus of line 5');
    // Scheduled start date is the service day in Halle's time zone.
    assert.equal(localClock(mid.receivedAt, 'Europe/Berlin').date, mid.published!.trip!.startDate);
  });
});
