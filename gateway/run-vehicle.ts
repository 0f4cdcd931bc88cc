/**
 * Starts the gateway on a vehicle from its validated config: opens the modem's serial port, the
 * outbox file, the estimator and the configured sources, and runs until told to stop (SIGTERM from
 * systemd). Reconnection of ports is the bindings' business (the modem's: vehicle-modem.ts); this
 * only wires and supervises.
 */
import { SystemClock } from '../common/clock.js';
import { configureLogging, moduleLogger } from '../common/log.js';
import { localDayStart } from '../common/time.js';
import type { GatewayConfig, GatewaySecrets } from './config.js';
import { RunningSumEstimator } from './estimation/estimator.js';
import { Gateway } from './gateway.js';
import { DEFAULT_SPREAD, PublicLevelPolicy } from './privacy/public-level.js';
import { Outbox } from './uplink/outbox.js';
import { DEFAULT_SCHEDULER_OPTIONS, type SchedulerOptions } from './uplink/uplink-scheduler.js';
import { vehicleModem } from './vehicle-modem.js';

/** major*10000 + minor*100 + patch, as the health frame carries it. */
const SOFTWARE_VERSION = 100;

export function schedulerOptionsFrom(uplink: GatewayConfig['uplink']): SchedulerOptions {
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

const log = moduleLogger('gateway.run');

export async function runVehicleGateway(config: GatewayConfig, secrets: GatewaySecrets, signal: AbortSignal): Promise<void> {
  configureLogging({ level: config.log.level });
  const clock = new SystemClock();
  // The dialect (rui3 | rn2483) picks driver and serial settings; the supervisor owns the port.
  const modem = vehicleModem(config, secrets, clock);
  const outbox = new Outbox({ path: config.uplink.outboxPath, maxReports: config.uplink.outboxMaxReports });
  const gateway = new Gateway(
    {
      clock,
      modem,
      outbox,
      estimator: new RunningSumEstimator({ seats: config.vehicle.seats, capacity: config.vehicle.capacity }),
      publicLevel: new PublicLevelPolicy(
        { thresholds: config.vehicle.levels, capacity: config.vehicle.capacity, ...DEFAULT_SPREAD },
        secrets.levelSeed ? Buffer.from(secrets.levelSeed, 'hex') : undefined,
      ),
    },
    {
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
    },
  );
  const configured = Object.keys(config.sources);
  if (configured.length === 0) log.warn('no sources configured: the gateway will report nothing until door board, IBIS or camera are set in the config');
  await gateway.start();
  log.info({ vehicle: config.vehicle.id, pending: outbox.size, sources: configured }, 'running');
  await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  log.info('stopping');
  await gateway.stop();
  outbox.close();
}
