/**
 * Builds the simulated world of a scenario: the day's vehicle blocks (lines or replay), demand,
 * and per tram a runner with its sensor models (door counters, camera, phones, faults). Where the
 * sensed events go is the caller's choice (`attach`): a gateway rig on the bench, or a bare
 * counting pipeline when collecting training data. Same seed, same world.
 */
import type { Clock } from '../../common/clock.js';
import type { Rng } from '../../common/random.js';
import { zonedTimeToEpoch } from '../../common/time.js';
import type { EventSink, SourceEvent } from '../../contracts/source-events.js';
import { CalibratedDemand, loadDemandCalibration } from '../demand/index.js';
import { drawFromTable } from '../demand/draws.js';
import type { Scenario } from '../scenario.js';
import { CameraModel } from '../sensors/camera-model.js';
import { DoorCounterModel } from '../sensors/door-counter-model.js';
import { planFleet, type ServiceWindow } from './fleet-plan.js';
import { loadVehicleTypes } from '../../contracts/vehicle-types.js';
import { PhoneCrowd, type RawSighting } from './phones.js';
import type { VehicleBlock } from './service-plan.js';
import { VehicleRunner, type TruthStop } from './vehicle-runner.js';

export interface Attachment {
  sink: EventSink;
  /** Where the radio scanner's raw sightings go (to be pseudonymised there); none: no radio. */
  radio?: (sighting: RawSighting) => void;
  /** Where source events go besides the sink: device-depth emulators (simulator/devices/door-board-rig.ts). */
  tap?: (event: SourceEvent) => void;
}

export interface WorldOptions {
  clock: Clock;
  rng: Rng;
  window: ServiceWindow;
  onTruth: (truth: TruthStop) => void;
  attach: (block: VehicleBlock, vehicleRng: Rng) => Attachment;
}

export interface World {
  blocks: VehicleBlock[];
  runners: VehicleRunner[];
  replaySummary?: string;
}

export async function buildWorld(scenario: Scenario, o: WorldOptions): Promise<World> {
  const tz = scenario.timeZone;
  const at = (hhmm: string) => zonedTimeToEpoch(scenario.date, hhmm, tz);
  const plan = await planFleet(scenario, loadVehicleTypes(), o.window);
  const calibration = loadDemandCalibration();
  const demand = new CalibratedDemand(calibration, { timeZone: tz, scale: scenario.demand.scale });
  const splitGroups = (n: number, r: Rng): number[] => {
    const groups: number[] = [];
    for (let left = n; left > 0; ) {
      const size = Math.min(left, drawFromTable(r, calibration.groups.sizeTable));
      groups.push(size);
      left -= size;
    }
    return groups;
  };
  const lastDeparture = new Map<string, number>();
  const s = scenario.sensors;
  /** The service day over which sensor quality drifts. */
  const day = { from: at(scenario.start), to: at(scenario.end) };
  const runners = plan.blocks.map((block) => {
    const vrng = o.rng.fork(`vehicle-${block.vehicleId}`);
    const attachment = o.attach(block, vrng);
    const radio = scenario.radio.enabled ? attachment.radio : undefined;
    return new VehicleRunner(
      {
        clock: o.clock,
        rng: vrng.fork('world'),
        sink: attachment.sink,
        ...(attachment.tap ? { tap: attachment.tap } : {}),
        demand,
        splitGroups,
        doors: new DoorCounterModel(
          { missBase: s.doorMissBase, missClose: s.doorMissClose, doubleCrowd: s.doorDoubleCrowd, closeGapMs: s.closeGapMs, drift: { ...day, factor: s.doorDrift } },
          vrng.fork('doors'),
        ),
        camera: new CameraModel({ onset: s.cameraOnset, crowdUndercount: s.cameraCrowdUndercount, noiseSd: s.cameraNoiseSd, noiseShare: 0.04, drift: { ...day, factor: s.cameraDrift } }, vrng.fork('camera')),
        lastDeparture,
        faults: scenario.faults
          .filter((f) => !f.vehicles || f.vehicles.includes(block.vehicleId))
          .map((f) => ({ sensor: f.sensor, ...(f.door !== undefined ? { door: f.door } : {}), from: at(f.from), to: at(f.to) })),
        ...(radio
          ? {
              radio,
              phones: new PhoneCrowd(vrng.fork('phones'), {
                carryShare: scenario.radio.carryShare,
                rotationMeanMs: scenario.radio.rotationMinutes * 60_000,
                heardShare: 0.85,
                bystandersPerStop: scenario.radio.bystandersPerStop,
                onBoardRssi: -62,
                bystanderRssi: -84,
              }),
            }
          : {}),
        onTruth: o.onTruth,
      },
      block,
    );
  });
  return { blocks: plan.blocks, runners, ...(plan.replaySummary ? { replaySummary: plan.replaySummary } : {}) };
}
