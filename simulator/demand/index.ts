/**
 * The demand side of the simulated world, as the world loop uses it: a demand model to call at
 * every stop visit, its calibration, and the replay reader for counted trips. See
 * docs/demand-calibration.md. Nothing here touches the clock, the network or Math.random.
 */
export { CalibratedDemand, type CalibratedDemandOptions, type DemandModel, type DemandStats, type StopDemand, type StopVisitContext } from './demand-model.js';
export { DEFAULT_CALIBRATION_PATH, loadDemandCalibration, parseDemandCalibration, type DemandCalibration } from './calibration-schema.js';
export { formatReplaySummary, readReplayTrips, type ReplayReadOptions, type ReplayReadResult, type ReplayReadSummary } from './replay-reader.js';
export type { ReplayStop, ReplayTrip, TripFlag } from './replay-trip.js';
export { balanceTrip, runningLoads, type BalanceMethod, type BalanceResult } from './trip-balance.js';
export { localClock, localToEpochMs, serviceDayType, type DayType } from '../../common/time.js';
