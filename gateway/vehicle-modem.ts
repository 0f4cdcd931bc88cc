/**
 * The vehicle's modem as the config says: the dialect's driver on the configured serial port, under
 * a supervisor that resets a hung module and reopens a port that went away. The gateway service and
 * the technician's self-test build it the same way. Must never hold the AppKey beyond handing it to
 * the driver, nor log it.
 */
import { spawn } from 'node:child_process';
import type { Clock } from '../common/clock.js';
import type { DialectOptions } from '../firmware-bindings/lora/dialect-common.js';
import { MODEM_DIALECTS } from '../firmware-bindings/lora/dialects.js';
import { ModemSupervisor } from '../firmware-bindings/lora/modem-supervisor.js';
import { openSerialPort } from '../firmware-bindings/transport/serial-port.js';
import type { GatewayConfig, GatewaySecrets } from './config.js';

/** The driver options a vehicle's config and secrets give: the vehicle and the bench use this one mapping. */
export function modemOptionsFrom(config: GatewayConfig, secrets: GatewaySecrets): DialectOptions {
  return {
    credentials: { devEui: config.lorawan.devEui, joinEui: config.lorawan.joinEui, appKey: secrets.appKey },
    adr: config.modem.adr,
    ...(config.modem.dataRate !== undefined ? { dr: config.modem.dataRate } : {}),
  };
}

export function vehicleModem(config: GatewayConfig, secrets: GatewaySecrets, clock: Clock, open = openSerialPort): ModemSupervisor {
  const dialect = MODEM_DIALECTS[config.modem.dialect];
  const options = modemOptionsFrom(config, secrets);
  return new ModemSupervisor({
    clock,
    dialect: config.modem.dialect,
    connect: () => open({ path: config.modem.port, ...dialect.serial, baudRate: config.modem.baudRate ?? dialect.serial.baudRate }),
    driver: (stream) => dialect.create(stream, clock, options),
    ...(config.modem.resetCommand ? { hardwareReset: commandReset(config.modem.resetCommand) } : {}),
  });
}

/**
 * The module's reset line (or its power), pulled by a command the config names, e.g. libgpiod's
 * `gpioset --mode=time --usec=200000 gpiochip0 17=0` on the Pi. Resolves when the command exited 0.
 */
export function commandReset(command: readonly string[], timeoutMs = 10_000): (signal?: AbortSignal) => Promise<void> {
  const [file, ...args] = command;
  return (signal) =>
    new Promise<void>((resolve, reject) => {
      // Killed when the modem is closed: a stop never waits for a reset line.
      const child = spawn(file!, args, { stdio: 'ignore', timeout: timeoutMs, ...(signal ? { signal } : {}) });
      child.once('error', (error) => reject(new Error(`modem reset command failed to start: ${error.message}`)));
      child.once('exit', (code, sig) => (code === 0 ? resolve() : reject(new Error(`modem reset command ended with ${sig ?? `exit code ${code}`}`))));
    });
}
