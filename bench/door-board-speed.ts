/**
 * One tram at device depth: an hour of line 5's departures (the tram finishes the trips it began)
 * with every door event going through the emulated StandardFirmata board's bytes and the
 * johnny-five binding into the stop-event assembler. Reports how many simulated seconds run per
 * wall second (the issue asks for faster than real time: above 1). bench/run.ts prints it.
 *
 * Must never: pass or fail on time; it measures.
 */
import { oneTramHour, runAtDepth } from '../simulator/day-run/door-depth.js';

export interface DoorBoardSpeed {
  simulatedSeconds: number;
  wallSeconds: number;
  simulatedSecondsPerWallSecond: number;
  stopEvents: number;
  passages: number;
  /** Firmata messages the binding read. */
  messages: number;
}

export async function measureDoorBoardSpeed(seed = 7): Promise<DoorBoardSpeed> {
  const run = await runAtDepth(oneTramHour(seed), 'device');
  const rig = run.rigs[0]!;
  const simulatedSeconds = run.simulatedMs / 1000;
  const wallSeconds = run.wallMs / 1000;
  return {
    simulatedSeconds,
    wallSeconds,
    simulatedSecondsPerWallSecond: simulatedSeconds / wallSeconds,
    stopEvents: run.stops.length,
    passages: rig.source.doorCounters.passagesIn + rig.source.doorCounters.passagesOut,
    messages: rig.source.framing.messages,
  };
}

