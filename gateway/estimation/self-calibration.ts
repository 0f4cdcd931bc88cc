/**
 * The vehicle's own estimate of how well its counters count, learned online from what it sees,
 * without manual counts:
 *
 * - **Trip ends.** The saloon is empty at the terminus, so over a whole trip the true boardings and
 *   alightings are equal; what the doors counted in and out tells how the two directions differ
 *   (`inOutRatio` = counted outs / counted ins, per door as well). The running sum's residual at
 *   the terminus is that imbalance in passengers.
 * - **Quiet moments.** A camera counts heads well when the saloon is sparse (heads merge only in
 *   crowds). Where the camera saw few people on arrival, its count after departure against the
 *   balanced door sum (`cameraScale`) tells whether the doors miss (or double) people in both
 *   directions alike, which no trip balance can see.
 *
 * Both are decayed sums with a prior of equal counts, so they start at 1, move only as evidence
 * comes, follow drift over some trips, and stay within fixed bounds whatever the input. The state
 * is a small plain object that the gateway persists across restarts. Never holds anything about a
 * person: only counts.
 */

/** Decay per completed trip: about the last 7 trips count (sensors drift during a day). */
const TRIP_DECAY = 0.85;
/** Decay per quiet moment: about the last 100 quiet departures count. */
const QUIET_DECAY = 0.99;
/** Prior weight (passengers) of "ins and outs count alike" and "doors and camera agree". */
const TRIP_PRIOR = 60;
const QUIET_PRIOR = 40;
export const RATIO_BOUNDS = [0.75, 1.33] as const;
export const SCALE_BOUNDS = [0.7, 1.5] as const;
/** Quiet: the camera saw at most this share of capacity on arrival (below the onset of merging heads). */
export const QUIET_SHARE = 0.15;
/** ... and at least this many heads (near zero a count's noise is clipped at zero, which biases it). */
export const QUIET_MIN_HEADS = 4;
/** A trip counts for the balance only when it was counted whole and saw at least this many boardings. */
const MIN_TRIP_BOARDINGS = 10;
const MAX_DOORS = 8;
/** No trip counts more (a broken counter does): its decayed sums stay below 1e6, the bound a stored state is held to. */
const MAX_TRIP_COUNT = 100_000;

export interface CalibrationState {
  version: 1;
  /** Completed trips seen (not decayed; capped). */
  trips: number;
  /** Decayed counted ins and outs over completed trips, all doors and per door (index door - 1). */
  tripIn: number;
  tripOut: number;
  doorIn: number[];
  doorOut: number[];
  /** Quiet moments seen (capped), and decayed camera heads and balanced door sums at them. */
  quiet: number;
  quietCamera: number;
  quietDoors: number;
}

export interface CompletedTrip {
  /** Counted boardings and alightings over the whole trip, the terminus alightings included. */
  boardings: number;
  alightings: number;
  /** Per door (index door - 1). */
  doors: ReadonlyArray<{ boardings: number; alightings: number }>;
}

export interface DoorQuality {
  door: number;
  /** Counted outs / counted ins at this door over recent trips (1: balanced). */
  ratio: number;
}

function fresh(): CalibrationState {
  return { version: 1, trips: 0, tripIn: 0, tripOut: 0, doorIn: [], doorOut: [], quiet: 0, quietCamera: 0, quietDoors: 0 };
}

const clamp = (v: number, [lo, hi]: readonly [number, number]) => Math.min(hi, Math.max(lo, v));
const finiteNonNegative = (v: unknown, max: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.min(v, max) : 0);

export class SelfCalibration {
  private state: CalibrationState;

  constructor(state?: unknown) {
    this.state = SelfCalibration.sanitise(state);
  }

  /** A stored state as it may come back from disk: anything malformed or out of range starts fresh or is bounded. */
  static sanitise(raw: unknown): CalibrationState {
    if (!raw || typeof raw !== 'object' || (raw as { version?: unknown }).version !== 1) return fresh();
    const r = raw as Partial<Record<keyof CalibrationState, unknown>>;
    // Decayed sums never exceed prior / (1 - decay) times the largest trip; 1e6 passengers is far beyond any.
    const big = 1e6;
    const doors = (v: unknown) => (Array.isArray(v) ? v.slice(0, MAX_DOORS).map((x) => finiteNonNegative(x, big)) : []);
    return {
      version: 1,
      trips: Math.floor(finiteNonNegative(r.trips, 1e6)),
      tripIn: finiteNonNegative(r.tripIn, big),
      tripOut: finiteNonNegative(r.tripOut, big),
      doorIn: doors(r.doorIn),
      doorOut: doors(r.doorOut),
      quiet: Math.floor(finiteNonNegative(r.quiet, 1e6)),
      quietCamera: finiteNonNegative(r.quietCamera, big),
      quietDoors: finiteNonNegative(r.quietDoors, big),
    };
  }

  snapshot(): CalibrationState {
    return { ...this.state, doorIn: [...this.state.doorIn], doorOut: [...this.state.doorOut] };
  }

  get trips(): number {
    return this.state.trips;
  }

  get quietMoments(): number {
    return this.state.quiet;
  }

  /** Counted outs per counted in over recent whole trips (1: the directions agree), bounded. */
  get inOutRatio(): number {
    const s = this.state;
    return clamp((s.tripOut + TRIP_PRIOR) / (s.tripIn + TRIP_PRIOR), RATIO_BOUNDS);
  }

  /** Camera heads per balanced door count at quiet moments (above 1: the doors miss people), bounded. */
  get cameraScale(): number {
    const s = this.state;
    return clamp((s.quietCamera + QUIET_PRIOR) / (s.quietDoors + QUIET_PRIOR), SCALE_BOUNDS);
  }

  /** Per door, counted outs per counted in over recent trips; doors without counts are left out. */
  doorQuality(): DoorQuality[] {
    const s = this.state;
    const n = Math.max(s.doorIn.length, s.doorOut.length);
    const prior = TRIP_PRIOR / Math.max(1, n);
    const out: DoorQuality[] = [];
    for (let d = 0; d < n; d++) {
      const i = s.doorIn[d] ?? 0;
      const o = s.doorOut[d] ?? 0;
      if (i + o > 0) out.push({ door: d + 1, ratio: clamp((o + prior) / (i + prior), RATIO_BOUNDS) });
    }
    return out;
  }

  /** The door whose ins and outs disagree most, if any door has counts. */
  worstDoor(): DoorQuality | undefined {
    return this.doorQuality().reduce<DoorQuality | undefined>((worst, d) => (!worst || Math.abs(Math.log(d.ratio)) > Math.abs(Math.log(worst.ratio)) ? d : worst), undefined);
  }

  /**
   * The load the door counts say, corrected by what the vehicle learned: outs scaled to match the
   * ins (trip balance), then both scaled to the camera's quiet-moment count. Never negative.
   */
  correctedSum(cumIn: number, cumOut: number): number {
    return Math.max(0, this.cameraScale * (cumIn - cumOut / this.inOutRatio));
  }

  /** The door sum balanced between ins and outs but not yet scaled to the camera. */
  balancedSum(cumIn: number, cumOut: number): number {
    return Math.max(0, cumIn - cumOut / this.inOutRatio);
  }

  /** A trip ended at a terminus, counted whole and without a door fault. */
  tripEnded(trip: CompletedTrip): boolean {
    const sane = (v: number) => Number.isFinite(v) && v >= 0 && v <= MAX_TRIP_COUNT;
    if (!(trip.boardings >= MIN_TRIP_BOARDINGS) || !sane(trip.boardings) || !sane(trip.alightings)) return false;
    const s = this.state;
    s.trips = Math.min(1e6, s.trips + 1);
    s.tripIn = s.tripIn * TRIP_DECAY + trip.boardings;
    s.tripOut = s.tripOut * TRIP_DECAY + trip.alightings;
    trip.doors.slice(0, MAX_DOORS).forEach((d, i) => {
      s.doorIn[i] = (s.doorIn[i] ?? 0) * TRIP_DECAY + (sane(d.boardings) ? d.boardings : 0);
      s.doorOut[i] = (s.doorOut[i] ?? 0) * TRIP_DECAY + (sane(d.alightings) ? d.alightings : 0);
    });
    for (let i = trip.doors.length; i < s.doorIn.length; i++) {
      s.doorIn[i]! *= TRIP_DECAY;
      s.doorOut[i] = (s.doorOut[i] ?? 0) * TRIP_DECAY;
    }
    return true;
  }

  /**
   * A departure where the camera saw a sparse saloon on arrival (`cameraBefore`), with its count
   * after departure and the balanced door sum after departure; ignored unless quiet.
   */
  departure(cameraBefore: number, cameraAfter: number, balancedSum: number, capacity: number): boolean {
    if (!(cameraBefore >= QUIET_MIN_HEADS && cameraBefore <= QUIET_SHARE * capacity)) return false;
    if (!Number.isFinite(cameraAfter) || !Number.isFinite(balancedSum) || cameraAfter < 0 || balancedSum < 0) return false;
    // A single count far from the doors (a camera glitch, a crowd boarding) is bounded, not trusted whole.
    const camera = Math.min(cameraAfter, 2 * QUIET_SHARE * capacity);
    const s = this.state;
    s.quiet = Math.min(1e6, s.quiet + 1);
    s.quietCamera = s.quietCamera * QUIET_DECAY + camera;
    s.quietDoors = s.quietDoors * QUIET_DECAY + Math.min(balancedSum, 2 * QUIET_SHARE * capacity);
    return true;
  }
}
