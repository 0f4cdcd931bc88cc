/**
 * The technician's self-test of a fitted gateway: each check says what it proved or what to do.
 * Runs against the real modem driver on whatever byte stream it is given (the vehicle's serial
 * port, or an emulated module on the bench), so the bench tests the same code technicians run.
 */
import type { Clock } from '../common/clock.js';
import type { LoraModem } from '../firmware-bindings/lora/modem.js';
import { FPORT, encodeHealth } from '../proto/frames.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** What the technician should do when the check fails. */
  action?: string;
}

export interface SelfTestOptions {
  join: boolean;
  joinTimeoutMs: number;
  sendTestUplink: boolean;
}

async function check(name: string, action: string, run: () => Promise<string>): Promise<CheckResult> {
  try {
    return { name, ok: true, detail: await run() };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message, action };
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
        uptimeMin: 0, outboxDepth: 0, oldestPendingSeq: 0, newestSeq: 0, sensorFaults: 0, airtimeTodayMs: 0, modelVersion: 0, softwareVersion: 0, restarts: 0, outboxDropped: 0, liveSkipped: 0,
      });
      const result = await modem.send(FPORT.health, payload);
      return `sent ${payload.length} bytes on port ${FPORT.health} at DR${result.dr}`;
    }),
  );
  return results;
}

export function formatChecks(results: readonly CheckResult[]): string {
  return results
    .map((r) => `  ${r.ok ? '[ok]  ' : '[FAIL]'} ${r.name}: ${r.detail}${r.ok || !r.action ? '' : `\n         -> ${r.action}`}`)
    .join('\n');
}
