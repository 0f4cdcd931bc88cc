/**
 * The one place where a vehicle's validated config becomes a running pipeline: settings, scheduler
 * options, the estimator's view of the vehicle, the public-level rule. The vehicle's service
 * (run-vehicle.ts) and the bench's simulated trams (simulator/day-run/vehicle-rig.ts) both build
 * their gateway here, so the bench runs exactly the vehicle's settings mapping; only the parts that
 * touch hardware (modem stream, outbox file, sources) differ and are handed in.
 *
 * Must never: open a port or a file (deps come in ready), or read the secrets beyond the level seed.
 */
import type { Clock } from '../common/clock.js';
import { localDayStart } from '../common/time.js';
import type { LoraModem } from '../firmware-bindings/lora/modem.js';
import type { GatewayConfig } from './config.js';
import type { LoadEstimator } from './estimation/estimator.js';
import type { ModelVehicle } from './estimation/onnx-estimator.js';
import { Gateway, type GatewaySettings } from './gateway.js';
import { DEFAULT_SPREAD, PublicLevelPolicy } from './privacy/public-level.js';
import type { Outbox } from './uplink/outbox.js';
import { DEFAULT_SCHEDULER_OPTIONS, type SchedulerOptions } from './uplink/uplink-scheduler.js';

/** This software's version as the health frame carries it: major*10000 + minor*100 + patch (0.1.0). */
export const SOFTWARE_VERSION = 100;

export interface GatewayBuildDeps {
  clock: Clock;
  modem: LoraModem;
  outbox: Outbox;
  estimator: LoadEstimator;
  /** The secret seed of the anonymised public level (secrets file); a fresh random one when absent. */
  levelSeed?: Buffer;
}

function schedulerOptionsFrom(uplink: GatewayConfig['uplink']): SchedulerOptions {
  return {
    ...DEFAULT_SCHEDULER_OPTIONS,
    maxBatchDelayMs: uplink.maxBatchDelayMinutes * 60_000,
    maxBatch: uplink.maxBatch,
    resendAfterMs: uplink.resendAfterHours * 3_600_000,
    liveMaxAgeMs: uplink.liveMaxAgeSeconds * 1000,
    liveHeartbeatMs: uplink.liveHeartbeatMinutes * 60_000,
    healthIntervalMs: uplink.healthIntervalMin * 60_000,
    ackPollMs: uplink.ackPollMinutes * 60_000,
  };
}

export function gatewaySettingsFrom(config: GatewayConfig): GatewaySettings {
  return {
    vehicleId: config.vehicle.id,
    capacity: config.vehicle.capacity,
    seats: config.vehicle.seats,
    levels: config.vehicle.levels,
    departureGraceMs: config.counting.departureGraceSeconds * 1000,
    liveEnabled: config.uplink.liveEnabled,
    dailyAirtimeMs: config.uplink.dailyAirtimeMs,
    serviceHours: config.uplink.serviceHours,
    dayOf: (t) => localDayStart(t, config.timeZone),
    scheduler: schedulerOptionsFrom(config.uplink),
    softwareVersion: SOFTWARE_VERSION,
  };
}

/** What the load estimator needs to know of the vehicle. */
export function modelVehicleFrom(config: GatewayConfig): ModelVehicle {
  return { seats: config.vehicle.seats, capacity: config.vehicle.capacity, levels: config.vehicle.levels, timeZone: config.timeZone };
}

export function buildGateway(config: GatewayConfig, deps: GatewayBuildDeps): Gateway {
  const { vehicle } = config;
  return new Gateway(
    {
      clock: deps.clock,
      modem: deps.modem,
      outbox: deps.outbox,
      estimator: deps.estimator,
      publicLevel: new PublicLevelPolicy({ thresholds: vehicle.levels, capacity: vehicle.capacity, ...DEFAULT_SPREAD }, deps.levelSeed),
    },
    // The health frame's model_version: the loaded model's, or "no model" from the running sum.
    { ...gatewaySettingsFrom(config), ...(deps.estimator.modelVersion !== undefined ? { modelVersion: deps.estimator.modelVersion } : {}) },
  );
}
