/**
 * The estimator's features: what the gateway really has at each departure, computed by the same
 * code for training (in the simulator) and on the vehicle. Counts are normalised by the vehicle's
 * design capacity so one model serves every vehicle type. The order of FEATURES is the contract
 * with the ONNX model: the model's metadata carries it, and a model with another list is refused.
 */
import { localClock } from '../../common/time.js';
import type { StopEvent } from '../counting/stop-event.js';
import { RadioPresence } from './radio-presence.js';

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
}

/** Keeps the trip state a departure needs: running sum, cumulative counts, stops, radio devices. */
export class FeatureBuilder {
  private runningSum = 0;
  private cumIn = 0;
  private cumOut = 0;
  private stops = 0;
  readonly radio = new RadioPresence();

  constructor(private readonly vehicle: VehicleContext) {}

  onRadioSighting(pseudonym: string): void {
    this.radio.onSighting(pseudonym);
  }

  /** Called once per stop event, in order. */
  next(stop: StopEvent): FeatureRow {
    const cap = this.vehicle.capacity;
    if (stop.terminus) {
      // The saloon was emptied: alightings belong to the old trip, the new trip starts here.
      this.runningSum = stop.boardings;
      this.cumIn = stop.boardings;
      this.cumOut = 0;
      this.stops = 0;
    } else {
      this.runningSum = Math.max(0, this.runningSum + stop.boardings - stop.alightings);
      this.cumIn += stop.boardings;
      this.cumOut += stop.alightings;
    }
    this.stops++;
    const radio = this.radio.onDeparture();
    if (stop.terminus) this.radio.reset();
    const camAfter = stop.camera?.after;
    const camBefore = stop.camera?.before;
    const cameraFault = stop.faults.includes('camera');
    const doorFault = stop.faults.some((f) => f === 'beam' || f === 'door-board' || f === 'door-contact');
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
    return { features: f, runningSum: this.runningSum, cameraAfter: camAfter };
  }
}
