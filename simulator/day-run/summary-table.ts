/** The bench run's summary as a short table for people (the JSON report is for machines). */
import type { BenchReport } from './run-scenario.js';

function fmt(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits).replace(/\.?0+$/, '') : 'n/a';
}

export function summaryTable(r: BenchReport): string {
  const rows: Array<[string, string]> = [
    ['scenario', `${r.scenario} (seed ${r.seed})`],
    ['vehicles', String(r.vehicles)],
    ['stop events', String(r.stopEvents)],
    ['frames sent', `${r.frames.count} (${r.frames.live} live, ${r.frames.batches} stop batches, ${r.frames.health} health) at DR${r.airtime.dataRate}`],
    ['bytes per stop report', `${fmt(r.frames.bytesPerStopReport)} (live frame ${fmt(r.frames.meanLiveBytes)} B)`],
    ['airtime', `${fmt(r.airtime.totalSeconds)} s in all; per vehicle-day max ${fmt(r.airtime.perVehicleDaySeconds)} s, mean ${fmt(r.airtime.meanPerVehicleDaySeconds)} s`],
    ['duty-cycle violations', String(r.airtime.dutyCycleViolations)],
    ['downlinks', `${r.delivery.acks} acks; at most ${r.airtime.maxDownlinksPerVehicleDay} per vehicle-day`],
    ['reports delivered', `${r.delivery.delivered} of ${r.delivery.generated} (lost ${r.delivery.lost}, duplicates ${r.delivery.duplicates}, resent ${r.delivery.resent})`],
    ['live levels delivered', `${r.delivery.liveDelivered} of ${r.delivery.generated} departures`],
    ['latency p95', `stop reports ${fmt(r.delivery.latencyP95Seconds, 1)} s, live level ${fmt(r.delivery.liveLatencyP95Seconds, 1)} s (outside coverage gaps)`],
    ['load error', `MAE ${fmt(r.occupancy.mae)} passengers, bias ${fmt(r.occupancy.bias * 100, 2)} % (${r.occupancy.estimator}, n=${r.occupancy.n})`],
    ['level accuracy', `${fmt(r.occupancy.levelAccuracy * 100, 1)} % (leer / mittel / stark besetzt)`],
    ['door count error', `passengers ${fmt(r.counting.passengerError * 100, 2)} %, boarding ${fmt(r.counting.boardingError * 100, 2)} %, alighting ${fmt(r.counting.alightingError * 100, 2)} %`],
    ...(r.power.cuts > 0 ? [['power cuts', `${r.power.cuts} (${r.power.restarts} restarts; ${r.delivery.missedWhilePoweredOff} stops served without power)`] as [string, string]] : []),
    ['run', `${fmt(r.run.simulatedHours, 1)} simulated hours in ${fmt(r.run.wallSeconds)} s (${fmt(r.run.simulatedHoursPerWallSecond, 1)} h/s)`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join('\n');
}
