/**
 * The typed events that sources hand to counting. Bindings (device depth) and the simulator (event
 * depth) both produce exactly these, so everything downstream is the same in both.
 *
 * No event may carry an identifier of a person: camera track ids and radio addresses arrive here
 * already pseudonymised; staff numbers from the vehicle bus never arrive at all.
 */

/** Doors are numbered from 1, front to back, as on the vehicle. */
export type DoorNumber = number;

export interface DoorStateEvent {
  type: 'door';
  at: number;
  door: DoorNumber;
  open: boolean;
}

/** One person crossing a door's light barriers. */
export interface PassageEvent {
  type: 'passage';
  at: number;
  door: DoorNumber;
  direction: 'in' | 'out';
}

/** The camera unit's head count for one zone of the saloon. */
export interface CameraCountEvent {
  type: 'camera';
  at: number;
  zone: number;
  heads: number;
  /** 0..1, as the camera reports it. */
  confidence: number;
  /** Pseudonymised track ids (keyed hash); never raw. */
  tracks?: readonly string[];
}

/**
 * What the vehicle bus (IBIS) says about the service: any subset of the fields, as telegrams arrive.
 * `stop` is the stop number along the line (DS010).
 */
export interface TripContextEvent {
  type: 'trip';
  at: number;
  line?: number;
  course?: number;
  destination?: number;
  stop?: number;
  stopName?: string;
  destinationName?: string;
}

/** A radio sighting (BLE advertisement or WiFi probe), address already pseudonymised. */
export interface RadioSightingEvent {
  type: 'radio';
  at: number;
  pseudonym: string;
  rssi: number;
  medium: 'ble' | 'wifi';
}

export type SensorName = 'door-board' | 'beam' | 'door-contact' | 'camera' | 'vehicle-bus' | 'radio';

/** A sensor fault begins (`active: true`) or ends. Faults are reported, never guessed over. */
export interface SensorFaultEvent {
  type: 'fault';
  at: number;
  sensor: SensorName;
  door?: DoorNumber;
  active: boolean;
  reason: string;
}

export type SourceEvent =
  | DoorStateEvent
  | PassageEvent
  | CameraCountEvent
  | TripContextEvent
  | RadioSightingEvent
  | SensorFaultEvent;

/** Anything that produces source events: a binding's adapter or the simulator. */
export interface EventSink {
  handle(event: SourceEvent): void;
}
