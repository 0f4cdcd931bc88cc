/**
 * Tells systemd how the service is doing (sd_notify): READY=1 once the gateway runs, WATCHDOG=1
 * while its loops are alive, STOPPING=1 when it stops. Node has no unix datagram sockets, so each
 * message is sent by `systemd-notify`, a child process: the unit says `NotifyAccess=all` so systemd
 * takes messages from the service's children, and systemd-notify (v246 and later) waits until
 * systemd has processed the message before it exits, so the message is never dropped for coming
 * from a process that is already gone. Outside systemd (no NOTIFY_SOCKET) it does nothing.
 *
 * Must never block the gateway on a notification, nor let a missing systemd-notify stop it.
 */
import { spawn } from 'node:child_process';
import { moduleLogger } from '../common/log.js';

const log = moduleLogger('gateway.systemd');

export interface ServiceNotifier {
  /** How often to feed the watchdog (half of WatchdogSec); undefined without a watchdog. */
  readonly watchdogIntervalMs: number | undefined;
  ready(): void;
  watchdog(): void;
  stopping(): void;
  /** Waits for notifications still being sent (at most a second). */
  flush(): Promise<void>;
}

export interface NotifierEnv {
  NOTIFY_SOCKET?: string;
  WATCHDOG_USEC?: string;
  WATCHDOG_PID?: string;
}

/** The notifier systemd's environment asks for: systemd-notify over NOTIFY_SOCKET, or none. */
export function systemdNotifier(env: NotifierEnv = process.env as NotifierEnv, command = 'systemd-notify'): ServiceNotifier {
  if (!env.NOTIFY_SOCKET) return { watchdogIntervalMs: undefined, ready: () => {}, watchdog: () => {}, stopping: () => {}, flush: async () => {} };
  const usec = Number(env.WATCHDOG_USEC);
  // WATCHDOG_PID names the process systemd watches: ours, unless the variable leaked from a parent.
  const ours = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
  const watchdogIntervalMs = Number.isFinite(usec) && usec > 0 && ours ? Math.max(500, Math.floor(usec / 2000)) : undefined;
  const pending = new Set<Promise<void>>();
  let warned = false;
  const send = (...args: string[]): void => {
    const sent = new Promise<void>((resolve) => {
      const child = spawn(command, args, { stdio: 'ignore', env: { ...process.env, NOTIFY_SOCKET: env.NOTIFY_SOCKET }, timeout: 5000 });
      child.once('error', (error) => {
        if (!warned) log.error({ error: error.message }, 'cannot notify systemd (systemd-notify missing?): the watchdog will restart the service');
        warned = true;
        resolve();
      });
      child.once('exit', (code) => {
        if (code !== 0 && !warned) {
          log.warn({ message: args.join(' '), code }, 'systemd-notify failed');
          warned = true;
        }
        resolve();
      });
    });
    pending.add(sent);
    void sent.finally(() => pending.delete(sent));
  };
  return {
    watchdogIntervalMs,
    ready: () => send('--ready', `--status=running`),
    watchdog: () => send('WATCHDOG=1'),
    stopping: () => send('STOPPING=1', '--status=stopping'),
    flush: async () => {
      await Promise.race([Promise.all(pending), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    },
  };
}
