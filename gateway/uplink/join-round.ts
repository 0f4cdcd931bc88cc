/**
 * One OTAA join round, paced and charged like any transmission: each attempt is a JoinRequest on
 * air. The round goes only when the budget can carry all its attempts; afterwards what the time
 * taken shows could not have been sent is given back. The round is aborted right after it started,
 * so the driver finishes it and tries no other (the scheduler decides when the next one goes).
 */
import type { Clock } from '../../common/clock.js';
import { moduleLogger } from '../../common/log.js';
import { LORAWAN_OVERHEAD_BYTES, uplinkTimeOnAirMs } from '../../firmware-bindings/lora/airtime.js';
import type { LoraModem } from '../../firmware-bindings/lora/modem.js';
import type { AirtimeBudget } from './airtime-budget.js';

const log = moduleLogger('uplink.join');

/** A JoinRequest is 23 bytes on air. */
const JOIN_REQUEST_PHY_BYTES = 23;

export interface JoinRoundOptions {
  /** Most attempts the modem makes per join call, and their least spacing (RUI3: AT+JOIN=1:0:10:8). */
  attempts: number;
  spacingMs: number;
}

export type JoinOutcome = { kind: 'joined' } | { kind: 'failed' } | { kind: 'wait'; untilMs: number } | { kind: 'stopped' };

export async function joinRound(
  clock: Clock,
  modem: LoraModem,
  budget: AirtimeBudget,
  dr: number,
  options: JoinRoundOptions,
  stopping: AbortSignal,
): Promise<JoinOutcome> {
  const attemptToa = uplinkTimeOnAirMs(JOIN_REQUEST_PHY_BYTES - LORAWAN_OVERHEAD_BYTES, dr);
  const reserve = attemptToa * options.attempts;
  const start = clock.now();
  const earliest = budget.earliest(reserve, start, 'join');
  if (earliest > start) return { kind: 'wait', untilMs: earliest };
  const bandBefore = budget.bandFreeAtMs;
  budget.charge(reserve, start);
  const round = new AbortController();
  const abortTimer = clock.setTimeout(() => round.abort(new Error('one join round at a time')), 1000);
  const stop = (): void => round.abort(new Error('scheduler stopped'));
  stopping.addEventListener('abort', stop, { once: true });
  let joined = false;
  try {
    await modem.join(round.signal);
    joined = true;
  } catch (error) {
    log.info({ error: (error as Error).message }, 'join round failed');
  } finally {
    clock.clearTimeout(abortTimer);
    stopping.removeEventListener('abort', stop);
  }
  if (stopping.aborted) return { kind: 'stopped' };
  // Attempts are at least spacingMs apart: charge what the time taken allows, at most the reserve.
  const attempts = Math.min(options.attempts, 1 + Math.floor((clock.now() - start) / options.spacingMs));
  budget.refund(reserve - attempts * attemptToa, start, bandBefore);
  budget.settle(attemptToa, clock.now());
  return { kind: joined ? 'joined' : 'failed' };
}
