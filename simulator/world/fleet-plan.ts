/**
 * The day's vehicles for a scenario: blocks planned from line files and their headways, or chained
 * from a replayed file of counted trips. Fleet numbers come from each vehicle type's range.
 */
import { existsSync } from 'node:fs';
import { ConfigError } from '../../common/errors.js';
import { formatReplaySummary, readReplayTrips } from '../demand/index.js';
import { scenarioRelative, type Scenario } from '../scenario.js';
import type { VehicleTypeData } from '../../contracts/vehicle-types.js';
import { loadLine } from './network-data.js';
import { replayBlocks } from './replay-plan.js';
import { buildBlocks, planTrips, type VehicleBlock } from './service-plan.js';

export interface FleetPlan {
  blocks: VehicleBlock[];
  /** For replays: what the reader read, rejected and fixed. */
  replaySummary?: string;
}

export interface ServiceWindow {
  serviceDay: number;
  startMs: number;
  endMs: number;
}

function fleetNumbers(types: Map<string, VehicleTypeData>): (typeId: string) => string {
  const next = new Map<string, number>();
  return (typeId) => {
    const type = types.get(typeId)!;
    const n = next.get(typeId) ?? type.fleet.from;
    if (n > type.fleet.to) throw new ConfigError('lines', `the scenario needs more ${typeId} trams than the fleet has (${type.fleet.from}-${type.fleet.to})`);
    next.set(typeId, n + 1);
    return String(n);
  };
}

function vehicleType(types: Map<string, VehicleTypeData>, id: string, field: string): VehicleTypeData {
  const type = types.get(id);
  if (!type) throw new ConfigError(field, `unknown vehicle type "${id}" (known: ${[...types.keys()].join(', ')})`);
  return type;
}

export async function planFleet(scenario: Scenario, types: Map<string, VehicleTypeData>, window: ServiceWindow): Promise<FleetPlan> {
  const nextFleetNumber = fleetNumbers(types);
  const blocks: VehicleBlock[] = [];
  scenario.lines.forEach((lineRef, i) => {
    const type = vehicleType(types, lineRef.vehicleType, `lines.${i}.vehicleType`);
    const line = loadLine(scenarioRelative(scenario, lineRef.file));
    const trips = planTrips(line, window.serviceDay, window.startMs, window.endMs, lineRef.headwayScale);
    blocks.push(...buildBlocks(line, type, trips, () => nextFleetNumber(type.id), lineRef.maxVehicles));
  });
  if (!scenario.replay) return { blocks };

  const replay = scenario.replay;
  const type = vehicleType(types, replay.vehicleType, 'replay.vehicleType');
  const path = scenarioRelative(scenario, replay.file);
  if (!existsSync(path)) {
    throw new ConfigError('replay.file', `no replay file at ${path}: the Geneva counts live in the shared data folder (shared/data/); copy or link the file there, or point replay.file at it`);
  }
  const { trips, summary } = await readReplayTrips(path, {
    dates: [scenario.date],
    ...(replay.lines ? { lines: replay.lines } : {}),
    timeZone: scenario.timeZone,
    balance: replay.balance,
  });
  const inWindow = trips.filter((t) => t.stops[0]!.arrival >= window.startMs && t.stops[0]!.arrival < window.endMs);
  // Replayed vehicles are not HAVAG's: they are numbered from 9001, outside every fleet range.
  let replayNumber = 9001;
  blocks.push(...replayBlocks(inWindow, type, () => String(replayNumber++)));
  return { blocks, replaySummary: formatReplaySummary(summary) };
}
