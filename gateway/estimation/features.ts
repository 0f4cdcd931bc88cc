/**
 * The estimator's features: what the gateway really has at each departure, computed by the same
 * code for training (in the simulator) and on the vehicle. Counts are normalised by the vehicle's
 * design capacity so one model serves every vehicle type. The order of FEATURES is the contract
 * with the ONNX model: the model's metadata carries it, and a model with another list is refused.
 */
import { localClock } from '../../common/time.js';
import type { StopEvent } from '../counting/stop-event.js';
import { RadioPresence } from './radio-presence.js';
import { SelfCalibration } from './self-calibration.js';

export const FEATURES = [
  'running_sum',
  'cum_in',
  'cum_out',
  'boardings',
  'alightings',
  'camera_after',
  'camera_before',
  'camera_present',
  'camera_confidence',
  'door_fault',
  'camera_fault',
  'stops_since_start',
  'terminus',
  'hour_sin',
  'hour_cos',
  'weekend',
  'capacity',
  'seats_share',
  'radio_persistent',
  'radio_current',
  // The vehicle's self-calibration (self-calibration.ts): the door sum corrected by what the
  // vehicle learned of its own counters, the in/out ratio and camera scale behind it (0: none
  // learned), and how much evidence they rest on (0..1).
  'cal_sum',
  'cal_in_out',
  'cal_camera_scale',
  'cal_trips',
  'cal_quiet',
] as const;

export type FeatureName = (typeof FEATURES)[number];
export const FEATURE_INDEX: Readonly<Record<FeatureName, number>> = Object.fromEntries(FEATURES.map((f, i) => [f, i])) as Record<FeatureName, number>;

export interface VehicleContext {
  capacity: number;
  seats: number;
  timeZone: string;
}

export interface FeatureRow {
  features: Float32Array;
  /** Running sum of ins minus outs since the trip started (passengers), the baseline. */
  runningSum: number;
  /** The camera's head count after departure, when there is one (the camera-only baseline). */
  cameraAfter: number | undefined;
  /** The door sum corrected by the self-calibration (passengers), before the model. */
  calibratedSum: number;
}

/**
 * Keeps the trip state a departure needs: running sum, cumulative counts (per door too), stops,
 * radio devices, and the vehicle's self-calibration, which it feeds at trip ends and quiet moments.
 */
export class FeatureBuilder {
  private runningSum = 0;
  private cumIn = 0;
  private cumOut = 0;
  private stops = 0;
  private doorIn: number[] = [];
  private doorOut: number[] = [];
  /** The trip began at a terminus this builder saw (not mid-trip after a restart) and no door sensor failed in it. */
  private tripWhole = false;
  readonly radio = new RadioPresence();

  constructor(
    private readonly vehicle: VehicleContext,
    readonly calibration: SelfCalibration = new SelfCalibration(),
  ) {}

  onRadioSighting(pseudonym: string): void {
    this.radio.onSighting(pseudonym);
  }

  /** Called once per stop event, in order. */
  next(stop: StopEvent): FeatureRow {
    const cap = this.vehicle.capacity;
    const cal = this.calibration;
    const cameraFault = stop.faults.includes('camera');
    const doorFault = stop.faults.some((f) => f === 'beam' || f === 'door-board' || f === 'door-contact');
    if (stop.terminus) {
      // The saloon was emptied: the trip's ins and outs must balance; what they do not is the counters'.
      if (this.tripWhole && !doorFault) {
        const outs = this.perDoor(stop, 'alightings');
        const doors = Array.from({ length: Math.max(outs.length, this.doorIn.length) }, (_, i) => ({ boardings: this.doorIn[i] ?? 0, alightings: outs[i] ?? 0 }));
        cal.tripEnded({ boardings: this.cumIn, alightings: this.cumOut + stop.alightings, doors });
      }
      // Alightings belong to the old trip, the new trip starts here.
      this.runningSum = stop.boardings;
      this.cumIn = stop.boardings;
      this.cumOut = 0;
      this.stops = 0;
      this.doorIn = this.perDoor(stop, 'boardings', []);
      this.doorOut = [];
      this.tripWhole = true;
    } else {
      this.runningSum = Math.max(0, this.runningSum + stop.boardings - stop.alightings);
      this.cumIn += stop.boardings;
      this.cumOut += stop.alightings;
      this.doorIn = this.perDoor(stop, 'boardings');
      this.doorOut = this.perDoor(stop, 'alightings');
    }
    if (doorFault) this.tripWhole = false;
    this.stops++;
    const radio = this.radio.onDeparture();
    if (stop.terminus) this.radio.reset();
    const camAfter = stop.camera?.after;
    const camBefore = stop.camera?.before;
    const calibratedSum = cal.correctedSum(this.cumIn, this.cumOut);
    const local = localClock(stop.departure, this.vehicle.timeZone);
    const angle = (2 * Math.PI * local.secondsOfDay) / 86_400;
    const f = new Float32Array(FEATURES.length);
    const set = (name: FeatureName, value: number) => (f[FEATURE_INDEX[name]] = value);
    set('running_sum', this.runningSum / cap);
    set('cum_in', this.cumIn / cap);
    set('cum_out', this.cumOut / cap);
    set('boardings', stop.boardings / cap);
    set('alightings', stop.alightings / cap);
    set('camera_after', camAfter !== undefined ? camAfter / cap : -1);
    set('camera_before', camBefore !== undefined ? camBefore / cap : -1);
    set('camera_present', camAfter !== undefined ? 1 : 0);
    set('camera_confidence', stop.camera?.confidence ?? 0);
    set('door_fault', doorFault ? 1 : 0);
    set('camera_fault', cameraFault ? 1 : 0);
    set('stops_since_start', this.stops);
    set('terminus', stop.terminus ? 1 : 0);
    set('hour_sin', Math.sin(angle));
    set('hour_cos', Math.cos(angle));
    set('weekend', local.weekday === 0 || local.weekday === 6 ? 1 : 0);
    set('capacity', cap);
    set('seats_share', this.vehicle.seats / cap);
    set('radio_persistent', radio.persistent / cap);
    set('radio_current', radio.current / cap);
    set('cal_sum', calibratedSum / cap);
    set('cal_in_out', cal.inOutRatio - 1);
    set('cal_camera_scale', cal.cameraScale - 1);
    set('cal_trips', Math.min(cal.trips, 20) / 20);
    set('cal_quiet', Math.min(cal.quietMoments, 100) / 100);
    // Learned after the features are set: this departure's camera count is a feature already.
    if (camBefore !== undefined && camAfter !== undefined && !cameraFault && !doorFault && !stop.terminus) {
      cal.departure(camBefore, camAfter, cal.balancedSum(this.cumIn, this.cumOut), cap);
    }
    return { features: f, runningSum: this.runningSum, cameraAfter: camAfter, calibratedSum };
  }

  /** This trip's counts per door (index door - 1) with this stop's added. */
  private perDoor(stop: StopEvent, what: 'boardings' | 'alightings', base: readonly number[] = what === 'boardings' ? this.doorIn : this.doorOut): number[] {
    const out = [...base];
    for (const d of stop.doors) {
      if (d.door >= 1 && d.door <= 8) out[d.door - 1] = (out[d.door - 1] ?? 0) + d[what];
    }
    for (let i = 0; i < out.length; i++) out[i] ??= 0;
    return out;
  }
}
