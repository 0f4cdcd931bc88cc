/**
 * What the scenario did to the day, for marking on the report's charts: coverage gaps of the
 * network, sensor faults and power cuts of the gateways, each as a span of local clock hours.
 */
import { clockText } from './svg.js';

export type DayMarkKind = 'coverage-gap' | 'sensor-fault' | 'power-cut';

export interface DayMark {
  kind: DayMarkKind;
  /** Local clock hours (7.5 = 07:30). */
  from: number;
  to: number;
  label: string;
}

export const MARK_STYLE: Readonly<Record<DayMarkKind, { colour: string; name: string }>> = {
  'coverage-gap': { colour: '#2b8cbe', name: 'coverage gap' },
  'sensor-fault': { colour: '#7b3294', name: 'sensor fault' },
  'power-cut': { colour: '#252525', name: 'power cut' },
};

/** The parts of a scenario that say what goes wrong during the day. */
export interface ScenarioTroubles {
  network: { coverageGaps: ReadonlyArray<{ from: string; to: string; vehicles?: readonly string[] | undefined }> };
  faults: ReadonlyArray<{ sensor: string; door?: number | undefined; from: string; to: string; vehicles?: readonly string[] | undefined }>;
  powerCuts: ReadonlyArray<{ at: string; minutes: number; vehicles?: readonly string[] | undefined }>;
}

const hours = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number);
  return h! + m! / 60;
};

const who = (vehicles: readonly string[] | undefined): string => (vehicles && vehicles.length > 0 ? `trams ${vehicles.join(', ')}` : 'all trams');

export function scenarioMarks(s: ScenarioTroubles): DayMark[] {
  const marks: DayMark[] = [];
  for (const g of s.network.coverageGaps) {
    marks.push({ kind: 'coverage-gap', from: hours(g.from), to: hours(g.to), label: `coverage gap ${g.from}–${g.to} (${who(g.vehicles)})` });
  }
  for (const f of s.faults) {
    marks.push({ kind: 'sensor-fault', from: hours(f.from), to: hours(f.to), label: `${f.sensor}${f.door !== undefined ? ` door ${f.door}` : ''} fault ${f.from}–${f.to} (${who(f.vehicles)})` });
  }
  for (const p of s.powerCuts) {
    const from = hours(p.at);
    marks.push({ kind: 'power-cut', from, to: from + p.minutes / 60, label: `power cut ${p.at}–${clockText(from + p.minutes / 60)} (${who(p.vehicles)})` });
  }
  return marks.sort((a, b) => a.from - b.from);
}
