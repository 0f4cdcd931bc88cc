/**
 * Scenario files (YAML in simulator/scenarios/): what a bench run simulates. A bare name resolves
 * to simulator/scenarios/<name>.yaml; file paths inside a scenario are relative to the scenario.
 * The format is documented in docs/scenarios.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../common/errors.js';
import { clockMinutes, clockTime as hhmm, parseStrict, timeZoneName, vehicleId } from '../common/schema.js';
import { parseServiceDate } from '../common/time.js';
import { loadVehicleTypes } from '../contracts/vehicle-types.js';

export const SCENARIO_DIR = fileURLToPath(new URL('./scenarios/', import.meta.url));

/** A window `from` → `to` must end after it starts; past midnight is written 25:00, not 01:00. */
function ordered<T extends { from: string; to: string }>(window: T, ctx: z.RefinementCtx): void {
  if (clockMinutes(window.to) <= clockMinutes(window.from)) {
    ctx.addIssue({ code: 'custom', path: ['to'], message: `${window.from} → ${window.to} ends before it starts (a window past midnight ends at 24:00 or later, e.g. 25:00)` });
  }
}

/** Fleet numbers the entry applies to; all vehicles when absent. */
const vehicleList = z.array(vehicleId).optional();

const GapSchema = z.object({ from: hhmm, to: hhmm, vehicles: vehicleList }).strict().superRefine(ordered);

const FaultSchema = z
  .object({
    sensor: z.enum(['beam', 'camera', 'door-board']),
    door: z.number().int().min(1).optional(),
    from: hhmm,
    to: hhmm,
    vehicles: vehicleList,
  })
  .strict()
  .superRefine(ordered);

/** The gateway loses power at `at` for `minutes` (all vehicles, or those listed). */
const PowerCutSchema = z.object({ at: hhmm, minutes: z.number().positive().max(24 * 60), vehicles: vehicleList }).strict();

export const ScenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().default(''),
    seed: z.number().int().nonnegative().default(1),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').refine((d) => parseServiceDate(d) !== undefined, 'not a calendar date'),
    timeZone: timeZoneName.default('Europe/Berlin'),
    start: hhmm,
    end: hhmm,
    /** Virtual time after `end` for backlogs to drain before delivery is scored. */
    drainMinutes: z.number().min(0).max(24 * 60).default(720),
    /** Vehicle bus and camera as typed events (fast) or as bytes through emulators and the real bindings. */
    depth: z.enum(['event', 'device']).default('event'),
    lines: z
      .array(
        z.object({
          file: z.string(),
          vehicleType: z.string(),
          /** Limit on vehicles for this line (default: as many as the headways need). */
          maxVehicles: z.number().int().positive().optional(),
          /** Multiplies the line's headways (0.5 = twice as frequent), e.g. for a denser timetable. */
          headwayScale: z.number().positive().max(4).default(1),
        }).strict(),
      )
      .default([]),
    /** Replay counted trips (any file in the Geneva APC format) instead of simulating demand. */
    replay: z
      .object({
        /** Path to the CSV (plain or gzipped), relative to the scenario file. */
        file: z.string().min(1),
        vehicleType: z.string(),
        lines: z.array(z.string()).optional(),
        /** How counted trips are made consistent to serve as ground truth. */
        balance: z.enum(['clamp', 'proportional']).default('clamp'),
      })
      .strict()
      .optional(),
    demand: z.object({ scale: z.number().positive().default(1) }).strict().default({ scale: 1 }),
    sensors: z
      .object({
        doorMissBase: z.number().min(0).max(1).default(0.005),
        doorMissClose: z.number().min(0).max(1).default(0.08),
        doorDoubleCrowd: z.number().min(0).max(1).default(0.015),
        closeGapMs: z.number().positive().default(800),
        /** Camera: load factor where heads start to merge, and the share missed at design capacity. */
        cameraOnset: z.number().min(0).max(1).default(0.3),
        cameraCrowdUndercount: z.number().min(0).max(0.9).default(0.22),
        cameraNoiseSd: z.number().min(0).default(1),
        /** Drift during the day: the door counters' miss and double-count rates, and the camera's undercount and noise, are multiplied by 1 at the start and by this at the end. */
        doorDrift: z.number().min(0).max(4).default(1),
        cameraDrift: z.number().min(0).max(4).default(1),
      })
      .strict()
      .default({ doorMissBase: 0.005, doorMissClose: 0.08, doorDoubleCrowd: 0.015, closeGapMs: 800, cameraOnset: 0.3, cameraCrowdUndercount: 0.22, cameraNoiseSd: 1, doorDrift: 1, cameraDrift: 1 }),
    /** Phones heard by the radio scanner (BLE/WiFi). */
    radio: z
      .object({
        enabled: z.boolean().default(true),
        carryShare: z.number().min(0).max(1).default(0.7),
        rotationMinutes: z.number().positive().default(15),
        bystandersPerStop: z.number().min(0).default(4),
      })
      .strict()
      .default({ enabled: true, carryShare: 0.7, rotationMinutes: 15, bystandersPerStop: 4 }),
    network: z
      .object({
        uplinkLoss: z.number().min(0).max(1).default(0.02),
        downlinkLoss: z.number().min(0).max(1).default(0.05),
        dataRate: z.number().int().min(0).max(5).default(5),
        /** The modems fitted: all RUI3, all RN2483, or mixed (every other tram). */
        modems: z.enum(['rui3', 'rn2483', 'mixed']).default('rui3'),
        coverageGaps: z.array(GapSchema).default([]),
        /** Which network server's JSON the bench's events travel in. */
        server: z.enum(['chirpstack', 'tts']).default('chirpstack'),
      })
      .strict()
      .default({ uplinkLoss: 0.02, downlinkLoss: 0.05, dataRate: 5, modems: 'rui3', coverageGaps: [], server: 'chirpstack' }),
    faults: z.array(FaultSchema).default([]),
    gateway: z
      .object({
        dailyAirtimeMs: z.number().int().positive().default(30_000),
        liveEnabled: z.boolean().default(true),
        healthIntervalMin: z.number().int().min(0).default(120),
        /** The load estimator: the shipped ONNX model, or the running-sum baseline. */
        estimator: z.enum(['model', 'running-sum']).default('model'),
        /** Local hour at which each gateway replaces its pseudonymisation key. */
        keyRotationHour: z.number().int().min(0).max(23).default(3),
      })
      .strict()
      .default({ dailyAirtimeMs: 30_000, liveEnabled: true, healthIntervalMin: 120, estimator: 'model', keyRotationHour: 3 }),
    powerCuts: z.array(PowerCutSchema).default([]),
  })
  .strict()
  .refine((s) => s.lines.length > 0 || s.replay !== undefined, { message: 'a scenario needs lines or a replay', path: ['lines'] })
  .superRefine((s, ctx) => {
    const start = clockMinutes(s.start);
    const end = clockMinutes(s.end);
    if (end <= start) ctx.addIssue({ code: 'custom', path: ['end'], message: `the day ends (${s.end}) before it starts (${s.start}); past midnight is 24:00 or later, e.g. 24:30` });
    // Power goes off while the trams run; cuts in the night at the depot are not simulated.
    s.powerCuts.forEach((cut, i) => {
      const at = clockMinutes(cut.at);
      if (at < start || at >= end) ctx.addIssue({ code: 'custom', path: ['powerCuts', i, 'at'], message: `${cut.at} is outside the simulated day ${s.start}–${s.end}` });
    });
    const types = loadVehicleTypes();
    const knownType = (id: string, path: PropertyKey[]) => {
      if (!types.has(id)) ctx.addIssue({ code: 'custom', path, message: `unknown vehicle type "${id}" (known: ${[...types.keys()].join(', ')})` });
    };
    s.lines.forEach((line, i) => knownType(line.vehicleType, ['lines', i, 'vehicleType']));
    if (s.replay) knownType(s.replay.vehicleType, ['replay', 'vehicleType']);
  });

export type Scenario = z.infer<typeof ScenarioSchema> & { path: string; dir: string };

export function resolveScenarioPath(nameOrFile: string): string {
  if (nameOrFile.includes('/') || nameOrFile.endsWith('.yaml') || nameOrFile.endsWith('.yml')) {
    const path = isAbsolute(nameOrFile) ? nameOrFile : resolve(process.cwd(), nameOrFile);
    if (!existsSync(path)) throw new ConfigError('scenario', `no scenario file at ${path}`);
    return path;
  }
  const path = resolve(SCENARIO_DIR, `${nameOrFile}.yaml`);
  if (!existsSync(path)) throw new ConfigError('scenario', `no scenario named "${nameOrFile}" in ${SCENARIO_DIR} (give a name or a path to a .yaml file)`);
  return path;
}

/**
 * Loads a scenario; `overrides` are `dotted.path=value` settings applied before validation
 * (`network.dataRate=3`), values read as YAML scalars.
 */
export function loadScenario(nameOrFile: string, overrides: readonly string[] = []): Scenario {
  const path = resolveScenarioPath(nameOrFile);
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(path, `cannot read: ${(error as Error).message}`);
  }
  for (const override of overrides) applyOverride(raw, override);
  const scenario = parseStrict(ScenarioSchema, raw, path, overrides.length ? ` (with --set ${overrides.join(' ')})` : '');
  return { ...scenario, path, dir: dirname(path) };
}

function applyOverride(raw: unknown, override: string): void {
  const m = /^([A-Za-z][\w.]*)=(.*)$/.exec(override);
  if (!m) throw new ConfigError('--set', `expected path=value, got "${override}"`);
  const keys = m[1]!.split('.');
  if (!raw || typeof raw !== 'object') throw new ConfigError('--set', 'the scenario is not a mapping');
  let node = raw as Record<string, unknown>;
  for (const key of keys.slice(0, -1)) {
    const next = node[key] ?? {};
    // A list is entered by index (`lines.0.maxVehicles=1`); the element must exist.
    if (Array.isArray(next)) {
      const index = Number(keys[keys.indexOf(key) + 1]);
      if (!Number.isInteger(index) || next[index] === undefined) throw new ConfigError(m[1]!, `${key} is a list: give an index from 0 to ${next.length - 1}`);
    } else if (typeof next !== 'object' || next === null) throw new ConfigError(m[1]!, `${key} is not a mapping`);
    node[key] = next;
    node = next as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = parseYaml(m[2]!) as unknown;
}

/** A path written in a scenario, resolved against the scenario's folder. */
export function scenarioRelative(scenario: Scenario, path: string): string {
  return isAbsolute(path) ? path : resolve(scenario.dir, path);
}

/** A scenario built in code (e.g. the estimator's training plan); `dir` anchors relative paths. */
export function scenarioFromObject(raw: unknown, dir: string = SCENARIO_DIR): Scenario {
  const scenario = parseStrict(ScenarioSchema, raw, 'scenario');
  return { ...scenario, path: `${dir}/(generated ${scenario.name})`, dir };
}
