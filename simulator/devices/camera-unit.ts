/**
 * An emulated overhead camera counter: writes the camera protocol (docs/camera-protocol.md) byte for
 * byte over any writable stream: a count line whenever the simulator reports what the camera sees,
 * a status heartbeat every few seconds, and nothing at all while it is offline. Track ids are sent
 * raw, as a real camera sends them: the gateway must pseudonymise them.
 *
 * Must never: read the wall clock, or open a port.
 */
import type { Writable } from 'node:stream';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { encodeCameraLine, type CameraState } from '../../firmware-bindings/camera/camera-protocol.js';

export interface CameraUnitOptions {
  /** Status heartbeat period (default 2 s). */
  heartbeatMs?: number;
}

export class CameraUnitEmulator {
  private timer: TimerHandle | undefined;
  private offline = false;
  private closed = false;
  private state: CameraState = 'ok';
  private readonly heartbeatMs: number;
  private readonly startedAt: number;
  /** Lines written so far. */
  linesSent = 0;

  constructor(
    private readonly stream: Writable,
    private readonly clock: Clock,
    options: CameraUnitOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 2000;
    this.startedAt = clock.now();
    this.schedule();
  }

  /** What the camera sees in one zone now: heads, its confidence (0..1) and, optionally, raw track ids. */
  report(zone: number, heads: number, confidence: number, trackIds?: readonly string[]): void {
    this.write(encodeCameraLine({ type: 'count', at: this.clock.now(), zone, heads, confidence, ...(trackIds ? { trackIds } : {}) }));
  }

  /** The camera stops writing anything (power, cable, crash) until goOnline(). */
  goOffline(): void {
    this.offline = true;
  }

  goOnline(): void {
    this.offline = false;
  }

  /** What the next heartbeats say about the camera (e.g. 'fault' when its lens is covered). */
  setState(state: CameraState): void {
    this.state = state;
  }

  /** Writes text as it is (a broken line, garbage) for fault tests; ignores offline. */
  sendRaw(text: string | Uint8Array): void {
    if (this.writable) this.stream.write(text);
  }

  close(): void {
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private get writable(): boolean {
    return !this.closed && !this.stream.destroyed && !this.stream.writableEnded;
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      const now = this.clock.now();
      this.write(encodeCameraLine({ type: 'status', at: now, state: this.state, uptimeS: Math.floor((now - this.startedAt) / 1000) }));
      if (!this.closed) this.schedule();
    }, this.heartbeatMs);
  }

  private write(line: string): void {
    if (this.offline || !this.writable) return;
    this.linesSent++;
    this.stream.write(line);
  }
}
