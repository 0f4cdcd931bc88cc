/**
 * How the vehicle's process is asked to stop: SIGTERM (systemd's stop) and SIGINT (Ctrl-C) abort
 * one signal, however often they come and whenever they come, from the first line of the entry
 * point on, before the heavy modules are loaded. A second signal ends the process at once with
 * exit code 1: every outbox write is its own fsynced transaction, so nothing is lost by not
 * closing it, and a stop that hangs must never outlive the operator's patience.
 *
 * Must never use `process.once`: the first signal would be handled, the handler removed, and
 * nothing listening to the abort yet (a modem silent at start) — the stop was swallowed.
 * Imports nothing but node: it is loaded before everything else.
 */
export interface StopSignals {
  readonly signal: AbortSignal;
  /** The signal that asked, once one did. */
  readonly received: NodeJS.Signals | undefined;
  dispose(): void;
}

export function installStopSignals(onSecond: (sig: NodeJS.Signals) => void = defaultSecond): StopSignals {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const handler = (sig: NodeJS.Signals): void => {
    if (received === undefined) {
      received = sig;
      controller.abort(new Error(`stopped by ${sig}`));
    } else onSecond(sig);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    dispose: () => {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    },
  };
}

function defaultSecond(sig: NodeJS.Signals): void {
  process.stderr.write(`${sig} again: exiting now\n`);
  process.exit(1);
}
