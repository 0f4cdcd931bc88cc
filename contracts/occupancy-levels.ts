/**
 * Occupancy levels. Halle shows passengers three (leer / mittel / stark besetzt); GTFS-Realtime has
 * its own scale. Thresholds are per vehicle type and come from data (vehicle-types), never code.
 */
import { Level } from '../proto/frames.js';

export { Level };

export interface LevelThresholds {
  /** Load (passengers) from which the level is "mittel". */
  medium: number;
  /** Load from which the level is "stark besetzt". */
  high: number;
}

export function levelFor(load: number, t: LevelThresholds): Level {
  if (load >= t.high) return Level.LEVEL_HIGH;
  if (load >= t.medium) return Level.LEVEL_MEDIUM;
  return Level.LEVEL_LOW;
}

export const LEVEL_NAMES: Record<Level, string> = {
  [Level.LEVEL_UNKNOWN]: 'unbekannt',
  [Level.LEVEL_LOW]: 'leer',
  [Level.LEVEL_MEDIUM]: 'mittel',
  [Level.LEVEL_HIGH]: 'stark besetzt',
};

/** GTFS-Realtime OccupancyStatus values (not a linear scale). */
export enum GtfsOccupancyStatus {
  EMPTY = 0,
  MANY_SEATS_AVAILABLE = 1,
  FEW_SEATS_AVAILABLE = 2,
  STANDING_ROOM_ONLY = 3,
  CRUSHED_STANDING_ROOM_ONLY = 4,
  FULL = 5,
  NOT_ACCEPTING_PASSENGERS = 6,
  NO_DATA_AVAILABLE = 7,
  NOT_BOARDABLE = 8,
}

/**
 * The GTFS-Realtime status published for a reported Halle level and load share (the Live frame's
 * `occupancy_tenths`): the one mapping from what a vehicle sends to what passengers' apps show.
 * Within "leer" an empty saloon is EMPTY; "stark besetzt" splits by the load share of design
 * capacity (seated + standing at 4/m²).
 */
export function gtfsOccupancyStatus(level: Level, tenths: number): GtfsOccupancyStatus {
  switch (level) {
    case Level.LEVEL_LOW:
      return tenths === 0 ? GtfsOccupancyStatus.EMPTY : GtfsOccupancyStatus.MANY_SEATS_AVAILABLE;
    case Level.LEVEL_MEDIUM:
      return GtfsOccupancyStatus.FEW_SEATS_AVAILABLE;
    case Level.LEVEL_HIGH:
      if (tenths >= 10) return GtfsOccupancyStatus.FULL;
      return tenths >= 8 ? GtfsOccupancyStatus.CRUSHED_STANDING_ROOM_ONLY : GtfsOccupancyStatus.STANDING_ROOM_ONLY;
    default:
      return GtfsOccupancyStatus.NO_DATA_AVAILABLE;
  }
}

/** Load as a share of design capacity in steps of 10 % (the Live frame's occupancy_tenths), capped at 300 %. */
export function occupancyTenths(load: number, capacity: number): number {
  return Math.min(30, Math.max(0, Math.round((load / capacity) * 10)));
}
