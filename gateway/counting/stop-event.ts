/**
 * A stop event: one door cycle at one stop (doors open -> all closed -> departure), as counting
 * assembles it from source events. It is the unit of VDV 457 accuracy and of the stop report.
 */
import type { DoorNumber, SensorName } from '../../contracts/source-events.js';

export interface DoorCount {
  door: DoorNumber;
  boardings: number;
  alightings: number;
}

export interface TripContext {
  line: number;
  course: number;
  destination: number;
}

export interface StopEvent {
  /** Stop number along the line from the vehicle bus (DS010); 0 when unknown. */
  stop: number;
  /** Trip context in force when the doors closed (the new trip at a terminus). */
  trip: TripContext;
  /** First door opened. */
  arrival: number;
  /** All doors closed for good. */
  departure: number;
  doors: DoorCount[];
  boardings: number;
  alightings: number;
  /**
   * At a terminus the load is known (zero): alightings belong to the old trip, boardings to the
   * new one.
   */
  terminus: boolean;
  /** Sensors that were faulted at any time during the stop. */
  faults: SensorName[];
  /** Mean camera head count (sum over zones) before the doors opened and after they closed. */
  camera?: { before?: number; after?: number; confidence?: number };
}
