/**
 * The demand seam: at each stop visit, how many passengers alight and which groups board.
 * The simulator's world asks a DemandModel; calibrated and replay models implement it.
 */
import type { Rng } from '../../common/random.js';

export interface StopVisitContext {
  /** ms since epoch (virtual clock). */
  time: number;
  lineId: string;
  direction: 0 | 1;
  stopIndex: number;
  stopCount: number;
  /** Relative importance from line data (1 ordinary, >1 hub). */
  stopWeight: number;
  stopId: string;
  /** Time since the previous tram of this line and direction left this stop. */
  sinceLastDepartureMs: number;
  onBoard: number;
  capacity: number;
  /** Last stop of the trip: everyone alights, nobody boards for this trip. */
  isTerminus: boolean;
}

export interface StopDemand {
  alightings: number;
  /** Group sizes, in boarding order. */
  boardingGroups: number[];
}

export interface DemandModel {
  visit(ctx: StopVisitContext, rng: Rng): StopDemand;
}
