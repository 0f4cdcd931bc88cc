/**
 * EU868 regional parameters that the gateway and the emulated modem share: data rates, payload
 * limits and duty-cycle sub-bands (FIELD-FACTS.md, LoRaWAN Regional Parameters RP002).
 * Change facts here, in one place.
 */

export interface DataRate {
  dr: number;
  sf: number;
  bandwidthHz: number;
  /** Maximum application payload N without FOpts. */
  maxPayload: number;
}

export const EU868_DATA_RATES: readonly DataRate[] = [
  { dr: 0, sf: 12, bandwidthHz: 125_000, maxPayload: 51 },
  { dr: 1, sf: 11, bandwidthHz: 125_000, maxPayload: 51 },
  { dr: 2, sf: 10, bandwidthHz: 125_000, maxPayload: 51 },
  { dr: 3, sf: 9, bandwidthHz: 125_000, maxPayload: 115 },
  { dr: 4, sf: 8, bandwidthHz: 125_000, maxPayload: 222 },
  { dr: 5, sf: 7, bandwidthHz: 125_000, maxPayload: 222 },
];

export function dataRate(dr: number): DataRate {
  const rate = EU868_DATA_RATES[dr];
  if (!rate) throw new RangeError(`EU868 has no data rate DR${dr} (0..5)`);
  return rate;
}

/** Largest application payload at `dr`, less the FOpts the MAC layer piggybacks. */
export function maxPayload(dr: number, fOptsLength = 0): number {
  return Math.max(0, dataRate(dr).maxPayload - fOptsLength);
}

/** A duty-cycle sub-band (ETSI EN 300 220 / ERC 70-03). */
export interface SubBand {
  name: string;
  minHz: number;
  maxHz: number;
  dutyCycle: number;
}

export const EU868_SUB_BANDS: readonly SubBand[] = [
  { name: 'g (863.0-868.0)', minHz: 863_000_000, maxHz: 868_000_000, dutyCycle: 0.01 },
  { name: 'g1 (868.0-868.6)', minHz: 868_000_000, maxHz: 868_600_000, dutyCycle: 0.01 },
  { name: 'g2 (868.7-869.2)', minHz: 868_700_000, maxHz: 869_200_000, dutyCycle: 0.001 },
  { name: 'g3 (869.4-869.65)', minHz: 869_400_000, maxHz: 869_650_000, dutyCycle: 0.1 },
  { name: 'g4 (869.7-870.0)', minHz: 869_700_000, maxHz: 870_000_000, dutyCycle: 0.01 },
];

/** The three default channels every EU868 device has after a join. */
export const EU868_DEFAULT_CHANNELS_HZ: readonly number[] = [868_100_000, 868_300_000, 868_500_000];

export const RECEIVE_DELAY1_MS = 1000;
export const RECEIVE_DELAY2_MS = 2000;
export const JOIN_ACCEPT_DELAY1_MS = 5000;
export const JOIN_ACCEPT_DELAY2_MS = 6000;

export function subBandOf(frequencyHz: number): SubBand {
  const band = EU868_SUB_BANDS.find((b) => frequencyHz >= b.minHz && frequencyHz < b.maxHz);
  if (!band) throw new RangeError(`${frequencyHz} Hz is outside the EU868 sub-bands`);
  return band;
}

/** The duty cycle a device on the default channels must keep: the strictest of their sub-bands (1 %, g1). */
export const EU868_DEFAULT_CHANNELS_DUTY_CYCLE: number = Math.min(...EU868_DEFAULT_CHANNELS_HZ.map((hz) => subBandOf(hz).dutyCycle));
