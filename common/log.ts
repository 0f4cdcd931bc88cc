/**
 * Logging: pino, one child logger per module, named by a namespace constant. Logs must never carry
 * identifiers of people or key material; hex dumps belong at debug level and are built lazily
 * (`if (log.isLevelEnabled('debug'))`).
 *
 * The destination can be swapped at run time (the privacy test captures every line) and the level
 * applies to every module logger, including those created at import time.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

interface Sink {
  write(line: string): unknown;
}

let destination: Sink = pino.destination({ dest: 2, sync: true });
const sink: Sink = { write: (line: string) => destination.write(line) };
let level: LevelWithSilent = (process.env['LOG_LEVEL'] as LevelWithSilent | undefined) ?? 'info';

const root = pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, sink);
const modules = new Map<string, Logger>();

/** The logger of one module, e.g. `moduleLogger('uplink.scheduler')`. */
export function moduleLogger(ns: string): Logger {
  let log = modules.get(ns);
  if (!log) {
    log = root.child({ ns });
    log.level = level;
    modules.set(ns, log);
  }
  return log;
}

export interface LoggingOptions {
  level?: LevelWithSilent;
  /** Where lines go (default: standard error). */
  destination?: Sink;
}

export function configureLogging(options: LoggingOptions): void {
  if (options.destination) destination = options.destination;
  if (options.level) {
    level = options.level;
    root.level = level;
    for (const log of modules.values()) log.level = level;
  }
}

export function currentLogLevel(): LevelWithSilent {
  return level;
}
