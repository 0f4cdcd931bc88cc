/**
 * LoRa time on air (Semtech AN1200.13), for the scheduler's budget and the emulated radio.
 * Explicit header, CRC on, coding rate 4/5, preamble 8 symbols; low data-rate optimisation at
 * SF11 and SF12 on 125 kHz, as LoRaWAN uses it.
 */
import { dataRate } from '../../contracts/lora-region-eu868.js';

/** LoRaWAN MAC overhead around the application payload: MHDR 1 + FHDR 7 + FPort 1 + MIC 4. */
export const LORAWAN_OVERHEAD_BYTES = 13;

export interface LoraModulation {
  sf: number;
  bandwidthHz: number;
  codingRate?: number;
  preambleSymbols?: number;
  explicitHeader?: boolean;
  crc?: boolean;
  lowDataRateOptimize?: boolean;
}

/** Time on air in milliseconds of a PHY payload of `phyBytes` bytes. */
export function timeOnAirMs(phyBytes: number, m: LoraModulation): number {
  const sf = m.sf;
  const cr = m.codingRate ?? 1;
  const tSym = (2 ** sf / m.bandwidthHz) * 1000;
  const tPreamble = ((m.preambleSymbols ?? 8) + 4.25) * tSym;
  const ih = m.explicitHeader === false ? 1 : 0;
  const crc = m.crc === false ? 0 : 1;
  const de = (m.lowDataRateOptimize ?? (sf >= 11 && m.bandwidthHz === 125_000)) ? 1 : 0;
  const numerator = 8 * phyBytes - 4 * sf + 28 + 16 * crc - 20 * ih;
  const nPayload = 8 + Math.max(Math.ceil(numerator / (4 * (sf - 2 * de))) * (cr + 4), 0);
  return tPreamble + nPayload * tSym;
}

/** Time on air of a LoRaWAN uplink carrying `appPayloadBytes` at EU868 data rate `dr`. */
export function uplinkTimeOnAirMs(appPayloadBytes: number, dr: number, fOptsBytes = 0): number {
  const rate = dataRate(dr);
  return timeOnAirMs(appPayloadBytes + LORAWAN_OVERHEAD_BYTES + fOptsBytes, { sf: rate.sf, bandwidthHz: rate.bandwidthHz });
}

/** Silence a transmitter must keep after a transmission under duty cycle `dc`: Toff = ToA/DC - ToA. */
export function offTimeMs(toaMs: number, dutyCycle: number): number {
  return toaMs / dutyCycle - toaMs;
}
