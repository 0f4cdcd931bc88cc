/**
 * Sensor quality that drifts during a service day: dirt on a beam's window, a camera lens that
 * fogs up as the saloon warms. Error rates are multiplied by a factor that moves linearly from 1
 * at the start of the day to `factor` at its end (and stays there after it).
 */
export interface SensorDrift {
  /** Start and end of the service day (epoch ms). */
  from: number;
  to: number;
  /** What the error rates are multiplied by at the end of the day (1: no drift). */
  factor: number;
}

export function driftScale(drift: SensorDrift | undefined, at: number): number {
  if (!drift || drift.factor === 1 || !(drift.to > drift.from)) return 1;
  const share = Math.min(1, Math.max(0, (at - drift.from) / (drift.to - drift.from)));
  return 1 + (drift.factor - 1) * share;
}
