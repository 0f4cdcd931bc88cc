/**
 * Is an uplink from the device's own session? The network server checked the frame's MIC with the
 * device's session keys and numbered it (FCntUp), but whoever can publish on the broker can forge
 * the event that says so. The frames of one session come with strictly rising frame counters, so
 * a forged frame that does not continue the session (an old or a made-up counter) is refused, and
 * a counter seen twice with other contents is caught as a conflict.
 *
 * A session starts again after an OTAA join (FCntUp from 0). ChirpStack v4 publishes its join event
 * at the first uplink after the join, The Things Stack at the JoinAccept; either way the join event
 * only arms a restart: the next frame with a low counter starts the new session. If the join event
 * was lost (TTS is QoS 0), `adoptAfter` frames in a row that continue each other from a low counter
 * start it too, once the old session has been quiet for `quietMs` (a forger cannot take over a
 * session that is still sending); until then they are refused and, never acknowledged, sent again
 * by the gateway.
 *
 * Pure state and one function, so that it can be fuzzed. Never throws.
 */

export interface SessionState {
  /** Last frame counter accepted; undefined before the first frame. */
  fCnt: number | undefined;
  /** Digest of that frame (to tell a redelivery of it from a forgery with the same counter). */
  digest: string | undefined;
  /** A join event came since the last accepted frame. */
  joinArmed: boolean;
  /** Frames that would start a new session without a join event: the last counter and how many in a row. */
  candidate: { fCnt: number; count: number } | undefined;
  /** When the last frame of the session was accepted (ms). */
  lastAt: number | undefined;
}

export interface SessionRules {
  /** Largest forward step of the counter within a session (LoRaWAN's MAX_FCNT_GAP). */
  maxGap: number;
  /** A new session's first frame carries a counter below this. */
  restartBelow: number;
  /** Frames in a row that start a new session without a join event. */
  adoptAfter: number;
  /** ...and only when the old session sent nothing for this long (a gateway's restart and join take longer). */
  quietMs: number;
}

export const DEFAULT_SESSION_RULES: Readonly<SessionRules> = Object.freeze({ maxGap: 16_384, restartBelow: 64, adoptAfter: 3, quietMs: 60_000 });

export type SessionVerdict =
  /** The next frame of the session. */
  | 'continues'
  /** The first frame of a new session (after a join): a JoinAccept went down. */
  | 'new-session'
  /** The frame accepted last, delivered again (MQTT redelivery, a second network-server event). */
  | 'redelivery'
  /** A counter at or below the session's: an old frame replayed, or a forgery. */
  | 'fcnt-replay'
  /** The accepted counter again, with other contents: one of the two was forged. */
  | 'fcnt-conflict'
  /** A counter too far ahead to belong to the session. */
  | 'fcnt-jump';

export function newSession(): SessionState {
  return { fCnt: undefined, digest: undefined, joinArmed: false, candidate: undefined, lastAt: undefined };
}

/** Judges a frame and updates the state; only 'continues', 'new-session' and 'redelivery' may be used. */
export function judgeFrame(s: SessionState, fCnt: number, digest: string, at: number, rules: SessionRules = DEFAULT_SESSION_RULES): SessionVerdict {
  if (!Number.isInteger(fCnt) || fCnt < 0) return 'fcnt-jump';
  const accept = (verdict: 'continues' | 'new-session'): SessionVerdict => {
    s.lastAt = at;
    s.fCnt = fCnt;
    s.digest = digest;
    s.joinArmed = false;
    s.candidate = undefined;
    return verdict;
  };
  if (s.fCnt === undefined) return accept(s.joinArmed ? 'new-session' : 'continues');
  if (fCnt === s.fCnt && digest === s.digest) return 'redelivery';
  if (fCnt > s.fCnt && fCnt - s.fCnt <= rules.maxGap) return accept('continues');
  if (s.joinArmed && fCnt < rules.restartBelow) return accept('new-session');
  // Frames that continue each other from a low counter: a new session whose join event we missed.
  const c = s.candidate;
  if (c && fCnt > c.fCnt && fCnt - c.fCnt <= rules.maxGap) {
    c.fCnt = fCnt;
    c.count++;
  } else if (fCnt < rules.restartBelow) {
    s.candidate = { fCnt, count: 1 };
  }
  const quiet = s.lastAt === undefined || at - s.lastAt >= rules.quietMs;
  if (s.candidate && s.candidate.fCnt === fCnt && s.candidate.count >= rules.adoptAfter && quiet) return accept('new-session');
  if (fCnt === s.fCnt) return 'fcnt-conflict';
  return fCnt < s.fCnt ? 'fcnt-replay' : 'fcnt-jump';
}

/** A join event for the device: the next low counter may start a new session. */
export function armJoin(s: SessionState): void {
  s.joinArmed = true;
}
