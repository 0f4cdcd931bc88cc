/**
 * The technician's self-test of a fitted gateway: each check says what it proved or what to do.
 * Runs against the real modem driver on whatever byte stream it is given (the vehicle's serial
 * port, or an emulated module on the bench), so the bench tests the same code technicians run.
 */
import type { Clock } from '../common/clock.js';
import { DisconnectedError, ProtocolError, TimeoutError } from '../common/errors.js';
import type { LoraModem } from '../firmware-bindings/lora/modem.js';
import { FPORT, encodeHealth } from '../proto/frames.js';
import type { GatewayConfig } from './config.js';
import { SOFTWARE_VERSION } from './build-gateway.js';
import { startVehicleSources } from './run-vehicle.js';
import type { SourceEvent } from '../contracts/source-events.js';

/** The test uplink is tried this often, this far apart, while the module says busy or duty cycle. */
const UPLINK_ATTEMPTS = 4;
const UPLINK_RETRY_MS = 8000;

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** What the technician should do when the check fails. */
  action?: string;
  /** The check failed because the device did not answer or its port is not there (exit code 3). */
  noAnswer?: boolean;
}

export interface SelfTestOptions {
  join: boolean;
  joinTimeoutMs: number;
  sendTestUplink: boolean;
  /** The health frame's model_version for the test uplink (contracts/model-metadata.ts); default 0, not reported. */
  modelVersion?: number;
}

async function check(name: string, action: string, run: () => Promise<string>): Promise<CheckResult> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (error) {
    const noAnswer = error instanceof TimeoutError || error instanceof DisconnectedError;
    return { name, ok: false, detail: (error as Error).message, action, ...(noAnswer ? { noAnswer } : {}) };
  }
}

export async function selfTestModem(modem: LoraModem, clock: Clock, options: SelfTestOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const opened = await check('modem answers and takes its settings', 'check the modem cable and the port in the config; power-cycle the modem', async () => {
    await modem.open();
    return `${modem.dialect} configured for EU868 OTAA`;
  });
  results.push(opened);
  if (!opened.ok || !options.join) return results;
  const joined = await check('OTAA join', 'check the antenna and coverage; check that the device is registered with the network server (occupancy provision register)', async () => {
    const abort = new AbortController();
    const timer = clock.setTimeout(() => abort.abort(new Error(`not joined within ${Math.round(options.joinTimeoutMs / 1000)} s`)), options.joinTimeoutMs);
    try {
      await modem.join(abort.signal);
    } finally {
      clock.clearTimeout(timer);
    }
    const status = await modem.status();
    return `joined at DR${status.dr} (payload up to ${status.maxPayload} bytes)`;
  });
  results.push(joined);
  if (!joined.ok || !options.sendTestUplink) return results;
  results.push(
    await check('test uplink (health frame)', 'check the network server for the uplink; retry outside the duty-cycle off time', async () => {
      const payload = encodeHealth({
        uptimeMin: 0, outboxDepth: 0, oldestPendingSeq: 0, newestSeq: 0, sensorFaults: 0, airtimeTodayMs: 0, modelVersion: options.modelVersion ?? 0, softwareVersion: SOFTWARE_VERSION, restarts: 0, outboxDropped: 0, liveSkipped: 0,
        outboxEpoch: 0, appendFailures: 0, reportsHeld: 0,
      });
      // Right after a join or the gateway's own frames the module may still be in its duty-cycle
      // off time (RUI3 says busy): wait it out a few times before calling it a failure.
      for (let attempt = 1; ; attempt++) {
        try {
          const result = await modem.send(FPORT.health, payload);
          return `sent ${payload.length} bytes on port ${FPORT.health} at DR${result.dr}${attempt > 1 ? ` (attempt ${attempt}, after the duty-cycle off time)` : ''}`;
        } catch (error) {
          const code = error instanceof ProtocolError ? error.code : undefined;
          if ((code !== 'busy' && code !== 'duty-cycle') || attempt >= UPLINK_ATTEMPTS) throw error;
          await new Promise<void>((resolve) => clock.setTimeout(resolve, UPLINK_RETRY_MS));
        }
      }
    }),
  );
  return results;
}

export function formatChecks(results: readonly CheckResult[]): string {
  return results
    .map((r) => `  ${r.ok ? '[ok]  ' : '[FAIL]'} ${r.name}: ${r.detail}${r.ok || !r.action ? '' : `\n         -> ${r.action}`}`)
    .join('\n');
}

/**
 * Listens to every configured source for a while, through the gateway's own bindings, and says
 * for each what it heard or what to fix. Nothing personal is shown: track ids and radio addresses
 * are pseudonymised by the sources before they get here, and only counts are printed.
 */
export async function selfTestSources(config: GatewayConfig, clock: Clock, listenMs: number, onProgress?: (text: string) => void): Promise<CheckResult[]> {
  const events: SourceEvent[] = [];
  const abort = new AbortController();
  const sources = startVehicleSources(config, clock, { handle: (e) => events.push(e) }, abort.signal);
  for (let waited = 0; waited < listenMs; waited += 1000) {
    await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.min(1000, listenMs - waited)));
    onProgress?.(`listening to ${sources.names.join(', ') || 'no sources'}: ${Math.round((waited + 1000) / 1000)} of ${Math.round(listenMs / 1000)} s, ${events.length} events`);
  }
  abort.abort();
  await sources.stop();

  const faultsNow = (sensors: readonly string[]) => {
    const active = new Map<string, SourceEvent & { type: 'fault' }>();
    for (const e of events) {
      if (e.type !== 'fault' || !sensors.includes(e.sensor)) continue;
      const key = `${e.sensor}/${e.door ?? ''}`;
      if (e.active) active.set(key, e);
      else active.delete(key);
    }
    return [...active.values()];
  };
  const seconds = Math.round(listenMs / 1000);
  const results: CheckResult[] = [];
  const src = config.sources;
  if (src.doorBoard) {
    const faults = faultsNow(['door-board', 'beam', 'door-contact']);
    const doors = events.filter((e) => e.type === 'door').length;
    const passages = events.filter((e) => e.type === 'passage').length;
    results.push(
      faults.length === 0
        ? { name: 'door board', ok: true, detail: `board answers; ${doors} door changes and ${passages} passages in ${seconds} s` }
        : {
            name: 'door board',
            ok: false,
            detail: faults.map((f) => `${f.sensor}${f.door !== undefined ? ` door ${f.door}` : ''}: ${f.reason}`).join('; '),
            action: 'board: check its USB cable and the port in the config; beam: clean and align the light barrier of that door; contact: check the door contact wiring',
          },
    );
  }
  if (src.ibis) {
    const trip = events.filter((e): e is SourceEvent & { type: 'trip' } => e.type === 'trip');
    const last = Object.assign({}, ...trip.map(({ type: _t, at: _a, ...rest }) => rest)) as Record<string, unknown>;
    results.push(
      trip.length > 0
        ? { name: 'vehicle bus (IBIS)', ok: true, detail: `line ${String(last['line'] ?? '?')}, course ${String(last['course'] ?? '?')}, destination ${String(last['destination'] ?? '?')}, stop ${String(last['stop'] ?? '?')}` }
        : { name: 'vehicle bus (IBIS)', ok: false, detail: `no telegram in ${seconds} s`, action: 'check the IBIS level shifter, its wiring to the bus and the port in the config; the on-board computer must be on and a trip set' },
    );
  }
  if (src.camera) {
    const counts = events.filter((e): e is SourceEvent & { type: 'camera' } => e.type === 'camera');
    const faults = faultsNow(['camera']);
    const last = counts[counts.length - 1];
    results.push(
      counts.length > 0 && faults.length === 0
        ? { name: 'camera counter', ok: true, detail: `${counts.length} counts, last ${last!.heads} heads (confidence ${last!.confidence.toFixed(2)})` }
        : {
            name: 'camera counter',
            ok: false,
            detail: faults.map((f) => f.reason).join('; ') || `no count in ${seconds} s`,
            action: 'check the camera unit\'s power and cable and the port and baud rate in the config; a count comes when someone is in view',
          },
    );
  }
  if (src.radio) {
    const heard = new Set(events.flatMap((e) => (e.type === 'radio' ? [e.pseudonym] : []))).size;
    results.push({ name: 'radio scanner', ok: true, detail: `${heard} devices heard in ${seconds} s${heard === 0 ? ' (none: fine in an empty depot; check the adapter if the tram is full)' : ''}` });
  }
  if (results.length === 0) results.push({ name: 'sources', ok: false, detail: 'none configured', action: 'set sources in the config (occupancy provision new fills them in)' });
  return results;
}
