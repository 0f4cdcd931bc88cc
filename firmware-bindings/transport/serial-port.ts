/**
 * The one module that opens serial ports. Everything else takes a Duplex, so bindings run the same
 * over a real port, a pseudo-terminal or an in-memory pair. Must never parse protocol bytes.
 */
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import { DisconnectedError } from '../../common/errors.js';

export interface SerialSettings {
  path: string;
  baudRate: number;
  dataBits?: 5 | 6 | 7 | 8;
  parity?: 'none' | 'even' | 'odd';
  stopBits?: 1 | 1.5 | 2;
}

/**
 * Opens a serial port (or pseudo-terminal) and resolves once it is open. Destroying the stream
 * closes the port: serialport's own stream does not (its `destroy()` leaves the file descriptor and
 * its poller open, which kept a process alive after its work was done, e.g. the self-test after a
 * modem FAIL). Everyone above us ends a stream with `destroy()`, so this is where the port closes.
 */
export async function openSerialPort(settings: SerialSettings): Promise<Duplex> {
  const port = new SerialPort({
    path: settings.path,
    baudRate: settings.baudRate,
    dataBits: settings.dataBits ?? 8,
    parity: settings.parity ?? 'none',
    stopBits: settings.stopBits ?? 1,
    autoOpen: false,
  });
  port._destroy = (error, callback) => {
    const binding = port.port;
    if (!binding?.isOpen) {
      callback(error);
      return;
    }
    // The binding directly, not port.close(): that would emit a second 'close' after destroy's own.
    binding.close().then(
      () => callback(error),
      (closeError: Error) => callback(error ?? closeError),
    );
  };
  await new Promise<void>((resolve, reject) => {
    port.open((error) =>
      error ? reject(new DisconnectedError(`cannot open ${settings.path}: ${error.message}`)) : resolve(),
    );
  });
  return port;
}
