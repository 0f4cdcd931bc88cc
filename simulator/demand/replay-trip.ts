/**
 * The shape of a replayed trip: what the replay reader produces and the calibration, the fit
 * report and the world consume. Types only, so every module can share them without cycles.
 */

export interface ReplayStop {
  /** Position in the trip as written in the file (from 1). */
  seq: number;
  stopId: string;
  stopName: string;
  /** Arrival, ms since the epoch (the local time in the file read in the reader's time zone). */
  arrival: number;
  /** Arrival as written in the file (local HH:MM:SS; after midnight it may read 00:12:00). */
  arrivalText: string;
  boardings: number;
  alightings: number;
  /** The operator's load after this stop, when the file has one; not ground truth. */
  reportedLoad: number | undefined;
}

/**
 * Facts about a trip as read, before any fix:
 * - `seq-gap`: positions are missing in the sequence (e.g. 1, 2, 4);
 * - `unbalanced`: boardings and alightings do not sum to the same total;
 * - `negative-running-load`: the running sum of counts goes below zero somewhere;
 * - `boards-at-last-stop`: boardings counted at the last stop of the trip;
 * - `single-stop`: only one stop was recorded;
 * - `rows-skipped`: some of its rows were rejected;
 * - `balanced`: the counts were changed by `balanceTrip` (only on returned, fixed trips).
 */
export type TripFlag =
  | 'seq-gap'
  | 'unbalanced'
  | 'negative-running-load'
  | 'boards-at-last-stop'
  | 'single-stop'
  | 'rows-skipped'
  | 'balanced';

export interface ReplayTrip {
  /** Service date, YYYYMMDD. */
  date: string;
  line: string;
  tripId: string;
  direction: 0 | 1;
  /** In travel order, arrival times non-decreasing. */
  stops: ReplayStop[];
  flags: TripFlag[];
  /** Σ boardings − Σ alightings as read (0 for a balanced trip). */
  balance: number;
}
