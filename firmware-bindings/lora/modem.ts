/**
 * The one interface every LoRaWAN modem driver implements, whatever its AT dialect. Domain code
 * (the uplink scheduler) sees only this. Drivers take a Duplex and a Clock; they never open ports.
 */
import type { EventEmitter } from 'node:events';

export type ModemDialect = 'rui3' | 'rn2483';

/** OTAA credentials, as hex strings (DevEUI and JoinEUI 8 bytes, AppKey 16 bytes). */
export interface OtaaCredentials {
  devEui: string;
  joinEui: string;
  appKey: string;
}

export interface Downlink {
  fPort: number;
  payload: Uint8Array;
  rssi?: number;
  snr?: number;
}

export interface SendOptions {
  confirmed?: boolean;
}

export interface SendResult {
  /** For confirmed uplinks: whether the network acknowledged. Always true for unconfirmed ones. */
  delivered: boolean;
  /** Data rate the frame went out at. */
  dr: number;
}

export interface ModemStatus {
  joined: boolean;
  dr: number;
  /** Largest application payload the modem accepts at the current data rate. */
  maxPayload: number;
}

export interface LoraModemEvents {
  downlink: [Downlink];
  joined: [];
  /** The byte stream went away; the owner (modem-supervisor.ts) reconnects. */
  disconnected: [Error];
  /** Only from the supervisor: the module answers again after a reset or on a new stream, not joined. */
  recovered: ['reset' | 'reconnect'];
}

/**
 * Errors the driver raises, as ProtocolError codes: 'busy' (try later), 'duty-cycle' (the module's
 * own duty-cycle limit; try after the off time), 'not-joined', 'payload-too-long', 'rejected'
 * (any other error status), 'join-failed'. Timeouts are TimeoutError naming the command.
 */
export interface LoraModem extends EventEmitter<LoraModemEvents> {
  readonly dialect: ModemDialect;
  /** Probes the module and applies region, class and credentials. */
  open(): Promise<void>;
  /** OTAA join, with back-off between attempts, until joined or aborted. */
  join(signal?: AbortSignal): Promise<void>;
  send(fPort: number, payload: Uint8Array, options?: SendOptions): Promise<SendResult>;
  status(): Promise<ModemStatus>;
  close(): Promise<void>;
}
